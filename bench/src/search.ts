/**
 * `pnpm bench:search` — the flight search pipeline end to end, as real processes on one Redis:
 * POST /api/flights/search → the `completed` event on the search's SSE stream.
 *
 * 1. Supplier latency 0, one provider replica: fixed arrival rates, open loop (arrivals on a fixed
 *    schedule whatever the system does; latency counts from the scheduled moment, so a stalled
 *    system cannot hide its backlog), then the throughput ceiling (closed loop, many clients).
 * 2. Supplier latency 200 ms: 1, 2 and 4 provider replicas (PROVIDER_CONCURRENCY 16 each, one
 *    mock-supplier each), closed loop with more clients than all replicas have slots; the three
 *    pipelines run side by side and take turns, round after round.
 */
import { provisionRedis } from '@skyway/testkit';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuShares, startPipeline, type Pipeline } from './pipeline';
import { latencyHistogram, median, printTable, runBenchmark, writeResults } from './report';
import { searchToCompletion } from './search-client';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATES_PER_SECOND = [50, 200, 500];
const RATE_SECONDS = 5;
const CEILING_CLIENTS = 64;
const MEASURE_SECONDS = 5;
const WARMUP_SECONDS = 1;
const REPLICAS = [1, 2, 4];
const SCALING_SUPPLIER_LATENCY_MS = 200;
const PROVIDER_CONCURRENCY = 16;
const SCALING_CLIENTS = 2 * Math.max(...REPLICAS) * PROVIDER_CONCURRENCY;
const SEARCH_TIMEOUT_MS = 15_000;

interface LoadResult {
  readonly offered: number;
  readonly completed: number;
  readonly errors: number;
  readonly completedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

/** Arrivals every 1/rate s for `seconds`; each one's latency counts from its scheduled start. */
async function openLoop(baseUrl: string, rate: number, seconds: number): Promise<LoadResult> {
  const histogram = latencyHistogram();
  const total = rate * seconds;
  const startAt = performance.now() + 10;
  let errors = 0;
  let firstError: string | undefined;
  let lastCompletionAt = startAt;
  const searches: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduledAt = startAt + (i * 1_000) / rate;
    const wait = scheduledAt - performance.now();
    if (wait >= 1) await sleep(wait);
    searches.push(
      searchToCompletion(baseUrl, scheduledAt, SEARCH_TIMEOUT_MS).then(
        (ms) => {
          histogram.recordValue(Math.max(1, Math.round(ms * 1_000)));
          lastCompletionAt = Math.max(lastCompletionAt, performance.now());
        },
        (error: Error) => {
          errors++;
          firstError ??= error.message;
        },
      ),
    );
  }
  await Promise.all(searches);
  const completed = histogram.totalCount;
  return {
    offered: total,
    completed,
    errors,
    completedPerSecond: completed / ((lastCompletionAt - startAt) / 1_000),
    p50Ms: histogram.getValueAtPercentile(50) / 1_000,
    p99Ms: histogram.getValueAtPercentile(99) / 1_000,
    ...(firstError ? { firstError } : {}),
  };
}

/** `clients` loops of search-after-search; counts completions inside the measured window only. */
async function closedLoop(baseUrl: string, clients: number): Promise<LoadResult> {
  const histogram = latencyHistogram();
  const measureFrom = performance.now() + WARMUP_SECONDS * 1_000;
  const measureUntil = measureFrom + MEASURE_SECONDS * 1_000;
  let errors = 0;
  let offered = 0;
  let firstError: string | undefined;
  const client = async (): Promise<void> => {
    while (performance.now() < measureUntil) {
      const startedAt = performance.now();
      try {
        const ms = await searchToCompletion(baseUrl, startedAt, SEARCH_TIMEOUT_MS);
        const completedAt = startedAt + ms;
        if (completedAt >= measureFrom && completedAt < measureUntil) histogram.recordValue(Math.max(1, Math.round(ms * 1_000)));
        if (startedAt >= measureFrom) offered++;
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return {
    offered,
    completed: histogram.totalCount,
    errors,
    completedPerSecond: histogram.totalCount / MEASURE_SECONDS,
    p50Ms: histogram.getValueAtPercentile(50) / 1_000,
    p99Ms: histogram.getValueAtPercentile(99) / 1_000,
    ...(firstError ? { firstError } : {}),
  };
}

function summary(runs: readonly LoadResult[]) {
  return {
    completedPerSecondMedian: median(runs.map((run) => run.completedPerSecond)),
    p50MsMedian: median(runs.map((run) => run.p50Ms)),
    p99MsMedian: median(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    runs,
  };
}

async function main(): Promise<void> {
  // Every app process started registers an exit handler (testkit kills it if we die); 16 are expected.
  process.setMaxListeners(32);
  const redis = await provisionRedis();
  const pipelines: Pipeline[] = [];
  try {
    // Part 1: arrival rates and the ceiling, supplier latency 0, one provider.
    const fast = await startPipeline({ redisUrl: redis.url, providers: 1, supplierLatencyMs: 0, providerConcurrency: PROVIDER_CONCURRENCY });
    pipelines.push(fast);
    await closedLoop(fast.main.url, 8); // warm-up: JIT, connection pools
    const rateRuns = new Map<number, LoadResult[]>(RATES_PER_SECOND.map((rate) => [rate, []]));
    const ceilingRuns: LoadResult[] = [];
    const ceilingCpu: Record<string, number>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const rate of RATES_PER_SECOND) {
        rateRuns.get(rate)?.push(await openLoop(fast.main.url, rate, RATE_SECONDS));
        await sleep(500);
      }
      const ceilingRun = await cpuShares(fast, () => closedLoop(fast.main.url, CEILING_CLIENTS));
      ceilingRuns.push(ceilingRun.result);
      ceilingCpu.push(ceilingRun.cpuPercent);
      await sleep(500);
      console.error(`search: latency round ${round + 1}/${ROUNDS} done`);
    }
    await fast.stop();
    pipelines.pop();

    // Part 2: provider scaling with a 200 ms supplier; the three pipelines take turns.
    const scaled = new Map<number, Pipeline>();
    for (const replicas of REPLICAS) {
      const pipeline = await startPipeline({
        redisUrl: redis.url,
        providers: replicas,
        suppliers: replicas,
        supplierLatencyMs: SCALING_SUPPLIER_LATENCY_MS,
        providerConcurrency: PROVIDER_CONCURRENCY,
      });
      pipelines.push(pipeline);
      scaled.set(replicas, pipeline);
    }
    const scalingRuns = new Map<number, LoadResult[]>(REPLICAS.map((replicas) => [replicas, []]));
    // CPU of the pipeline's app processes plus this client (Redis not included), in % of one core; the machine has 200 %.
    const scalingCpu = new Map<number, number[]>(REPLICAS.map((replicas) => [replicas, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...REPLICAS.slice(round % REPLICAS.length), ...REPLICAS.slice(0, round % REPLICAS.length)];
      for (const replicas of order) {
        const pipeline = scaled.get(replicas) as Pipeline;
        const run = await cpuShares(pipeline, () => closedLoop(pipeline.main.url, SCALING_CLIENTS));
        scalingRuns.get(replicas)?.push(run.result);
        scalingCpu.get(replicas)?.push(Object.values(run.cpuPercent).reduce((sum, percent) => sum + percent, 0));
        await sleep(500);
      }
      console.error(`search: scaling round ${round + 1}/${ROUNDS} done`);
    }

    const rateRows: Record<string, string | number>[] = RATES_PER_SECOND.map((rate) => {
      const s = summary(rateRuns.get(rate) ?? []);
      return { 'offered /s': rate, 'completed /s': s.completedPerSecondMedian, 'p50 ms': s.p50MsMedian, 'p99 ms': s.p99MsMedian, errors: s.errors };
    });
    const ceiling = summary(ceilingRuns);
    rateRows.push({ 'offered /s': `closed, ${CEILING_CLIENTS} clients`, 'completed /s': ceiling.completedPerSecondMedian, 'p50 ms': ceiling.p50MsMedian, 'p99 ms': ceiling.p99MsMedian, errors: ceiling.errors });
    printTable(`POST → completed on SSE, supplier latency 0, 1 provider; median of ${ROUNDS} rounds`, rateRows);
    const ceilingCpuMedian = Object.fromEntries(Object.keys(ceilingCpu[0] ?? {}).map((name) => [name, median(ceilingCpu.map((run) => run[name] ?? 0))]));
    // Searches per CPU-second the apps and the client got: steadier than searches/s when other
    // work on the shared machine takes a varying share of the cores.
    const searchesPerCoreSecond = median(
      ceilingRuns.map((run, i) => run.completedPerSecond / (Object.values(ceilingCpu[i] ?? {}).reduce((sum, percent) => sum + percent, 0) / 100)),
    );
    printTable('CPU during the ceiling runs, % of one core (median); the machine has 2 cores shared with Redis', [
      { ...ceilingCpuMedian, 'searches per core-second': searchesPerCoreSecond },
    ]);

    // Throughput relative to 1 replica in the same round (the runs of a round are neighbours in time).
    const oneReplicaRuns = scalingRuns.get(1) ?? [];
    const relativeToOne = (replicas: number): number =>
      median((scalingRuns.get(replicas) ?? []).map((run, i) => run.completedPerSecond / (oneReplicaRuns[i] as LoadResult).completedPerSecond));
    const scalingRows = REPLICAS.map((replicas) => {
      const s = summary(scalingRuns.get(replicas) ?? []);
      return {
        replicas,
        'completed /s': s.completedPerSecondMedian,
        'ideal /s': (replicas * PROVIDER_CONCURRENCY * 1_000) / SCALING_SUPPLIER_LATENCY_MS,
        'vs 1 replica': relativeToOne(replicas),
        'p50 ms': s.p50MsMedian,
        'p99 ms': s.p99MsMedian,
        'CPU % (apps + client)': median(scalingCpu.get(replicas) ?? []),
        errors: s.errors,
      };
    });
    printTable(
      `provider scaling, supplier latency ${SCALING_SUPPLIER_LATENCY_MS} ms, ${SCALING_CLIENTS} closed-loop clients; median of ${ROUNDS} rounds`,
      scalingRows,
    );

    writeResults(
      'search',
      {
        rounds: ROUNDS,
        latency: { supplierLatencyMs: 0, providers: 1, providerConcurrency: PROVIDER_CONCURRENCY, ratesPerSecond: RATES_PER_SECOND, secondsPerRate: RATE_SECONDS, loop: 'open' },
        ceiling: { clients: CEILING_CLIENTS, warmupSeconds: WARMUP_SECONDS, measureSeconds: MEASURE_SECONDS, loop: 'closed' },
        scaling: { supplierLatencyMs: SCALING_SUPPLIER_LATENCY_MS, replicas: REPLICAS, suppliersPerReplica: 1, providerConcurrency: PROVIDER_CONCURRENCY, clients: SCALING_CLIENTS, measureSeconds: MEASURE_SECONDS, loop: 'closed' },
        searchTimeoutMs: SEARCH_TIMEOUT_MS,
        processes: 'mock-supplier, provider-service ×N, main-service: built dist/, LOG_LEVEL=warn, tracing on without exporter (the default)',
        redis: redis.source,
      },
      {
        arrivalRates: RATES_PER_SECOND.map((rate) => ({ offeredPerSecond: rate, ...summary(rateRuns.get(rate) ?? []) })),
        ceiling: { ...ceiling, cpuPercentOfOneCoreMedian: ceilingCpuMedian, searchesPerCoreSecondMedian: searchesPerCoreSecond },
        scaling: REPLICAS.map((replicas) => {
          const s = summary(scalingRuns.get(replicas) ?? []);
          return {
            replicas,
            ...s,
            relativeToOneReplicaMedianOfRounds: relativeToOne(replicas),
            cpuPercentOfOneCoreAllProcessesMedian: median(scalingCpu.get(replicas) ?? []),
          };
        }),
      },
    );
  } finally {
    for (const pipeline of pipelines) await pipeline.stop();
    await redis.teardown();
  }
}

runBenchmark(main);
