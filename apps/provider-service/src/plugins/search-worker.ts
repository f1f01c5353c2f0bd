import { PROVIDER_GROUP, SearchRequestedMessage, STREAMS, createStreamCodec } from '@skyway/contracts';
import { NodeBoundConnection, logConnectionFailures, waitForReady } from '@skyway/redis-connection';
import { SearchStore } from '@skyway/search-state';
import { DEFAULT_SHUTDOWN_DEADLINE_MS } from '@skyway/service-runtime';
import { ConcurrencyLimit, StreamConsumer, type StreamConsumerObserver } from '@skyway/stream-consumer';
import {
  redisConnectionMetrics,
  supplierCallMetrics,
  traceContextOfEntry,
  traceIdOf,
  withConsumerSpan,
  withProducerSpan,
  type StreamTraceContext,
} from '@skyway/telemetry';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Agent } from 'undici';
import type { ProviderServiceConfig } from '../config';
import { createDeadLetterHandler, createSearchHandler, searchIdOfEntry, type PublishInSpan } from '../search/search-processor';
import { createSupplierClient } from '../suppliers/supplier-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This replica's consumers of `flight.search.requested`, one per partition. */
    searchConsumers: readonly StreamConsumer<SearchRequestedMessage>[];
  }
}

export interface SearchWorkerOptions {
  readonly config: ProviderServiceConfig;
  readonly now: () => Date;
  readonly observer: StreamConsumerObserver;
}

/** In-flight searches get this long after SIGTERM; under the process's own hard deadline. */
export const WORKER_STOP_DEADLINE_MS = DEFAULT_SHUTDOWN_DEADLINE_MS - 2_000;

/** `search_id` and `trace_id` of a request entry, on every consumer line about it. */
function requestLogFields(fields: readonly string[]): { search_id?: string; trace_id?: string } {
  const searchId = searchIdOfEntry(fields);
  const traceId = traceIdOf(traceContextOfEntry(fields));
  return { ...(searchId ? { search_id: searchId } : {}), ...(traceId ? { trace_id: traceId } : {}) };
}

/**
 * The provider's work: a consumer in group `provider-service` on every partition of
 * `flight.search.requested` (each with a blocking connection to its partition's node), handling
 * at most PROVIDER_CONCURRENCY searches at once with the suppliers of `SUPPLIER_URLS`.
 * Starts when the app is ready; on close it stops reading and lets in-flight searches finish
 * within {@link WORKER_STOP_DEADLINE_MS}, leaving the rest pending for other replicas.
 *
 * Tracing: each entry is handled (or dead-lettered) in a CONSUMER span continuing the trace its
 * `traceparent` names; supplier calls (undici) and each result publish (a PRODUCER span on
 * `flight.search.results`, whose entry carries it on) are its children.
 */
const searchWorker: FastifyPluginAsync<SearchWorkerOptions> = async (app, { config, now, observer }) => {
  const log = app.log.child({ component: 'search-worker' });
  const connections = redisConnectionMetrics(app.metricsRegistry);
  const store = new SearchStore({
    topology: app.redisTopology,
    keys: app.redisKeys,
    service: 'provider-service',
    onConnection: (client) => connections.watch(client),
    onSlotMoved: () => connections.slotMoved('provider-service:search-transactions'),
  });
  const supplierCalls = supplierCallMetrics(app.metricsRegistry);
  // Keep-alive connections to the suppliers, closed with the app.
  const supplierConnections = new Agent();
  const suppliers = config.supplierUrls.map((baseUrl) =>
    createSupplierClient({
      baseUrl,
      timeoutMs: config.supplierTimeoutMs,
      retries: config.supplierRetries,
      observer: supplierCalls,
      dispatcher: supplierConnections,
    }),
  );
  const publishInSpan: PublishInSpan = (publish) => withProducerSpan(STREAMS.searchResults, publish);
  const handleSearch = createSearchHandler({ store, suppliers, now, logger: log, publishInSpan });
  const failDeadLettered = createDeadLetterHandler({ store, now, publishInSpan });
  const inConsumerSpan = <T>(messageId: string, traceContext: StreamTraceContext, work: () => Promise<T>): Promise<T> =>
    withConsumerSpan({ stream: STREAMS.searchRequested, group: PROVIDER_GROUP, messageId, consumer: config.consumerName, traceContext }, work);
  const codec = createStreamCodec(SearchRequestedMessage);
  // One limit for all partitions: PROVIDER_CONCURRENCY searches at once per replica, whichever partitions they come from.
  const limit = new ConcurrencyLimit(config.concurrency);
  const readers = app.redisKeys.searchPartitions.map(
    (partition) =>
      new NodeBoundConnection(app.redisTopology, partition.requested, {
        connectionName: 'provider-service:requests-reader',
        onConnection: (client) => {
          connections.watch(client);
          logConnectionFailures(client, { logger: log, failure: 'redis reader connection error', recovery: 'redis reader connection recovered', fields: { stream: partition.requested } });
        },
      }),
  );
  const consumers = app.redisKeys.searchPartitions.map(
    (partition, index) =>
      new StreamConsumer<SearchRequestedMessage>({
        blocking: readers[index] as NodeBoundConnection,
        commands: app.redis,
        stream: partition.requested,
        group: PROVIDER_GROUP,
        consumer: config.consumerName,
        deadLetterStream: partition.deadLetter,
        codec,
        handler: (delivery) => inConsumerSpan(delivery.id, delivery.message, () => handleSearch(delivery)),
        onDeadLetter: (deadLetter) => inConsumerSpan(deadLetter.id, traceContextOfEntry(deadLetter.fields), () => failDeadLettered(deadLetter)),
        limit,
        claimIdleMs: config.claimIdleMs,
        maxDeliveries: config.maxDeliveries,
        logger: log,
        entryLogFields: requestLogFields,
        observer,
      }),
  );
  app.decorate('searchConsumers', consumers);

  app.addHook('onReady', async () => {
    // Usually connected by now; if Redis is down the consumers keep retrying on their own.
    await waitForReady(app.redis, 2_000).catch(() => undefined);
    for (const consumer of consumers) consumer.start();
    log.info(
      { consumer: config.consumerName, partitions: consumers.length, suppliers: config.supplierUrls.map(String) },
      'search worker started',
    );
  });
  app.addHook('preClose', async () => {
    const stopped = await Promise.all(consumers.map((consumer) => consumer.stop(WORKER_STOP_DEADLINE_MS)));
    log.info({ abandoned: stopped.reduce((sum, { abandoned }) => sum + abandoned, 0) }, 'search worker stopped');
  });
  app.addHook('onClose', async () => {
    await store.close();
    for (const reader of readers) reader.disconnect();
    await supplierConnections.close();
  });
};

export default fp(searchWorker, { name: 'search-worker', fastify: '5.x', dependencies: ['redis'] });
