import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { RepeatedFailureFilter } from '@skyway/redis-connection';
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
  const failures = new RepeatedFailureFilter();
  const sampler = consumerGroupSampler({
    registry: app.metricsRegistry,
    redis: options.redis,
    targets: options.targets,
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    onError: (error) => {
      if (failures.isNew(error)) app.log.warn({ err: error }, 'consumer group metrics sample failed');
    },
  });
  app.addHook('onReady', async () => sampler.start());
  app.addHook('onClose', async () => sampler.stop());
};

export const consumerGroupMetricsPlugin = fp(consumerGroupMetrics, {
  name: 'skyway-consumer-group-metrics',
  fastify: '5.x',
  dependencies: ['skyway-telemetry'],
});
