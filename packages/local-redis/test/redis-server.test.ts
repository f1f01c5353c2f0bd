import Redis from 'ioredis';
import { existsSync } from 'node:fs';
import { freePort, redisAnswers, startRedisServer } from '../src';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('redisAnswers', () => {
  it('is false, without throwing, where nothing listens', async () => {
    expect(await redisAnswers(`redis://127.0.0.1:${await freePort()}`)).toBe(false);
  });
});

describe('private redis-server', () => {
  it('answers while running and leaves no process or data dir after stop', async () => {
    const server = await startRedisServer();
    expect(await redisAnswers(server.url)).toBe(true);
    await server.stop();
    expect(isRunning(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(await redisAnswers(server.url)).toBe(false);
  });

  it('runs in its own process group when asked, so a group signal to its owner does not reach it', async () => {
    const server = await startRedisServer({ ownProcessGroup: true });
    try {
      // A group leader's process group id is its own pid: signalling that group reaches only it.
      expect(() => process.kill(-server.pid, 0)).not.toThrow();
    } finally {
      await server.stop();
    }
    expect(isRunning(server.pid)).toBe(false);
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
