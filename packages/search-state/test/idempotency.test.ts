import { exampleFlightSearchRequest, searchIdempotencyKey } from '@skyway/contracts';
import { isolatedTopology, testTopologies, type IsolatedTopology } from '@skyway/testkit';
import { randomUUID } from 'node:crypto';
import { SearchIdempotency } from '../src';

describe.each(testTopologies())('SearchIdempotency on a $name', (topology) => {
  let redis: IsolatedTopology;
  let idempotency: SearchIdempotency;

  beforeEach(async () => {
    redis = await isolatedTopology(topology, 'idempotency');
    idempotency = new SearchIdempotency({ commands: redis.client, keyPrefix: redis.prefix });
  });
  afterEach(async () => {
    await redis.cleanup();
  });

  const expiresAt = (): number => Date.now() + 60_000;

  it('runs create once for any number of concurrent starts with one key; the others see it in progress, then replayed', async () => {
    const key = randomUUID();
    const created: string[] = [];
    const create = async (searchId: string): Promise<number> => {
      created.push(searchId);
      return expiresAt();
    };
    const outcomes = await Promise.all(Array.from({ length: 16 }, () => idempotency.startOnce(key, exampleFlightSearchRequest, randomUUID(), create)));
    expect(created).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'started')).toEqual([{ kind: 'started', searchId: created[0] }]);
    expect(outcomes.every((outcome) => outcome.kind === 'started' || outcome.kind === 'in-progress' || (outcome.kind === 'replayed' && outcome.searchId === created[0]))).toBe(true);
    expect(await idempotency.startOnce(key, exampleFlightSearchRequest, randomUUID(), create)).toEqual({ kind: 'replayed', searchId: created[0] });
    expect(created).toHaveLength(1);
  });

  it('expires the key with the search, and refuses another request under it', async () => {
    const key = randomUUID();
    const searchExpiry = expiresAt();
    await idempotency.startOnce(key, exampleFlightSearchRequest, randomUUID(), async () => searchExpiry);
    expect(Number(await redis.client.call('PEXPIRETIME', searchIdempotencyKey(redis.prefix, key)))).toBe(searchExpiry);
    const other = await idempotency.startOnce(key, { ...exampleFlightSearchRequest, passengers: 5 }, randomUUID(), async () => expiresAt());
    expect(other).toEqual({ kind: 'mismatch' });
  });

  it('releases the key when create fails, so a retry starts afresh', async () => {
    const key = randomUUID();
    await expect(idempotency.startOnce(key, exampleFlightSearchRequest, randomUUID(), async () => Promise.reject(new Error('storage down')))).rejects.toThrow('storage down');
    expect(await redis.client.exists(searchIdempotencyKey(redis.prefix, key))).toBe(0);
    const retried = await idempotency.startOnce(key, exampleFlightSearchRequest, 'the-retry', async () => expiresAt());
    expect(retried).toEqual({ kind: 'started', searchId: 'the-retry' });
  });
});
