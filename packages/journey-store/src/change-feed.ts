import { journeyChangeCodec, type JourneyChangeEvent, type JourneyPartition, type RedisKeys } from '@skyway/contracts';
import { NodeBoundConnection, isRedisUnavailableError, isSlotRedirectError, type RedisTopology } from '@skyway/redis-connection';
import type Redis from 'ioredis';
import { sleep } from './backoff';

/** What a subscriber receives: the next change, or `gap` when it cannot be given every change. */
export type FeedEvent = { readonly kind: 'change'; readonly event: JourneyChangeEvent } | { readonly kind: 'gap'; readonly reason: string };

export interface ChangeFeedOptions {
  readonly keys: RedisKeys;
  /** The process's Redis: its shared client for catch-up reads, node-bound connections for the blocking reads. */
  readonly topology: RedisTopology;
  /** Names the feed's blocking connections in `CLIENT LIST`. */
  readonly connectionName: string;
  /** How long one XREAD blocks. */
  readonly blockMs?: number;
  /** Entries per XREAD. */
  readonly readCount?: number;
  /** Pause before reading again after an error (Redis unreachable). */
  readonly retryDelayMs?: number;
  readonly onError?: (error: Error) => void;
  /** Called with each blocking connection as it is created (e.g. to watch it in metrics). */
  readonly onConnection?: (connection: Redis) => void;
}

export const CHANGE_FEED_DEFAULTS = { blockMs: 5_000, readCount: 256, retryDelayMs: 500 } as const;

/** Where a subscriber starts: the journey version it has and the stream position read with it. */
export interface FeedStart {
  readonly version: number;
  readonly streamPosition: string;
}

function compareStreamIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const byMs = BigInt(aMs) - BigInt(bMs);
  if (byMs !== 0n) return byMs < 0n ? -1 : 1;
  const bySeq = BigInt(aSeq) - BigInt(bSeq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}

/** Delivers each version once, in order; holds live events while older ones are caught up. */
class FeedSubscriber {
  private held: JourneyChangeEvent[] | null = null;
  private ended = false;

  constructor(
    private lastVersion: number,
    private readonly listener: (event: FeedEvent) => void,
  ) {}

  hold(): void {
    this.held = [];
  }

  offer(event: JourneyChangeEvent): void {
    if (this.held) this.held.push(event);
    else this.emit(event);
  }

  release(catchUp: readonly JourneyChangeEvent[]): void {
    const held = this.held ?? [];
    this.held = null;
    for (const event of [...catchUp, ...held]) this.emit(event);
  }

  fail(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener({ kind: 'gap', reason });
  }

  end(): void {
    this.ended = true;
  }

  private emit(event: JourneyChangeEvent): void {
    if (this.ended || event.version <= this.lastVersion) return;
    if (event.version !== this.lastVersion + 1) {
      this.fail(`change stream skips from version ${this.lastVersion} to ${event.version}`);
      return;
    }
    this.lastVersion = event.version;
    this.listener({ kind: 'change', event });
  }
}

/** The blocking reader of one partition's change feed, alive while the partition has subscribers here. */
class PartitionReader {
  /** Id of the last feed entry read. */
  cursor: string;
  readonly journeys = new Map<string, Set<FeedSubscriber>>();
  readonly connection: NodeBoundConnection;
  loop: Promise<void> = Promise.resolve();

  constructor(
    readonly partition: JourneyPartition,
    start: string,
    private readonly feed: { readonly options: ChangeFeedOptions; readonly settings: FeedSettings; isClosed(): boolean; ended(reader: PartitionReader): void },
  ) {
    this.cursor = start;
    const { topology, connectionName, onConnection } = feed.options;
    this.connection = new NodeBoundConnection(topology, partition.changeFeed, {
      connectionName,
      ...(feed.options.onError ? { onError: feed.options.onError } : {}),
      ...(onConnection ? { onConnection } : {}),
    });
  }

  /** Reads until the partition has no subscriber left (call once its first subscriber is added). */
  start(): void {
    this.loop = this.run();
  }

  get subscriberCount(): number {
    let count = 0;
    for (const subscribers of this.journeys.values()) count += subscribers.size;
    return count;
  }

  private async run(): Promise<void> {
    const { settings, options } = this.feed;
    while (!this.feed.isClosed() && this.subscriberCount > 0) {
      let reply: [stream: string, entries: [id: string, fields: string[]][]][] | null;
      try {
        const connection = await this.connection.connection();
        reply = await connection.xread('COUNT', settings.readCount, 'BLOCK', settings.blockMs, 'STREAMS', this.partition.changeFeed, this.cursor);
      } catch (error) {
        if (this.feed.isClosed()) break;
        options.onError?.(error as Error);
        if (isSlotRedirectError(error) || isRedisUnavailableError(error)) await this.connection.recover();
        await sleep(settings.retryDelayMs);
        continue;
      }
      for (const [, entries] of reply ?? []) this.deliver(entries);
    }
    this.connection.disconnect();
    this.feed.ended(this);
  }

  private deliver(entries: [id: string, fields: string[]][]): void {
    for (const [id, fields] of entries) {
      this.cursor = id;
      // Most entries are other journeys' changes: skip them before decoding.
      const journeyId = fields[fields.indexOf('journeyId') + 1];
      const subscribers = journeyId === undefined ? undefined : this.journeys.get(journeyId);
      if (subscribers === undefined || subscribers.size === 0) continue;
      const decoded = journeyChangeCodec.decode(fields);
      if (!decoded.ok) {
        // Skipped; its subscribers see the version gap and start over from a snapshot.
        this.feed.options.onError?.(new Error(`malformed change-feed entry ${id}: ${decoded.error.reason}`));
        continue;
      }
      for (const subscriber of subscribers) subscriber.offer(decoded.value);
    }
  }
}

interface FeedSettings {
  readonly blockMs: number;
  readonly readCount: number;
  readonly retryDelayMs: number;
}

/**
 * Live changes of journeys for SSE. Every committed change is also appended, in the same MULTI, to
 * its journey partition's change feed (`journey.changes:{tag}`); a process follows **one feed per
 * partition that has subscribers here** with a blocking `XREAD` on a connection bound to the
 * partition's node, and fans entries out in memory to the subscribers of their journey. So however
 * many journeys are watched (1,000 or more), a process holds at most `JOURNEY_PARTITIONS` blocking
 * connections, and no read ever spans two slots (Redis Cluster refuses that with CROSSSLOT).
 *
 * Subscribers start from a {@link FeedStart} read together with the journey, so they see every
 * later change exactly once, in version order: entries the partition's reader has already passed
 * are caught up from the feed. If that cannot be guaranteed (the feed was trimmed past a
 * subscriber, or an entry is malformed) the subscriber gets `gap` and should start over from a
 * fresh snapshot. While Redis is unreachable the readers retry; cursors are kept, so nothing is
 * skipped once it is back. A partition whose last subscriber left stops being read.
 */
export class JourneyChangeFeed {
  private readonly readers = new Map<number, PartitionReader>();
  private readonly settings: FeedSettings;
  private closed = false;

  constructor(private readonly options: ChangeFeedOptions) {
    this.settings = {
      blockMs: options.blockMs ?? CHANGE_FEED_DEFAULTS.blockMs,
      readCount: options.readCount ?? CHANGE_FEED_DEFAULTS.readCount,
      retryDelayMs: options.retryDelayMs ?? CHANGE_FEED_DEFAULTS.retryDelayMs,
    };
  }

  /** Journeys with subscribers right now (for tests and diagnostics). */
  get watchedJourneys(): number {
    let count = 0;
    for (const reader of this.readers.values()) for (const subscribers of reader.journeys.values()) if (subscribers.size > 0) count++;
    return count;
  }

  /** Partitions being read right now, each over one blocking connection. */
  get readingPartitions(): number {
    return this.readers.size;
  }

  /** Calls `listener` for every change of `journeyId` after `start`; returns the unsubscribe function. */
  subscribe(journeyId: string, start: FeedStart, listener: (event: FeedEvent) => void): () => void {
    if (this.closed) throw new Error('the journey change feed is closed');
    const subscriber = new FeedSubscriber(start.version, listener);
    const partition = this.options.keys.journeyPartitionOf(journeyId);
    let reader = this.readers.get(partition.index);
    const isNewReader = reader === undefined;
    if (reader === undefined) {
      reader = new PartitionReader(partition, start.streamPosition, {
        options: this.options,
        settings: this.settings,
        isClosed: () => this.closed,
        ended: (ended) => {
          if (this.readers.get(ended.partition.index) === ended) this.readers.delete(ended.partition.index);
        },
      });
      this.readers.set(partition.index, reader);
    }
    let subscribers = reader.journeys.get(journeyId);
    if (subscribers === undefined) {
      subscribers = new Set();
      reader.journeys.set(journeyId, subscribers);
    }
    subscribers.add(subscriber);
    if (isNewReader) reader.start();
    // The reader already read past this subscriber's start: catch it up from the feed.
    if (!isNewReader && compareStreamIds(start.streamPosition, reader.cursor) < 0) {
      void this.catchUp(journeyId, partition, start.streamPosition, reader.cursor, subscriber);
    }
    const watched = subscribers;
    const owner = reader;
    return () => {
      subscriber.end();
      watched.delete(subscriber);
      if (watched.size === 0) owner.journeys.delete(journeyId);
      // Its last subscriber left: end the blocked read now rather than when it times out.
      if (owner.subscriberCount === 0) void owner.connection.unblock();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const readers = [...this.readers.values()];
    for (const reader of readers) reader.connection.disconnect();
    await Promise.all(readers.map((reader) => reader.loop));
  }

  private async catchUp(journeyId: string, partition: JourneyPartition, after: string, through: string, subscriber: FeedSubscriber): Promise<void> {
    subscriber.hold();
    try {
      const entries = await this.options.topology.commands.xrange(partition.changeFeed, `(${after}`, through);
      const events: JourneyChangeEvent[] = [];
      for (const [, fields] of entries) {
        const decoded = journeyChangeCodec.decode(fields);
        if (decoded.ok && decoded.value.journeyId === journeyId) events.push(decoded.value);
      }
      subscriber.release(events);
    } catch (error) {
      subscriber.fail(`could not read past changes: ${(error as Error).message}`);
    }
  }
}
