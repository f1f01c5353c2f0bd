/**
 * `pnpm bench:journeys` (SPEC §8) — the update strategies of @skyway/journey-store side by side on
 * one hot 20-segment journey: `naive` (the original read-modify-write, no artificial pause),
 * `optimistic` (production: WATCH/MULTI/EXEC with group commit), `lua` (one atomic script per
 * update) and `lock` (SET NX PX lock per update), with 1/4/16/64 concurrent writers spread over 1
 * or 4 OS processes. Each cell runs for a fixed time on a fresh journey; writers update back to
 * back. Reported per cell, as the median of the rounds: committed updates/s, lost updates
 * (committed − (final version − 1)), attempts per committed update, exhausted retries, p50/p99
 * latency; and the optimistic/Lua throughput ratio. The cells of a round run interleaved, so a
 * change in the shared machine's load affects every strategy alike.
 */
import { STRATEGY_NAMES, JourneyStore, type StrategyName } from '@skyway/journey-store';
import { singleRedisTopology, waitForReady } from '@skyway/redis-connection';
import { deleteNamespace, provisionRedis, sampleJourney, uniqueKeyPrefix } from '@skyway/testkit';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RunReport, RunRequest } from './journeys-worker';
import { latencyHistogram, median, printTable, runBenchmark, writeResults } from './report';

const WRITERS = [1, 4, 16, 64];
const PROCESSES = [1, 4];
const SEGMENTS = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CELL_MS = Number(process.env.BENCH_CELL_MS ?? 700);
/** Lead time so every process has the run message before writers start together. */
const START_DELAY_MS = 50;

interface Cell {
  readonly strategy: StrategyName;
  readonly processes: number;
  readonly writers: number;
}

interface CellResult {
  readonly commitsPerSecond: number;
  readonly lost: number;
  readonly attemptsPerCommit: number;
  readonly maxAttempts: number;
  readonly exhausted: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Worker {
  readonly child: ChildProcess;
  next(): Promise<RunReport>;
}

function startWorker(redisUrl: string, keyPrefix: string): Promise<Worker> {
  const child = fork(join(__dirname, 'journeys-worker.js'), [], {
    env: { PATH: process.env.PATH ?? '', REDIS_URL: redisUrl, BENCH_KEY_PREFIX: keyPrefix },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = (): Promise<RunReport> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`bench worker exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as RunReport);
      });
    });
  return next().then(() => ({ child, next }));
}

const cellKey = (cell: Cell): string => `${cell.strategy}/${cell.processes}p/${cell.writers}w`;

async function runCell(commands: JourneyStore, workers: Worker[], cell: Cell, journeyId: string): Promise<CellResult> {
  await commands.create(sampleJourney(journeyId, SEGMENTS));
  const used = workers.slice(0, cell.processes);
  const startAt = Date.now() + START_DELAY_MS;
  const reports = await Promise.all(
    used.map((worker, index) => {
      const report = worker.next();
      const request: RunRequest = {
        type: 'run',
        strategy: cell.strategy,
        journeyId,
        segments: SEGMENTS,
        // Writers spread as evenly as they go: 4 over 4 processes is one each.
        writers: Math.floor(cell.writers / cell.processes) + (index < cell.writers % cell.processes ? 1 : 0),
        process: index,
        durationMs: CELL_MS,
        startAt,
      };
      worker.child.send(request);
      return report;
    }),
  );
  const version = (await commands.get(journeyId))?.version ?? 1;
  const histogram = latencyHistogram();
  for (const report of reports) {
    const part = decodeFromCompressedBase64(report.latency);
    histogram.add(part);
    part.destroy();
  }
  const committed = reports.reduce((sum, report) => sum + report.committed, 0);
  if (reports.some((report) => report.other > 0)) throw new Error(`${cellKey(cell)}: unexpected outcomes`);
  const result: CellResult = {
    commitsPerSecond: committed / (Math.max(...reports.map((report) => report.elapsedMs)) / 1_000),
    lost: committed - (version - 1),
    attemptsPerCommit: committed === 0 ? 0 : reports.reduce((sum, report) => sum + report.attempts, 0) / committed,
    maxAttempts: Math.max(...reports.map((report) => report.maxAttempts)),
    exhausted: reports.reduce((sum, report) => sum + report.exhausted, 0),
    p50Ms: histogram.getValueAtPercentile(50) / 1_000,
    p99Ms: histogram.getValueAtPercentile(99) / 1_000,
  };
  histogram.destroy();
  return result;
}

async function main(): Promise<void> {
  const redis = await provisionRedis();
  const keyPrefix = uniqueKeyPrefix('bench-journeys');
  const coordinator = singleRedisTopology(redis.url, { connectionName: 'bench-journeys:coordinator' });
  const commandClient = coordinator.commands;
  await waitForReady(commandClient, 5_000);
  const commands = new JourneyStore(coordinator, { keyPrefix });
  const workers = await Promise.all(PROCESSES.slice(-1).flatMap((count) => Array.from({ length: count }, () => startWorker(redis.url, keyPrefix))));

  const cells: Cell[] = PROCESSES.flatMap((processes) =>
    WRITERS.filter((writers) => writers >= processes).flatMap((writers) => STRATEGY_NAMES.map((strategy) => ({ strategy, processes, writers }))),
  );
  const runs = new Map<string, CellResult[]>(cells.map((cell) => [cellKey(cell), []]));
  console.log(`bench:journeys — ${cells.length} cells × ${ROUNDS} rounds × ${CELL_MS} ms on ${redis.url} (${redis.source})`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, cell] of cells.entries()) {
        runs.get(cellKey(cell))?.push(await runCell(commands, workers, cell, `JRN-BENCH-${round}-${index}`));
      }
      await deleteNamespace(commandClient, keyPrefix);
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    for (const worker of workers) worker.child.send({ type: 'exit' });
    await commands.close();
    commandClient.disconnect();
    await redis.teardown();
  }

  const medianOf = (cell: Cell, pick: (result: CellResult) => number): number => median((runs.get(cellKey(cell)) ?? []).map(pick));
  const luaRate = (cell: Cell): number => medianOf({ ...cell, strategy: 'lua' }, (result) => result.commitsPerSecond);
  const rows = cells.map((cell) => ({
    strategy: cell.strategy,
    procs: cell.processes,
    writers: cell.writers,
    'commits/s': Math.round(medianOf(cell, (result) => result.commitsPerSecond)),
    'vs lua': medianOf(cell, (result) => result.commitsPerSecond) / luaRate(cell),
    lost: medianOf(cell, (result) => result.lost),
    'attempts/commit': medianOf(cell, (result) => result.attemptsPerCommit),
    'max attempts': Math.max(...(runs.get(cellKey(cell)) ?? []).map((result) => result.maxAttempts)),
    exhausted: medianOf(cell, (result) => result.exhausted),
    'p50 ms': medianOf(cell, (result) => result.p50Ms),
    'p99 ms': medianOf(cell, (result) => result.p99Ms),
  }));
  printTable(`journey updates on one hot ${SEGMENTS}-segment journey (medians of ${ROUNDS} rounds of ${CELL_MS} ms)`, rows);
  const ratios = Object.fromEntries(
    PROCESSES.map((processes) => {
      const cell: Cell = { strategy: 'optimistic', processes, writers: 64 };
      return [`${processes}p/64w`, medianOf(cell, (result) => result.commitsPerSecond) / luaRate(cell)];
    }),
  );
  console.log(`\noptimistic / lua commits/s at 64 writers: ${Object.entries(ratios).map(([cell, ratio]) => `${cell} ${ratio.toFixed(2)}`).join(', ')}`);
  writeResults(
    'journeys',
    { segments: SEGMENTS, writers: WRITERS, processes: PROCESSES, rounds: ROUNDS, cellMs: CELL_MS, naiveDelayMs: 0 },
    { table: rows, optimisticToLuaAt64Writers: ratios, runs: Object.fromEntries(runs) },
  );
}

runBenchmark(main);
