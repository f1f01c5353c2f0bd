import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };

/** The `data:` of each event of `GET /api/flights/search/{search_id}/stream`. */
export type SearchEvent = components['schemas']['SearchEvent'];
/** The `data:` of `event: journey` on `GET /api/journeys/{journeyId}/stream`. */
export type Journey = components['schemas']['Journey'];
/** The `data:` of `event: change` on `GET /api/journeys/{journeyId}/stream`. */
export type JourneyChangeEvent = components['schemas']['JourneyChangeEvent'];

/**
 * A client of every REST operation of the API at `baseUrl` (`http://localhost:3000`), typed from
 * the OpenAPI document alone: paths, parameters, bodies and each status's response. Event streams
 * are for an `EventSource`; their payloads are {@link SearchEvent}, {@link Journey} and
 * {@link JourneyChangeEvent}.
 */
export function createSkywayClient(baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}): Client<paths> {
  return createClient<paths>({ ...options, baseUrl });
}
