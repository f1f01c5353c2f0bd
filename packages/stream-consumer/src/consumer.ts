import type { StreamCodec } from '@skyway/contracts';
import { RedisFailureLog, clientAddress, isRedisUnavailableError, isSlotRedirectError, nodeAddress, type NodeBoundConnection, type RedisCommands } from '@skyway/redis-connection';
import type { ChainableCommander } from 'ioredis';
import { ConcurrencyLimit } from './concurrency-limit';

/** The subset of a pino logger the consumer writes to. */
export interface ConsumerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export type DeliverySource = 'new' | 'pending' | 'claimed';

/** Hook points for metrics and tracing; every method is optional and must not throw. */
export interface StreamConsumerObserver {
  onDelivered?(count: number, source: DeliverySource): void;
  onHandled?(entryId: string, durationMs: number, outcome: 'ok' | 'error'): void;
  onDeadLettered?(entryId: string, reason: string): void;
  onReadError?(error: Error): void;
}

export interface Delivery<T> {
  readonly id: string;
  readonly message: T;
  /** 1 on the first delivery; +1 on every redelivery (own pending reread, reclaim from another consumer). */
  readonly deliveryCount: number;
  /** Aborted when a graceful stop runs out of time: stop, commit nothing, leave the entry pending. */
  readonly signal: AbortSignal;
  /** Adds this entry's XACK to a MULTI the handler commits, so the ack lands atomically with its output. */
  ackInto(transaction: ChainableCommander): void;
  /** Acks the entry on its own. */
  ack(): Promise<void>;
}

/**
 * Processes one entry. Resolving means done: the runtime acks the entry unless the handler did
 * (`ack`/`ackInto`). Throwing leaves it pending; it is redelivered once idle for `claimIdleMs`.
 */
export type DeliveryHandler<T> = (delivery: Delivery<T>) => Promise<void>;

export interface DeadLetter<T> {
  readonly id: string;
  /** The entry's raw field list (empty when the entry no longer exists). */
  readonly fields: readonly string[];
  readonly reason: string;
  readonly deliveryCount: number;
  /** The decoded message, when the entry was well-formed (dead-lettered for too many deliveries). */
  readonly message?: T;
}

export interface StreamConsumerOptions<T> {
  /** A connection of its own for `XREADGROUP … BLOCK`, bound to the node serving `stream`. */
  readonly blocking: NodeBoundConnection;
  /** For acks, claims and dead-lettering (single-slot commands); may be shared with the rest of the process. */
  readonly commands: RedisCommands;
  readonly stream: string;
  readonly group: string;
  /** Unique per replica within the group. */
  readonly consumer: string;
  readonly deadLetterStream: string;
  readonly codec: StreamCodec<T>;
  readonly handler: DeliveryHandler<T>;
  /** Runs before an entry is dead-lettered; if it throws, the entry stays pending and is tried again. */
  readonly onDeadLetter?: (deadLetter: DeadLetter<T>) => Promise<void>;
  readonly concurrency?: number;
  /**
   * Shared by the consumers of several streams (the partitions of one queue) so that together they
   * handle at most its `max` entries at once; unset, this consumer has a limit of its own of `concurrency`.
   */
  readonly limit?: ConcurrencyLimit;
  readonly blockMs?: number;
  readonly claimIdleMs?: number;
  readonly claimIntervalMs?: number;
  readonly maxDeliveries?: number;
  readonly deadLetterMaxLen?: number;
  /** Longest field name or value copied to the dead-letter stream; longer ones are cut (`dlq_truncated`). */
  readonly deadLetterMaxFieldLength?: number;
  readonly logger?: ConsumerLogger;
  /**
   * Fields added to every line logged about one entry (besides its `entryId`), from its raw field
   * list (empty when the entry no longer exists), e.g. the id of what it is about. Must not throw.
   */
  readonly entryLogFields?: (fields: readonly string[]) => Record<string, unknown>;
  readonly observer?: StreamConsumerObserver;
}

export const STREAM_CONSUMER_DEFAULTS = {
  /** Entries handled at once. */
  concurrency: 16,
  /** Longest single XREADGROUP BLOCK; shorter when a claim pass is due sooner. */
  blockMs: 5_000,
  /** Pending entries idle this long are taken over (their consumer is presumed dead). */
  claimIdleMs: 30_000,
  /** Deliveries allowed; the next one dead-letters the entry instead. */
  maxDeliveries: 5,
  deadLetterMaxLen: 100_000,
  /** A poison entry of megabytes must not be copied whole: the DLQ is for diagnosis, not storage. */
  deadLetterMaxFieldLength: 4_096,
  /** Backoff between failed reads (Redis down): doubles from min to max. */
  retryMinMs: 100,
  retryMaxMs: 2_000,
} as const;

/** Claim passes run this often by default: half the idle threshold, within [100 ms, 10 s]. */
export function defaultClaimIntervalMs(claimIdleMs: number): number {
  return Math.max(100, Math.min(Math.floor(claimIdleMs / 2), 10_000));
}

export interface StopResult {
  /** Entries still being handled when the deadline passed: left pending for another consumer. */
  readonly abandoned: number;
}

type StreamEntry = [id: string, fields: string[] | null];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

const noopLogger: ConsumerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function assertExecOk(replies: [Error | null, unknown][] | null): void {
  if (replies === null) throw new Error('transaction aborted');
  for (const [error] of replies) if (error) throw error;
}

/**
 * A consumer-group runtime for one Redis stream (at-least-once; see README): ensures the group
 * (MKSTREAM, from `0`), finishes its own pending entries first, then reads new ones with
 * `XREADGROUP … BLOCK` on a dedicated connection, at most `concurrency` at a time; every
 * `claimIntervalMs` it takes over entries idle longer than `claimIdleMs` with XAUTOCLAIM;
 * an entry past `maxDeliveries`, or one the codec rejects, goes to the dead-letter stream with the
 * reason. Survives Redis restarts (NOGROUP → the group is re-created).
 */
export class StreamConsumer<T> {
  private readonly options: StreamConsumerOptions<T>;
  private readonly limit: ConcurrencyLimit;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly claimIntervalMs: number;
  private readonly maxDeliveries: number;
  private readonly deadLetterMaxLen: number;
  private readonly deadLetterMaxFieldLength: number;
  private readonly logger: ConsumerLogger;
  private readonly entryLogFields: (fields: readonly string[]) => Record<string, unknown>;
  private readonly observer: StreamConsumerObserver;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** One per handler running: aborted when a stop's deadline passes. */
  private readonly deliveryAborts = new Set<AbortController>();
  /** Set once a stop's deadline has passed: entries still queued for a handler are left pending. */
  private stopDeadlinePassed: Error | undefined;
  private running = false;
  private joined = false;
  private loop: Promise<void> | undefined;
  private readonly readFailures: RedisFailureLog;

  constructor(options: StreamConsumerOptions<T>) {
    this.options = options;
    this.limit = options.limit ?? new ConcurrencyLimit(options.concurrency ?? STREAM_CONSUMER_DEFAULTS.concurrency);
    this.blockMs = options.blockMs ?? STREAM_CONSUMER_DEFAULTS.blockMs;
    this.claimIdleMs = options.claimIdleMs ?? STREAM_CONSUMER_DEFAULTS.claimIdleMs;
    this.claimIntervalMs = options.claimIntervalMs ?? defaultClaimIntervalMs(this.claimIdleMs);
    this.maxDeliveries = options.maxDeliveries ?? STREAM_CONSUMER_DEFAULTS.maxDeliveries;
    this.deadLetterMaxLen = options.deadLetterMaxLen ?? STREAM_CONSUMER_DEFAULTS.deadLetterMaxLen;
    this.deadLetterMaxFieldLength = options.deadLetterMaxFieldLength ?? STREAM_CONSUMER_DEFAULTS.deadLetterMaxFieldLength;
    this.logger = options.logger ?? noopLogger;
    this.entryLogFields = options.entryLogFields ?? (() => ({}));
    this.observer = options.observer ?? {};
    this.readFailures = new RedisFailureLog({
      logger: this.logger,
      failure: 'stream read failed; retrying',
      recovery: 'stream read recovered',
      fields: { stream: options.stream, group: options.group },
      // Before the blocking connection is made, the group is created over the shared client.
      server: () => nodeAddress(options.blocking.address) ?? clientAddress(options.commands),
    });
  }

  /** True once the group exists and the last read succeeded: the readiness check. */
  isJoined(): boolean {
    return this.joined;
  }

  /** Entries being handled right now. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Starts the read loop in the background; it retries on its own while Redis is down. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops reading, waits up to `deadlineMs` for the entries being handled, then aborts the rest
   * (their `signal`), which stay pending for another consumer. Does not close the connections.
   */
  async stop(deadlineMs: number): Promise<StopResult> {
    if (!this.running) return { abandoned: 0 };
    this.running = false;
    this.limit.wakeWaiters();
    await this.interruptRead();
    const allSettled = Promise.allSettled([...this.inFlight.values()]).then(() => true);
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      deadlineTimer = setTimeout(() => resolve(false), deadlineMs);
    });
    const finished = await Promise.race([allSettled, deadline]);
    // Work that finished early must not leave the deadline timer holding the process open.
    clearTimeout(deadlineTimer);
    const abandoned = finished ? 0 : this.inFlight.size;
    if (!finished) {
      this.stopDeadlinePassed = new Error('consumer stop deadline passed');
      for (const deliveryAbort of this.deliveryAborts) deliveryAbort.abort(this.stopDeadlinePassed);
    }
    this.joined = false;
    return { abandoned };
  }

  private async run(): Promise<void> {
    let readingOwnPending = true;
    let pendingCursor = '0';
    let nextClaimAt = Date.now();
    let retryMs: number = STREAM_CONSUMER_DEFAULTS.retryMinMs;
    const { blocking, stream, group, consumer } = this.options;
    while (this.running) {
      try {
        if (!this.joined) await this.ensureGroup();
        await this.limit.whenFree();
        if (!this.running) break;
        if (Date.now() >= nextClaimAt) {
          await this.claimIdleEntries();
          nextClaimAt = Date.now() + this.claimIntervalMs;
          continue;
        }
        const free = this.limit.free;
        if (free <= 0) continue;
        const connection = await blocking.connection();
        if (readingOwnPending) {
          const entries = this.entriesOf(
            (await connection.xreadgroup('GROUP', group, consumer, 'COUNT', free, 'STREAMS', stream, pendingCursor)) as ReadReply,
          );
          const last = entries.at(-1);
          if (last === undefined) readingOwnPending = false;
          else {
            pendingCursor = last[0];
            await this.dispatchRedelivered(entries, 'pending');
          }
        } else {
          const block = Math.max(1, Math.min(this.blockMs, nextClaimAt - Date.now()));
          const reply = (await connection.xreadgroup(
            'GROUP', group, consumer, 'COUNT', free, 'BLOCK', block, 'STREAMS', stream, '>',
          )) as ReadReply;
          const entries = this.entriesOf(reply);
          if (entries.length > 0) {
            this.observer.onDelivered?.(entries.length, 'new');
            for (const [id, fields] of entries) this.dispatch(id, fields, 1);
          }
        }
        retryMs = STREAM_CONSUMER_DEFAULTS.retryMinMs;
        this.readFailures.recovered();
      } catch (error) {
        if (!this.running) break;
        const failure = error as Error;
        this.observer.onReadError?.(failure);
        if (failure.message.startsWith('NOGROUP')) {
          // The stream or group vanished (Redis restarted empty, or someone deleted it): re-create.
          this.logger.warn({ stream, group }, 'consumer group missing; re-creating it');
          this.joined = false;
          readingOwnPending = true;
          pendingCursor = '0';
          continue;
        }
        this.joined = this.joined && !isRedisUnavailableError(failure);
        this.readFailures.failed(failure);
        // The stream's node may have changed (failover, resharding): find its owner again.
        if (isSlotRedirectError(failure) || isRedisUnavailableError(failure)) await blocking.recover();
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, STREAM_CONSUMER_DEFAULTS.retryMaxMs);
      }
    }
  }

  private async ensureGroup(): Promise<void> {
    const { commands, stream, group } = this.options;
    try {
      // From `0`, not `$`: requests added before any consumer existed (or while the group was
      // missing after a Redis restart) must still be processed.
      await commands.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
      this.logger.info({ stream, group }, 'consumer group created');
    } catch (error) {
      if (!(error as Error).message.startsWith('BUSYGROUP')) throw error;
    }
    this.joined = true;
  }

  private entriesOf(reply: ReadReply): StreamEntry[] {
    return reply?.[0]?.[1] ?? [];
  }

  /** Takes over entries idle longer than claimIdleMs (from any consumer, this one included). */
  private async claimIdleEntries(): Promise<void> {
    const { commands, stream, group, consumer } = this.options;
    let cursor = '0-0';
    do {
      const free = this.limit.free;
      if (free <= 0 || !this.running) return;
      const [next, entries] = (await commands.xautoclaim(
        stream, group, consumer, this.claimIdleMs, cursor, 'COUNT', free,
      )) as [string, StreamEntry[]];
      cursor = next;
      if (entries.length > 0) await this.dispatchRedelivered(entries, 'claimed');
    } while (cursor !== '0-0');
  }

  /** Redelivered entries carry their delivery count in the pending entries list, not in the reply. */
  private async dispatchRedelivered(entries: StreamEntry[], source: DeliverySource): Promise<void> {
    const { commands, stream, group } = this.options;
    const waiting = entries.filter(([id]) => !this.inFlight.has(id));
    if (waiting.length === 0) return;
    const pipeline = commands.pipeline();
    for (const [id] of waiting) pipeline.xpending(stream, group, id, id, 1);
    const replies = (await pipeline.exec()) ?? [];
    this.observer.onDelivered?.(waiting.length, source);
    waiting.forEach(([id, fields], index) => {
      const [error, pending] = replies[index] ?? [null, []];
      const deliveryCount = error ? undefined : (pending as [string, string, number, number][])[0]?.[3];
      // Gone from the pending list: another consumer acked it meanwhile.
      if (deliveryCount === undefined) return;
      this.logger.info(
        { ...this.entryLogFields(fields ?? []), stream, entryId: id, deliveryCount },
        source === 'claimed' ? 'idle entry reclaimed' : 'own pending entry read again',
      );
      this.dispatch(id, fields, deliveryCount);
    });
  }

  private dispatch(id: string, fields: string[] | null, deliveryCount: number): void {
    let task: Promise<void>;
    if (fields === null) {
      task = this.deadLetter({ id, fields: [], reason: 'entry no longer exists in the stream', deliveryCount });
    } else if (deliveryCount > this.maxDeliveries) {
      const decoded = this.options.codec.decode(fields);
      const reason = `delivered ${deliveryCount} times, more than MAX_DELIVERIES=${this.maxDeliveries}`;
      task = this.deadLetter({ id, fields, reason, deliveryCount, ...(decoded.ok ? { message: decoded.value } : {}) });
    } else {
      const decoded = this.options.codec.decode(fields);
      task = decoded.ok
        ? this.limit.run(() => this.handle(id, fields, decoded.value, deliveryCount))
        : this.deadLetter({
            id,
            fields,
            reason: `malformed entry: ${decoded.error.reason}${decoded.error.field ? ` (field ${decoded.error.field})` : ''}`,
            deliveryCount,
          });
    }
    this.inFlight.set(id, task);
    void task.finally(() => this.inFlight.delete(id));
  }

  private async handle(id: string, fields: readonly string[], message: T, deliveryCount: number): Promise<void> {
    // Queued for a handler slot past the stop deadline: leave it pending for another consumer.
    if (this.stopDeadlinePassed) return;
    const { commands, stream, group } = this.options;
    const started = performance.now();
    let acked = false;
    // A signal per delivery, aborted by a stop for as long as the handler runs. Not one long-lived
    // signal for all: on Node 20, `AbortSignal.any([signal, …])` in a handler keeps an entry on its
    // source signal for that signal's lifetime, so the heap grew per entry forever. Nor a listener per
    // handler on one: past 10 handlers at once Node warns of a leak that is not there.
    const deliveryAbort = new AbortController();
    this.deliveryAborts.add(deliveryAbort);
    const delivery: Delivery<T> = {
      id,
      message,
      deliveryCount,
      signal: deliveryAbort.signal,
      ackInto: (transaction) => {
        acked = true;
        transaction.xack(stream, group, id);
      },
      ack: async () => {
        acked = true;
        await commands.xack(stream, group, id);
      },
    };
    try {
      await this.options.handler(delivery);
      if (!acked) await commands.xack(stream, group, id);
      this.observer.onHandled?.(id, performance.now() - started, 'ok');
    } catch (error) {
      this.observer.onHandled?.(id, performance.now() - started, 'error');
      this.logger.warn(
        { ...this.entryLogFields(fields), err: error, stream, entryId: id, deliveryCount },
        'handler failed; entry left pending for redelivery',
      );
    } finally {
      this.deliveryAborts.delete(deliveryAbort);
    }
  }

  private async deadLetter(deadLetter: DeadLetter<T>): Promise<void> {
    const { commands, stream, group, consumer, deadLetterStream } = this.options;
    try {
      await this.options.onDeadLetter?.(deadLetter);
      const transaction = commands.multi();
      if (deadLetter.fields.length > 0) {
        const max = this.deadLetterMaxFieldLength;
        const truncated = deadLetter.fields.some((field) => field.length > max);
        transaction.xadd(
          deadLetterStream, 'MAXLEN', '~', this.deadLetterMaxLen, '*',
          ...deadLetter.fields.map((field) => (field.length > max ? field.slice(0, max) : field)),
          ...(truncated ? ['dlq_truncated', 'true'] : []),
          'dlq_reason', deadLetter.reason,
          'dlq_source_id', deadLetter.id,
          'dlq_deliveries', String(deadLetter.deliveryCount),
          'dlq_consumer', consumer,
        );
      }
      transaction.xack(stream, group, deadLetter.id);
      assertExecOk(await transaction.exec());
      this.observer.onDeadLettered?.(deadLetter.id, deadLetter.reason);
      this.logger.warn(
        { ...this.entryLogFields(deadLetter.fields), stream, entryId: deadLetter.id, deliveryCount: deadLetter.deliveryCount, reason: deadLetter.reason },
        'entry dead-lettered',
      );
    } catch (error) {
      this.logger.error({ ...this.entryLogFields(deadLetter.fields), err: error, stream, entryId: deadLetter.id }, 'dead-lettering failed; entry left pending');
    }
  }

  /** Ends a blocking XREADGROUP at once (CLIENT UNBLOCK on its node), repeating until the loop has exited. */
  private async interruptRead(): Promise<void> {
    const loop = this.loop;
    if (loop === undefined) return;
    let exited = false;
    void loop.then(() => (exited = true));
    while (!exited) {
      await this.options.blocking.unblock();
      await Promise.race([loop, sleep(50)]);
    }
  }
}
