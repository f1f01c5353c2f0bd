import { startRedisServer, type RedisServer } from '@skyway/local-redis';
import Redis from 'ioredis';
import { commandStats, type CommandStats } from '../src/floor';
import { startIoOnlyPipeline, startPipeline, type Pipeline } from '../src/pipeline';
import { searchToCompletion } from '../src/search-client';

/**
 * Commands that tick on the loops' own clocks, not per search: blocking reads (the apps and the I/O
 * alone both read once per batch), the apps' claim pass and consumer-group metrics, and this test's INFO.
 */
const NOT_PER_SEARCH = new Set(['xread', 'xreadgroup', 'xautoclaim', 'xpending', 'xinfo|groups', 'time', 'info']);
const SEARCHES = 12;
const WARM_UP_SEARCHES = 4;

/**
 * Every other command by name while `SEARCHES` searches run one after another to completion. It
 * sees commands, not round trips: how they are grouped into round trips is not checked here.
 */
async function commandsOfSearches(stats: Redis, pipeline: Pipeline): Promise<Record<string, number>> {
  // Warm: pooled connections are opened (and named) by the first searches, not by every one.
  for (let n = 0; n < WARM_UP_SEARCHES; n++) await searchToCompletion(pipeline.main.url, performance.now(), 10_000);
  const before: CommandStats = await commandStats(stats);
  for (let n = 0; n < SEARCHES; n++) await searchToCompletion(pipeline.main.url, performance.now(), 10_000);
  const after = await commandStats(stats);
  return Object.fromEntries(
    Object.entries(after)
      .filter(([name]) => !NOT_PER_SEARCH.has(name))
      .map(([name, { calls }]) => [name, calls - (before[name]?.calls ?? 0)] as const)
      .filter(([, calls]) => calls > 0),
  );
}

describe("bench:search's floor, the search's I/O alone (real processes, a private redis-server)", () => {
  let server: RedisServer;
  let stats: Redis;
  const pipelines: Pipeline[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    stats = new Redis(server.url);
  });
  afterAll(async () => {
    for (const pipeline of pipelines) await pipeline.stop();
    stats.disconnect();
    await server.stop();
  });

  it('completes searches for the benchmark client with the same Redis commands per search as the apps', async () => {
    const ioOnly = await startIoOnlyPipeline({ redisUrl: server.url, supplierLatencyMs: 0 });
    pipelines.push(ioOnly);
    const apps = await startPipeline({ redisUrl: server.url, providers: 1, supplierLatencyMs: 0 });
    pipelines.push(apps);

    const ofApps = await commandsOfSearches(stats, apps);
    const ofIoOnly = await commandsOfSearches(stats, ioOnly);

    expect(ofApps.get).toBe(3 * SEARCHES);
    expect(ofIoOnly).toEqual(ofApps);
  }, 60_000);
});
