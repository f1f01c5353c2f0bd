/**
 * `pnpm bench:sse` — 1k, 5k and 10k concurrent SSE streams on ONE main-service process (a fresh
 * process per level): memory per open stream and how fast a completion reaches its viewer.
 *
 * Each stream follows a search of its own (created with the same SearchStore main-service uses).
 * RSS is read from /proc before (after a warm-up) and once every stream has its first event. Then,
 * with every stream still open, searches are completed one after another at a fixed rate the way a
 * provider completes them (`SearchStore.change`, WATCH/MULTI + XADD to flight.search.results); the
 * delivery latency runs from just before that call to the `completed` event at the client: the
 * transaction, main-service's one XREAD reader, the in-process fan-out and the socket.
 */
import { exampleFlightResult, redisKeys, type FlightResult } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchStore } from '@skyway/search-state';
import { forEachConcurrently, provisionRedis, startApp, uniqueKeyPrefix, type AppProcess } from '@skyway/testkit';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { UNLIMITED_CLIENT_ENV, residentBytes } from './pipeline';
import { latencyHistogram, median, printTable, runBenchmark, writeResults } from './report';
import { followSearch, type SearchStream } from './search-client';

const LEVELS = [1_000, 5_000, 10_000];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_STREAMS = 500;
const OPEN_CONCURRENCY = 200;
const COMPLETIONS = 500;
const COMPLETIONS_PER_SECOND = 100;
const RESULTS_PER_SEARCH = 10;
/** File descriptors the benchmark and main-service need besides one per stream (Redis, pipes, listeners). */
const FD_MARGIN = 256;

/** RLIMIT_NOFILE (soft) of this process; main-service, its child, inherits it. */
function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match?.[1] ?? 1_024);
}

function ephemeralPorts(): number {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return (high as number) - (low as number) + 1;
}

function results(searchId: string): FlightResult[] {
  return Array.from({ length: RESULTS_PER_SEARCH }, (_, i) => ({
    ...exampleFlightResult,
    id: `${searchId}-${i}`,
    flight_number: `GA${400 + i}`,
    price: { amount: 1_250_000 + i * 10_000, currency: 'IDR' },
    provider: 'bench',
  }));
}

interface LevelResult {
  readonly streams: number;
  readonly openedPerSecond: number;
  readonly rssBeforeMiB: number;
  readonly rssOpenMiB: number;
  readonly rssPerStreamKiB: number;
  readonly deliveryP50Ms: number;
  readonly deliveryP99Ms: number;
  readonly deliveryMaxMs: number;
  readonly completionsDelivered: number;
}

async function createSearches(store: SearchStore, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const query = { from: 'CGK', to: 'DPS', date: '2030-07-10', passengers: 2 };
  await forEachConcurrently(ids, 100, async (searchId) => {
    await store.create(query, { searchId, now: new Date(), timeoutMs: 600_000, ttlMs: 1_200_000 });
  });
  return ids;
}

async function openStreams(main: AppProcess, ids: readonly string[]): Promise<SearchStream[]> {
  const streams: SearchStream[] = [];
  await forEachConcurrently(ids, OPEN_CONCURRENCY, async (searchId) => {
    const stream = followSearch(main.url, searchId, 'completed', 600_000);
    streams.push(stream);
    await stream.opened;
  });
  return streams;
}

async function level(redisUrl: string, topology: RedisTopology, streamsWanted: number): Promise<LevelResult> {
  const keyPrefix = uniqueKeyPrefix('bench-sse');
  const store = new SearchStore({ topology, keys: redisKeys(keyPrefix), service: 'bench-sse' });
  const main = await startApp('main-service', {
    env: {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      LOG_LEVEL: 'warn',
      SEED_JOURNEYS: 'none',
      SEARCH_TIMEOUT_MS: '600000',
      SEARCH_TTL_MS: '1200000',
      ...UNLIMITED_CLIENT_ENV,
    },
    readyPath: '/health/ready',
  });
  try {
    const warmup = await openStreams(main, await createSearches(store, WARMUP_STREAMS));
    for (const stream of warmup) stream.close();
    const ids = await createSearches(store, streamsWanted);
    await sleep(2_000);
    const rssBefore = residentBytes(main.child.pid as number);

    const openedAt = performance.now();
    const streams = await openStreams(main, ids);
    const openedPerSecond = streams.length / ((performance.now() - openedAt) / 1_000);
    await sleep(2_000);
    const rssOpen = residentBytes(main.child.pid as number);

    const histogram = latencyHistogram();
    const sample = ids.slice(0, Math.min(COMPLETIONS, ids.length));
    const deliveries: Promise<void>[] = [];
    for (let i = 0; i < sample.length; i++) {
      const searchId = sample[i] as string;
      const stream = streams[ids.indexOf(searchId)] as SearchStream;
      const startedAt = performance.now();
      deliveries.push(stream.reached.then((at) => void histogram.recordValue(Math.max(1, Math.round((at - startedAt) * 1_000)))));
      await store.change(searchId, { kind: 'completed', results: results(searchId) }, { now: new Date() });
      await sleep(Math.max(0, startedAt + 1_000 / COMPLETIONS_PER_SECOND - performance.now()));
    }
    await Promise.all(deliveries);
    for (const stream of streams) stream.close();
    return {
      streams: streams.length,
      openedPerSecond,
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssOpenMiB: rssOpen / 2 ** 20,
      rssPerStreamKiB: (rssOpen - rssBefore) / streams.length / 1_024,
      deliveryP50Ms: histogram.getValueAtPercentile(50) / 1_000,
      deliveryP99Ms: histogram.getValueAtPercentile(99) / 1_000,
      deliveryMaxMs: histogram.maxValue / 1_000,
      completionsDelivered: histogram.totalCount,
    };
  } finally {
    await main.stop();
    await store.close();
  }
}

async function main(): Promise<void> {
  const fdLimit = openFileLimit();
  const ports = ephemeralPorts();
  const redis = await provisionRedis();
  const topology = singleRedisTopology(redis.url, { connectionName: 'bench:sse', commandTimeoutMs: 10_000 });
  const { commands } = topology;
  await waitForReady(commands, 5_000);
  const runs = new Map<number, LevelResult[]>();
  const skipped: { streams: number; reason: string }[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const streams of LEVELS) {
        // Both ends hold one descriptor per stream: this process (client) and main-service (server).
        if (streams + FD_MARGIN > fdLimit || streams > ports) {
          if (round === 0) skipped.push({ streams, reason: `needs ${streams + FD_MARGIN} file descriptors (limit ${fdLimit}) and ${streams} ephemeral ports (${ports})` });
          continue;
        }
        const result = await level(redis.url, topology, streams);
        runs.set(streams, [...(runs.get(streams) ?? []), result]);
        console.error(`sse: round ${round + 1}/${ROUNDS}, ${streams} streams done`);
      }
    }
  } finally {
    commands.disconnect();
    await redis.teardown();
  }

  const summaries = [...runs.entries()].map(([streams, levelRuns]) => ({
    streams,
    openedPerSecondMedian: median(levelRuns.map((run) => run.openedPerSecond)),
    rssBeforeMiBMedian: median(levelRuns.map((run) => run.rssBeforeMiB)),
    rssOpenMiBMedian: median(levelRuns.map((run) => run.rssOpenMiB)),
    rssPerStreamKiBMedian: median(levelRuns.map((run) => run.rssPerStreamKiB)),
    deliveryP50MsMedian: median(levelRuns.map((run) => run.deliveryP50Ms)),
    deliveryP99MsMedian: median(levelRuns.map((run) => run.deliveryP99Ms)),
    runs: levelRuns,
  }));
  const smallest = summaries[0];
  printTable(
    `SSE streams on one main-service, ${COMPLETIONS} completions at ${COMPLETIONS_PER_SECOND}/s with every stream open; median of ${ROUNDS} rounds`,
    summaries.map((s) => ({
      streams: s.streams,
      'opened /s': Math.round(s.openedPerSecondMedian),
      'RSS before MiB': s.rssBeforeMiBMedian,
      'RSS open MiB': s.rssOpenMiBMedian,
      'KiB / stream': s.rssPerStreamKiBMedian,
      'delivery p50 ms': s.deliveryP50MsMedian,
      'delivery p99 ms': s.deliveryP99MsMedian,
      [`p99 vs ${smallest?.streams ?? ''}`]: s.deliveryP99MsMedian / (smallest?.deliveryP99MsMedian ?? 1),
    })),
  );
  for (const skip of skipped) console.log(`${skip.streams} streams skipped: ${skip.reason}`);
  writeResults(
    'sse',
    {
      levels: LEVELS,
      rounds: ROUNDS,
      streamsPerSearch: 1,
      warmupStreams: WARMUP_STREAMS,
      openConcurrency: OPEN_CONCURRENCY,
      completions: COMPLETIONS,
      completionsPerSecond: COMPLETIONS_PER_SECOND,
      resultsPerCompletion: RESULTS_PER_SEARCH,
      openFileLimit: fdLimit,
      ephemeralPorts: ports,
      heartbeatMs: 10_000,
      processes: 'one main-service (built dist/, LOG_LEVEL=warn, tracing on without exporter: the default); the client is this process',
      redis: redis.source,
    },
    { levels: summaries, skipped },
  );
}

runBenchmark(main);
