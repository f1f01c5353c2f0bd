import { PROVIDER_GROUP, redisKeys, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady } from '@skyway/redis-connection';
import { SearchStore, searchResultCodec } from '@skyway/search-state';
import {
  eventually,
  isolatedRedis,
  processesPerTest,
  startRedisServer,
  uniqueKeyPrefix,
  type IsolatedRedis, searchStreamEntries } from '@skyway/testkit';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { startLocalSupplier } from './support/local-supplier';

/** Provider replicas as real OS processes (build first) against a real mock-supplier. */
describe('provider-service replicas (real processes)', () => {
  const query = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), passengers: 1 };
  const { start, defer } = processesPerTest();

  async function storeFor(url: string, keys: RedisKeys): Promise<{ store: SearchStore; commands: Redis }> {
    const topology = singleRedisTopology(url, { connectionName: 'test:commands' });
    const commands = topology.commands;
    await waitForReady(commands, 5_000);
    const store = new SearchStore({ topology, keys, service: 'test' });
    defer(async () => {
      await store.close();
      topology.close();
    });
    return { store, commands };
  }

  const createSearch = (store: SearchStore) =>
    store.create(query, { searchId: randomUUID(), now: new Date(), timeoutMs: 60_000, ttlMs: 120_000 });

  /** Searches that are `completed` in the results stream, counted per search: exactly one each. */
  async function completionsPerSearch(redis: IsolatedRedis, keys: RedisKeys): Promise<Map<string, number>> {
    const completions = new Map<string, number>();
    for (const [, fields] of await searchStreamEntries(redis.client, keys, 'results')) {
      const decoded = searchResultCodec.decode(fields);
      if (decoded.ok && decoded.value.status !== 'processing') {
        completions.set(decoded.value.search_id, (completions.get(decoded.value.search_id) ?? 0) + 1);
      }
    }
    return completions;
  }

  const pendingOf = async (redis: IsolatedRedis, keys: RedisKeys): Promise<Array<[entryId: string, consumer: string]>> => {
    const pending: Array<[entryId: string, consumer: string]> = [];
    for (const partition of keys.searchPartitions) {
      const entries = (await redis.client.xpending(partition.requested, PROVIDER_GROUP, '-', '+', 100).catch(() => [])) as Array<[string, string, number, number]>;
      pending.push(...entries.map(([entryId, consumer]): [string, string] => [entryId, consumer]));
    }
    return pending;
  };

  it('completes 16 in-flight searches exactly once within CLAIM_IDLE_MS + processing time when a replica is SIGKILLed', async () => {
    const SEARCHES = 16;
    const CLAIM_IDLE_MS = 1_000;
    const SUPPLIER_LATENCY_MS = 1_500;
    const redis: IsolatedRedis = await isolatedRedis('sigkill');
    defer(() => redis.cleanup());
    const keys = redisKeys(redis.prefix);
    const { store } = await storeFor(redis.url, keys);
    const supplier = await start('mock-supplier', { SUPPLIER_LATENCY_MS: String(SUPPLIER_LATENCY_MS) });
    const env = (name: string) => ({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      SUPPLIER_URLS: supplier.url,
      CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
      PROVIDER_CONCURRENCY: String(SEARCHES),
      CONSUMER_NAME: name,
    });
    const [victim] = await Promise.all([start('provider-service', env('victim')), start('provider-service', env('survivor'))]);

    const searches = await Promise.all(Array.from({ length: SEARCHES }, () => createSearch(store)));
    // All 16 are read at once (one replica or both), each waiting 1.5 s on its supplier: kill the
    // victim while it holds some of them.
    await eventually('every search in flight, some with the victim', async () => {
      const pending = await pendingOf(redis, keys);
      return pending.length === SEARCHES && pending.some(([, owner]) => owner === 'victim');
    });
    await victim?.stop('SIGKILL');

    // The survivor reclaims the victim's entries once idle for CLAIM_IDLE_MS (it looks every
    // CLAIM_IDLE_MS / 2), then needs one supplier round trip; the rest is room for a busy machine.
    const bound = CLAIM_IDLE_MS + CLAIM_IDLE_MS / 2 + SUPPLIER_LATENCY_MS + 5_000;
    await eventually(
      'every search completed',
      async () => (await Promise.all(searches.map((search) => store.get(search.search_id)))).every((state) => state?.status === 'completed'),
      { timeoutMs: bound },
    );
    const completions = await completionsPerSearch(redis, keys);
    expect(searches.map((search) => completions.get(search.search_id))).toEqual(searches.map(() => 1));
    await eventually('the pending list to drain', async () => (await pendingOf(redis, keys)).length === 0);
  });

  it('runs its whole PROVIDER_CONCURRENCY on one partition without a "possible memory leak" warning', async () => {
    const SEARCHES = 16;
    const redis: IsolatedRedis = await isolatedRedis('full-concurrency');
    defer(() => redis.cleanup());
    // One partition: all 16 searches are in flight on one consumer at once.
    const keys = redisKeys(redis.prefix, { searchPartitions: 1 });
    const { store } = await storeFor(redis.url, keys);
    const supplier = await startLocalSupplier('alpha', { kind: 'slow', ms: 500, offers: 1 });
    defer(() => supplier.close());
    const provider = await start('provider-service', {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      SUPPLIER_URLS: supplier.url.href,
      SEARCH_PARTITIONS: '1',
      PROVIDER_CONCURRENCY: String(SEARCHES),
    });
    const searches = await Promise.all(Array.from({ length: SEARCHES }, () => createSearch(store)));
    await eventually('every search in flight at once', async () => (await pendingOf(redis, keys)).length === SEARCHES);
    await eventually('every search completed', async () =>
      (await Promise.all(searches.map((search) => store.get(search.search_id)))).every((state) => state?.status === 'completed'),
    );
    expect(await provider.stop()).toBe(0);
    // Node's MaxListenersExceededWarning, which an operator would read as a leak.
    expect(provider.output()).not.toMatch(/Warning/);
  });

  it('on SIGTERM finishes and acks the searches in flight, leaves the one it could not finish pending and unread ones untouched, and exits 0', async () => {
    const redis: IsolatedRedis = await isolatedRedis('sigterm');
    defer(() => redis.cleanup());
    // One partition: a replica reads no more than its free concurrency from it, so entries beyond it stay unread.
    // (With P partitions, each partition's reader may hold one read's worth that it has not started: left pending for others.)
    const keys = redisKeys(redis.prefix, { searchPartitions: 1 });
    const { store } = await storeFor(redis.url, keys);
    // Searches for 9 passengers hang at this supplier until the test says otherwise; others take 1 s.
    const HANGING_PARTY = 9;
    const supplier = await startLocalSupplier('alpha', { kind: 'slow', ms: 1_000, offers: 2 });
    supplier.behaveForPassengers(HANGING_PARTY, { kind: 'hang' });
    defer(() => supplier.close());
    const createFor = (passengers: number) =>
      store.create({ ...query, passengers }, { searchId: randomUUID(), now: new Date(), timeoutMs: 60_000, ttlMs: 120_000 });
    const env = (name: string, extra: Record<string, string> = {}) => ({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      SUPPLIER_URLS: supplier.url.href,
      CONSUMER_NAME: name,
      LOG_LEVEL: 'info',
      SEARCH_PARTITIONS: '1',
      ...extra,
    });
    // No supplier timeout to save it: the hanging search is still in flight when the stop deadline passes.
    const draining = await start('provider-service', env('draining', { PROVIDER_CONCURRENCY: '3', SUPPLIER_TIMEOUT_MS: '60000', SUPPLIER_RETRIES: '0' }));

    const inFlight = [await createFor(1), await createFor(2)];
    const hanging = await createFor(HANGING_PARTY);
    await eventually('three searches in flight', async () => (await pendingOf(redis, keys)).length === 3);
    // The replica is at its concurrency: these stay in the stream, unread.
    const unread = [await createFor(3), await createFor(4)];

    expect(await draining.stop('SIGTERM', 20_000)).toBe(0);
    expect(draining.output()).toContain('search worker stopped');
    for (const search of inFlight) expect((await store.get(search.search_id))?.status).toBe('completed');
    const [[hangingEntry] = ['', '']] = await searchStreamEntries(redis.client, keys, 'requested').then((entries) =>
      entries.filter(([, fields]) => fields.includes(hanging.search_id)),
    );
    // Nothing it read but did not finish was acked: the hanging search is pending, still its own.
    expect(await pendingOf(redis, keys)).toEqual([[hangingEntry, 'draining']]);
    for (const search of [hanging, ...unread]) expect((await store.get(search.search_id))?.status).toBe('processing');

    // Another replica picks up both kinds: the abandoned entry once idle, the unread ones as new.
    supplier.behaveForPassengers(HANGING_PARTY, { kind: 'offers', offers: 1 });
    await start('provider-service', env('successor', { CLAIM_IDLE_MS: '1000' }));
    await eventually(
      'the abandoned and the unread searches completed',
      async () => (await Promise.all([hanging, ...unread].map((search) => store.get(search.search_id)))).every((state) => state?.status === 'completed'),
      { timeoutMs: 15_000 },
    );
    const completions = await completionsPerSearch(redis, keys);
    expect([...inFlight, hanging, ...unread].map((search) => completions.get(search.search_id))).toEqual([1, 1, 1, 1, 1]);
    await eventually('the pending list to drain', async () => (await pendingOf(redis, keys)).length === 0);
  });

  it('re-creates its consumer group after Redis restarts empty and serves again', async () => {
    const server = await startRedisServer();
    let current = server;
    defer(() => current.stop());
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
