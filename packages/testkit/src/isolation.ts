import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { HOW_TO_GET_REDIS } from './provision';

/** The URL of the run's Redis, provisioned by the Jest global setup. */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error(`REDIS_URL is not set: run tests through Jest's global setup. ${HOW_TO_GET_REDIS}`);
  return url;
}

/** A key prefix no other test uses; pass it to the code under test as its Redis key prefix. */
export function uniqueKeyPrefix(label = 'test'): string {
  return `${label}:${randomBytes(6).toString('hex')}:`;
}

/** A test's own namespace in the shared test Redis, and a client to inspect it. */
export interface IsolatedRedis {
  readonly url: string;
  readonly prefix: string;
  readonly client: Redis;
  /** Every key of this namespace. */
  keys(): Promise<string[]>;
  /** Deletes this namespace's keys and closes the client. */
  cleanup(): Promise<void>;
}

export async function isolatedRedis(label?: string): Promise<IsolatedRedis> {
  const url = testRedisUrl();
  const prefix = uniqueKeyPrefix(label);
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return {
    url,
    prefix,
    client,
    keys,
    async cleanup() {
      await deleteNamespace(client, prefix);
      await client.quit();
    },
  };
}

/** Deletes every key under `prefix` (a test's namespace, or a benchmark's on a shared REDIS_URL). */
export async function deleteNamespace(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
