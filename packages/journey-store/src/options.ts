import { NO_REPLICA_ACKS, type ReplicaAcks } from '@skyway/redis-connection';
import type Redis from 'ioredis';
import type { JourneyStoreObserver } from './observer';

/** Every update strategy; production uses `optimistic`, the others exist for tests and benchmarks. */
export const STRATEGY_NAMES = ['naive', 'optimistic', 'lua', 'lock'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * Every tunable of the store with its default, in one place. The retry bounds come from
 * `pnpm bench:journeys` on the 2-core development machine (bench/results/journeys.json):
 *
 * - With group commit a process runs at most one transaction per journey, so conflicts come only
 *   from other processes. 4 processes × 4…64 writers on one journey: 1.15–1.4 attempts per update
 *   on average, p99 latency 16–23 ms, and at most 19–20 attempts for the unluckiest update of a
 *   run (14–16 in a run with the bounds lifted). The tail is geometric: a worst case of ~20 among
 *   ~10^4 batches means a batch loses a round with p ≈ 0.6, so losing 32 in a row has p ≈ 1e-7.
 *   `maxAttempts: 32` thus exhausts only under pathological contention, which deserves a 409.
 * - `deadlineMs: 2000` caps what a caller waits at ~100× the measured p99, so an HTTP client gets
 *   409 + Retry-After instead of a request that hangs.
 * - Backoff starts at 1 ms (a transaction on a local Redis takes ~0.3 ms) and its window doubles up
 *   to 50 ms; smaller caps (5, 10 ms) measured no better under 4-process contention.
 * - A batch holds up to 64 updates: 64 writers of one process fit in one transaction.
 */
export interface JourneyStoreSettings {
  strategy: StrategyName;
  /** Transaction attempts per update before it ends as `conflict-exhausted`. */
  maxAttempts: number;
  /** Time per update, from the request, before it ends as `conflict-exhausted`. */
  deadlineMs: number;
  /** Full-jitter backoff after a conflict: the window starts here and doubles per attempt… */
  backoffBaseMs: number;
  /** …up to this cap (also the Retry-After hint of an exhausted update). */
  backoffCapMs: number;
  /** Updates of one journey combined into one transaction (group commit). */
  maxBatchSize: number;
  /** Dedicated transaction connections per store and Redis node (WATCH is per connection). */
  poolSize: number;
  /** Waiting longer than this for a pooled connection counts as Redis unavailable (503). */
  poolAcquireTimeoutMs: number;
  /** Pooled connections idle this long are closed. */
  poolIdleTimeoutMs: number;
  /** Approximate length the change stream of each journey is trimmed to (`XADD MAXLEN ~`). */
  changeStreamMaxLen: number;
  /** Approximate length each partition's change feed is trimmed to: it only needs to outlast a live reader's lag. */
  changeFeedMaxLen: number;
  /**
   * Replicas that must hold a new journey, or a commit of the `optimistic` strategy (WAIT on the
   * connection that wrote it), before it is answered as done; otherwise it is rejected as Redis
   * unavailable.
   */
  replicaAcks: ReplicaAcks;
  /** `lock` strategy: how long a lock lives if its holder dies. */
  lockTtlMs: number;
  /** `naive` strategy: the original's artificial pause between read and write, widening the race. */
  naiveDelayMs: number;
}

export const JOURNEY_STORE_DEFAULTS: Readonly<JourneyStoreSettings> = {
  strategy: 'optimistic',
  maxAttempts: 32,
  deadlineMs: 2_000,
  backoffBaseMs: 1,
  backoffCapMs: 50,
  maxBatchSize: 64,
  poolSize: 8,
  poolAcquireTimeoutMs: 1_000,
  poolIdleTimeoutMs: 30_000,
  changeStreamMaxLen: 1_000,
  changeFeedMaxLen: 10_000,
  replicaAcks: NO_REPLICA_ACKS,
  lockTtlMs: 2_000,
  naiveDelayMs: 0,
};

export interface JourneyStoreOptions extends Partial<JourneyStoreSettings> {
  /** Namespace for every key (empty in production; tests isolate by it). */
  readonly keyPrefix?: string;
  /** Name of pooled connections in `CLIENT LIST`, e.g. `main-service:journey-tx`. */
  readonly connectionName?: string;
  readonly observer?: JourneyStoreObserver;
  /** Called with each dedicated connection as it is created (e.g. to watch it in metrics). */
  readonly onConnection?: (connection: Redis) => void;
}

export function resolveSettings(options: JourneyStoreOptions): JourneyStoreSettings {
  const settings: JourneyStoreSettings = { ...JOURNEY_STORE_DEFAULTS };
  for (const key of Object.keys(JOURNEY_STORE_DEFAULTS) as (keyof JourneyStoreSettings)[]) {
    if (options[key] !== undefined) Object.assign(settings, { [key]: options[key] });
  }
  if (!Number.isInteger(settings.maxAttempts) || settings.maxAttempts < 1) throw new RangeError('maxAttempts must be an integer ≥ 1');
  if (!Number.isInteger(settings.maxBatchSize) || settings.maxBatchSize < 1) throw new RangeError('maxBatchSize must be an integer ≥ 1');
  if (!Number.isInteger(settings.poolSize) || settings.poolSize < 1) throw new RangeError('poolSize must be an integer ≥ 1');
  return settings;
}
