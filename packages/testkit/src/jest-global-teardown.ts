import type {} from './jest-global-setup';

/** Jest globalTeardown: stops the Redis (nothing when REDIS_URL was given) and the Redis Cluster the global setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.skywayTestRedis?.teardown();
  await globalThis.skywayTestCluster?.stop();
}
