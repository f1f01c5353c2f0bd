import { startRedisServer, type RedisServer } from '@skyway/local-redis';
import Redis from 'ioredis';
import { commandStats, type CommandStats } from '../src/floor';
import { startIoOnlyPipeline, startPipeline, type Pipeline } from '../src/pipeline';
import { searchToCompletion } from '../src/search-client';

/** The commands a search issues itself (the consumer loops' blocking reads and claims tick on their own clocks). */
const PER_SEARCH = ['evalsha', 'incr', 'pttl', 'multi', 'set', 'xadd', 'exec', 'get', 'watch', 'xack'];
const SEARCHES = 12;

/** Commands by name while `SEARCHES` searches run one after another to completion. */
async function commandsOfSearches(stats: Redis, pipeline: Pipeline): Promise<Record<string, number>> {
  const before: CommandStats = await commandStats(stats);
  for (let n = 0; n < SEARCHES; n++) await searchToCompletion(pipeline.main.url, performance.now(), 10_000);
  const after = await commandStats(stats);
  return Object.fromEntries(PER_SEARCH.map((name) => [name, (after[name]?.calls ?? 0) - (before[name]?.calls ?? 0)]));
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
