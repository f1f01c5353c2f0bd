import { eventually, freePort, isolatedRedis, type IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { RedisUnavailableError, TransactionPool, singleRedisTopology, waitForReady, type RedisTopology, type TransactionPoolOptions } from '../src';

describe('TransactionPool (real Redis)', () => {
  let redis: IsolatedRedis;
  let base: RedisTopology;
  const pools: TransactionPool[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('transaction-pool');
    base = singleRedisTopology(redis.url, { connectionName: 'transaction-pool-test:commands' });
    await waitForReady(base.commands, 5_000);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
    base.close();
    await redis.cleanup();
  });

  const connectionName = (): string => `tx-${redis.prefix.replace(/:/g, '')}`;
  function pool(options: Partial<TransactionPoolOptions> = {}, from: RedisTopology = base): TransactionPool {
    const created = new TransactionPool(from, { connectionName: connectionName(), size: 2, acquireTimeoutMs: 2_000, ...options });
    pools.push(created);
    return created;
  }
  const namedInClientList = async (): Promise<number> =>
    String(await redis.client.client('LIST')).split('\n').filter((line) => line.includes(` name=${connectionName()} `)).length;

  it('lends each borrower a named connection of its own, at most `size`, and reuses released ones', async () => {
    const created: Redis[] = [];
    const transactions = pool({ size: 2, acquireTimeoutMs: 200, onConnection: (connection) => created.push(connection) });

    const first = await transactions.acquire('key');
    const second = await transactions.acquire('key');
    expect(first).not.toBe(second);
    expect(created).toEqual([first, second]);
    expect(transactions.size).toBe(2);
    expect(await namedInClientList()).toBe(2);

    const third = transactions.acquire('key');
    await expect(third).rejects.toThrow(RedisUnavailableError);
    await expect(third).rejects.toThrow('no transaction connection available within 200 ms');

    await transactions.release(first);
    const reused = await transactions.acquire('key');
    expect([first, second]).toContain(reused);
    expect(created).toHaveLength(2);
    await Promise.all([transactions.release(reused), transactions.release(second)]);
  });

  it('refuses at once while the shared client is not ready, creating no connection', async () => {
    const unreachable = singleRedisTopology(`redis://127.0.0.1:${await freePort()}`, { connectionName: 'transaction-pool-test:down' });
    try {
      const created: Redis[] = [];
      const transactions = pool({ onConnection: (connection) => created.push(connection) }, unreachable);
      await expect(transactions.acquire('key')).rejects.toThrow(RedisUnavailableError);
      await expect(transactions.acquire('key')).rejects.toThrow(/^Redis connection is /);
      expect(created).toEqual([]);
    } finally {
      unreachable.close();
    }
  });

  it('never lends again a connection that lost its socket, even once it has reconnected (its WATCH is gone)', async () => {
    const transactions = pool({ size: 1 });
    const connection = await transactions.acquire('key');
    expect(transactions.isBroken(connection)).toBe(false);
    await transactions.release(connection);

    await redis.client.client('KILL', 'ID', String(await connection.client('ID')));
    await eventually('the killed connection reconnected', () => transactions.isBroken(connection) && connection.status === 'ready');

    const next = await transactions.acquire('key');
    expect(next).not.toBe(connection);
    expect(transactions.isBroken(next)).toBe(false);
    await eventually('the broken connection closed', () => connection.status === 'end');
    expect(transactions.size).toBe(1);
    await transactions.release(next);
  });

  it('closes a destroyed connection at once, and idle ones after `idleTimeoutMs`', async () => {
    const transactions = pool({ size: 2, idleTimeoutMs: 1_000 });
    const destroyed = await transactions.acquire('key');
    const idle = await transactions.acquire('key');
    await transactions.destroy(destroyed);
    expect(transactions.size).toBe(1);
    await eventually('the destroyed connection closed', () => destroyed.status === 'end');

    await transactions.release(idle);
    await eventually('the idle connection evicted', () => transactions.size === 0 && idle.status === 'end');
    expect(await namedInClientList()).toBe(0);
  });

  it('close() waits for borrowed connections, closes every one, and refuses afterwards', async () => {
    const transactions = pool({ size: 2 });
    const borrowed = await transactions.acquire('key');
    const closing = transactions.close();
    await transactions.release(borrowed);
    await closing;
    expect(transactions.size).toBe(0);
    await eventually('every pooled connection gone from CLIENT LIST', async () => (await namedInClientList()) === 0);
    await expect(transactions.acquire('key')).rejects.toThrow(RedisUnavailableError);
  });
});
