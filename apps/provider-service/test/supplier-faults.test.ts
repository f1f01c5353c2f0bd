import { PROVIDER_GROUP, redisKeys, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchStore, searchResultCodec } from '@skyway/search-state';
import { eventually, isolatedRedis, type IsolatedRedis, pendingSearchRequests, searchStreamEntries } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';
import { startLocalSupplier, type LocalSupplier, type SupplierBehaviour } from './support/local-supplier';

const SUPPLIER_TIMEOUT_MS = 300;
const SUPPLIER_RETRIES = 1;
/** The most a search can spend on suppliers: every attempt timing out, plus backoff (50 ms doubling, capped at 1 s). */
const SUPPLIER_BUDGET_MS = (SUPPLIER_RETRIES + 1) * SUPPLIER_TIMEOUT_MS + 50 * 2 ** SUPPLIER_RETRIES;
/** Room for scheduling and Redis round trips on a busy machine: a bound on waiting, not a measurement. */
const SLACK_MS = 3_000;
const SEARCHES = 8;
/**
 * Node 20's fetch (undici 6) closes the connection of an aborted request only when its 4 s
 * keep-alive timer fires, not at once: a socket that outlives that is leaked.
 */
const FETCH_ABORTED_SOCKET_LINGER_MS = 4_000;

/**
 * A supplier that is slow, failing, answering garbage or hanging: every search still ends — within
 * the supplier budget — with exactly one terminal `failed` result, the request is acked, and no socket
 * to the supplier is left open.
 */
describe('supplier faults (provider in process, real Redis, a local misbehaving supplier)', () => {
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  let topology: RedisTopology & { readonly commands: Redis };
  let commands: Redis;
  let store: SearchStore;
  let supplier: LocalSupplier;
  let app: FastifyInstance | undefined;

  beforeEach(async () => {
    redis = await isolatedRedis('supplier-faults');
    keys = redisKeys(redis.prefix);
    topology = singleRedisTopology(redis.url, { connectionName: 'test:commands' });
    commands = topology.commands;
    await waitForReady(commands, 5_000);
    store = new SearchStore({ topology, keys, service: 'test' });
    supplier = await startLocalSupplier('faulty');
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await supplier.close();
    await store.close();
    topology.close();
    await redis.cleanup();
  });

  async function startProvider(): Promise<void> {
    app = await buildApp(
      parseConfig({
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        LOG_LEVEL: 'silent',
        SUPPLIER_URLS: supplier.url.href,
        SUPPLIER_TIMEOUT_MS: String(SUPPLIER_TIMEOUT_MS),
        SUPPLIER_RETRIES: String(SUPPLIER_RETRIES),
        PROVIDER_CONCURRENCY: String(SEARCHES),
      }),
    );
    await app.ready();
  }

  async function terminalEntries(searchId: string): Promise<string[]> {
    const entries = await searchStreamEntries(redis.client, keys, 'results');
    return entries.flatMap(([, fields]) => {
      const decoded = searchResultCodec.decode(fields);
      return decoded.ok && decoded.value.search_id === searchId && decoded.value.status !== 'processing'
        ? [`${decoded.value.status}:${decoded.value.error?.code ?? ''}`]
        : [];
    });
  }

  const cases: Array<[string, SupplierBehaviour]> = [
    ['slower than the timeout', { kind: 'slow', ms: SUPPLIER_TIMEOUT_MS * 4, offers: 2 }],
    ['failing with 503', { kind: 'status', status: 503 }],
    ['answering text that is not JSON', { kind: 'body', body: '<html>Service Unavailable</html>' }],
    ['answering JSON of the wrong shape', { kind: 'body', body: { supplier: 'faulty', offers: [{ offerId: 7, fare: 'cheap' }] } }],
    ['hanging without an answer', { kind: 'hang' }],
  ];

  it.each(cases)('%s: every search fails once within the supplier budget, acked, no socket left open', async (_case, behaviour) => {
    supplier.behave(behaviour);
    await startProvider();
    const searches = await Promise.all(
      Array.from({ length: SEARCHES }, () =>
        store.create({ from: 'CGK', to: 'DPS', date: '2030-07-10', passengers: 2 }, { searchId: randomUUID(), now: new Date(), timeoutMs: 60_000, ttlMs: 120_000 }),
      ),
    );
    await eventually(
      'every search failed',
      async () => (await Promise.all(searches.map((search) => store.get(search.search_id)))).every((state) => state?.status === 'failed'),
      { timeoutMs: SUPPLIER_BUDGET_MS + SLACK_MS },
    );
    for (const search of searches) {
      expect(await store.get(search.search_id)).toMatchObject({ status: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE' } });
      expect(await terminalEntries(search.search_id)).toEqual(['failed:SUPPLIERS_UNAVAILABLE']);
    }
    await eventually('the requests acked', async () => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP)) === 0);
    // A request the client never aborted would keep its socket (the supplier holds it open for ever).
    await eventually('no socket left open to the supplier', async () => (await supplier.connections()) === 0, {
      timeoutMs: FETCH_ABORTED_SOCKET_LINGER_MS + SLACK_MS,
    });
  });
});
