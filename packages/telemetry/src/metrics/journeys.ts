import { Counter, Histogram } from 'prom-client';
import type { JourneyStoreMetricsObserver } from '../observers';
import { perRegistry } from './per-registry';

/** Journey update metrics (main-service): pass the result as the journey store's `observer`. */
export const journeyStoreMetrics = perRegistry((registry): JourneyStoreMetricsObserver => {
  const registers = [registry];
  const attempts = new Counter({
    name: 'skyway_journey_update_attempts_total',
    help: 'Journey update attempts (optimistic: WATCH…EXEC transactions, one per group-commit batch)',
    registers,
  });
  const conflicts = new Counter({
    name: 'skyway_journey_update_conflicts_total',
    help: 'Journey update attempts that lost a race (EXEC returned null: another writer changed the journey) and were retried',
    registers,
  });
  const exhausted = new Counter({
    name: 'skyway_journey_update_retries_exhausted_total',
    help: 'Journey updates that ran out of attempts or time (answered 409 JOURNEY_CONFLICT)',
    registers,
  });
  const batchSize = new Histogram({
    name: 'skyway_journey_commit_batch_size',
    help: 'Queued updates per journey transaction attempt (group commit; 1 = no batching)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers,
  });
  const commitSeconds = new Histogram({
    name: 'skyway_journey_commit_duration_seconds',
    help: 'Journey update requested to committed, retries, backoff and batching included',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const connectionErrors = new Counter({
    name: 'skyway_journey_store_connection_errors_total',
    help: 'Errors reported by the journey store connections (pool, change feed); they reconnect on their own',
    registers,
  });
  return {
    onAttempt: () => attempts.inc(),
    onConflict: () => conflicts.inc(),
    onExhausted: () => exhausted.inc(),
    onBatch: (_journeyId, size) => batchSize.observe(size),
    onCommit: (_journeyId, latencyMs) => commitSeconds.observe(latencyMs / 1000),
    onConnectionError: () => connectionErrors.inc(),
  };
});
