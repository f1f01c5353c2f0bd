import { journeyChangeCodec, type Journey, type JourneyChangeEvent, type RedisKeys } from '@skyway/contracts';
import type { RedisTopology } from '@skyway/redis-connection';
import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { JourneyUpdate } from '../apply-update';
import type { JourneyStoreObserver } from '../observer';
import type { JourneyStoreSettings, StrategyName } from '../options';
import type { UpdateOutcome } from '../outcomes';

export interface UpdateRequest {
  readonly journeyId: string;
  readonly update: JourneyUpdate;
  /** Apply only if the journey is at this version (HTTP If-Match). */
  readonly expectedVersion?: number;
}

/** One way of applying an update to a stored journey. Production uses `optimistic`. */
export interface UpdateStrategy {
  readonly name: StrategyName;
  update(request: UpdateRequest): Promise<UpdateOutcome>;
  /** Waits for in-flight updates, then releases connections. */
  close(): Promise<void>;
}

export interface StrategyContext {
  /** The process's Redis: `commands` for single commands, pipelines and plain MULTI (never WATCH); per-node connections for WATCH. */
  readonly topology: RedisTopology;
  readonly keys: RedisKeys;
  readonly settings: JourneyStoreSettings;
  readonly observer: JourneyStoreObserver;
  /** Name for dedicated connections in `CLIENT LIST`. */
  readonly connectionName: string;
  readonly onConnection?: (connection: Redis) => void;
}

/**
 * Queues the document write and its change events on a MULTI or pipeline: each event goes to the
 * journey's own change stream (the outbox) and to its partition's change feed (what SSE viewers
 * follow). All three keys carry the partition's hash tag: one slot, one transaction.
 */
export function queueCommit(
  commands: ChainableCommander,
  keys: RedisKeys,
  journey: Journey,
  events: readonly JourneyChangeEvent[],
  settings: Pick<JourneyStoreSettings, 'changeStreamMaxLen' | 'changeFeedMaxLen'>,
): void {
  commands.set(keys.journey(journey.id), JSON.stringify(journey));
  const stream = keys.journeyChanges(journey.id);
  const feed = keys.journeyPartitionOf(journey.id).changeFeed;
  for (const event of events) {
    const fields = journeyChangeCodec.encode(event);
    commands.xadd(stream, 'MAXLEN', '~', settings.changeStreamMaxLen, '*', ...fields);
    commands.xadd(feed, 'MAXLEN', '~', settings.changeFeedMaxLen, '*', ...fields);
  }
}

/** Replies of a MULTI/pipeline: throws the first command error (e.g. OOM), so none passes silently. */
export function throwOnCommandError(replies: [Error | null, unknown][]): void {
  for (const [error] of replies) if (error) throw error;
}
