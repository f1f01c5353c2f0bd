import { Type, type Static } from '@sinclair/typebox';
import { FieldError } from './envelope';
import { MAX_PASSENGERS, MIN_PASSENGERS, Money, OffsetDateTime, UppercaseIataCode } from './search';

/**
 * The wire format of the 3rd-party flight API that mock-supplier imitates:
 * `GET /v1/flights?from=CGK&to=DPS&date=2025-07-10&passengers=2`. It is deliberately not Skyway's
 * own result shape: provider-service adapts it to {@link FlightResult}, as it would a real supplier.
 */
export const SupplierFlightsQuery = Type.Object(
  {
    from: UppercaseIataCode,
    to: UppercaseIataCode,
    date: Type.String({ format: 'date' }),
    passengers: Type.Integer({ minimum: MIN_PASSENGERS, maximum: MAX_PASSENGERS }),
  },
  { $id: 'SupplierFlightsQuery', additionalProperties: false },
);
export type SupplierFlightsQuery = Static<typeof SupplierFlightsQuery>;

export const SupplierOffer = Type.Object(
  {
    offerId: Type.String({ minLength: 1 }),
    carrier: Type.Object({ code: Type.String({ pattern: '^[A-Z0-9]{2}$' }), name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    flightNumber: Type.String({ pattern: '^[A-Z0-9]{2}[0-9]{1,4}$' }),
    origin: UppercaseIataCode,
    destination: UppercaseIataCode,
    /** Local departure time at the origin, with its UTC offset. */
    departureLocal: OffsetDateTime,
    /** Local arrival time at the destination, with its UTC offset. */
    arrivalLocal: OffsetDateTime,
    durationMinutes: Type.Integer({ minimum: 1 }),
    stops: Type.Integer({ minimum: 0 }),
    /** The total for all the query's passengers, in the currency of the origin's country. */
    fare: Money,
    seatsLeft: Type.Integer({ minimum: 0 }),
  },
  { $id: 'SupplierOffer', additionalProperties: false },
);
export type SupplierOffer = Static<typeof SupplierOffer>;

export const SupplierFlightsResponse = Type.Object(
  { supplier: Type.String({ minLength: 1 }), offers: Type.Array(SupplierOffer) },
  { $id: 'SupplierFlightsResponse', additionalProperties: false },
);
export type SupplierFlightsResponse = Static<typeof SupplierFlightsResponse>;

/** Every non-2xx answer of the supplier API (400 invalid query, 404, 503 unavailable, 500). */
export const SupplierErrorResponse = Type.Object(
  {
    code: Type.Union([
      Type.Literal('INVALID_QUERY'),
      Type.Literal('NOT_FOUND'),
      Type.Literal('SUPPLIER_UNAVAILABLE'),
      Type.Literal('INTERNAL_ERROR'),
    ]),
    message: Type.String(),
    errors: Type.Optional(Type.Array(FieldError)),
  },
  { $id: 'SupplierErrorResponse', additionalProperties: false },
);
export type SupplierErrorResponse = Static<typeof SupplierErrorResponse>;
