/**
 * A writer process of `pnpm bench:journeys` (forked by journeys.ts). For each `run` message it
 * starts `writers` concurrent writers at `startAt`, each updating segments of one journey back to
 * back through the named strategy until `durationMs` has passed, and reports counts, attempts and
 * a latency histogram. One store per strategy, reused across runs, as a service would.
 */
import { JourneyStore, type StrategyName } from '@skyway/journey-store';
import type { SegmentStatus } from '@skyway/contracts';
import { singleRedisTopology, waitForReady } from '@skyway/redis-connection';
import { segmentId } from '@skyway/testkit';
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { latencyHistogram } from './report';

export interface RunRequest {
  readonly type: 'run';
  readonly strategy: StrategyName;
  readonly journeyId: string;
  readonly segments: number;
  readonly writers: number;
  /** This process's index, so writers of different processes start on different segments. */
  readonly process: number;
  readonly durationMs: number;
  /** Date.now() at which every process starts its writers. */
  readonly startAt: number;
}

export interface RunReport {
  readonly committed: number;
  readonly exhausted: number;
  /** Outcomes that are neither (none expected: the journey and its segments exist). */
  readonly other: number;
  /** Attempts summed over committed updates. */
  readonly attempts: number;
  /** The most attempts one committed update needed. */
  readonly maxAttempts: number;
  readonly elapsedMs: number;
  /** HDR histogram of update latency in µs, compressed. */
  readonly latency: string;
}

const STATUSES: readonly SegmentStatus[] = ['Departed', 'Boarding', 'Delayed', 'Cancelled'];

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL as string;
  const keyPrefix = process.env.BENCH_KEY_PREFIX as string;
  const topology = singleRedisTopology(redisUrl, { connectionName: `bench-journeys-${process.pid}` });
  const redis = topology.commands;
  await waitForReady(redis, 5_000);
  const stores = new Map<StrategyName, JourneyStore>();
  const storeFor = (strategy: StrategyName): JourneyStore => {
    let store = stores.get(strategy);
    if (store === undefined) {
      store = new JourneyStore(topology, { keyPrefix, strategy, connectionName: `bench-journeys-tx-${process.pid}` });
      stores.set(strategy, store);
    }
    return store;
  };

  process.on('message', (message: RunRequest | { type: 'exit' }) => {
    if (message.type === 'exit') {
      void Promise.all([...stores.values()].map((store) => store.close())).then(() => {
        redis.disconnect();
        process.exit(0);
      });
      return;
    }
    void run(storeFor(message.strategy), message).then((report) => process.send?.(report));
  });
  process.send?.('ready');
}

async function run(store: JourneyStore, request: RunRequest): Promise<RunReport> {
  const histogram = latencyHistogram();
  let committed = 0;
  let exhausted = 0;
  let other = 0;
  let attempts = 0;
  let maxAttempts = 0;
  await sleep(Math.max(0, request.startAt - Date.now()));
  const startedAt = performance.now();
  const endAt = startedAt + request.durationMs;
  const writer = async (index: number): Promise<void> => {
    for (let i = 0; performance.now() < endAt; i++) {
      const segment = segmentId(((request.process * 7 + index + i) % request.segments) + 1);
      const status = STATUSES[(index + i) % STATUSES.length] as SegmentStatus;
      const began = performance.now();
      const outcome = await store.updateSegmentStatus(request.journeyId, segment, status);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - began) * 1_000)));
      if (outcome.kind === 'committed') {
        committed++;
        attempts += outcome.attempts;
        maxAttempts = Math.max(maxAttempts, outcome.attempts);
      } else if (outcome.kind === 'conflict-exhausted') exhausted++;
      else other++;
    }
  };
  await Promise.all(Array.from({ length: request.writers }, (_, index) => writer(index)));
  const report: RunReport = {
    committed,
    exhausted,
    other,
    attempts,
    maxAttempts,
    elapsedMs: performance.now() - startedAt,
    latency: encodeIntoCompressedBase64(histogram),
  };
  histogram.destroy();
  return report;
}

void main();
