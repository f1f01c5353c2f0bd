import { PROVIDER_GROUP, redisKeys, type RedisKeys } from '@skyway/contracts';
import { createRedisClient, waitForReady } from '@skyway/redis-connection';
import { SearchStore, searchResultCodec } from '@skyway/search-state';
import {
  eventually,
  isolatedRedis,
  startApp,
  startRedisServer,
  uniqueKeyPrefix,
  type AppProcess,
  type IsolatedRedis,
} from '@skyway/testkit';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

/** Provider replicas as real OS processes (build first) against a real mock-supplier. */
describe('provider-service replicas (real processes)', () => {
  const query = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), passengers: 1 };
  const processes: AppProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((app) => app.stop('SIGKILL')));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(name: Parameters<typeof startApp>[0], env: Record<string, string>): Promise<AppProcess> {
    const app = await startApp(name, { env: { LOG_LEVEL: 'warn', ...env }, readyPath: '/health/ready' });
    processes.push(app);
    return app;
  }

  async function storeFor(url: string, keys: RedisKeys): Promise<{ store: SearchStore; commands: Redis }> {
    const commands = createRedisClient(url, { connectionName: 'test:commands' });
    await waitForReady(commands, 5_000);
    const store = new SearchStore({ redisUrl: url, commands, keys, service: 'test' });
    cleanups.push(async () => {
      await store.close();
      commands.disconnect();
    });
    return { store, commands };
  }

  const createSearch = (store: SearchStore) =>
    store.create(query, { searchId: randomUUID(), now: new Date(), timeoutMs: 60_000, ttlMs: 120_000 });

  it('completes every search exactly once when one of two replicas is killed mid-search', async () => {
    const redis: IsolatedRedis = await isolatedRedis('sigkill');
    cleanups.push(() => redis.cleanup());
    const keys = redisKeys(redis.prefix);
    const { store } = await storeFor(redis.url, keys);
    const supplier = await start('mock-supplier', { SUPPLIER_LATENCY_MS: '600' });
    const env = (name: string) => ({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      SUPPLIER_URLS: supplier.url,
      CLAIM_IDLE_MS: '1000',
      PROVIDER_CONCURRENCY: '8',
      CONSUMER_NAME: name,
    });
    const [victim] = await Promise.all([start('provider-service', env('victim')), start('provider-service', env('survivor'))]);

    const searches = await Promise.all(Array.from({ length: 12 }, () => createSearch(store)));
    // Kill the victim while it holds searches it has not finished (its supplier calls take 600 ms).
    await eventually('the victim to hold pending searches', async () => {
      const [, , , owners] = (await redis.client.xpending(keys.searchRequested, PROVIDER_GROUP)) as [number, string, string, [string, string][] | null];
      return (owners ?? []).some(([owner, count]) => owner === 'victim' && Number(count) > 0);
    });
    await victim?.stop('SIGKILL');

    await eventually(
      'every search completed',
      async () => (await Promise.all(searches.map((search) => store.get(search.search_id)))).every((state) => state?.status === 'completed'),
      { timeoutMs: 20_000 },
    );
    const completions = new Map<string, number>();
    for (const [, fields] of await redis.client.xrange(keys.searchResults, '-', '+')) {
      const decoded = searchResultCodec.decode(fields);
      if (decoded.ok && decoded.value.status !== 'processing') {
        completions.set(decoded.value.search_id, (completions.get(decoded.value.search_id) ?? 0) + 1);
      }
    }
    expect(searches.map((search) => completions.get(search.search_id))).toEqual(searches.map(() => 1));
    await eventually('the pending list to drain', async () => ((await redis.client.xpending(keys.searchRequested, PROVIDER_GROUP)) as [number])[0] === 0);
  });

  it('on SIGTERM stops reading, finishes the search in flight, acks it and exits 0', async () => {
    const redis: IsolatedRedis = await isolatedRedis('sigterm');
    cleanups.push(() => redis.cleanup());
    const keys = redisKeys(redis.prefix);
    const { store } = await storeFor(redis.url, keys);
    const supplier = await start('mock-supplier', { SUPPLIER_LATENCY_MS: '800' });
    const provider = await start('provider-service', {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      SUPPLIER_URLS: supplier.url,
      LOG_LEVEL: 'info',
    });
    const search = await createSearch(store);
    await eventually('the search in flight', async () => ((await redis.client.xpending(keys.searchRequested, PROVIDER_GROUP)) as [number])[0] === 1);
    expect(await provider.stop('SIGTERM')).toBe(0);
    expect((await store.get(search.search_id))?.status).toBe('completed');
    expect(((await redis.client.xpending(keys.searchRequested, PROVIDER_GROUP)) as [number])[0]).toBe(0);
    expect(provider.output()).toContain('search worker stopped');
  });

  it('re-creates its consumer group after Redis restarts empty and serves again', async () => {
    const server = await startRedisServer();
    let current = server;
    cleanups.push(() => current.stop());
    const prefix = uniqueKeyPrefix('restart');
    const keys = redisKeys(prefix);
    const { store } = await storeFor(server.url, keys);
    const supplier = await start('mock-supplier', { SUPPLIER_LATENCY_MS: '0' });
    const provider = await start('provider-service', {
      REDIS_URL: server.url,
      REDIS_KEY_PREFIX: prefix,
      SUPPLIER_URLS: supplier.url,
    });
    const completed = (searchId: string) =>
      eventually(`search ${searchId} completed`, async () => (await store.get(searchId))?.status === 'completed', { timeoutMs: 20_000 });

    await completed((await createSearch(store)).search_id);

    await server.stop();
    current = await startRedisServer({ port: server.port });
    await eventually('the provider ready again', async () => (await fetch(`${provider.url}/health/ready`)).status === 200, { timeoutMs: 20_000 });
    const search = await eventually('a search created after the restart', () => createSearch(store).catch(() => undefined), { timeoutMs: 20_000 });
    await completed(search.search_id);
    expect(((await store.get(search.search_id))?.results.length ?? 0) > 0).toBe(true);
  });
});
