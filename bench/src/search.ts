/**
 * `pnpm bench:search` — the flight search pipeline end to end, as real processes on one Redis:
 * POST /api/flights/search → the `completed` event on the search's SSE stream.
 *
 * 0. The floor, in the same run: CPU per request of a bare Fastify route and of the same route
 *    through the apps' telemetry plugin (tracing on as shipped, every trace recorded, tracing off),
 *    and an ioredis round trip.
 * 1. Supplier latency 0, one provider replica, after a warm-up of every process: fixed arrival
 *    rates, open loop (arrivals on a fixed schedule whatever the system does; latency counts from
 *    the scheduled moment, so a stalled system cannot hide its backlog), then the throughput
 *    ceiling (closed loop, many clients) with tracing on (the default: 1 new trace in 10 recorded)
 *    and, on pipelines taking turns with it, every trace recorded, tracing off and the search's I/O
 *    alone (src/io-only-search.ts: the floor of a whole search). CPU ms per search per process (from
 *    /proc) and Redis commands per search by name (`INFO commandstats` deltas, background subtracted)
 *    for each.
 * 2. Supplier latency 200 ms: 1, 2 and 4 provider replicas (PROVIDER_CONCURRENCY 16 each, one
 *    mock-supplier each), closed loop with more clients than all replicas have slots; the three
 *    pipelines run side by side and take turns, round after round.
 */
import { provisionRedis } from '@skyway/testkit';
import Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandRates, commandStats, commandsPerSearch, FLOOR_VARIANTS, measureHttpFloor, measureRedisFloor, type CommandStats } from './floor';
import { cpuShares, startIoOnlyPipeline, startPipeline, type CpuUse, type Pipeline } from './pipeline';
import { openLoop } from './open-loop';
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
/** Closed-loop load on every fresh process before anything is measured: JIT and GC settle in the first seconds. */
const PROCESS_WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const FLOOR_SECONDS = 3;
/** How long the pipelines idle while the background Redis command rate is measured. */
const BACKGROUND_SECONDS = 5;

interface LoadResult {
  readonly offered: number;
  readonly completed: number;
  /** Every completion while the load ran, warm-up included: the denominator of CPU and commands per search. */
  readonly completedWhileRunning: number;
  readonly seconds: number;
  readonly errors: number;
  readonly completedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

/** Searches arriving every 1/rate s for `seconds` (open loop); each one's latency counts from its scheduled start. */
async function openLoopSearches(baseUrl: string, rate: number, seconds: number): Promise<LoadResult> {
  const run = await openLoop(rate, seconds, () => searchToCompletion(baseUrl, performance.now(), SEARCH_TIMEOUT_MS));
  return { ...run, completedWhileRunning: run.completed };
}

/** `clients` loops of search-after-search; counts completions inside the measured window only. */
async function closedLoop(baseUrl: string, clients: number, measureSeconds = MEASURE_SECONDS): Promise<LoadResult> {
  const histogram = latencyHistogram();
  const loadStartedAt = performance.now();
  const measureFrom = loadStartedAt + WARMUP_SECONDS * 1_000;
  const measureUntil = measureFrom + measureSeconds * 1_000;
  let errors = 0;
  let offered = 0;
  let completedWhileRunning = 0;
  let firstError: string | undefined;
  const client = async (): Promise<void> => {
    while (performance.now() < measureUntil) {
      const startedAt = performance.now();
      try {
        const ms = await searchToCompletion(baseUrl, startedAt, SEARCH_TIMEOUT_MS);
        const completedAt = startedAt + ms;
        completedWhileRunning++;
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
    completedWhileRunning,
    seconds: (performance.now() - loadStartedAt) / 1_000,
    errors,
    completedPerSecond: histogram.totalCount / measureSeconds,
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

/** CPU ms per completed search of each process during a load run. */
function cpuMsPerSearch(run: CpuUse<LoadResult>): Record<string, number> {
  const searches = Math.max(1, run.result.completedWhileRunning);
  return Object.fromEntries(Object.entries(run.cpuSeconds).map(([name, seconds]) => [name, (seconds * 1_000) / searches]));
}

/** Per-process medians of per-run records. */
function medianByKey(records: readonly Record<string, number>[]): Record<string, number> {
  return Object.fromEntries(Object.keys(records[0] ?? {}).map((key) => [key, median(records.map((record) => record[key] ?? 0))]));
}

/** A setting measured round after round: its load results, CPU per search and (ceilings) Redis commands per search. */
interface Setting {
  readonly label: string;
  readonly runs: LoadResult[];
  readonly cpuMsPerSearch: Record<string, number>[];
  readonly cpuPercent: Record<string, number>[];
  readonly commandsPerSearch: CommandStats[];
}

function newSetting(label: string): Setting {
  return { label, runs: [], cpuMsPerSearch: [], cpuPercent: [], commandsPerSearch: [] };
}

function record(setting: Setting, run: CpuUse<LoadResult>, commands?: CommandStats): void {
  setting.runs.push(run.result);
  setting.cpuMsPerSearch.push(cpuMsPerSearch(run));
  setting.cpuPercent.push(run.cpuPercent);
  if (commands) setting.commandsPerSearch.push(commands);
}

/** Commands per search, by name: the median over rounds of each command's calls and Redis µs. */
function medianCommands(rounds: readonly CommandStats[]): CommandStats {
  const names = [...new Set(rounds.flatMap((round) => Object.keys(round)))];
  return Object.fromEntries(
    names
      .map((name) => [name, { calls: median(rounds.map((round) => round[name]?.calls ?? 0)), usec: median(rounds.map((round) => round[name]?.usec ?? 0)) }] as const)
      .sort(([, a], [, b]) => b.calls - a.calls),
  );
}

/** The label of the floor pipeline (src/io-only-search.ts) in tables and JSON. */
const IO_ONLY = "the search's I/O alone";
const MAIN = 'main-service';
const PROVIDER = 'provider-service 1';
const SUPPLIER = 'mock-supplier 1';

async function main(): Promise<void> {
  // Every app process started registers an exit handler (testkit kills it if we die); 20 are expected.
  process.setMaxListeners(40);
  const redis = await provisionRedis();
  const stats = new Redis(redis.url);
  const pipelines: Pipeline[] = [];
  try {
    // Part 0: the floor.
    const httpFloor = await measureHttpFloor(ROUNDS, FLOOR_SECONDS, FLOOR_SECONDS);
    const redisFloor = await measureRedisFloor(redis.url);
    console.error('search: floor measured');

    // Part 1: arrival rates and the ceiling, supplier latency 0, one provider; tracing on, every trace recorded, off, and the I/O alone, side by side.
    // One provider, supplier latency 0; `env` on every process of the pipeline.
    const startFastPipeline = async (env: Record<string, string>): Promise<Pipeline> => {
      const pipeline = await startPipeline({ redisUrl: redis.url, providers: 1, supplierLatencyMs: 0, providerConcurrency: PROVIDER_CONCURRENCY, env });
      pipelines.push(pipeline);
      return pipeline;
    };
    const fast = await startFastPipeline({});
    const untraced = await startFastPipeline({ OTEL_SDK_DISABLED: 'true' });
    const recordingAll = await startFastPipeline({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    // The floor of a whole search: its Redis commands, HTTP exchanges and supplier call, and nothing else.
    const ioOnly = await startIoOnlyPipeline({ redisUrl: redis.url, supplierLatencyMs: 0 });
    pipelines.push(ioOnly);
    for (const pipeline of [fast, untraced, recordingAll, ioOnly]) await closedLoop(pipeline.main.url, CEILING_CLIENTS, PROCESS_WARMUP_SECONDS);
    // The pipelines idle: what their loops ask of Redis with no search running.
    const idleBefore = await commandStats(stats);
    await sleep(BACKGROUND_SECONDS * 1_000);
    const background = commandRates(idleBefore, await commandStats(stats), BACKGROUND_SECONDS);

    const withCommands = async (pipeline: Pipeline, load: () => Promise<LoadResult>): Promise<[CpuUse<LoadResult>, CommandStats]> => {
      const before = await commandStats(stats);
      const run = await cpuShares(pipeline, load);
      const rates = commandRates(before, await commandStats(stats), run.result.seconds);
      return [run, commandsPerSearch(rates, background, run.result.completedWhileRunning / run.result.seconds)];
    };
    const rateSettings = new Map<number, Setting>(RATES_PER_SECOND.map((rate) => [rate, newSetting(`${rate} /s offered, tracing on`)]));
    const ioRateSettings = new Map<number, Setting>(RATES_PER_SECOND.map((rate) => [rate, newSetting(`${rate} /s offered, ${IO_ONLY}`)]));
    const ceilingOn = newSetting(`ceiling (closed, ${CEILING_CLIENTS} clients), tracing on`);
    const ceilingOff = newSetting(`ceiling (closed, ${CEILING_CLIENTS} clients), tracing off`);
    const ceilingAll = newSetting(`ceiling (closed, ${CEILING_CLIENTS} clients), every trace recorded`);
    const ceilingIo = newSetting(`ceiling (closed, ${CEILING_CLIENTS} clients), ${IO_ONLY}`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const rate of RATES_PER_SECOND) {
        // The floor at the same offered rate too: how much work shares each system call depends on the rate.
        const pair: [Setting, Pipeline][] = [
          [rateSettings.get(rate) as Setting, fast],
          [ioRateSettings.get(rate) as Setting, ioOnly],
        ];
        for (const [setting, pipeline] of round % 2 === 0 ? pair : pair.reverse()) {
          const [run, commands] = await withCommands(pipeline, () => openLoopSearches(pipeline.main.url, rate, RATE_SECONDS));
          record(setting, run, commands);
          await sleep(500);
        }
      }
      const settings: [Setting, Pipeline][] = [
        [ceilingOn, fast],
        [ceilingOff, untraced],
        [ceilingAll, recordingAll],
        [ceilingIo, ioOnly],
      ];
      const ceilings = [...settings.slice(round % settings.length), ...settings.slice(0, round % settings.length)];
      for (const [setting, pipeline] of ceilings) {
        const [run, commands] = await withCommands(pipeline, () => closedLoop(pipeline.main.url, CEILING_CLIENTS));
        record(setting, run, commands);
        await sleep(500);
      }
      console.error(`search: latency round ${round + 1}/${ROUNDS} done`);
    }
    for (const pipeline of pipelines.splice(0)) await pipeline.stop();

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
      await closedLoop(pipeline.main.url, SCALING_CLIENTS, PROCESS_WARMUP_SECONDS / 2);
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

    // The floor.
    const bareUs = httpFloor.cpuUsPerRequest['bare Fastify'];
    printTable(
      `floor: CPU per request of a trivial route (GET /floor, ${FLOOR_SECONDS} s × ${ROUNDS} rounds, taking turns), server process from /proc; median`,
      FLOOR_VARIANTS.map((variant) => ({ variant, 'CPU µs / request': httpFloor.cpuUsPerRequest[variant], 'vs bare Fastify (median of per-round ratios)': httpFloor.vsBare[variant] })),
    );
    printTable('floor: ioredis GET round trip against the benchmark Redis (this process, otherwise idle)', [
      {
        'sequential: round trip µs (median)': redisFloor.sequential.latencyUsMedian,
        'client CPU µs / command': redisFloor.sequential.clientCpuUsPerCommand,
        '64 in flight: commands/s': Math.round(redisFloor.concurrent.commandsPerSecond),
        'client CPU µs / command ': redisFloor.concurrent.clientCpuUsPerCommand,
      },
    ]);

    // Latency and throughput.
    const rateRows: Record<string, string | number>[] = [
      ...[...rateSettings.entries()].map(([rate, setting]) => [String(rate), setting] as const),
      ...[...ioRateSettings.entries()].map(([rate, setting]) => [`${rate}, ${IO_ONLY}`, setting] as const),
    ].map(([offered, setting]) => {
      const s = summary(setting.runs);
      return { 'offered /s': offered, 'completed /s': s.completedPerSecondMedian, 'p50 ms': s.p50MsMedian, 'p99 ms': s.p99MsMedian, errors: s.errors };
    });
    for (const [setting, name] of [
      [ceilingOn, 'closed, tracing on'],
      [ceilingAll, 'closed, every trace recorded'],
      [ceilingOff, 'closed, tracing off'],
      [ceilingIo, `closed, ${IO_ONLY}`],
    ] as const) {
      const s = summary(setting.runs);
      rateRows.push({ 'offered /s': `${name}, ${CEILING_CLIENTS} clients`, 'completed /s': s.completedPerSecondMedian, 'p50 ms': s.p50MsMedian, 'p99 ms': s.p99MsMedian, errors: s.errors });
    }
    printTable(`POST → completed on SSE, supplier latency 0, 1 provider; median of ${ROUNDS} rounds`, rateRows);

    // CPU per search per process, next to the floor.
    // The apps' settings, each with the I/O alone at the same offered rate, or at its own ceiling
    // (how much work shares each system call depends on the load).
    const appSettings: [Setting, Setting][] = [
      ...RATES_PER_SECOND.map((rate): [Setting, Setting] => [rateSettings.get(rate) as Setting, ioRateSettings.get(rate) as Setting]),
      ...[ceilingOn, ceilingAll, ceilingOff].map((setting): [Setting, Setting] => [setting, ceilingIo]),
    ];
    const settings = [...rateSettings.values(), ...ioRateSettings.values(), ceilingOn, ceilingAll, ceilingOff, ceilingIo];
    const appsMsOf = (ms: Record<string, number>): number => (ms[MAIN] ?? 0) + (ms[PROVIDER] ?? 0);
    // Runs of one round are neighbours in time: the median of per-round ratios is steadier than a ratio of medians.
    const vsIoOnly = (setting: Setting, floor: Setting): number =>
      median(
        setting.cpuMsPerSearch.map((ms, round) => {
          const floorMs = floor.cpuMsPerSearch[round];
          if (floorMs === undefined) throw new Error(`${floor.label}: no round ${round + 1}`);
          return appsMsOf(ms) / appsMsOf(floorMs);
        }),
      );
    const vsIoOnlyByLabel = Object.fromEntries(appSettings.map(([setting, floor]) => [setting.label, vsIoOnly(setting, floor)]));
    const cpuRows = settings.map((setting) => {
      const ms = medianByKey(setting.cpuMsPerSearch);
      const appsMs = appsMsOf(ms);
      return {
        setting: setting.label,
        'main ms': ms[MAIN] ?? 0,
        'provider ms': ms[PROVIDER] ?? 0,
        'main + provider ms': appsMs,
        'supplier ms': ms[SUPPLIER] ?? 0,
        'client ms': ms['bench client'] ?? 0,
        'main + provider in bare requests': (appsMs * 1_000) / bareUs,
        [`main + provider vs ${IO_ONLY}`]: vsIoOnlyByLabel[setting.label] ?? '',
      };
    });
    printTable(
      `CPU ms per search per process (from /proc; median of ${ROUNDS} rounds); a bare Fastify request is ${bareUs.toFixed(0)} µs (floor above); vs the I/O alone at the same offered rate, or at its own ceiling`,
      cpuRows,
    );
    const searchesPerCoreSecond = (setting: Setting): number =>
      median(setting.runs.map((run, i) => run.completedWhileRunning / run.seconds / (Object.values(setting.cpuPercent[i] ?? {}).reduce((sum, percent) => sum + percent, 0) / 100)));
    printTable('CPU during the ceiling runs, % of one core (median); the machine has 2 cores shared with Redis', [
      { tracing: 'on', ...medianByKey(ceilingOn.cpuPercent), 'searches per core-second': searchesPerCoreSecond(ceilingOn) },
      { tracing: 'every trace recorded', ...medianByKey(ceilingAll.cpuPercent), 'searches per core-second': searchesPerCoreSecond(ceilingAll) },
      { tracing: 'off', ...medianByKey(ceilingOff.cpuPercent), 'searches per core-second': searchesPerCoreSecond(ceilingOff) },
      { tracing: IO_ONLY, ...medianByKey(ceilingIo.cpuPercent), 'searches per core-second': searchesPerCoreSecond(ceilingIo) },
    ]);

    // Redis commands per search.
    const commandsOn = medianCommands(ceilingOn.commandsPerSearch);
    const commandsAtRate = medianCommands(rateSettings.get(RATES_PER_SECOND[0] as number)?.commandsPerSearch ?? []);
    const commandNames = [...new Set([...Object.keys(commandsOn), ...Object.keys(commandsAtRate)])];
    const commandRow = (name: string, at: CommandStats): [number, number] => [at[name]?.calls ?? 0, at[name]?.usec ?? 0];
    printTable(
      `Redis commands per search (INFO commandstats deltas minus the idle background, median of ${ROUNDS} rounds); Redis µs = server time inside the command`,
      [
        ...commandNames.map((name) => {
          const [ceilingCalls, ceilingUs] = commandRow(name, commandsOn);
          const [rateCalls] = commandRow(name, commandsAtRate);
          return { command: name, [`at ${RATES_PER_SECOND[0]} /s`]: rateCalls, 'at the ceiling': ceilingCalls, 'Redis µs (ceiling)': ceilingUs };
        }),
        {
          command: 'total',
          [`at ${RATES_PER_SECOND[0]} /s`]: Object.values(commandsAtRate).reduce((sum, { calls }) => sum + calls, 0),
          'at the ceiling': Object.values(commandsOn).reduce((sum, { calls }) => sum + calls, 0),
          'Redis µs (ceiling)': Object.values(commandsOn).reduce((sum, { usec }) => sum + usec, 0),
        },
      ],
    );

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

    // The goals of issue 14, each as measured in this run.
    const cpuOn = medianByKey(ceilingOn.cpuMsPerSearch);
    const cpuOff = medianByKey(ceilingOff.cpuMsPerSearch);
    const cpuIo = medianByKey(ceilingIo.cpuMsPerSearch);
    // Beside each goal, the I/O alone's figure on the same measure, where it has one: how far the design's own floor is from the goal.
    const goals = [
      { goal: 'ceiling, tracing on', target: '≥ 1000 /s', measured: summary(ceilingOn.runs).completedPerSecondMedian, [IO_ONLY]: summary(ceilingIo.runs).completedPerSecondMedian },
      { goal: 'p99 at 500 /s offered', target: '≤ 50 ms', measured: summary(rateSettings.get(500)?.runs ?? []).p99MsMedian, [IO_ONLY]: summary(ioRateSettings.get(500)?.runs ?? []).p99MsMedian },
      { goal: 'main + provider CPU ms / search, tracing on (ceiling)', target: '≤ 1.0', measured: appsMsOf(cpuOn), [IO_ONLY]: appsMsOf(cpuIo) },
      { goal: 'main + provider CPU ms / search, tracing off (ceiling)', target: '≤ 0.6', measured: appsMsOf(cpuOff), [IO_ONLY]: appsMsOf(cpuIo) },
      { goal: 'telemetry plugin, tracing on / bare Fastify', target: '≤ 1.5×', measured: httpFloor.vsBare['telemetry plugin, tracing on'], [IO_ONLY]: '' },
      { goal: 'mock supplier CPU ms / call (ceiling, 1 call per search)', target: '≤ 0.3', measured: cpuOn[SUPPLIER] ?? 0, [IO_ONLY]: cpuIo[SUPPLIER] ?? 0 },
      { goal: '2 replicas vs 1, supplier latency 200 ms', target: '≥ 1.8×', measured: relativeToOne(2), [IO_ONLY]: '' },
    ];
    printTable('issue 14 goals, as measured in this run', goals);

    const settingResult = (setting: Setting) => ({
      ...summary(setting.runs),
      cpuMsPerSearchMedian: medianByKey(setting.cpuMsPerSearch),
      cpuPercentOfOneCoreMedian: medianByKey(setting.cpuPercent),
      cpuMsPerSearchRuns: setting.cpuMsPerSearch,
      redisCommandsPerSearchMedian: medianCommands(setting.commandsPerSearch),
    });
    writeResults(
      'search',
      {
        rounds: ROUNDS,
        processWarmupSeconds: PROCESS_WARMUP_SECONDS,
        floor: { route: 'GET /floor → {"ok":true}', connections: 16, seconds: FLOOR_SECONDS, redis: 'GET of a 64-byte value, 20 000 sequential and 20 000 with 64 in flight' },
        latency: { supplierLatencyMs: 0, providers: 1, providerConcurrency: PROVIDER_CONCURRENCY, ratesPerSecond: RATES_PER_SECOND, secondsPerRate: RATE_SECONDS, loop: 'open' },
        ceiling: {
          clients: CEILING_CLIENTS,
          warmupSeconds: WARMUP_SECONDS,
          measureSeconds: MEASURE_SECONDS,
          loop: 'closed',
          tracingOn: 'the default: spans made, 1 new trace in 10 recorded, no exporter',
          everyTraceRecorded: 'OTEL_TRACES_SAMPLER=parentbased_always_on on every process',
          tracingOff: 'OTEL_SDK_DISABLED=true on every process',
          ioOnly: `${IO_ONLY} (src/io-only-search.ts): the same Redis commands, HTTP exchanges and supplier call, no validation, telemetry, logs or state machine`,
        },
        scaling: { supplierLatencyMs: SCALING_SUPPLIER_LATENCY_MS, replicas: REPLICAS, suppliersPerReplica: 1, providerConcurrency: PROVIDER_CONCURRENCY, clients: SCALING_CLIENTS, measureSeconds: MEASURE_SECONDS, loop: 'closed' },
        cpuPerSearch: 'CPU seconds of each process (/proc, 10 ms ticks) during a load run divided by the searches completed during it',
        redisCommands: `INFO commandstats deltas during a load run minus the rates of a ${BACKGROUND_SECONDS} s idle window of the four pipelines, divided by searches completed`,
        searchTimeoutMs: SEARCH_TIMEOUT_MS,
        processes: 'mock-supplier, provider-service ×N, main-service: built dist/, LOG_LEVEL=warn, tracing on without exporter (the default) unless stated',
        redis: redis.source,
      },
      {
        floor: { http: httpFloor, redis: redisFloor },
        arrivalRates: RATES_PER_SECOND.map((rate) => ({ offeredPerSecond: rate, ...settingResult(rateSettings.get(rate) as Setting) })),
        arrivalRatesIoOnly: RATES_PER_SECOND.map((rate) => ({ offeredPerSecond: rate, ...settingResult(ioRateSettings.get(rate) as Setting) })),
        ceiling: { ...settingResult(ceilingOn), searchesPerCoreSecondMedian: searchesPerCoreSecond(ceilingOn) },
        ceilingTracingOff: { ...settingResult(ceilingOff), searchesPerCoreSecondMedian: searchesPerCoreSecond(ceilingOff) },
        ceilingEveryTraceRecorded: { ...settingResult(ceilingAll), searchesPerCoreSecondMedian: searchesPerCoreSecond(ceilingAll) },
        ceilingIoOnly: { ...settingResult(ceilingIo), searchesPerCoreSecondMedian: searchesPerCoreSecond(ceilingIo) },
        mainPlusProviderVsIoOnly: vsIoOnlyByLabel,
        redisBackgroundCommandsPerSecond: background,
        scaling: REPLICAS.map((replicas) => {
          const s = summary(scalingRuns.get(replicas) ?? []);
          return {
            replicas,
            ...s,
            relativeToOneReplicaMedianOfRounds: relativeToOne(replicas),
            cpuPercentOfOneCoreAllProcessesMedian: median(scalingCpu.get(replicas) ?? []),
          };
        }),
        goals,
      },
    );
  } finally {
    for (const pipeline of pipelines) await pipeline.stop();
    stats.disconnect();
    await redis.teardown();
  }
}

runBenchmark(main);
