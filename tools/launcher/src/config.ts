import { Type } from '@sinclair/typebox';
import { commonEnv, parseEnv } from '@skyway/service-runtime';

/** Printed by `pnpm start` and set by docker-compose unless JOURNEY_API_TOKEN is given: never use it in production. */
export const DEV_JOURNEY_API_TOKEN = 'skyway-dev-token-not-for-production';

const port = (defaultPort: number, description: string) => Type.Integer({ minimum: 1, maximum: 65_535, default: defaultPort, description });

export const LauncherEnv = Type.Object({
  REDIS_URL: commonEnv(0).REDIS_URL,
  REDIS_CLUSTER_NODES: commonEnv(0).REDIS_CLUSTER_NODES,
  LOCAL_REDIS_CLUSTER: Type.Boolean({
    default: false,
    description: 'Start a private local Redis Cluster (3 masters + 3 replicas) and run the services on it (`pnpm start:cluster`)',
  }),
  JOURNEY_API_TOKEN: Type.Optional(Type.String({ minLength: 16, description: `Defaults to the development token ${DEV_JOURNEY_API_TOKEN}` })),
  // SPEC §2 fixes 3000, 3200 and 3100; these exist so a second stack (or a test) can run beside the first.
  MAIN_SERVICE_PORT: port(3000, 'main-service port'),
  PROVIDER_SERVICE_PORT: port(3200, 'provider-service port'),
  MOCK_SUPPLIER_PORT: port(3100, 'mock-supplier port'),
});

export interface LauncherConfig {
  readonly redisUrl: string;
  /** REDIS_CLUSTER_NODES as given: the services run on that cluster (its credentials and TLS from REDIS_URL). */
  readonly redisClusterNodes: string | undefined;
  readonly localRedisCluster: boolean;
  /** `fromEnvironment` tokens are the user's own and are never printed. */
  readonly journeyApiToken: { readonly value: string; readonly fromEnvironment: boolean };
  readonly ports: { readonly 'main-service': number; readonly 'provider-service': number; readonly 'mock-supplier': number };
}

export function parseConfig(env: NodeJS.ProcessEnv): LauncherConfig {
  const parsed = parseEnv(LauncherEnv, env);
  return {
    redisUrl: parsed.REDIS_URL,
    redisClusterNodes: parsed.REDIS_CLUSTER_NODES?.trim() || undefined,
    localRedisCluster: parsed.LOCAL_REDIS_CLUSTER,
    journeyApiToken: parsed.JOURNEY_API_TOKEN
      ? { value: parsed.JOURNEY_API_TOKEN, fromEnvironment: true }
      : { value: DEV_JOURNEY_API_TOKEN, fromEnvironment: false },
    ports: {
      'main-service': parsed.MAIN_SERVICE_PORT,
      'provider-service': parsed.PROVIDER_SERVICE_PORT,
      'mock-supplier': parsed.MOCK_SUPPLIER_PORT,
    },
  };
}
