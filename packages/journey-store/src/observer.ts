/**
 * Hooks into the update path for metrics, with no dependency on a metrics library (attach
 * prom-client counters or OTel instruments here). Hooks are called synchronously and must not
 * throw; they receive ids and numbers only, never journey contents.
 */
export interface JourneyStoreObserver {
  /** A transaction attempt (optimistic), script call (lua), lock acquisition try (lock) or write (naive) starts. */
  onAttempt?(journeyId: string, attempt: number): void;
  /** EXEC returned null (optimistic) or the lock was held by someone else (lock): the attempt will be retried. */
  onConflict?(journeyId: string, attempt: number): void;
  /** An update ran out of attempts or time: its caller gets `conflict-exhausted`. */
  onExhausted?(journeyId: string, attempts: number): void;
  /** A group-commit transaction is attempted with this many queued updates. */
  onBatch?(journeyId: string, size: number): void;
  /** An update committed, `latencyMs` after it was requested. */
  onCommit?(journeyId: string, latencyMs: number): void;
  /** A transaction or creation met a moved slot (failover, resharding) and runs again at the new owner. */
  onSlotMoved?(): void;
  /** A pooled connection or the change feed's reader reported an error (it reconnects on its own). */
  onConnectionError?(error: Error): void;
}
