import { redisKeys, type RedisKeys } from '@skyway/contracts';
import {
  RedisFailureLog,
  clientAddress,
  createRedisTopology,
  isRedisUnavailableError,
  waitForReady,
  type RedisCommands,
  type RedisTopology,
  type RedisTopologyConfig,
} from '@skyway/redis-connection';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { ConfigError } from './config';

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared command client (a single Redis or the cluster client): single-slot commands and pipelines only, never WATCH. */
    redis: RedisCommands;
    /** Where keys live: per-node transaction connections and node-bound blocking connections come from here. */
    redisTopology: RedisTopology;
    redisKeys: RedisKeys;
  }
}

export interface RedisPluginOptions {
  readonly redis: RedisTopologyConfig;
  readonly keyPrefix: string;
  /** `<service>:commands` in CLIENT LIST. */
  readonly service: string;
  /** SEARCH_PARTITIONS, for the services of the search pipeline: recorded in Redis by the first, checked by every other. */
  readonly searchPartitions?: number;
}

/** How long start-up waits for Redis to check the partition count before going on (and checking in the background). */
const PARTITION_CHECK_WAIT_MS = 2_000;
const PARTITION_CHECK_RETRY_MS = 1_000;

/**
 * Records this service's partition count under the namespace's `search-partitions` key unless one
 * is recorded, and returns the recorded one (`SET … NX GET`: one atomic command).
 */
async function recordedPartitions(redis: RedisCommands, keys: RedisKeys, count: number): Promise<number> {
  const previous = await redis.set(keys.searchPartitionCount, String(count), 'NX', 'GET');
  return previous === null ? count : Number(previous);
}

function partitionMismatch(recorded: number, configured: number): ConfigError {
  return new ConfigError(
    `SEARCH_PARTITIONS is ${configured} but the services already running on this Redis use ${recorded}: ` +
      'every main-service and provider-service must use the same value (see README, "Redis Cluster")',
  );
}

const redisConnection: FastifyPluginAsync<RedisPluginOptions> = async (app, options) => {
  const topology = createRedisTopology(options.redis, {
    connectionName: `${options.service}:commands`,
    onError: (error) => failures.failed(error),
  });
  const redis = topology.commands;
  const failures = new RedisFailureLog({ logger: app.log, failure: 'redis connection error', recovery: 'redis connection recovered', server: () => clientAddress(redis) });
  redis.on('ready', () => {
    if (!failures.recovered()) app.log.info({ topology: topology.mode }, 'redis connection ready');
  });
  const keys = redisKeys(options.keyPrefix, options.searchPartitions === undefined ? {} : { searchPartitions: options.searchPartitions });
  app.decorate<RedisCommands>('redis', redis);
  app.decorate('redisTopology', topology);
  app.decorate('redisKeys', keys);

  let partitionsChecked = options.searchPartitions === undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const checkPartitions = async (configured: number): Promise<void> => {
    const recorded = await recordedPartitions(redis, keys, configured);
    if (recorded !== configured) throw partitionMismatch(recorded, configured);
    partitionsChecked = true;
  };
  app.decorate('searchPartitionsChecked', () => partitionsChecked);
  if (options.searchPartitions !== undefined) {
    const configured = options.searchPartitions;
    const checkLater = (): void => {
      retryTimer = setTimeout(() => {
        checkPartitions(configured).catch((error: unknown) => {
          if (error instanceof ConfigError) app.log.fatal({ err: error }, error.message);
          else checkLater();
        });
      }, PARTITION_CHECK_RETRY_MS);
    };
    app.addHook('onReady', async () => {
      try {
        await waitForReady(redis, PARTITION_CHECK_WAIT_MS);
        await checkPartitions(configured);
      } catch (error) {
        // A mismatch stops the start-up; Redis unreachable is checked again until it answers (not ready meanwhile).
        if (!isRedisUnavailableError(error)) throw error;
        checkLater();
      }
    });
  }
  app.addHook('onClose', async () => {
    clearTimeout(retryTimer);
    topology.close();
  });
};

declare module 'fastify' {
  interface FastifyInstance {
    /** False until this service's SEARCH_PARTITIONS was found to agree with the one recorded in Redis. */
    searchPartitionsChecked(): boolean;
  }
}

/** Readiness check: a master answers PING (see `RedisTopology.checkMasters`), and the partition count was checked. */
export const redisReady = (app: FastifyInstance) => async (): Promise<true | string> => {
  const masters = await app.redisTopology.checkMasters();
  if (masters !== true) return masters;
  return app.searchPartitionsChecked() || 'SEARCH_PARTITIONS not checked against Redis yet (or it disagrees: see the log)';
};

/** Decorates the app with `redis` (shared command client), `redisTopology` and `redisKeys`; closes them on close. */
export const redisPlugin = fp(redisConnection, { name: 'redis', fastify: '5.x' });
