/**
 * What a search could cost at least, measured in the same run as the search pipeline: a bare
 * Fastify request, the same request through the apps' telemetry plugin, an ioredis round trip,
 * and the Redis commands a search issues (by name, from `INFO commandstats` deltas).
 */
import { freePort, repoRoot, spawnCaptured, waitUntilAnswering, type CapturedProcess } from '@skyway/testkit';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuSeconds } from './pipeline';
import { median } from './report';

export type FloorVariant = 'bare Fastify' | 'telemetry plugin, tracing on' | 'telemetry plugin, every trace recorded' | 'telemetry plugin, tracing off';

/** Each variant's environment: tracing on is the apps' default (the default sampler records 1 trace in 10). */
const FLOOR_VARIANT_ENV: Record<FloorVariant, Record<string, string>> = {
  'bare Fastify': {},
  'telemetry plugin, tracing on': {},
  'telemetry plugin, every trace recorded': { OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
  'telemetry plugin, tracing off': { OTEL_SDK_DISABLED: 'true' },
};

export const FLOOR_VARIANTS = Object.keys(FLOOR_VARIANT_ENV) as readonly FloorVariant[];

const FLOOR_CONNECTIONS = 16;

interface FloorServer {
  readonly variant: FloorVariant;
  readonly url: string;
  readonly process: CapturedProcess;
}

async function startFloorServer(variant: FloorVariant): Promise<FloorServer> {
  const dist = join(repoRoot(), 'bench', 'dist');
  const port = await freePort();
  const preload = variant === 'bare Fastify' ? [] : ['--require', join(dist, 'floor-instrument.js')];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    FLOOR_TELEMETRY: String(variant !== 'bare Fastify'),
    ...FLOOR_VARIANT_ENV[variant],
  };
  const server = spawnCaptured(process.execPath, [...preload, join(dist, 'floor-server.js')], { env });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(server, `${url}/floor`);
  return { variant, url, process: server };
}

/** CPU µs the server process spent per request while autocannon loaded it for `seconds`. */
async function serverCpuPerRequest(server: FloorServer, seconds: number): Promise<number> {
  const pid = server.process.child.pid as number;
  const before = cpuSeconds(pid);
  const result = await autocannon({ url: `${server.url}/floor`, connections: FLOOR_CONNECTIONS, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`floor server (${server.variant}): ${result.non2xx} non-2xx, ${result.errors} errors`);
  return ((cpuSeconds(pid) - before) * 1e6) / result.requests.total;
}

export interface HttpFloor {
  /** CPU µs per request of each variant's server process, median of the rounds. */
  readonly cpuUsPerRequest: Record<FloorVariant, number>;
  /** Each variant's CPU per request over bare Fastify's in the same round, median of the rounds (steadier than a ratio of medians on a shared machine). */
  readonly vsBare: Record<FloorVariant, number>;
  readonly runs: Record<FloorVariant, number[]>;
}

/** The floor servers side by side, taking turns, after a warm-up of each. */
export async function measureHttpFloor(rounds: number, seconds: number, warmupSeconds: number): Promise<HttpFloor> {
  const servers: FloorServer[] = [];
  try {
    for (const variant of FLOOR_VARIANTS) servers.push(await startFloorServer(variant));
    for (const server of servers) await serverCpuPerRequest(server, warmupSeconds);
    const runs = Object.fromEntries(FLOOR_VARIANTS.map((variant) => [variant, [] as number[]])) as Record<FloorVariant, number[]>;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) runs[server.variant].push(await serverCpuPerRequest(server, seconds));
    }
    const cpuUsPerRequest = Object.fromEntries(FLOOR_VARIANTS.map((variant) => [variant, median(runs[variant])])) as Record<FloorVariant, number>;
    const vsBare = Object.fromEntries(
      FLOOR_VARIANTS.map((variant) => [variant, median(runs[variant].map((us, round) => us / (runs['bare Fastify'][round] as number)))]),
    ) as Record<FloorVariant, number>;
    return { cpuUsPerRequest, vsBare, runs };
  } finally {
    await Promise.all(servers.map((server) => server.process.stop()));
  }
}

export interface RedisFloor {
  /** One GET at a time: round-trip time and this client's CPU per command. */
  readonly sequential: { readonly latencyUsMedian: number; readonly clientCpuUsPerCommand: number };
  /** 64 GETs in flight (ioredis writes what is queued together, as under load): client CPU per command. */
  readonly concurrent: { readonly commandsPerSecond: number; readonly clientCpuUsPerCommand: number };
}

/** A bare ioredis client against the benchmark's Redis (the benchmark process is otherwise idle meanwhile). */
export async function measureRedisFloor(redisUrl: string, commands = 20_000): Promise<RedisFloor> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    const key = 'bench:floor:key';
    await redis.set(key, 'x'.repeat(64));
    for (let i = 0; i < 2_000; i++) await redis.get(key); // warm-up
    const latencies: number[] = [];
    let cpu = process.cpuUsage();
    for (let i = 0; i < commands; i++) {
      const startedAt = performance.now();
      await redis.get(key);
      latencies.push((performance.now() - startedAt) * 1_000);
    }
    let used = process.cpuUsage(cpu);
    const sequential = { latencyUsMedian: median(latencies), clientCpuUsPerCommand: (used.user + used.system) / commands };

    const inFlight = 64;
    cpu = process.cpuUsage();
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = 0; i < commands / inFlight; i++) await redis.get(key);
      }),
    );
    const seconds = (performance.now() - startedAt) / 1_000;
    used = process.cpuUsage(cpu);
    await redis.del(key);
    return { sequential, concurrent: { commandsPerSecond: commands / seconds, clientCpuUsPerCommand: (used.user + used.system) / commands } };
  } finally {
    redis.disconnect();
  }
}

/** Calls and server µs per command name, from `INFO commandstats`. */
export type CommandStats = Record<string, { calls: number; usec: number }>;

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = {};
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[match[1] as string] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

/** Per-second rates of each command between two snapshots. */
export function commandRates(before: CommandStats, after: CommandStats, seconds: number): CommandStats {
  const rates: CommandStats = {};
  for (const [name, { calls, usec }] of Object.entries(after)) {
    const previous = before[name] ?? { calls: 0, usec: 0 };
    if (calls > previous.calls) rates[name] = { calls: (calls - previous.calls) / seconds, usec: (usec - previous.usec) / seconds };
  }
  return rates;
}

/**
 * Commands per search: the rates during a load run minus the background rates measured while the
 * same processes idled (blocking reads timing out, claims, metric samples), divided by searches/s.
 */
export function commandsPerSearch(load: CommandStats, background: CommandStats, searchesPerSecond: number): CommandStats {
  const perSearch: CommandStats = {};
  for (const [name, { calls, usec }] of Object.entries(load)) {
    const idle = background[name] ?? { calls: 0, usec: 0 };
    const callsPerSearch = (calls - idle.calls) / searchesPerSecond;
    // Commands that occur only in the background round to nothing.
    if (callsPerSearch >= 0.05) perSearch[name] = { calls: callsPerSearch, usec: Math.max(0, usec - idle.usec) / searchesPerSecond };
  }
  return perSearch;
}
