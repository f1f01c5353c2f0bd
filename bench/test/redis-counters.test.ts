import { startRedisServer, type RedisServer } from '@skyway/local-redis';
import Redis from 'ioredis';
import { countersBetween, readCounters, totalCalls } from '../src/redis-counters';

describe('Redis counters of bench:cluster-spread (a private redis-server: the counters are server-wide)', () => {
  let server: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it('counts the commands between two readings by name, inside MULTI too, without the INFO calls that read them', async () => {
    const before = await readCounters(client);
    for (let n = 0; n < 5; n++) await client.set(`key:${n}`, 'value');
    await client.multi().incr('counter').xadd('stream', '*', 'field', 'value').exec();
    const between = countersBetween(before, await readCounters(client));

    expect(between.calls).toEqual({ set: 5, multi: 1, incr: 1, xadd: 1, exec: 1 });
    expect(totalCalls(between)).toBe(9);
    expect(between.cpuMs).toBeGreaterThanOrEqual(0);
  });
});
