import type {} from './jest-global-setup';

/** Jest globalTeardown: stops the Redis the global setup started (nothing when REDIS_URL was given). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.skywayTestRedis?.teardown();
}
