import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SupplierErrorResponse, SupplierFlightsQuery, SupplierFlightsResponse } from '@skyway/contracts';
import { generateOffers } from '../../../domain/offers';

export interface FlightsRouteOptions {
  readonly supplierName: string;
}

/** `GET /flights?from&to&date&passengers`: the day's offers for the route (mounted under `/v1`). */
const flightsRoute: FastifyPluginAsyncTypebox<FlightsRouteOptions> = async (app, { supplierName }) => {
  app.get(
    '/flights',
    {
      schema: {
        querystring: SupplierFlightsQuery,
        response: { 200: SupplierFlightsResponse, 400: SupplierErrorResponse, 503: SupplierErrorResponse },
      },
    },
    async (request) => ({ supplier: supplierName, offers: generateOffers(request.query, supplierName) }),
  );
};

export default flightsRoute;
