import { exampleFlightSearchRequest, redisKeys, type RedisKeys, type SearchPartition } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { isolatedRedis, sampleFlight, type IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SearchStore, searchRequestCodec, searchResultCodec } from '../src';

describe('SearchStore (real Redis)', () => {
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  const clients: RedisTopology[] = [];
  const partition = (): SearchPartition => keys.searchPartitions[0] as SearchPartition;
  const stores: SearchStore[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('search-store');
    // One partition: every search's request and result entries land in the streams the tests read.
    keys = redisKeys(redis.prefix, { searchPartitions: 1 });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    clients.splice(0).forEach((client) => client.close());
    await redis.cleanup();
  });

  async function newStore(transactionConnections = 4, onConnection?: (client: Redis) => void): Promise<SearchStore> {
    const topology = singleRedisTopology(redis.url, { connectionName: 'test:commands' });
    clients.push(topology);
    await waitForReady(topology.commands, 5_000);
    const store = new SearchStore({ topology, keys, service: 'test', transactionConnections, ...(onConnection ? { onConnection } : {}) });
    stores.push(store);
    return store;
  }

  async function resultEntries(): Promise<Array<{ seq: number; status: string; results: number }>> {
    const entries = await redis.client.xrange(partition().results, '-', '+');
    return entries.map(([, fields]) => {
      const decoded = searchResultCodec.decode(fields);
      if (!decoded.ok) throw new Error(decoded.error.reason);
      return { seq: decoded.value.seq, status: decoded.value.status, results: decoded.value.results?.length ?? 0 };
    });
  }

  const now = (): Date => new Date();
  const create = (store: SearchStore, timeoutMs = 30_000) =>
    store.create(exampleFlightSearchRequest, { searchId: randomUUID(), now: now(), timeoutMs, ttlMs: 60_000, trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });

  it('creates the state with an expiry and publishes the request in one MULTI', async () => {
    const store = await newStore();
    const state = await create(store);
    expect(await store.get(state.search_id)).toEqual(state);
    const ttl = await redis.client.pttl(keys.search(state.search_id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const [[, fields] = ['', []]] = await redis.client.xrange(partition().requested, '-', '+');
    expect(searchRequestCodec.decode(fields)).toEqual({
      ok: true,
      value: { search_id: state.search_id, ...exampleFlightSearchRequest, requested_at: state.created_at, traceparent: expect.stringMatching(/^00-/) },
    });
  });

  it('returns null for an unknown search and does not run the extra commands', async () => {
    const store = await newStore();
    const marker = `${redis.prefix}marker`;
    const outcome = await store.change(randomUUID(), { kind: 'completed', results: [] }, {
      now: now(),
      alsoInTransaction: (transaction) => transaction.set(marker, '1'),
    });
    expect(outcome).toBeNull();
    expect(await redis.client.exists(marker)).toBe(0);
  });

  it('publishes each applied change with its seq, and a second completion publishes nothing', async () => {
    const store = await newStore();
    const { search_id } = await create(store);
    await store.change(search_id, { kind: 'partial', results: [sampleFlight('a')] }, { now: now() });
    const done = await store.change(search_id, { kind: 'completed', results: [sampleFlight('b')] }, { now: now() });
    expect(done).toMatchObject({ applied: true, state: { status: 'completed', seq: 4 } });
    const again = await store.change(search_id, { kind: 'completed', results: [sampleFlight('c')] }, { now: now() });
    expect(again).toMatchObject({ applied: false, state: { seq: 4 } });
    expect(await resultEntries()).toEqual([
      { seq: 2, status: 'processing', results: 1 },
      { seq: 4, status: 'completed', results: 2 },
    ]);
    expect((await store.get(search_id))?.results.map((result) => result.id)).toEqual(['alpha:a', 'alpha:b']);
    expect(await redis.client.pttl(keys.search(search_id))).toBeGreaterThan(0);
  });

  it('stamps every result entry with when its search was requested, for end-to-end latency', async () => {
    const store = await newStore();
    const { search_id, created_at } = await create(store);
    await store.change(search_id, { kind: 'partial', results: [sampleFlight('a')] }, { now: now() });
    await store.change(search_id, { kind: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE', message: 'down' } }, { now: now() });
    const entries = await redis.client.xrange(partition().results, '-', '+');
    expect(entries.map(([, fields]) => searchResultCodec.decode(fields))).toEqual([
      { ok: true, value: expect.objectContaining({ status: 'processing', requested_at: created_at }) },
      { ok: true, value: expect.objectContaining({ status: 'failed', requested_at: created_at }) },
    ]);
  });

  it('hands each pooled transaction connection to onConnection as it is created', async () => {
    const created: Redis[] = [];
    const store = await newStore(2, (client) => created.push(client));
    const { search_id } = await create(store);
    // A new search is written on a pooled connection too (one of its own to the partition's master, for WAIT).
    expect(created).toHaveLength(1);
    await Promise.all([1, 2, 3].map((n) => store.change(search_id, { kind: 'partial', results: [sampleFlight(`p${n}`)] }, { now: now() })));
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(created.length).toBeLessThanOrEqual(2);
    for (const client of created) expect(client.options.connectionName).toBe('test:search-transactions');
  });

  it('keeps both streams trimmed to about their MAXLEN after 10,000 searches, the newest entries kept', async () => {
    const MAX_LEN = 1_000;
    // `MAXLEN ~` trims whole stream nodes (stream-node-max-entries, 100 by default).
    const NODE_ENTRIES = 100;
    const topology = singleRedisTopology(redis.url, { connectionName: 'test:commands' });
    clients.push(topology);
    await waitForReady(topology.commands, 5_000);
    const store = new SearchStore({ topology, keys, service: 'test', requestsMaxLen: MAX_LEN, resultsMaxLen: MAX_LEN, transactionConnections: 8 });
    stores.push(store);
    let remaining = 10_000;
    let newest = '';
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (remaining > 0) {
          remaining -= 1;
          const state = await create(store);
          await store.change(state.search_id, { kind: 'completed', results: [sampleFlight('a')] }, { now: now() });
          newest = state.search_id;
        }
      }),
    );
    expect(await redis.client.xlen(partition().requested)).toBeLessThan(MAX_LEN + NODE_ENTRIES);
    expect(await redis.client.xlen(partition().results)).toBeLessThan(MAX_LEN + NODE_ENTRIES);
    const recent = (await redis.client.xrevrange(partition().requested, '+', '-', 'COUNT', 64)).map(([, fields]) => fields[fields.indexOf('search_id') + 1]);
    expect(recent).toContain(newest);
  });

  it('runs the caller’s commands in the same MULTI even when the change is a no-op', async () => {
    const store = await newStore();
    const { search_id } = await create(store);
    await store.change(search_id, { kind: 'completed', results: [] }, { now: now() });
    const marker = `${redis.prefix}acked`;
    await store.change(search_id, { kind: 'completed', results: [] }, {
      now: now(),
      alsoInTransaction: (transaction) => transaction.set(marker, '1'),
    });
    expect(await redis.client.get(marker)).toBe('1');
  });

  it('loses no result when many writers on two stores change one search at once (WATCH/MULTI)', async () => {
    const [first, second] = [await newStore(4), await newStore(4)];
    const { search_id } = await create(first);
    const writers = 24;
    await Promise.all(
      Array.from({ length: writers }, (_, index) =>
        (index % 2 === 0 ? first : second).change(search_id, { kind: 'partial', results: [sampleFlight(`f${index}`)] }, { now: now() }),
      ),
    );
    const state = await first.get(search_id);
    expect(state?.results).toHaveLength(writers);
    expect(state?.seq).toBe(writers + 1);
    const entries = await resultEntries();
    expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length: writers }, (_, index) => index + 2));
    expect(entries.map((entry) => entry.results)).toEqual(Array.from({ length: writers }, (_, index) => index + 1));
  });

  it('applies exactly one terminal change when completions and a timeout race', async () => {
    const [first, second] = [await newStore(), await newStore()];
    const { search_id } = await create(first, 100);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const outcomes = await Promise.all([
      first.change(search_id, { kind: 'completed', results: [sampleFlight('a')] }, { now: now() }),
      second.change(search_id, { kind: 'completed', results: [sampleFlight('b')] }, { now: now() }),
      first.change(search_id, { kind: 'deadline' }, { now: now() }),
      second.change(search_id, { kind: 'deadline' }, { now: now() }),
    ]);
    expect(outcomes.filter((outcome) => outcome?.applied)).toHaveLength(1);
    expect(await resultEntries()).toEqual([{ seq: 2, status: 'failed', results: 0 }]);
  });
});
