import { redisKeys, searchIdempotencyKey, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology } from '@skyway/redis-connection';
import { SearchStore } from '@skyway/search-state';
import { eventually, isolatedRedis, searchStreamEntries, type IsolatedRedis } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { buildApp, type MainServiceDeps } from '../src/app';
import { parseConfig } from '../src/config';

const DAY_MS = 86_400_000;
const utcDate = (offsetDays: number): string => new Date(Date.now() + offsetDays * DAY_MS).toISOString().slice(0, 10);
const SEARCH_TTL_MS = 120_000;

interface Answer {
  readonly status: number;
  readonly location: string | null;
  readonly retryAfter: string | null;
  readonly body: { success: boolean; message: string; data?: { search_id: string }; errors?: Array<{ field: string }> };
}

describe('Idempotency-Key on POST /api/flights/search (two replicas, real Redis, real sockets)', () => {
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  const apps: FastifyInstance[] = [];
  const search = { from: 'CGK', to: 'DPS', date: utcDate(20), passengers: 2 };

  beforeEach(async () => {
    redis = await isolatedRedis('idempotency');
    keys = redisKeys(redis.prefix);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis.cleanup();
  });

  async function replica(deps: MainServiceDeps = {}): Promise<string> {
    const config = parseConfig({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      LOG_LEVEL: 'silent',
      SEED_JOURNEYS: 'none',
      SEARCH_TTL_MS: String(SEARCH_TTL_MS),
      SEARCH_RATE_LIMIT_MAX: '1000',
    });
    const app = await buildApp(config, deps);
    apps.push(app);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    await eventually('the replica to be ready', async () => (await app.inject('/health/ready')).statusCode === 200);
    return url;
  }

  async function post(url: string, idempotencyKey: string | undefined, body: unknown = search): Promise<Answer> {
    const response = await fetch(`${url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Answer['body'],
    };
  }

  const requestedSearches = async (): Promise<number> => (await searchStreamEntries(redis.client, keys, 'requested')).length;

  it('concurrent retries with one key on two replicas start exactly one search; every 202 names it, the rest are 409 with Retry-After', async () => {
    const replicas = [await replica(), await replica()];
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => post(replicas[index % 2] ?? '', key)));

    expect(await requestedSearches()).toBe(1);
    const accepted = answers.filter((answer) => answer.status === 202);
    const searchIds = new Set(accepted.map((answer) => answer.body.data?.search_id));
    expect(searchIds.size).toBe(1);
    const [searchId] = [...searchIds];
    expect(await redis.client.exists(keys.search(searchId ?? ''))).toBe(1);
    for (const answer of accepted) expect(answer.location).toBe(`/api/flights/search/${searchId}/stream`);
    // The others met the first request before its search existed: the IETF draft's 409, retry soon.
    expect(answers.filter((answer) => answer.status !== 202).map((answer) => [answer.status, answer.retryAfter, answer.body.success])).toEqual(
      answers.filter((answer) => answer.status !== 202).map(() => [409, '1', false]),
    );

    // Retried after the first answer was lost: the same search, from either replica, nothing new started.
    for (const url of replicas) {
      const retry = await post(url, key);
      expect([retry.status, retry.body.data?.search_id, retry.location]).toEqual([202, searchId, `/api/flights/search/${searchId}/stream`]);
    }
    // The quoted structured-field form is the same key.
    expect((await post(replicas[0] ?? '', `"${key}"`)).body.data?.search_id).toBe(searchId);
    expect(await requestedSearches()).toBe(1);
  });

  it('remembers a key for the documented window: exactly as long as its search is readable (SEARCH_TTL_MS)', async () => {
    const url = await replica();
    const key = randomUUID();
    const first = await post(url, key);
    const searchId = first.body.data?.search_id ?? '';
    const remembered = await redis.client.pttl(searchIdempotencyKey(redis.prefix, key));
    expect(remembered).toBeGreaterThan(0);
    expect(await redis.client.call('PEXPIRETIME', searchIdempotencyKey(redis.prefix, key))).toBe(await redis.client.call('PEXPIRETIME', keys.search(searchId)));
    expect(remembered).toBeLessThanOrEqual(SEARCH_TTL_MS);
  });

  it('the same key with a different body is a 422 and starts nothing; lowercase codes are the same request', async () => {
    const url = await replica();
    const key = randomUUID();
    const first = await post(url, key);
    expect(first.status).toBe(202);
    const other = await post(url, key, { ...search, passengers: 3 });
    expect([other.status, other.body.success, other.body.message]).toEqual([422, false, expect.stringContaining('Idempotency-Key')]);
    const sameRequest = await post(url, key, { ...search, from: 'cgk', to: 'dps' });
    expect([sameRequest.status, sameRequest.body.data?.search_id]).toEqual([202, first.body.data?.search_id]);
    expect(await requestedSearches()).toBe(1);
  });

  it('without a key, or with different keys, every request starts its own search', async () => {
    const url = await replica();
    await post(url, undefined);
    await post(url, undefined);
    await post(url, randomUUID());
    await post(url, randomUUID());
    expect(await requestedSearches()).toBe(4);
  });

  it.each([['a key with characters a Redis key name must not get', 'a{b}*c'], ['an empty quoted key', '""'], ['a key over 128 characters', 'k'.repeat(129)]])(
    '%s is a 400 naming the header, before Redis is touched',
    async (_name, key) => {
      const url = await replica();
      const answer = await post(url, key);
      expect([answer.status, answer.body.message, answer.body.errors?.map((error) => error.field)]).toEqual([400, 'Invalid request', ['headers.idempotency-key']]);
      expect(await requestedSearches()).toBe(0);
      expect((await redis.keys()).filter((name) => name.includes('idempotency:{'))).toEqual([]);
    },
  );

  it('a search that could not be created releases its key: the retry starts the search', async () => {
    // A store whose connection is closed: creating a search fails as with Redis unreachable.
    const closed = singleRedisTopology(redis.url, { connectionName: 'test:closed' });
    closed.close();
    const failing = new SearchStore({ topology: closed, keys, service: 'test-failing' });
    const key = randomUUID();
    try {
      const failed = await post(await replica({ searchStore: failing }), key);
      expect([failed.status, failed.retryAfter]).toEqual([503, '2']);
      expect(await redis.client.exists(searchIdempotencyKey(redis.prefix, key))).toBe(0);
    } finally {
      await failing.close();
    }
    const retry = await post(await replica(), key);
    expect(retry.status).toBe(202);
    expect(await requestedSearches()).toBe(1);
  });
});
