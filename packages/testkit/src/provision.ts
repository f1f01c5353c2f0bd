import { spawnSync } from 'node:child_process';
import { isRedisServerInstalled, startRedisServer } from '@skyway/local-redis';

export interface ProvisionedRedis {
  readonly url: string;
  /** Where it came from, for the log line at the start of a run. */
  readonly source: 'REDIS_URL' | 'redis-server' | 'testcontainers';
  teardown(): Promise<void>;
}

export const HOW_TO_GET_REDIS =
  'Skyway tests need a real Redis. Either set REDIS_URL=redis://host:port, or install redis-server ' +
  '(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis), or run a Docker engine ' +
  'so Testcontainers can start one.';

function dockerEngineReachable(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/**
 * Finds the Redis a test run uses (SPEC §9): `REDIS_URL` if set; else a private `redis-server` on
 * a free port; else a Testcontainers Redis when a Docker engine answers; else an error saying how
 * to get Redis.
 */
export async function provisionRedis(env: NodeJS.ProcessEnv = process.env): Promise<ProvisionedRedis> {
  if (env.REDIS_URL) {
    return { url: env.REDIS_URL, source: 'REDIS_URL', teardown: async () => undefined };
  }
  if (isRedisServerInstalled()) {
    const server = await startRedisServer();
    return { url: server.url, source: 'redis-server', teardown: () => server.stop() };
  }
  if (dockerEngineReachable()) {
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    return {
      url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      source: 'testcontainers',
      teardown: async () => {
        await container.stop();
      },
    };
  }
  throw new Error(HOW_TO_GET_REDIS);
}
