import { PROVIDER_GROUP, redisKeys, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { newSearch, SearchStore, searchResultCodec, type SearchState } from '@skyway/search-state';
import { eventually, isolatedRedis, type IsolatedRedis, pendingSearchRequests, searchStreamEntries } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';
import { startLocalSupplier, type LocalSupplier } from './support/local-supplier';

const query = { from: 'CGK', to: 'DPS', date: '2030-07-10', passengers: 2 };

describe('provider-service search worker (in process, real Redis, local suppliers)', () => {
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  let topology: RedisTopology & { readonly commands: Redis };
  let commands: Redis;
  let store: SearchStore;
  let suppliers: LocalSupplier[];
  let app: FastifyInstance | undefined;

  beforeEach(async () => {
    redis = await isolatedRedis('provider');
    keys = redisKeys(redis.prefix);
    topology = singleRedisTopology(redis.url, { connectionName: 'test:commands' });
    commands = topology.commands;
    await waitForReady(commands, 5_000);
    store = new SearchStore({ topology, keys, service: 'test' });
    suppliers = [await startLocalSupplier('alpha'), await startLocalSupplier('beta')];
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await Promise.all(suppliers.map((supplier) => supplier.close()));
    await store.close();
    topology.close();
    await redis.cleanup();
  });

  async function startProvider(env: Record<string, string> = {}): Promise<FastifyInstance> {
    app = await buildApp(
      parseConfig({
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        LOG_LEVEL: 'silent',
        SUPPLIER_URLS: suppliers.map((supplier) => supplier.url.href).join(','),
        SUPPLIER_TIMEOUT_MS: '500',
        SUPPLIER_RETRIES: '1',
        CLAIM_IDLE_MS: '300',
        CONSUMER_NAME: 'provider-test',
        ...env,
      }),
    );
    await app.ready();
    return app;
  }

  const createSearch = (): Promise<SearchState> =>
    store.create(query, { searchId: randomUUID(), now: new Date(), timeoutMs: 30_000, ttlMs: 60_000 });

  const finished = (searchId: string) =>
    eventually(`search ${searchId} finished`, async () => {
      const state = await store.get(searchId);
      return state && state.status !== 'processing' ? state : undefined;
    });

  async function publishedStatuses(searchId: string): Promise<string[]> {
    const entries = await searchStreamEntries(redis.client, keys, 'results');
    return entries.flatMap(([, fields]) => {
      const decoded = searchResultCodec.decode(fields);
      return decoded.ok && decoded.value.search_id === searchId ? [`${decoded.value.seq}:${decoded.value.status}`] : [];
    });
  }

  const pendingCount = async (): Promise<number> => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP));

  it('is ready once Redis answers and the consumer group is joined', async () => {
    const provider = await startProvider();
    const ready = await eventually('ready', async () => {
      const response = await provider.inject('/health/ready');
      return response.statusCode === 200 ? response.json() : undefined;
    });
    expect(ready).toEqual({ status: 'ready', checks: { redis: 'ok', consumerGroup: 'ok' } });
  });

  it('publishes a partial result per early supplier, then completes with all results, and acks', async () => {
    await startProvider();
    const { search_id } = await createSearch();
    const state = await finished(search_id);
    expect(state.status).toBe('completed');
    expect(state.results.map((result) => result.provider).sort()).toEqual(['alpha', 'alpha', 'beta', 'beta']);
    expect(await publishedStatuses(search_id)).toEqual(['2:processing', '4:completed']);
    await eventually('the request acked', async () => (await pendingCount()) === 0);
  });

  it('completes with the other supplier’s results when one supplier fails', async () => {
    suppliers[1]?.behave({ kind: 'status', status: 503 });
    await startProvider();
    const { search_id } = await createSearch();
    const state = await finished(search_id);
    expect(state.status).toBe('completed');
    expect(state.results.map((result) => result.provider)).toEqual(['alpha', 'alpha']);
    expect(suppliers[1]?.requests()).toBe(2);
  });

  it('fails the search with SUPPLIERS_UNAVAILABLE when every supplier fails, and acks', async () => {
    suppliers.forEach((supplier) => supplier.behave({ kind: 'status', status: 503 }));
    await startProvider();
    const { search_id } = await createSearch();
    const state = await finished(search_id);
    expect(state).toMatchObject({ status: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE' } });
    await eventually('the request acked', async () => (await pendingCount()) === 0);
  });

  it('acks a redelivered request of a finished search without publishing again', async () => {
    await startProvider();
    const search = await createSearch();
    await finished(search.search_id);
    const before = await publishedStatuses(search.search_id);
    const requestsBefore = suppliers[0]?.requests();
    // The same request again, as a redelivery would bring it.
    const requests = keys.searchPartitionOf(search.search_id).requested;
    const [[, fields] = ['', []]] = await redis.client.xrange(requests, '-', '+');
    await redis.client.xadd(requests, '*', ...fields);
    await eventually('the duplicate acked', async () => (await redis.client.xlen(requests)) === 2 && (await pendingCount()) === 0);
    expect(await publishedStatuses(search.search_id)).toEqual(before);
    expect(suppliers[0]?.requests()).toBe(requestsBefore);
  });

  describe('poison entries', () => {
    /** A stored search whose only request entry is the poison. */
    const storedSearch = async (): Promise<string> => {
      const poisoned = newSearch(query, { searchId: randomUUID(), now: new Date(), timeoutMs: 30_000, ttlMs: 60_000 });
      await redis.client.set(keys.search(poisoned.search_id), JSON.stringify(poisoned), 'PX', 60_000);
      return poisoned.search_id;
    };
    const valid = (searchId: string): Record<string, string> => ({
      search_id: searchId,
      from: 'CGK',
      to: 'DPS',
      date: '2030-07-10',
      passengers: '2',
      requested_at: new Date().toISOString(),
    });
    const cases: Array<[string, (searchId: string) => Record<string, string>, RegExp]> = [
      ['missing fields', (searchId) => ({ search_id: searchId, from: 'CGK' }), /malformed entry: .*(to|date|passengers|requested_at)/],
      ['an airport that is not an IATA code', (searchId) => ({ ...valid(searchId), to: 'nowhere' }), /malformed entry: .*\(field to\)/],
      ['passengers that is not a number', (searchId) => ({ ...valid(searchId), passengers: 'many' }), /malformed entry: .*passengers/],
      ['passengers out of range', (searchId) => ({ ...valid(searchId), passengers: '1000' }), /malformed entry: .*passengers/],
      ['a date that does not exist', (searchId) => ({ ...valid(searchId), date: '2030-13-45' }), /malformed entry: .*date/],
      ['a 2 MB payload', (searchId) => ({ ...valid(searchId), from: 'X'.repeat(2_000_000) }), /malformed entry: .*(large|size|bytes)/i],
    ];

    it.each(cases)('%s: dead-lettered at once with the reason, its search failed, the pending list drained, the worker still serving', async (_case, fieldsFor, reason) => {
      await startProvider();
      const searchId = await storedSearch();
      await redis.client.xadd(keys.searchPartitionOf(searchId).requested, '*', ...Object.entries(fieldsFor(searchId)).flat());
      expect(await finished(searchId)).toMatchObject({ status: 'failed', error: { code: 'INVALID_REQUEST' } });
      const [[, dead] = ['', []]] = await eventually('the DLQ entry', async () => {
        const entries = await redis.client.xrange(keys.searchPartitionOf(searchId).deadLetter, '-', '+');
        return entries.length === 1 ? entries : undefined;
      });
      const deadFields = new Map<string, string>();
      for (let index = 0; index < dead.length; index += 2) deadFields.set(dead[index] as string, dead[index + 1] as string);
      expect(deadFields.get('search_id')).toBe(searchId);
      expect(deadFields.get('dlq_reason')).toMatch(reason);
      // A poison of megabytes is not copied whole into the dead-letter stream.
      expect(Math.max(...dead.map((field) => field.length))).toBeLessThanOrEqual(4_096);
      await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
      const after = await createSearch();
      expect((await finished(after.search_id)).status).toBe('completed');
    });

    it('a search id that is not one: dead-lettered, no search touched', async () => {
      await startProvider();
      // Not a search id, so no partition of its own: the entry is written to the first one.
      const [partition] = keys.searchPartitions;
      await redis.client.xadd(partition?.requested ?? '', '*', ...Object.entries(valid('search:{*}')).flat());
      const entries = await eventually('the DLQ entry', async () => {
        const dead = await redis.client.xrange(partition?.deadLetter ?? '', '-', '+');
        return dead.length === 1 ? dead : undefined;
      });
      expect(entries[0]?.[1]).toEqual(expect.arrayContaining(['dlq_reason', expect.stringContaining('search_id')]));
      await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
      expect((await redis.keys()).filter((key) => key.startsWith(`${redis.prefix}search:`))).toEqual([]);
    });
  });
});
