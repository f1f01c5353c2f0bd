import {
  journeyChangeCodec,
  redisKeys,
  type Journey,
  type JourneyStatus,
  type NewJourney,
  type RedisKeys,
  type SegmentStatus,
} from '@skyway/contracts';
import type { RedisCommands, RedisTopology } from '@skyway/redis-connection';
import type { Result } from 'ioredis';
import type { JourneyUpdate } from './apply-update';
import { loadLuaScript } from './lua-scripts';
import { resolveSettings, type JourneyStoreOptions, type JourneyStoreSettings, type StrategyName } from './options';
import type { CreateOutcome, UpdateOutcome } from './outcomes';
import { LockStrategy } from './strategies/lock-strategy';
import { LuaStrategy } from './strategies/lua-strategy';
import { NaiveStrategy } from './strategies/naive-strategy';
import { OptimisticStrategy } from './strategies/optimistic-strategy';
import { throwOnCommandError, type StrategyContext, type UpdateStrategy } from './strategies/update-strategy';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    skywayCreateJourney(journeyKey: string, changesKey: string, ...args: (string | number)[]): Result<number, Context>;
  }
}

/** Updates that should apply only to a journey at a known version (HTTP If-Match). */
export interface UpdateConditions {
  readonly expectedVersion?: number;
}

/** A journey and the id of the last entry of its change stream, read together. */
export interface JourneySnapshot {
  readonly journey: Journey;
  /** Read the change stream after this id to see every change newer than `journey`. */
  readonly streamPosition: string;
}

const STRATEGIES: Record<StrategyName, new (context: StrategyContext) => UpdateStrategy> = {
  optimistic: OptimisticStrategy,
  naive: NaiveStrategy,
  lua: LuaStrategy,
  lock: LockStrategy,
};

/**
 * Journeys in Redis: one JSON document per journey (`version` +1 per committed change) plus a
 * change stream written atomically with it (an outbox), both under the journey's hash tag; a set
 * indexes the ids. Updates go through the configured {@link UpdateStrategy} (production:
 * `optimistic`). Expected outcomes are values; Redis failures are thrown.
 */
export class JourneyStore {
  readonly keys: RedisKeys;
  readonly settings: JourneyStoreSettings;
  private readonly strategy: UpdateStrategy;
  private readonly redis: RedisCommands;

  /** Plain reads and scripts use the topology's shared client (never WATCH); transactions get connections of their own. */
  constructor(topology: RedisTopology, options: JourneyStoreOptions = {}) {
    this.redis = topology.commands;
    this.keys = redisKeys(options.keyPrefix ?? '');
    this.settings = resolveSettings(options);
    this.strategy = new STRATEGIES[this.settings.strategy]({
      topology,
      keys: this.keys,
      settings: this.settings,
      observer: options.observer ?? {},
      connectionName: options.connectionName ?? 'journey-store:tx',
      ...(options.onConnection ? { onConnection: options.onConnection } : {}),
    });
    this.redis.defineCommand('skywayCreateJourney', { numberOfKeys: 2, lua: loadLuaScript('create-journey') });
  }

  get strategyName(): StrategyName {
    return this.strategy.name;
  }

  /**
   * Stores a new journey at version 1 with its `created` event, unless the id exists (the stored
   * journey is never overwritten). The id index is another key (another Cluster slot), so it is
   * written after the journey, and re-written when a create finds the journey already there: a
   * failure between the two is repaired by the next create or seed of that id.
   */
  async create(input: NewJourney): Promise<CreateOutcome> {
    const journey: Journey = { ...input, version: 1 };
    const event = { journeyId: journey.id, version: 1, changes: [{ type: 'created' as const }], committedAt: new Date().toISOString() };
    const created = await this.redis.skywayCreateJourney(
      this.keys.journey(journey.id),
      this.keys.journeyChanges(journey.id),
      JSON.stringify(journey),
      this.settings.changeStreamMaxLen,
      ...journeyChangeCodec.encode(event),
    );
    await this.redis.sadd(this.keys.journeyIndex, journey.id);
    return created === 1 ? { kind: 'created', journey } : { kind: 'already-exists', journeyId: journey.id };
  }

  async get(journeyId: string): Promise<Journey | null> {
    const stored = await this.redis.get(this.keys.journey(journeyId));
    return stored === null ? null : (JSON.parse(stored) as Journey);
  }

  /** The journey and its partition's change-feed position, read in one MULTI (one slot) so they agree. */
  async snapshot(journeyId: string): Promise<JourneySnapshot | null> {
    const replies = (await this.redis
      .multi()
      .get(this.keys.journey(journeyId))
      .xrevrange(this.keys.journeyPartitionOf(journeyId).changeFeed, '+', '-', 'COUNT', 1)
      .exec()) ?? [];
    throwOnCommandError(replies);
    const stored = replies[0]?.[1] as string | null;
    if (stored === null) return null;
    const [last] = replies[1]?.[1] as [id: string, fields: string[]][];
    return { journey: JSON.parse(stored) as Journey, streamPosition: last?.[0] ?? '0-0' };
  }

  /** Every journey id, sorted. */
  async list(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.journeyIndex)).sort();
  }

  updateSegmentStatus(journeyId: string, segmentId: string, status: SegmentStatus, conditions: UpdateConditions = {}): Promise<UpdateOutcome> {
    return this.update(journeyId, { type: 'segmentStatus', segmentId, status }, conditions);
  }

  updateJourneyStatus(journeyId: string, status: JourneyStatus, conditions: UpdateConditions = {}): Promise<UpdateOutcome> {
    return this.update(journeyId, { type: 'journeyStatus', status }, conditions);
  }

  /** Waits for in-flight updates and releases dedicated connections; the shared one is the caller's. */
  close(): Promise<void> {
    return this.strategy.close();
  }

  private update(journeyId: string, update: JourneyUpdate, conditions: UpdateConditions): Promise<UpdateOutcome> {
    return this.strategy.update(
      conditions.expectedVersion === undefined ? { journeyId, update } : { journeyId, update, expectedVersion: conditions.expectedVersion },
    );
  }
}
