import { NodeBoundConnection, RedisFailureLog, clientAddress, logConnectionFailures, waitForReady } from '@skyway/redis-connection';
import {
  isOverdue,
  searchResultCodec,
  searchView,
  SearchStore,
  type SearchState,
} from '@skyway/search-state';
import { redisConnectionMetrics, searchLatencyMetrics } from '@skyway/telemetry';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { MainServiceConfig } from '../config';
import { ResultStreamReader } from '../search/result-reader';
import { SearchFanout, type SearchFanoutObserver } from '../search/search-fanout';

declare module 'fastify' {
  interface FastifyInstance {
    searchStore: SearchStore;
    /** SSE viewers of this process, per search. */
    searchFanout: SearchFanout;
    /** This process's readers of `flight.search.results`, one per partition. */
    searchResults: { isReady(): boolean };
    /** The stored state, moved to failed (SEARCH_TIMEOUT) first if its deadline has passed. */
    currentSearchState(searchId: string): Promise<SearchState | null>;
  }
}

export interface FlightSearchOptions {
  readonly config: MainServiceConfig;
  /** A store a test wants used instead of the default (it then owns closing it). */
  readonly store?: SearchStore;
  readonly observer?: SearchFanoutObserver;
}

/** A failed deadline check (Redis down) is tried again this much later. */
const DEADLINE_RETRY_MS = 1_000;

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let index = 0; index < fields.length; index += 2) if (fields[index] === name) return fields[index + 1];
  return undefined;
}

/** A terminal result entry's outcome and when its search was requested (epoch ms); undefined for any other entry. */
function finishedSearchOf(fields: readonly string[]): { outcome: 'completed' | 'failed'; requestedAtMs: number } | undefined {
  const status = fieldValue(fields, 'status');
  if (status !== 'completed' && status !== 'failed') return undefined;
  // Entries written before results carried requested_at cannot be measured.
  const requestedAtMs = Date.parse(fieldValue(fields, 'requested_at') ?? '');
  return Number.isFinite(requestedAtMs) ? { outcome: status, requestedAtMs } : undefined;
}

/**
 * Flight search plumbing shared by the routes: the search store, the ONE blocking reader of
 * `flight.search.results` per process (its own connection), and the in-process fan-out to SSE
 * viewers. Entries for searches nobody here watches are skipped before they are parsed.
 *
 * SEARCH_TIMEOUT is enforced by whoever observes the search: the deadline is stored in the state;
 * reading a search past it (snapshot, SSE connect) and a per-search timer held while it has viewers
 * here both apply the `deadline` change, atomically, so with any number of replicas, and with no
 * provider running, exactly one `failed` is published and every viewer gets it.
 */
const flightSearch: FastifyPluginAsync<FlightSearchOptions> = async (app, { config, store: givenStore, observer }) => {
  const log = app.log.child({ component: 'flight-search' });
  const connections = redisConnectionMetrics(app.metricsRegistry);
  const searchLatency = searchLatencyMetrics(app.metricsRegistry);
  const store =
    givenStore ??
    new SearchStore({
      topology: app.redisTopology,
      keys: app.redisKeys,
      service: 'main-service',
      // Every new search and every deadline change borrows one; WAIT holds it for a replica's round trip.
      transactionConnections: 8,
      replicaAcks: config.replicaAcks,
      onConnection: (client) => connections.watch(client),
      onSlotMoved: () => connections.slotMoved('main-service:search-transactions'),
    });

  async function currentSearchState(searchId: string): Promise<SearchState | null> {
    const state = await store.get(searchId);
    if (state === null || !isOverdue(state, app.now())) return state;
    return (await store.change(searchId, { kind: 'deadline' }, { now: app.now() }))?.state ?? null;
  }

  // One log for the checks of every search: an outage fails them all for the same cause.
  const deadlineFailures = new RedisFailureLog({ logger: log, failure: 'deadline checks failed; retrying', recovery: 'deadline checks recovered', server: () => clientAddress(app.redis) });
  async function enforceDeadline(searchId: string): Promise<void> {
    try {
      const state = await currentSearchState(searchId);
      deadlineFailures.recovered();
      if (state === null) fanout.endLost(searchId);
      else if (state.status === 'processing') fanout.watchDeadline(searchId, state.deadline_at);
      else fanout.publish(searchView(state));
    } catch (error) {
      deadlineFailures.failed(error);
      fanout.watchDeadline(searchId, app.now().getTime() + DEADLINE_RETRY_MS);
    }
  }

  const fanout = new SearchFanout({
    now: app.now,
    onDeadline: (searchId) => void enforceDeadline(searchId),
    ...(observer ? { observer } : {}),
  });

  const onEntries = (entries: ReadonlyArray<[id: string, fields: string[]]>): void => {
      for (const [id, fields] of entries) {
        // Every replica reads every result, so each measures every search, watched here or not.
        const finished = finishedSearchOf(fields);
        if (finished) searchLatency.onSearchFinished(finished.outcome, app.now().getTime() - finished.requestedAtMs);
        const searchId = fieldValue(fields, 'search_id');
        if (searchId === undefined || !fanout.has(searchId)) continue;
        const decoded = searchResultCodec.decode(fields);
        if (decoded.ok) fanout.publish(decoded.value);
        else log.warn({ entryId: id, search_id: searchId, reason: decoded.error.reason }, 'malformed result entry skipped');
      }
  };
  // Every replica reads every partition: any replica serves any viewer.
  const readers = app.redisKeys.searchPartitions.map(
    (partition) =>
      new ResultStreamReader({
        blocking: new NodeBoundConnection(app.redisTopology, partition.results, {
          connectionName: 'main-service:results-reader',
          onConnection: (client) => {
            connections.watch(client);
            logConnectionFailures(client, { logger: log, failure: 'redis reader connection error', recovery: 'redis reader connection recovered', fields: { stream: partition.results } });
          },
        }),
        stream: partition.results,
        logger: log,
        onEntries,
      }),
  );

  app.decorate('searchStore', store);
  app.decorate('searchFanout', fanout);
  app.decorate('searchResults', { isReady: () => readers.every((reader) => reader.isReady()) });
  app.decorate('currentSearchState', currentSearchState);

  app.addHook('onReady', async () => {
    // Usually connected by now; if Redis is down the reader keeps retrying on its own.
    await waitForReady(app.redis, 2_000).catch(() => undefined);
    for (const reader of readers) reader.start();
  });
  // Open SSE responses would hold the server open: end them first (clients reconnect with Last-Event-ID).
  app.addHook('preClose', async () => fanout.endAll());
  app.addHook('onClose', async () => {
    await Promise.all(readers.map((reader) => reader.stop()));
    if (givenStore === undefined) await store.close();
  });
};

export default fp(flightSearch, { name: 'flight-search', fastify: '5.x', dependencies: ['redis'] });
