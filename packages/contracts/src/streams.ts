import { Type, type Static } from '@sinclair/typebox';
import { FlightResult, SearchError, SearchId, UppercaseIataCode } from './search';

/** Stream and consumer-group names (SPEC §4). */
export const STREAMS = {
  searchRequested: 'flight.search.requested',
  searchRequestedDeadLetter: 'flight.search.requested.dlq',
  searchResults: 'flight.search.results',
} as const;

export const PROVIDER_GROUP = 'provider-service';

/**
 * Redis key names. Every app takes an optional prefix (empty in production) so tests and shared
 * Redis servers can isolate namespaces; keys of one search or one journey share a `{hash tag}`
 * so they land in one Redis Cluster slot and can be used together in MULTI and Lua.
 */
export interface RedisKeys {
  readonly searchRequested: string;
  readonly searchRequestedDeadLetter: string;
  readonly searchResults: string;
  /** The stored state of one search (JSON, with a TTL). */
  search(searchId: string): string;
  /** The JSON document of one journey. */
  journey(journeyId: string): string;
  /** The change stream (outbox) of one journey, written in the same MULTI as its document. */
  journeyChanges(journeyId: string): string;
  /** The `lock` update strategy's mutex (benchmarks and tests only). */
  journeyLock(journeyId: string): string;
  /** Set of every journey id, for `GET /api/journeys`. */
  readonly journeyIndex: string;
}

export function redisKeys(prefix = ''): RedisKeys {
  return {
    searchRequested: prefix + STREAMS.searchRequested,
    searchRequestedDeadLetter: prefix + STREAMS.searchRequestedDeadLetter,
    searchResults: prefix + STREAMS.searchResults,
    search: (searchId) => `${prefix}search:{${searchId}}`,
    journey: (journeyId) => `${prefix}journey:{${journeyId}}`,
    journeyChanges: (journeyId) => `${prefix}journey:{${journeyId}}:changes`,
    journeyLock: (journeyId) => `${prefix}journey:{${journeyId}}:lock`,
    journeyIndex: `${prefix}journeys`,
  };
}

/** W3C trace context carried in stream entries so one trace spans the stream hop. */
const traceContextFields = {
  traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  tracestate: Type.Optional(Type.String({ maxLength: 512 })),
};

/** An entry of `flight.search.requested`: the brief's fields, plus when and trace context. */
export const SearchRequestedMessage = Type.Object(
  {
    search_id: SearchId,
    from: UppercaseIataCode,
    to: UppercaseIataCode,
    date: Type.String({ format: 'date' }),
    passengers: Type.Integer({ minimum: 1, maximum: 9 }),
    requested_at: Type.String({ format: 'date-time' }),
    ...traceContextFields,
  },
  { $id: 'SearchRequestedMessage', additionalProperties: false },
);
export type SearchRequestedMessage = Static<typeof SearchRequestedMessage>;

/**
 * An entry of `flight.search.results`, written in the same MULTI as the search's stored state and
 * equal to its public part. `processing` entries carry the cumulative results so far (partial, as
 * suppliers answer); `completed` carries all results; `failed` carries the error.
 */
export const SearchResultMessage = Type.Object(
  {
    search_id: SearchId,
    seq: Type.Integer({
      minimum: 1,
      description: 'Sequence number of the stored search state this entry reflects; SSE event ids derive from it',
    }),
    status: Type.Union([Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]),
    results: Type.Optional(Type.Array(FlightResult)),
    error: Type.Optional(SearchError),
    requested_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'When the search was requested: every reader measures end-to-end latency from it (absent in entries written before it was added)',
      }),
    ),
    ...traceContextFields,
  },
  { $id: 'SearchResultMessage', additionalProperties: false },
);
export type SearchResultMessage = Static<typeof SearchResultMessage>;
