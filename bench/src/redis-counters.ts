import type Redis from 'ioredis';

/** What one Redis server has done since it started: commands executed, by name, and CPU time. */
export interface RedisCounters {
  /** `INFO commandstats` calls by command (`xadd`, `cluster|slots`, …). */
  readonly calls: Readonly<Record<string, number>>;
  /** `used_cpu_sys + used_cpu_user` of `INFO cpu`, in ms (every thread of the server). */
  readonly cpuMs: number;
}

/** Reads the counters from `INFO cpu commandstats` text. */
export function parseCounters(info: string): RedisCounters {
  const calls: Record<string, number> = {};
  let cpuMs = 0;
  for (const line of info.split(/\r?\n/)) {
    const command = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (command) calls[command[1] as string] = Number(command[2]);
    const cpu = /^used_cpu_(?:sys|user):([\d.]+)$/.exec(line);
    if (cpu) cpuMs += Number(cpu[1]) * 1_000;
  }
  return { calls, cpuMs };
}

export async function readCounters(client: Redis): Promise<RedisCounters> {
  return parseCounters((await client.call('INFO', 'cpu', 'commandstats')) as string);
}

/** What happened between two readings, without the `INFO` calls that took them. */
export function countersBetween(before: RedisCounters, after: RedisCounters): RedisCounters {
  const calls: Record<string, number> = {};
  for (const [command, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[command] ?? 0);
    if (command !== 'info' && delta > 0) calls[command] = delta;
  }
  return { calls, cpuMs: after.cpuMs - before.cpuMs };
}

export function totalCalls(counters: RedisCounters): number {
  return Object.values(counters.calls).reduce((sum, count) => sum + count, 0);
}
