import { journeyChangeCodec, type JourneyChangeEvent, type RedisKeys } from '@skyway/contracts';
import { REDIS_DEFAULTS, waitForReady } from '@skyway/redis-connection';
import type Redis from 'ioredis';
import { sleep } from './backoff';

/** What a subscriber receives: the next change, or `gap` when it cannot be given every change. */
export type FeedEvent = { readonly kind: 'change'; readonly event: JourneyChangeEvent } | { readonly kind: 'gap'; readonly reason: string };

export interface ChangeFeedOptions {
  readonly keys: RedisKeys;
  /** The shared command connection: catch-up reads and `CLIENT UNBLOCK`. */
  readonly commands: Redis;
  /** Creates the feed's one blocking connection (no command timeout), on the first subscription. */
  readonly createReader: () => Redis;
  /** How long one XREAD blocks; also the longest a new journey can wait to be added to the read. */
  readonly blockMs?: number;
  /** Entries per stream per XREAD. */
  readonly readCount?: number;
  /** Pause before reading again after an error (Redis unreachable). */
  readonly retryDelayMs?: number;
  readonly onError?: (error: Error) => void;
}

export const CHANGE_FEED_DEFAULTS = { blockMs: 5_000, readCount: 256, retryDelayMs: 500 } as const;

const UNBLOCK_TRIES = 50;
const UNBLOCK_RETRY_MS = 10;

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

interface WatchedJourney {
  /** Id of the last change-stream entry read for this journey. */
  cursor: string;
  readonly subscribers: Set<FeedSubscriber>;
}

/**
 * Live changes of journeys for SSE, with **one blocking connection per process** however many
 * clients listen: a single loop runs `XREAD BLOCK` over the change streams of every journey that
 * has subscribers and fans each entry out in memory. A subscription added while the loop is
 * blocked wakes it with `CLIENT UNBLOCK` so the next read includes the new stream. Unsubscribing
 * releases the subscriber at once; a journey whose last subscriber left drops out of the next read.
 *
 * Subscribers start from a {@link FeedStart} read together with the journey, so they see every
 * later change exactly once, in version order. If that cannot be guaranteed (the stream was
 * trimmed past a subscriber, or an entry is malformed) the subscriber gets `gap` and should
 * start over from a fresh snapshot. While Redis is unreachable the loop retries; cursors are
 * kept, so nothing is skipped once it is back.
 */
export class JourneyChangeFeed {
  private readonly watched = new Map<string, WatchedJourney>();
  private readonly settings: { readonly blockMs: number; readonly readCount: number; readonly retryDelayMs: number };
  private reader: Redis | undefined;
  private readerId: number | undefined;
  private reading = false;
  /** Counts XREAD calls, so an unblock meant for one read never ends the next. */
  private readGeneration = 0;
  private wakeIdle: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ChangeFeedOptions) {
    this.settings = {
      blockMs: options.blockMs ?? CHANGE_FEED_DEFAULTS.blockMs,
      readCount: options.readCount ?? CHANGE_FEED_DEFAULTS.readCount,
      retryDelayMs: options.retryDelayMs ?? CHANGE_FEED_DEFAULTS.retryDelayMs,
    };
  }

  /** Journeys being read right now (for tests and diagnostics). */
  get watchedJourneys(): number {
    return this.watched.size;
  }

  /** Calls `listener` for every change of `journeyId` after `start`; returns the unsubscribe function. */
  subscribe(journeyId: string, start: FeedStart, listener: (event: FeedEvent) => void): () => void {
    if (this.closed) throw new Error('the journey change feed is closed');
    const subscriber = new FeedSubscriber(start.version, listener);
    let journey = this.watched.get(journeyId);
    if (journey === undefined) {
      journey = { cursor: start.streamPosition, subscribers: new Set([subscriber]) };
      this.watched.set(journeyId, journey);
      this.wake();
    } else {
      journey.subscribers.add(subscriber);
      // The loop already read past this subscriber's start: catch it up from the stream.
      if (compareStreamIds(start.streamPosition, journey.cursor) < 0) void this.catchUp(journeyId, start.streamPosition, journey.cursor, subscriber);
    }
    this.loop ??= this.run();
    const watched = journey;
    return () => {
      subscriber.end();
      watched.subscribers.delete(subscriber);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeIdle?.();
    this.reader?.disconnect();
    await this.loop;
  }

  private wake(): void {
    if (this.wakeIdle) this.wakeIdle();
    else if (this.reading) void this.unblock(this.readGeneration);
  }

  /**
   * Ends the blocked XREAD of `generation` so the next read includes new streams. The XREAD may
   * not have reached Redis yet (UNBLOCK then answers 0): try again briefly until it has.
   */
  private async unblock(generation: number): Promise<void> {
    for (let tries = 0; tries < UNBLOCK_TRIES && this.reading && this.readGeneration === generation; tries++) {
      try {
        if (this.readerId !== undefined && (await this.options.commands.client('UNBLOCK', this.readerId)) === 1) return;
      } catch (error) {
        this.options.onError?.(error as Error);
        return;
      }
      await sleep(UNBLOCK_RETRY_MS);
    }
  }

  private async catchUp(journeyId: string, after: string, through: string, subscriber: FeedSubscriber): Promise<void> {
    subscriber.hold();
    try {
      const entries = await this.options.commands.xrange(this.options.keys.journeyChanges(journeyId), `(${after}`, through);
      const events: JourneyChangeEvent[] = [];
      for (const [, fields] of entries) {
        const decoded = journeyChangeCodec.decode(fields);
        if (decoded.ok) events.push(decoded.value);
      }
      subscriber.release(events);
    } catch (error) {
      subscriber.fail(`could not read past changes: ${(error as Error).message}`);
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      for (const [journeyId, journey] of this.watched) if (journey.subscribers.size === 0) this.watched.delete(journeyId);
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        this.wakeIdle = undefined;
        continue;
      }
      const streams = new Map([...this.watched.keys()].map((journeyId) => [this.options.keys.journeyChanges(journeyId), journeyId]));
      let reply: [stream: string, entries: [id: string, fields: string[]][]][] | null;
      try {
        const reader = await this.connectedReader();
        this.readerId ??= (await reader.client('ID')) as number;
        this.reading = true;
        this.readGeneration++;
        reply = await reader.xread(
          'COUNT',
          this.settings.readCount,
          'BLOCK',
          this.settings.blockMs,
          'STREAMS',
          ...streams.keys(),
          ...[...streams.values()].map((journeyId) => (this.watched.get(journeyId) as WatchedJourney).cursor),
        );
      } catch (error) {
        if (this.closed) break;
        this.options.onError?.(error as Error);
        await sleep(this.settings.retryDelayMs);
        continue;
      } finally {
        this.reading = false;
      }
      for (const [stream, entries] of reply ?? []) {
        const journey = this.watched.get(streams.get(stream) as string);
        if (journey !== undefined) this.deliver(journey, entries);
      }
    }
  }

  private deliver(journey: WatchedJourney, entries: [id: string, fields: string[]][]): void {
    for (const [id, fields] of entries) {
      // A read that was in flight when the journey was re-subscribed may return entries already seen.
      if (compareStreamIds(id, journey.cursor) <= 0) continue;
      journey.cursor = id;
      const decoded = journeyChangeCodec.decode(fields);
      if (!decoded.ok) {
        // Skipped; its subscribers see the version gap and start over from a snapshot.
        this.options.onError?.(new Error(`malformed change-stream entry ${id}: ${decoded.error.reason}`));
        continue;
      }
      for (const subscriber of journey.subscribers) subscriber.offer(decoded.value);
    }
  }

  private async connectedReader(): Promise<Redis> {
    if (this.reader === undefined) {
      const reader = this.options.createReader();
      reader.on('ready', () => (this.readerId = undefined));
      this.reader = reader;
    }
    await waitForReady(this.reader, REDIS_DEFAULTS.connectTimeoutMs);
    return this.reader;
  }
}
