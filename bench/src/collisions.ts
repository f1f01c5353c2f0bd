/**
 * `pnpm bench:collisions` — the original read-modify-write (the journey store's `naive` strategy,
 * with the original's 10 ms pause between read and write) measured next to the lost-update model of
 * `collision-model.ts` (derived in ANALYSIS.md §1.1).
 *
 * Each trial is a journey of its own with max(20, N) Scheduled segments; its N writers each set a
 * different segment to Departed, (a) all at once, or (b) each at a uniformly random moment of a
 * period. Every writer is told `committed`; a writer whose segment is not Departed afterwards is a
 * lost update. Trials run side by side (independent journeys) in rounds, at a bounded arrival
 * rate, until each configuration has a few thousand writers; it is reported as the pooled share,
 * the median of its rounds and a 95 % interval over trials, next to the model's prediction.
 */
import { JourneyStore } from '@skyway/journey-store';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import type Redis from 'ioredis';
import { deleteNamespace, provisionRedis, sampleJourney, segmentId, uniqueKeyPrefix } from '@skyway/testkit';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectedLostShare, lostWritersOfTimings, overwrittenShare, probabilityOfAnyLoss, type ReadWriteTiming } from './collision-model';
import { median, printTable, runBenchmark, writeResults } from './report';

const WINDOW_MS = 10;
const WRITERS = [2, 4, 8, 16, 32, 64];
const PERIODS_MS = [100, 1_000];
/** Random arrivals: writers measured per configuration (in as many rounds as that takes). */
const WRITERS_PER_CONFIG = Number(process.env.BENCH_COLLISION_WRITERS ?? 3_000);
/**
 * Random arrivals: updates started per second over all side-by-side trials. Kept low enough that
 * the benchmark process itself does not stretch the 10 ms window (an overloaded event loop fires
 * the pause late and widens every window).
 */
const ARRIVALS_PER_SECOND = 500;
/** All together: rounds per configuration and trials per round (the outcome barely varies). */
const TOGETHER_ROUNDS = 3;
const TOGETHER_TRIALS = 16;

type Arrival = { readonly kind: 'together' } | { readonly kind: 'random'; readonly periodMs: number };

interface RoundResult {
  readonly writers: number;
  readonly lost: number;
  readonly trials: number;
  readonly trialsWithLoss: number;
  /** Lost share of each trial (for the interval). */
  readonly trialShares: number[];
  /** Losses the model's chain rule gives for the recorded timings (call → resolve of each update). */
  readonly lostByReplay: number;
  /** Latency of every naive update (read + window + write), ms. */
  readonly updateLatenciesMs: number[];
}

async function round(topology: RedisTopology & { readonly commands: Redis }, n: number, arrival: Arrival): Promise<RoundResult> {
  const prefix = uniqueKeyPrefix('bench-collisions');
  const redis = topology.commands;
  const store = new JourneyStore(topology, { keyPrefix: prefix, strategy: 'naive', naiveDelayMs: WINDOW_MS });
  const trials = trialsPerRound(n, arrival);
  const segments = Math.max(20, n);
  const ids = Array.from({ length: trials }, (_, t) => `JRN-COLLIDE-${t}`);
  await Promise.all(ids.map((id) => store.create(sampleJourney(id, segments))));

  const timings: ReadWriteTiming[][] = ids.map(() => []);
  const updateLatenciesMs: number[] = [];
  const update = async (trial: number, writer: number): Promise<void> => {
    const startedAt = performance.now();
    const outcome = await store.updateSegmentStatus(ids[trial] as string, segmentId(writer + 1), 'Departed');
    const finishedAt = performance.now();
    timings[trial]?.push({ readAt: startedAt, writtenAt: finishedAt });
    updateLatenciesMs.push(finishedAt - startedAt);
    // The bug is that the caller is told it succeeded: anything else would measure something else.
    if (outcome.kind !== 'committed') throw new Error(`naive update ended as ${outcome.kind}`);
  };
  const writes: Promise<void>[] = [];
  for (let trial = 0; trial < trials; trial++) {
    for (let writer = 0; writer < n; writer++) {
      writes.push(
        arrival.kind === 'together'
          ? update(trial, writer)
          : sleep(Math.random() * arrival.periodMs).then(() => update(trial, writer)),
      );
    }
  }
  await Promise.all(writes);

  const journeys = await Promise.all(ids.map((id) => store.get(id)));
  const trialShares = journeys.map((journey) => {
    const departed = journey?.segments.slice(0, n).filter((segment) => segment.status === 'Departed').length ?? 0;
    return (n - departed) / n;
  });
  await store.close();
  await deleteNamespace(redis, prefix);
  const lostPerTrial = trialShares.map((share) => Math.round(share * n));
  return {
    writers: trials * n,
    lost: lostPerTrial.reduce((sum, lost) => sum + lost, 0),
    trials,
    trialsWithLoss: lostPerTrial.filter((lost) => lost > 0).length,
    trialShares,
    lostByReplay: timings.reduce((sum, trial) => sum + lostWritersOfTimings(trial), 0),
    updateLatenciesMs,
  };
}

function trialsPerRound(n: number, arrival: Arrival): number {
  return arrival.kind === 'together' ? TOGETHER_TRIALS : Math.max(1, Math.floor((ARRIVALS_PER_SECOND * arrival.periodMs) / 1_000 / n));
}

function roundsFor(n: number, arrival: Arrival): number {
  return arrival.kind === 'together' ? TOGETHER_ROUNDS : Math.ceil(WRITERS_PER_CONFIG / (trialsPerRound(n, arrival) * n));
}

/** Mean ± 1.96 standard errors over trials (writers of one trial are not independent; trials are). */
function interval95(shares: readonly number[]): [number, number] {
  const mean = shares.reduce((sum, share) => sum + share, 0) / shares.length;
  const variance = shares.reduce((sum, share) => sum + (share - mean) ** 2, 0) / Math.max(1, shares.length - 1);
  const half = 1.96 * Math.sqrt(variance / shares.length);
  return [Math.max(0, mean - half), Math.min(1, mean + half)];
}

const percent = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;

async function main(): Promise<void> {
  const provisioned = await provisionRedis();
  const topology = singleRedisTopology(provisioned.url, { connectionName: 'bench:collisions', commandTimeoutMs: 10_000 });
  const redis = topology.commands;
  await waitForReady(redis, 5_000);
  const arrivals: Arrival[] = [{ kind: 'together' }, ...PERIODS_MS.map((periodMs): Arrival => ({ kind: 'random', periodMs }))];
  const rows: Record<string, string | number>[] = [];
  const results: unknown[] = [];
  try {
    for (const arrival of arrivals) {
      for (const n of WRITERS) {
        const rounds: RoundResult[] = [];
        for (let r = 0; r < roundsFor(n, arrival); r++) rounds.push(await round(topology, n, arrival));
        const writers = rounds.reduce((sum, result) => sum + result.writers, 0);
        const lost = rounds.reduce((sum, result) => sum + result.lost, 0);
        const trials = rounds.reduce((sum, result) => sum + result.trials, 0);
        const trialsWithLoss = rounds.reduce((sum, result) => sum + result.trialsWithLoss, 0);
        const measuredShare = lost / writers;
        const medianRoundShare = median(rounds.map((result) => result.lost / result.writers));
        const [low, high] = interval95(rounds.flatMap((result) => result.trialShares));
        const periodMs = arrival.kind === 'together' ? 0 : arrival.periodMs;
        // "Together" is the T → 0 limit of the model.
        const modelPeriodMs = arrival.kind === 'together' ? WINDOW_MS : arrival.periodMs;
        const modelShare = expectedLostShare(n, WINDOW_MS, modelPeriodMs);
        const effectiveWindowMs = median(rounds.flatMap((result) => result.updateLatenciesMs));
        const modelShareEffective = expectedLostShare(n, effectiveWindowMs, modelPeriodMs);
        const replayShare = rounds.reduce((sum, result) => sum + result.lostByReplay, 0) / writers;
        const overwritten = overwrittenShare(n, WINDOW_MS, modelPeriodMs);
        const anyLossMeasured = trialsWithLoss / trials;
        const anyLossModel = probabilityOfAnyLoss(n, WINDOW_MS, modelPeriodMs);
        const arrivalLabel = arrival.kind === 'together' ? 'together' : `random/${arrival.periodMs}ms`;
        rows.push({
          arrival: arrivalLabel,
          N: n,
          rounds: rounds.length,
          writers,
          'lost (measured)': percent(measuredShare),
          '95% interval': `${percent(low)}–${percent(high)}`,
          'model w=10ms': percent(modelShare),
          'model w=eff': percent(modelShareEffective),
          'eff. window ms': effectiveWindowMs,
          'replay of timings': percent(replayShare),
          'overwritten once': percent(overwritten),
          'P(any loss) meas.': percent(anyLossMeasured),
          'P(any loss) model': percent(anyLossModel),
        });
        results.push({
          arrival: arrival.kind,
          periodMs,
          writersPerTrial: n,
          rounds: rounds.length,
          trials,
          writers,
          lostUpdates: lost,
          lostShare: measuredShare,
          lostShareMedianOfRounds: medianRoundShare,
          lostShareInterval95: [low, high],
          lostShareRounds: rounds.map((result) => result.lost / result.writers),
          modelLostShare: modelShare,
          effectiveWindowMs,
          modelLostShareEffectiveWindow: modelShareEffective,
          replayOfRecordedTimingsLostShare: replayShare,
          modelOverwrittenAtLeastOnceShare: overwritten,
          measuredVsModelRatio: modelShare > 0 ? measuredShare / modelShare : null,
          trialsWithLossShare: anyLossMeasured,
          modelProbabilityOfAnyLoss: anyLossModel,
        });
        console.error(`collisions: ${arrivalLabel} N=${n} done`);
      }
    }
  } finally {
    redis.disconnect();
    await provisioned.teardown();
  }
  printTable(`naive read-modify-write (${WINDOW_MS} ms window): lost updates measured vs model`, rows);
  writeResults(
    'collisions',
    {
      strategy: 'naive',
      windowMs: WINDOW_MS,
      writersPerTrial: WRITERS,
      periodsMs: PERIODS_MS,
      randomArrivals: { writersPerConfiguration: WRITERS_PER_CONFIG, arrivalsPerSecond: ARRIVALS_PER_SECOND },
      together: { rounds: TOGETHER_ROUNDS, trialsPerRound: TOGETHER_TRIALS },
      segmentsPerJourney: 'max(20, N)',
      redis: provisioned.source,
    },
    results,
  );
}

runBenchmark(main);
