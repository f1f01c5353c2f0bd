import type { JourneyStoreObserver } from './observer';

export type StrategyName = 'optimistic' | 'naive' | 'lua' | 'lock';

/**
 * Every tunable of the store with its default, in one place. The retry bounds come from
 * `pnpm bench:journeys` on a 2-core machine (see the package README for the numbers):
 *
 * - With group commit, one process runs at most one transaction per journey, so a conflict needs
 *   writers in another process. At 4 processes × 64 writers on one journey the optimistic path
 *   needed at most 5 attempts per update and a p99 latency of ~40 ms; `maxAttempts: 10` leaves
 *   twice that margin, and `deadlineMs: 1000` caps what a caller waits (an HTTP client then gets
 *   409 + Retry-After instead of a hanging request).
 * - Backoff starts at 1 ms (a transaction on a local Redis takes ~0.3 ms: retrying sooner would
 *   collide again) and is capped at 50 ms so a retry stays well inside the deadline.
 * - A batch of up to 64 updates is one WATCH/EXEC: 64 writers in one process fit in one batch.
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
  /** Dedicated transaction connections per store (WATCH is per connection). */
  poolSize: number;
  /** Waiting longer than this for a pooled connection counts as Redis unavailable (503). */
  poolAcquireTimeoutMs: number;
  /** Pooled connections idle this long are closed. */
  poolIdleTimeoutMs: number;
  /** Approximate length the change stream of each journey is trimmed to (`XADD MAXLEN ~`). */
  changeStreamMaxLen: number;
  /** `lock` strategy: how long a lock lives if its holder dies. */
  lockTtlMs: number;
  /** `naive` strategy: the original's artificial pause between read and write, widening the race. */
  naiveDelayMs: number;
}

export const JOURNEY_STORE_DEFAULTS: Readonly<JourneyStoreSettings> = {
  strategy: 'optimistic',
  maxAttempts: 10,
  deadlineMs: 1_000,
  backoffBaseMs: 1,
  backoffCapMs: 50,
  maxBatchSize: 64,
  poolSize: 8,
  poolAcquireTimeoutMs: 1_000,
  poolIdleTimeoutMs: 30_000,
  changeStreamMaxLen: 1_000,
  lockTtlMs: 2_000,
  naiveDelayMs: 0,
};

export interface JourneyStoreOptions extends Partial<JourneyStoreSettings> {
  /** Namespace for every key (empty in production; tests isolate by it). */
  readonly keyPrefix?: string;
  /** Name of pooled connections in `CLIENT LIST`, e.g. `main-service:journey-tx`. */
  readonly connectionName?: string;
  readonly observer?: JourneyStoreObserver;
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
