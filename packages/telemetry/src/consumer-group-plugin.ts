import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { RedisFailureLog, clientAddress } from '@skyway/redis-connection';
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { consumerGroupSampler, type ConsumerGroupTarget } from './metrics/consumer-group';

export interface ConsumerGroupMetricsOptions {
  readonly redis: Redis | Cluster;
  readonly targets: readonly ConsumerGroupTarget[];
  readonly intervalMs?: number;
}

/** Samples the targets' consumer-group lag and pending entries into `app.metricsRegistry` while the app runs. */
const consumerGroupMetrics: FastifyPluginAsync<ConsumerGroupMetricsOptions> = async (app, options) => {
  const failures = new RedisFailureLog({
    logger: app.log,
    failure: 'consumer group metrics sample failed',
    recovery: 'consumer group metrics sampled again',
    server: () => clientAddress(options.redis),
  });
  const sampler = consumerGroupSampler({
    registry: app.metricsRegistry,
    redis: options.redis,
    targets: options.targets,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    onError: (error) => failures.failed(error),
    onSampled: () => void failures.recovered(),
  });
  app.addHook('onReady', async () => sampler.start());
  app.addHook('onClose', async () => sampler.stop());
};

export const consumerGroupMetricsPlugin = fp(consumerGroupMetrics, {
  name: 'skyway-consumer-group-metrics',
  fastify: '5.x',
  dependencies: ['skyway-telemetry'],
});
