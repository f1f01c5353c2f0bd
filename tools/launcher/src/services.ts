import type { LauncherConfig } from './config';

export type ServiceName = 'mock-supplier' | 'provider-service' | 'main-service';

/** One app to run: `node apps/<name>/dist/main.js` with `env` on top of the launcher's environment. */
export interface ServicePlan {
  readonly name: ServiceName;
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Where the services' Redis is: a single Redis, or a cluster's seeds (`REDIS_CLUSTER_NODES`). */
export interface RedisPlan {
  readonly url: string;
  readonly clusterNodes?: string;
}

/** The three apps, in start order, wired to each other and to the Redis of `redis` on loopback. */
export function planServices(config: LauncherConfig, redis: RedisPlan): ServicePlan[] {
  const url = (name: ServiceName) => `http://127.0.0.1:${config.ports[name]}`;
  const common = (name: ServiceName) => ({
    REDIS_URL: redis.url,
    ...(redis.clusterNodes ? { REDIS_CLUSTER_NODES: redis.clusterNodes } : {}),
    HOST: '127.0.0.1',
    PORT: String(config.ports[name]),
  });
  return [
    { name: 'mock-supplier', url: url('mock-supplier'), env: common('mock-supplier') },
    { name: 'provider-service', url: url('provider-service'), env: { ...common('provider-service'), SUPPLIER_URLS: url('mock-supplier') } },
    { name: 'main-service', url: url('main-service'), env: { ...common('main-service'), JOURNEY_API_TOKEN: config.journeyApiToken.value } },
  ];
}
