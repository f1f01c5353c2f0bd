import Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { provisionRedis, startRedisServer } from '../src';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

describe('private redis-server', () => {
  it('answers while running and leaves no process or data dir after stop', async () => {
    const server = await startRedisServer();
    expect(await answers(server.url)).toBe(true);
    await server.stop();
    expect(isRunning(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(await answers(server.url)).toBe(false);
  });

  it('replays its AOF after a SIGKILL when restarted on the same dir and port', async () => {
    const first = await startRedisServer({ appendfsync: 'always' });
    const client = new Redis(first.url);
    await client.set('durable', 'yes');
    client.disconnect();
    await first.kill();
    expect(isRunning(first.pid)).toBe(false);

    const second = await startRedisServer({ appendfsync: 'always', dir: first.dir, port: first.port });
    const reader = new Redis(second.url);
    try {
      expect(await reader.get('durable')).toBe('yes');
    } finally {
      reader.disconnect();
      await second.stop();
    }
  });
});

describe('provisionRedis', () => {
  it('uses REDIS_URL when it is set, and owns nothing', async () => {
    const provisioned = await provisionRedis({ REDIS_URL: 'redis://example.invalid:6379' });
    expect(provisioned).toMatchObject({ url: 'redis://example.invalid:6379', source: 'REDIS_URL' });
    await provisioned.teardown();
  });

  it('otherwise starts a private redis-server and stops it on teardown', async () => {
    const provisioned = await provisionRedis({});
    expect(provisioned.source).toBe('redis-server');
    expect(await answers(provisioned.url)).toBe(true);
    await provisioned.teardown();
    expect(await answers(provisioned.url)).toBe(false);
  });
});
