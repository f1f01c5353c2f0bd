import { PROVIDER_GROUP, STREAMS } from '@skyway/contracts';
import { healthPlugin, loggingOptions, requestLogging, redisPlugin, redisReady } from '@skyway/service-runtime';
import { consumerGroupMetricsPlugin, redisConnectionMetrics, streamConsumerMetrics, telemetryPlugin } from '@skyway/telemetry';
import type { StreamConsumerObserver } from '@skyway/stream-consumer';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ProviderServiceConfig } from './config';
import searchWorker from './plugins/search-worker';

/** Collaborators a test may replace; production uses the defaults. */
export interface ProviderServiceDeps {
  readonly now?: () => Date;
  /** Hook points on the request consumer; by default its metrics. */
  readonly consumerObserver?: StreamConsumerObserver;
}

/**
 * The provider replica: a small HTTP server (health, metrics) around the stream consumer.
 * `main.ts` listens; tests use `inject` or `listen(0)`.
 */
export async function buildApp(config: ProviderServiceConfig, deps: ProviderServiceDeps = {}): Promise<FastifyInstance> {
  const app = Fastify(loggingOptions('provider-service', config));
  // First: it traces the routes registered after it and serves /metrics.
  await app.register(telemetryPlugin);
  await app.register(requestLogging);
  await app.register(redisPlugin, {
    redis: config.redis,
    keyPrefix: config.redisKeyPrefix,
    service: 'provider-service',
    searchPartitions: config.searchPartitions,
  });
  redisConnectionMetrics(app.metricsRegistry).watch(app.redis);
  await app.register(consumerGroupMetricsPlugin, {
    redis: app.redis,
    targets: app.redisKeys.searchPartitions.map((partition) => ({
      key: partition.requested,
      stream: STREAMS.searchRequested,
      group: PROVIDER_GROUP,
      partition: String(partition.index),
    })),
  });
  await app.register(searchWorker, {
    config,
    now: deps.now ?? (() => new Date()),
    observer: deps.consumerObserver ?? streamConsumerMetrics(app.metricsRegistry, { stream: STREAMS.searchRequested, group: PROVIDER_GROUP }),
  });
  await app.register(healthPlugin, {
    checks: {
      redis: redisReady(app),
      consumerGroup: async () => app.searchConsumers.every((consumer) => consumer.isJoined()) || 'not joined to the consumer group of every partition',
    },
  });
  return app;
}
