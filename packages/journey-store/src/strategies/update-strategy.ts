import { journeyChangeCodec, type Journey, type JourneyChangeEvent, type RedisKeys } from '@skyway/contracts';
import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { ChangeAuthor, JourneyUpdate } from '../apply-update';
import type { JourneyStoreObserver } from '../observer';
import type { JourneyStoreSettings, StrategyName } from '../options';
import type { UpdateOutcome } from '../outcomes';

export interface UpdateRequest {
  readonly journeyId: string;
  readonly update: JourneyUpdate;
  /** Apply only if the journey is at this version (HTTP If-Match). */
  readonly expectedVersion?: number;
  /** Recorded in the change event. */
  readonly author?: ChangeAuthor;
}

/** One way of applying an update to a stored journey. Production uses `optimistic`. */
export interface UpdateStrategy {
  readonly name: StrategyName;
  update(request: UpdateRequest): Promise<UpdateOutcome>;
  /** Waits for in-flight updates, then releases connections. */
  close(): Promise<void>;
}

export interface StrategyContext {
  /** The shared command connection: single commands, pipelines and plain MULTI, never WATCH. */
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly settings: JourneyStoreSettings;
  readonly observer: JourneyStoreObserver;
  /** Name for dedicated connections in `CLIENT LIST`. */
  readonly connectionName: string;
  readonly onConnection?: (connection: Redis) => void;
}

/** Queues the document write and its change events (the outbox) on a MULTI or pipeline. */
export function queueCommit(
  commands: ChainableCommander,
  keys: RedisKeys,
  journey: Journey,
  events: readonly JourneyChangeEvent[],
  changeStreamMaxLen: number,
): void {
  commands.set(keys.journey(journey.id), JSON.stringify(journey));
  const stream = keys.journeyChanges(journey.id);
  for (const event of events) {
    commands.xadd(stream, 'MAXLEN', '~', changeStreamMaxLen, '*', ...journeyChangeCodec.encode(event));
  }
}

/** Replies of a MULTI/pipeline: throws the first command error (e.g. OOM), so none passes silently. */
export function throwOnCommandError(replies: [Error | null, unknown][]): void {
  for (const [error] of replies) if (error) throw error;
}
