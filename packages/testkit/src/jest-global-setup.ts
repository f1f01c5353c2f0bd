import { startRedisCluster, type RedisCluster } from '@skyway/local-redis';
import { provisionRedis, type ProvisionedRedis } from './provision';

declare global {
  var skywayTestRedis: ProvisionedRedis | undefined;
  var skywayTestCluster: RedisCluster | undefined;
}

/** Jest globalSetup: one Redis for the run; workers inherit REDIS_URL and isolate by key prefix. */
export default async function globalSetup(): Promise<void> {
  const redis = await provisionRedis();
  globalThis.skywayTestRedis = redis;
  process.env.REDIS_URL = redis.url;
  process.stdout.write(`\n[testkit] Redis for this run: ${redis.url} (${redis.source})\n`);
  // The cluster suites run against a private local Redis Cluster (SPEC §9): 3 masters + 3 replicas.
  const cluster = await startRedisCluster();
  globalThis.skywayTestCluster = cluster;
  process.env.SKYWAY_TEST_CLUSTER_NODES = cluster.seeds;
  process.stdout.write(`[testkit] Redis Cluster for this run: ${cluster.seeds}\n`);
}
