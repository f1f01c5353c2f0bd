import { eventually, freePort, repoRoot, spawnCaptured, startApp, uniqueKeyPrefix, waitUntilAnswering, type AppName, type AppProcess } from '@skyway/testkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IO_ONLY_PROVIDER_READY } from './io-only-ready';

/** The flight search pipeline as real processes: mock-supplier, provider replicas, main-service. */
export interface Pipeline {
  readonly main: AppProcess;
  readonly providers: readonly AppProcess[];
  readonly suppliers: readonly AppProcess[];
  readonly keyPrefix: string;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  readonly redisUrl: string;
  readonly providers: number;
  /**
   * mock-supplier processes; provider i calls supplier i mod n. One per provider keeps the mock (a
   * single Node process doing real work per request) from being the bottleneck a real supplier's
   * API, scaled on its own, would not be.
   */
  readonly suppliers?: number;
  readonly supplierLatencyMs: number;
  readonly providerConcurrency?: number;
  /** Extra variables for main-service and every provider (e.g. `REDIS_CLUSTER_NODES`). */
  readonly serviceEnv?: Record<string, string>;
  /** Extra main-service variables. */
  readonly mainEnv?: Record<string, string>;
  /** Extra variables of every process (e.g. `OTEL_SDK_DISABLED`). */
  readonly env?: Record<string, string>;
}

/**
 * Limits that protect production from one abusive client, lifted because every benchmark request
 * comes from one loopback address. Everything else runs with its production defaults.
 */
export const UNLIMITED_CLIENT_ENV = {
  SEARCH_RATE_LIMIT_MAX: '1000000',
  SSE_MAX_STREAMS: '1000000',
  SSE_MAX_STREAMS_PER_CLIENT: '1000000',
} as const;

/**
 * With `BENCH_CPU_PROF_DIR` set, every app process writes a V8 CPU profile of its whole life to
 * `<dir>/<app>/` when it exits (bench/README.md, "Profiling").
 */
function profiling(app: AppName): { nodeArgs?: string[] } {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(dir, app)}`] } : {};
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const keyPrefix = uniqueKeyPrefix('bench');
  const common = { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'warn', ...options.env, ...options.serviceEnv };
  const suppliers = await Promise.all(
    Array.from({ length: options.suppliers ?? 1 }, () =>
      startApp('mock-supplier', {
        env: { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: String(options.supplierLatencyMs), ...options.env },
        ...profiling('mock-supplier'),
      }),
    ),
  );
  const providers = await Promise.all(
    Array.from({ length: options.providers }, (_, i) =>
      startApp('provider-service', {
        env: {
          ...common,
          SUPPLIER_URLS: (suppliers[i % suppliers.length] as AppProcess).url,
          CONSUMER_NAME: `bench-provider-${i + 1}`,
          PROVIDER_CONCURRENCY: String(options.providerConcurrency ?? 16),
        },
        ...profiling('provider-service'),
        readyPath: '/health/ready',
      }),
    ),
  );
  const main = await startApp('main-service', {
    env: { ...common, ...UNLIMITED_CLIENT_ENV, SEED_JOURNEYS: 'none', ...options.mainEnv },
    ...profiling('main-service'),
    readyPath: '/health/ready',
  });
  return {
    main,
    providers,
    suppliers,
    keyPrefix,
    async stop() {
      await main.stop();
      await Promise.all(providers.map((provider) => provider.stop()));
      await Promise.all(suppliers.map((supplier) => supplier.stop()));
    },
  };
}

/**
 * A search's I/O alone (`src/io-only-search.ts`: main and provider processes, one provider, beside a
 * real mock-supplier), shaped like {@link startPipeline}'s pipeline so it is loaded and measured the
 * same way: the floor a search's CPU is compared with.
 */
export async function startIoOnlyPipeline(options: { readonly redisUrl: string; readonly supplierLatencyMs: number }): Promise<Pipeline> {
  const keyPrefix = uniqueKeyPrefix('bench-io');
  const supplier = await startApp('mock-supplier', { env: { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: String(options.supplierLatencyMs) } });
  const script = join(repoRoot(), 'bench', 'dist', 'io-only-search.js');
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '', REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: keyPrefix, SUPPLIER_URL: supplier.url, PORT: String(port) };
  const provider = spawnCaptured(process.execPath, [script, 'provider'], { env });
  const main = spawnCaptured(process.execPath, [script, 'main'], { env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually('the io-only provider', () => {
      if (provider.output().includes(IO_ONLY_PROVIDER_READY)) return true;
      throw new Error(`${provider.child.exitCode === null ? 'not ready' : 'exited'}; its output: ${provider.output().slice(-500)}`);
    });
    await waitUntilAnswering(main, `${url}/health/ready`);
  } catch (error) {
    await Promise.all([main.stop(), provider.stop(), supplier.stop()]);
    throw error;
  }
  return {
    main: { ...main, name: 'main-service', url, port },
    providers: [{ ...provider, name: 'provider-service', url: '', port: 0 }],
    suppliers: [supplier],
    keyPrefix,
    async stop() {
      await main.stop();
      await provider.stop();
      await supplier.stop();
    },
  };
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1_024;
}

/** CPU time (user + system) a process has used so far, in seconds (Linux /proc; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The process ids of a pipeline's processes and this benchmark process, by name. */
export function pipelinePids(pipeline: Pipeline): Record<string, number> {
  const pids: Record<string, number> = { 'main-service': pipeline.main.child.pid as number, 'bench client': process.pid };
  pipeline.providers.forEach((provider, i) => (pids[`provider-service ${i + 1}`] = provider.child.pid as number));
  pipeline.suppliers.forEach((supplier, i) => (pids[`mock-supplier ${i + 1}`] = supplier.child.pid as number));
  return pids;
}

export interface CpuUse<T> {
  readonly result: T;
  /** Per process, in % of one core while `work` ran. */
  readonly cpuPercent: Record<string, number>;
  /** Per process, CPU seconds used while `work` ran. */
  readonly cpuSeconds: Record<string, number>;
}

/** The CPU each process of a pipeline (and this benchmark process) used while `work` ran. */
export async function cpuShares<T>(pipeline: Pipeline, work: () => Promise<T>): Promise<CpuUse<T>> {
  const pids = pipelinePids(pipeline);
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const startedAt = performance.now();
  const result = await work();
  const seconds = (performance.now() - startedAt) / 1_000;
  const used = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - (before[name] as number)]));
  const cpuPercent = Object.fromEntries(Object.entries(used).map(([name, cpu]) => [name, Math.round((cpu / seconds) * 100)]));
  return { result, cpuPercent, cpuSeconds: used };
}
