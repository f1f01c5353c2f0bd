import { build as buildHistogram, type Histogram } from 'hdr-histogram-js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@skyway/testkit';

/** The machine a result was measured on, written next to every result. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly redis: string;
  readonly date: string;
  /** 1-, 5- and 15-minute load averages when the result was written: how busy the shared machine was. */
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? redis;
  } catch {
    // redis-server not on PATH: the benchmark was pointed at REDIS_URL
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A latency recorder in microseconds (1 µs to 60 s, 3 significant digits). */
export function latencyHistogram(): Histogram {
  return buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const cell = (value: string | number | undefined): string =>
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : (value ?? '');
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]): string => values.map((value, i) => value.padStart(widths[i] as number)).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

/** Writes `bench/results/<name>.json` with the machine and the parameters beside the results, and says where. */
export function writeResults(name: string, parameters: unknown, results: unknown): void {
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, machine: machineInfo(), parameters, results }, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
}

/** A benchmark's entry point: a failure is printed and exits 1 (testkit's exit hook kills any app it started). */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
