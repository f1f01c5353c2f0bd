import clusterKeySlot from 'cluster-key-slot';
import { Type, type Static } from '@sinclair/typebox';
import { FlightResult, SearchError, SearchId, UppercaseIataCode } from './search';

/** Stream and consumer-group names (SPEC §4); each stream is split into partitions (see {@link redisKeys}). */
export const STREAMS = {
  searchRequested: 'flight.search.requested',
  searchRequestedDeadLetter: 'flight.search.requested.dlq',
  searchResults: 'flight.search.results',
  journeyChanges: 'journey.changes',
} as const;

export const PROVIDER_GROUP = 'provider-service';

/** Redis Cluster's hash slots; a key's slot is CRC16 of its `{hash tag}` modulo this. */
export const CLUSTER_SLOTS = 16_384;

/** `SEARCH_PARTITIONS` when unset: enough to spread the search streams over a few masters evenly. */
export const DEFAULT_SEARCH_PARTITIONS = 16;
export const MAX_SEARCH_PARTITIONS = 1_024;

/**
 * Journeys are grouped into this many partitions, each with one change feed stream. Fixed, not
 * configured: a journey's keys carry its partition's tag, so changing it would move every journey.
 */
export const JOURNEY_PARTITIONS = 16;

/** The Redis client's slot function (CRC16/XMODEM of the hash tag), as Redis Cluster computes it. */
export const slotOf: (key: string) => number = clusterKeySlot;

/**
 * The partition (0 … count − 1) of an id: its slot's range among `count` equal slot ranges, i.e. the
 * CRC16's high bits. Not `slot mod count`, the low bits, which sequential ids (`JRN-000001`, …) fill
 * unevenly: with 16 partitions, half of them got half the journeys of the other half.
 */
export function partitionOf(id: string, count: number): number {
  return Math.floor((clusterKeySlot(id) * count) / CLUSTER_SLOTS);
}

/**
 * The hash tags of `count` partitions named `<namespace><index>`: partition i gets the first tag
 * (`s3`, else `s3.1`, `s3.2`, …) whose slot lies in the i-th of `count` equal slot ranges, so the
 * partitions spread evenly over the masters of a cluster whose slots are evenly assigned.
 */
export function partitionTags(namespace: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const low = Math.floor((index * CLUSTER_SLOTS) / count);
    const high = Math.floor(((index + 1) * CLUSTER_SLOTS) / count);
    for (let attempt = 0; ; attempt++) {
      const tag = attempt === 0 ? `${namespace}${index}` : `${namespace}${index}.${attempt}`;
      const slot = clusterKeySlot(tag);
      if (slot >= low && slot < high) return tag;
    }
  });
}

/** One partition of the search pipeline: its request, result and dead-letter streams share a slot with its searches' state. */
export interface SearchPartition {
  readonly index: number;
  readonly tag: string;
  readonly requested: string;
  readonly results: string;
  readonly deadLetter: string;
}

/** One partition of the journeys: its journeys' keys and its change feed stream share a slot. */
export interface JourneyPartition {
  readonly index: number;
  readonly tag: string;
  /** Every committed change of the partition's journeys, written in the same MULTI as the journey: what SSE viewers follow. */
  readonly changeFeed: string;
}

/**
 * Redis key names. Every app takes an optional prefix (empty in production) so tests and shared
 * Redis servers can isolate namespaces. Every key carries a `{hash tag}`: the keys one
 * transaction, script or multi-key read touches always share a Redis Cluster slot (a search's
 * state and its partition's streams; a journey's document, change stream and its partition's
 * change feed).
 */
export interface RedisKeys {
  readonly searchPartitions: readonly SearchPartition[];
  /** The partition a search belongs to, from its id. */
  searchPartitionOf(searchId: string): SearchPartition;
  /** The stored state of one search (JSON, with a TTL), in its partition's slot. */
  search(searchId: string): string;
  readonly journeyPartitions: readonly JourneyPartition[];
  journeyPartitionOf(journeyId: string): JourneyPartition;
  /** The JSON document of one journey. */
  journey(journeyId: string): string;
  /** The change stream (outbox) of one journey, written in the same MULTI as its document. */
  journeyChanges(journeyId: string): string;
  /** The `lock` update strategy's mutex (benchmarks and tests only). */
  journeyLock(journeyId: string): string;
  /** Set of every journey id, for `GET /api/journeys`. */
  readonly journeyIndex: string;
  /** The partition count every service of this namespace must agree on (checked at start). */
  readonly searchPartitionCount: string;
}

export interface RedisKeysOptions {
  /** `SEARCH_PARTITIONS`; default {@link DEFAULT_SEARCH_PARTITIONS}. */
  readonly searchPartitions?: number;
}

export function redisKeys(prefix = '', options: RedisKeysOptions = {}): RedisKeys {
  const count = options.searchPartitions ?? DEFAULT_SEARCH_PARTITIONS;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SEARCH_PARTITIONS) {
    throw new RangeError(`search partitions must be an integer from 1 to ${MAX_SEARCH_PARTITIONS} (got ${count})`);
  }
  const searchPartitions = partitionTags('s', count).map(
    (tag, index): SearchPartition => ({
      index,
      tag,
      requested: `${prefix}${STREAMS.searchRequested}:{${tag}}`,
      results: `${prefix}${STREAMS.searchResults}:{${tag}}`,
      deadLetter: `${prefix}${STREAMS.searchRequestedDeadLetter}:{${tag}}`,
    }),
  );
  const journeyPartitions = partitionTags('j', JOURNEY_PARTITIONS).map(
    (tag, index): JourneyPartition => ({ index, tag, changeFeed: `${prefix}${STREAMS.journeyChanges}:{${tag}}` }),
  );
  const searchPartitionOf = (searchId: string): SearchPartition => searchPartitions[partitionOf(searchId, count)] as SearchPartition;
  const journeyPartitionOf = (journeyId: string): JourneyPartition => journeyPartitions[partitionOf(journeyId, JOURNEY_PARTITIONS)] as JourneyPartition;
  const journey = (journeyId: string): string => `${prefix}journey:{${journeyPartitionOf(journeyId).tag}}:${journeyId}`;
  return {
    searchPartitions,
    searchPartitionOf,
    search: (searchId) => `${prefix}search:{${searchPartitionOf(searchId).tag}}:${searchId}`,
    journeyPartitions,
    journeyPartitionOf,
    journey,
    journeyChanges: (journeyId) => `${journey(journeyId)}:changes`,
    journeyLock: (journeyId) => `${journey(journeyId)}:lock`,
    journeyIndex: `${prefix}journeys`,
    searchPartitionCount: `${prefix}search-partitions`,
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
