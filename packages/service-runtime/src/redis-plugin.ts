import { redisKeys, type RedisKeys } from '@skyway/contracts';
import { RedisFailureLog, createRedisClient, pingRedis } from '@skyway/redis-connection';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type Redis from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared command connection: single commands and pipelines only, never WATCH. */
    redis: Redis;
    redisKeys: RedisKeys;
  }
}

export interface RedisPluginOptions {
  readonly url: string;
  readonly keyPrefix: string;
  /** `<service>:commands` in CLIENT LIST. */
  readonly service: string;
}

const redisConnection: FastifyPluginAsync<RedisPluginOptions> = async (app, options) => {
  const redis = createRedisClient(options.url, {
    connectionName: `${options.service}:commands`,
    onError: (error) => failures.failed(error),
  });
  const failures = new RedisFailureLog({ logger: app.log, failure: 'redis connection error', recovery: 'redis connection recovered', server: redis });
  redis.on('ready', () => {
    if (!failures.recovered()) app.log.info('redis connection ready');
  });
  app.decorate('redis', redis);
  app.decorate('redisKeys', redisKeys(options.keyPrefix));
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
};

/** Readiness check: the shared connection answers PING. */
export const redisReady = (redis: Redis) => async (): Promise<true | string> =>
  (await pingRedis(redis)) || `redis ${redis.status}`;

/** Decorates the app with `redis` (shared command connection) and `redisKeys`; closes it on close. */
export const redisPlugin = fp(redisConnection, { name: 'redis', fastify: '5.x' });
