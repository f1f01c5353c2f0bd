import { healthPlugin, loggerOptions, redisPlugin, redisReady } from '@skyway/service-runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ProviderServiceConfig } from './config';

/** Collaborators a test may replace; production uses the defaults. */
export interface ProviderServiceDeps {
  readonly now?: () => Date;
}

/**
 * The provider replica: a small HTTP server (health, metrics) around the stream consumer.
 * `main.ts` listens; tests use `inject` or `listen(0)`.
 */
export async function buildApp(config: ProviderServiceConfig, _deps: ProviderServiceDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions('provider-service', config) });
  await app.register(redisPlugin, { url: config.redisUrl, keyPrefix: config.redisKeyPrefix, service: 'provider-service' });
  await app.register(healthPlugin, { checks: { redis: redisReady(app.redis) } });
  return app;
}
