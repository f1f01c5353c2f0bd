import { provisionRedis, type ProvisionedRedis } from './provision';

declare global {
  var skywayTestRedis: ProvisionedRedis | undefined;
}

/** Jest globalSetup: one Redis for the run; workers inherit REDIS_URL and isolate by key prefix. */
export default async function globalSetup(): Promise<void> {
  const redis = await provisionRedis();
  globalThis.skywayTestRedis = redis;
  process.env.REDIS_URL = redis.url;
  process.stdout.write(`\n[testkit] Redis for this run: ${redis.url} (${redis.source})\n`);
}
