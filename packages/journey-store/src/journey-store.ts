import {
  journeyChangeCodec,
  redisKeys,
  type Journey,
  type JourneyChangeEvent,
  type JourneyStatus,
  type NewJourney,
  type RedisKeys,
  type SegmentStatus,
} from '@skyway/contracts';
import { TransactionPool, awaitReplicaAcks, type RedisCommands, type RedisTopology } from '@skyway/redis-connection';
import { changeEvent, type ChangeAuthor, type JourneyUpdate } from './apply-update';
import { loadLuaScript } from './lua-scripts';
import { resolveSettings, type JourneyStoreOptions, type JourneyStoreSettings, type StrategyName } from './options';
import type { CreateOutcome, UpdateOutcome } from './outcomes';
import { LockStrategy } from './strategies/lock-strategy';
import { LuaStrategy } from './strategies/lua-strategy';
import { NaiveStrategy } from './strategies/naive-strategy';
import { OptimisticStrategy } from './strategies/optimistic-strategy';
import { throwOnCommandError, type StrategyContext, type UpdateStrategy } from './strategies/update-strategy';

/** Connections per node for creating journeys: creation is rare (seeding, administration). */
const CREATE_CONNECTIONS = 2;

export interface UpdateOptions {
  /** Apply only to the journey at this version (HTTP If-Match). */
  readonly expectedVersion?: number;
  /** Who asks, recorded in the change event (main-service always says). */
  readonly author?: ChangeAuthor;
}

/** A journey's change events as its change stream holds them, oldest first. */
export interface JourneyChangeLog {
  readonly changes: JourneyChangeEvent[];
  /** Versions 1 to the journey's current one, without a gap: nothing trimmed away or unreadable. */
  readonly complete: boolean;
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
  /** Connections of its own for creation, so `replicaAcks` can WAIT on the connection that wrote. */
  private readonly creates: TransactionPool;

  /** Plain reads use the topology's shared client (never WATCH); writes get connections of their own. */
  constructor(topology: RedisTopology, options: JourneyStoreOptions = {}) {
    this.redis = topology.commands;
    this.keys = redisKeys(options.keyPrefix ?? '');
    this.settings = resolveSettings(options);
    const observer = options.observer ?? {};
    const connectionName = options.connectionName ?? 'journey-store:tx';
    this.strategy = new STRATEGIES[this.settings.strategy]({
      topology,
      keys: this.keys,
      settings: this.settings,
      observer,
      connectionName,
      ...(options.onConnection ? { onConnection: options.onConnection } : {}),
    });
    this.creates = new TransactionPool(topology, {
      size: CREATE_CONNECTIONS,
      acquireTimeoutMs: this.settings.poolAcquireTimeoutMs,
      idleTimeoutMs: this.settings.poolIdleTimeoutMs,
      connectionName,
      onError: (error) => observer.onConnectionError?.(error),
      onSlotMoved: () => observer.onSlotMoved?.(),
      ...(options.onConnection ? { onConnection: options.onConnection } : {}),
    });
  }

  get strategyName(): StrategyName {
    return this.strategy.name;
  }

  /**
   * Stores a new journey at version 1 with its `created` event, unless the id exists (the stored
   * journey is never overwritten). The id index is another key (another Cluster slot), so it is
   * written after the journey, and re-written when a create finds the journey already there: a
   * failure between the two is repaired by the next create or seed of that id. With `replicaAcks`,
   * a journey no replica confirmed in time is refused as Redis unavailable, as an update is.
   */
  async create(input: NewJourney, author?: ChangeAuthor): Promise<CreateOutcome> {
    const journey: Journey = { ...input, version: 1 };
    const event = changeEvent(journey.id, 1, { type: 'created' }, new Date().toISOString(), author);
    const key = this.keys.journey(journey.id);
    const created = await this.creates.onOwner(key, async (connection) => {
      const reply = await connection.eval(
        loadLuaScript('create-journey'),
        2,
        key,
        this.keys.journeyChanges(journey.id),
        JSON.stringify(journey),
        this.settings.changeStreamMaxLen,
        ...journeyChangeCodec.encode(event),
      );
      await awaitReplicaAcks(connection, this.settings.replicaAcks);
      return reply;
    });
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

  /**
   * The journey's change events, oldest first, or null for an unknown journey. The stream is
   * trimmed to about `changeStreamMaxLen` entries, so a long-lived journey's oldest ones may be gone
   * (`complete: false`); an entry that does not decode is left out the same way.
   */
  async history(journeyId: string): Promise<JourneyChangeLog | null> {
    const replies = (await this.redis
      .multi()
      .get(this.keys.journey(journeyId))
      .xrange(this.keys.journeyChanges(journeyId), '-', '+')
      .exec()) ?? [];
    throwOnCommandError(replies);
    const stored = replies[0]?.[1] as string | null;
    if (stored === null) return null;
    const changes: JourneyChangeEvent[] = [];
    for (const [, fields] of replies[1]?.[1] as [id: string, fields: string[]][]) {
      const decoded = journeyChangeCodec.decode(fields);
      if (decoded.ok) changes.push(decoded.value);
    }
    const { version } = JSON.parse(stored) as Journey;
    const complete = changes.length === version && changes.every((event, i) => event.version === i + 1);
    return { changes, complete };
  }

  /** Every journey id, sorted. */
  async list(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.journeyIndex)).sort();
  }

  updateSegmentStatus(journeyId: string, segmentId: string, status: SegmentStatus, options: UpdateOptions = {}): Promise<UpdateOutcome> {
    return this.update(journeyId, { type: 'segmentStatus', segmentId, status }, options);
  }

  updateJourneyStatus(journeyId: string, status: JourneyStatus, options: UpdateOptions = {}): Promise<UpdateOutcome> {
    return this.update(journeyId, { type: 'journeyStatus', status }, options);
  }

  /** Waits for in-flight updates and releases dedicated connections; the shared one is the caller's. */
  async close(): Promise<void> {
    await this.strategy.close();
    await this.creates.close();
  }

  private update(journeyId: string, update: JourneyUpdate, { expectedVersion, author }: UpdateOptions): Promise<UpdateOutcome> {
    return this.strategy.update({
      journeyId,
      update,
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...(author === undefined ? {} : { author }),
    });
  }
}
