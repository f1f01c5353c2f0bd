import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { latencyHistogram } from './report';

export interface OpenLoopResult {
  readonly offered: number;
  readonly completed: number;
  readonly errors: number;
  /** From the first scheduled start until every operation had settled. */
  readonly seconds: number;
  /** Completions per second, from the first scheduled start to the last completion. */
  readonly completedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

/**
 * Starts operation i at i/rate s for `seconds`, whatever the system does (open loop), and times
 * each from its scheduled moment, so a stalled system cannot hide its backlog.
 */
export async function openLoop(ratePerSecond: number, seconds: number, operation: (index: number) => Promise<unknown>): Promise<OpenLoopResult> {
  const histogram = latencyHistogram();
  const offered = Math.round(ratePerSecond * seconds);
  const startAt = performance.now() + 10;
  let errors = 0;
  let firstError: string | undefined;
  let lastCompletionAt = startAt;
  const running: Promise<void>[] = [];
  for (let index = 0; index < offered; index++) {
    const scheduledAt = startAt + (index * 1_000) / ratePerSecond;
    const wait = scheduledAt - performance.now();
    if (wait >= 1) await sleep(wait);
    running.push(
      operation(index).then(
        () => {
          lastCompletionAt = performance.now();
          histogram.recordValue(Math.max(1, Math.round((lastCompletionAt - scheduledAt) * 1_000)));
        },
        (error: Error) => {
          errors++;
          firstError ??= error.message;
        },
      ),
    );
  }
  await Promise.all(running);
  const result = {
    offered,
    completed: histogram.totalCount,
    errors,
    seconds: (performance.now() - startAt) / 1_000,
    completedPerSecond: histogram.totalCount / ((lastCompletionAt - startAt) / 1_000),
    p50Ms: histogram.getValueAtPercentile(50) / 1_000,
    p99Ms: histogram.getValueAtPercentile(99) / 1_000,
    ...(firstError ? { firstError } : {}),
  };
  histogram.destroy();
  return result;
}
