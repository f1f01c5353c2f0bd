import type { Journey, JourneyChangeEvent } from '@skyway/contracts';
import { TransactionPool, awaitReplicaAcks, isSlotRedirectError } from '@skyway/redis-connection';
import { performance } from 'node:perf_hooks';
import { applyUpdate, changeEvent } from '../apply-update';
import { fullJitterDelayMs, sleep } from '../backoff';
import type { UpdateOutcome } from '../outcomes';
import { queueCommit, throwOnCommandError, type StrategyContext, type UpdateRequest, type UpdateStrategy } from './update-strategy';

interface QueuedUpdate {
  readonly request: UpdateRequest;
  readonly requestedAt: number;
  /** Transaction attempts this update took part in so far. */
  attempts: number;
  resolve(outcome: UpdateOutcome): void;
  reject(error: unknown): void;
}

/** Updates of one journey waiting for, or taking part in, this process's transaction on it. */
interface JourneyQueue {
  readonly waiting: QueuedUpdate[];
  draining: boolean;
}

type AttemptResult = { readonly kind: 'settled'; readonly outcomes: UpdateOutcome[] } | { readonly kind: 'conflict' };

/**
 * Production strategy: optimistic concurrency with WATCH → GET → apply → MULTI (SET + XADD) → EXEC
 * on a pooled connection, and **group commit** per journey.
 *
 * Plain WATCH collapses on a hot key: every concurrent writer re-reads and retries, so with 64
 * writers almost every EXEC aborts. Here concurrent updates of one journey from this process wait
 * in one queue and are applied together, in arrival order, in a single transaction; each caller
 * gets its own outcome and its own version (+1 per update, one change event per update). So a
 * process never conflicts with itself; only transactions of other processes can abort ours.
 *
 * An aborted EXEC (null) retries the batch after full-jitter backoff, re-reading the journey and
 * re-applying every update; updates that arrived meanwhile join the retry. An update that has used
 * `maxAttempts` attempts or `deadlineMs` ends as `conflict-exhausted`. A Redis error rejects every
 * update of the batch with that error (the connection is discarded); since EXEC may or may not
 * have run when a connection drops, such a caller must treat the update as unknown and retry it.
 * So does a commit that fewer replicas than `replicaAcks` acknowledged in time.
 */
export class OptimisticStrategy implements UpdateStrategy {
  readonly name = 'optimistic' as const;
  private readonly pool: TransactionPool;
  private readonly queues = new Map<string, JourneyQueue>();
  private readonly drains = new Set<Promise<void>>();

  constructor(private readonly context: StrategyContext) {
    const { settings } = context;
    this.pool = new TransactionPool(context.topology, {
      size: settings.poolSize,
      acquireTimeoutMs: settings.poolAcquireTimeoutMs,
      idleTimeoutMs: settings.poolIdleTimeoutMs,
      connectionName: context.connectionName,
      onError: (error) => context.observer.onConnectionError?.(error),
      onSlotMoved: () => context.observer.onSlotMoved?.(),
      ...(context.onConnection ? { onConnection: context.onConnection } : {}),
    });
  }

  /** Dedicated connections open right now (for tests and diagnostics). */
  get openConnections(): number {
    return this.pool.size;
  }

  update(request: UpdateRequest): Promise<UpdateOutcome> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(request.journeyId);
      if (queue === undefined) {
        queue = { waiting: [], draining: false };
        this.queues.set(request.journeyId, queue);
      }
      queue.waiting.push({ request, requestedAt: performance.now(), attempts: 0, resolve, reject });
      if (!queue.draining) {
        queue.draining = true;
        const drain = this.drain(request.journeyId, queue);
        this.drains.add(drain);
        void drain.finally(() => this.drains.delete(drain));
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.drains);
    await this.pool.close();
  }

  /** Commits batches of this journey's queue one after another until it is empty. */
  private async drain(journeyId: string, queue: JourneyQueue): Promise<void> {
    while (queue.waiting.length > 0) {
      await this.commitBatch(journeyId, queue, queue.waiting.splice(0, this.context.settings.maxBatchSize));
    }
    queue.draining = false;
    this.queues.delete(journeyId);
  }

  private async commitBatch(journeyId: string, queue: JourneyQueue, first: QueuedUpdate[]): Promise<void> {
    const { settings, observer } = this.context;
    let batch = first;
    for (let round = 1; ; round++) {
      for (const item of batch) item.attempts++;
      observer.onAttempt?.(journeyId, round);
      observer.onBatch?.(journeyId, batch.length);
      let result: AttemptResult;
      try {
        result = await this.attempt(journeyId, batch);
      } catch (error) {
        if (!isSlotRedirectError(error)) {
          for (const item of batch) item.reject(error);
          return;
        }
        // The slot moved (failover, resharding): nothing was written; run the whole batch again at the owner.
        await this.pool.slotMoved();
        result = { kind: 'conflict' };
      }
      if (result.kind === 'settled') {
        const now = performance.now();
        result.outcomes.forEach((outcome, i) => {
          const item = batch[i] as QueuedUpdate;
          if (outcome.kind === 'committed') observer.onCommit?.(journeyId, now - item.requestedAt);
          item.resolve(outcome);
        });
        return;
      }

      observer.onConflict?.(journeyId, round);
      const retrying = this.settleExhausted(batch, (item) => item.attempts >= settings.maxAttempts);
      if (retrying.length === 0) return;
      const earliestDeadline = Math.min(...retrying.map((item) => item.requestedAt + settings.deadlineMs));
      const delay = fullJitterDelayMs(round, settings.backoffBaseMs, settings.backoffCapMs);
      await sleep(Math.max(0, Math.min(delay, earliestDeadline - performance.now())));

      const now = performance.now();
      batch = this.settleExhausted(retrying, (item) => now - item.requestedAt >= settings.deadlineMs);
      // Updates that arrived during the backoff join the retry, after the earlier ones (arrival order).
      batch.push(...queue.waiting.splice(0, settings.maxBatchSize - batch.length));
      if (batch.length === 0) return;
    }
  }

  /** Settles the updates `isExhausted` picks as `conflict-exhausted`; returns the others. */
  private settleExhausted(batch: readonly QueuedUpdate[], isExhausted: (item: QueuedUpdate) => boolean): QueuedUpdate[] {
    const { settings, observer } = this.context;
    const remaining: QueuedUpdate[] = [];
    for (const item of batch) {
      if (!isExhausted(item)) {
        remaining.push(item);
        continue;
      }
      observer.onExhausted?.(item.request.journeyId, item.attempts);
      item.resolve({
        kind: 'conflict-exhausted',
        journeyId: item.request.journeyId,
        attempts: item.attempts,
        retryAfterMs: settings.backoffCapMs,
      });
    }
    return remaining;
  }

  /** One WATCH/GET/apply/MULTI/EXEC round for a batch, on a connection of its own. */
  private async attempt(journeyId: string, batch: readonly QueuedUpdate[]): Promise<AttemptResult> {
    const { keys, settings } = this.context;
    const key = keys.journey(journeyId);
    const connection = await this.pool.acquire(key);
    let watchCleared = false;
    try {
      const replies = (await connection.pipeline().watch(key).get(key).exec()) ?? [];
      throwOnCommandError(replies);
      const stored = replies[1]?.[1] as string | null;
      if (stored === null) {
        await connection.unwatch();
        watchCleared = true;
        return { kind: 'settled', outcomes: batch.map(() => ({ kind: 'journey-not-found', journeyId })) };
      }

      let journey = JSON.parse(stored) as Journey;
      const committedAt = new Date().toISOString();
      const events: JourneyChangeEvent[] = [];
      const outcomes = batch.map((item): UpdateOutcome => {
        const applied = applyUpdate(journey, item.request.update, item.request.expectedVersion);
        if (!applied.ok) return { journeyId, ...applied.rejection };
        journey = applied.journey;
        events.push(changeEvent(journeyId, journey.version, applied.change, committedAt, item.request.author));
        return { kind: 'committed', journeyId, version: journey.version, attempts: item.attempts };
      });
      if (events.length === 0) {
        await connection.unwatch();
        watchCleared = true;
        return { kind: 'settled', outcomes };
      }

      const transaction = connection.multi();
      queueCommit(transaction, keys, journey, events, settings);
      const committed = await transaction.exec();
      watchCleared = true; // EXEC clears the watch whether or not it ran the transaction
      if (committed === null) return { kind: 'conflict' };
      throwOnCommandError(committed);
      await awaitReplicaAcks(connection, settings.replicaAcks);
      return { kind: 'settled', outcomes };
    } finally {
      if (watchCleared) await this.pool.release(connection);
      else await this.pool.destroy(connection);
    }
  }
}
