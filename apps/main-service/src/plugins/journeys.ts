import type { NewJourney } from '@skyway/contracts';
import { JourneyChangeFeed, JourneyStore, type JourneyStoreObserver, type JourneyStoreOptions } from '@skyway/journey-store';
import { RedisFailureLog, clientAddress, waitForReady } from '@skyway/redis-connection';
import { journeyStoreMetrics, redisConnectionMetrics } from '@skyway/telemetry';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type Redis from 'ioredis';
import type { MainServiceConfig } from '../config';
import { seedJourneys } from '../journeys/seed';

declare module 'fastify' {
  interface FastifyInstance {
    journeyStore: JourneyStore;
    /** This process's one reader of journey change streams, for SSE. */
    journeyFeed: JourneyChangeFeed;
  }
}

export interface JourneysOptions {
  readonly config: MainServiceConfig;
  /** Store settings a test overrides (e.g. `maxAttempts: 1`); production uses the defaults. */
  readonly storeOptions?: JourneyStoreOptions;
}

/** The actor of the bundled (or `SEED_JOURNEYS`) journeys' `created` events. */
const SEED_AUTHOR = { actor: 'seed' } as const;

/** A seed attempt that failed (Redis down at start) is retried this much later. */
const SEED_RETRY_MS = 2_000;

/**
 * Journey storage for the routes: the store (optimistic updates with group commit on pooled
 * connections, metrics attached), the change feed (one blocking reader per process, fanning out
 * to SSE clients), and loading the seed journeys at start without overwriting existing ones.
 */
const journeys: FastifyPluginAsync<JourneysOptions> = async (app, { config, storeOptions }) => {
  const log = app.log.child({ component: 'journeys' });
  const seed = seedJourneys(config.seedJourneys);
  const metrics = journeyStoreMetrics(app.metricsRegistry);
  const connections = redisConnectionMetrics(app.metricsRegistry);
  // The transaction connections and the change feed's reader share one log: one outage, one line per cause.
  const connectionFailures = new RedisFailureLog({ logger: log, failure: 'journey connection error', recovery: 'journey connection recovered', server: () => clientAddress(app.redis) });
  const watchConnection = (connection: Redis): void => {
    connections.watch(connection);
    connection.on('ready', () => connectionFailures.recovered());
  };
  const observer: JourneyStoreObserver = {
    ...metrics,
    onExhausted(journeyId, attempts) {
      metrics.onExhausted(journeyId, attempts);
      log.warn({ journeyId, attempts }, 'journey update retries exhausted');
    },
    onConnectionError(error) {
      metrics.onConnectionError(error);
      connectionFailures.failed(error);
    },
    onSlotMoved: () => connections.slotMoved('main-service:journey-tx'),
  };
  const store = new JourneyStore(app.redisTopology, {
    keyPrefix: config.redisKeyPrefix,
    connectionName: 'main-service:journey-tx',
    observer,
    onConnection: watchConnection,
    replicaAcks: config.replicaAcks,
    ...storeOptions,
  });
  const feed = new JourneyChangeFeed({
    keys: store.keys,
    topology: app.redisTopology,
    connectionName: 'main-service:journey-feed',
    onConnection: watchConnection,
    onError: observer.onConnectionError,
  });
  app.decorate('journeyStore', store);
  app.decorate('journeyFeed', feed);

  let seedRetry: NodeJS.Timeout | undefined;
  let closing = false;
  // Its recovery line is `seed journeys loaded`: the retries end there.
  const seedFailures = new RedisFailureLog({ logger: log, failure: `seeding journeys failed; retrying every ${SEED_RETRY_MS} ms`, server: () => clientAddress(app.redis) });
  async function loadSeed(journeysToSeed: readonly NewJourney[]): Promise<void> {
    try {
      const outcomes = await Promise.all(journeysToSeed.map((journey) => store.create(journey, SEED_AUTHOR)));
      const created = outcomes.filter((outcome) => outcome.kind === 'created').length;
      log.info({ created, existing: outcomes.length - created }, 'seed journeys loaded');
    } catch (error) {
      if (closing) return;
      seedFailures.failed(error);
      seedRetry = setTimeout(() => void loadSeed(journeysToSeed), SEED_RETRY_MS);
      seedRetry.unref();
    }
  }

  app.addHook('onReady', async () => {
    if (seed.length === 0) return;
    await waitForReady(app.redis, 2_000).catch(() => undefined);
    await loadSeed(seed);
  });
  app.addHook('onClose', async () => {
    closing = true;
    clearTimeout(seedRetry);
    await feed.close();
    await store.close();
  });
};

export default fp(journeys, { name: 'journeys', fastify: '5.x', dependencies: ['redis'] });
