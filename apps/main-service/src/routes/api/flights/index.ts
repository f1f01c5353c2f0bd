import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ErrorEnvelope,
  FlightSearchAccepted,
  FlightSearchRequest,
  IdempotencyKeyHeader,
  normaliseSearchRequest,
  SearchId,
  SearchSnapshot,
  STREAMS,
  unquoteIdempotencyKey,
} from '@skyway/contracts';
import { RedisUnavailableError } from '@skyway/redis-connection';
import { isTerminal, parseLastEventId, SearchIdempotency, searchView, type SearchQuery, type SearchState } from '@skyway/search-state';
import { sseConnectionMetrics, withProducerSpan } from '@skyway/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { MainServiceConfig } from '../../../config';
import { sendEnvelope } from '../../../plugins/app/error-envelope';
import { encodeEvents, type SseSink } from '../../../search/search-fanout';

export interface FlightsRoutesOptions {
  readonly config: MainServiceConfig;
  /** Sent as the stream's `retry:` field: how long a client waits before reconnecting. */
  readonly sseRetryMs: number;
}

const SearchParams = Type.Object({ search_id: SearchId }, { additionalProperties: false });
const SearchRequestHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeyHeader) });

/** A viewer whose socket buffers more than this is too slow to keep: it is dropped and may resume. */
export const MAX_SSE_BUFFERED_BYTES = 1_048_576;

export function streamPath(searchId: string): string {
  return `/api/flights/search/${searchId}/stream`;
}

function snapshotOf(state: SearchState): SearchSnapshot {
  const data: SearchSnapshot['data'] = { search_id: state.search_id, status: state.status };
  if (state.status === 'failed') return { success: true, data: { ...data, error: state.error ?? { code: 'SUPPLIERS_UNAVAILABLE', message: 'The search failed' } } };
  const results = [...state.results];
  return { success: true, data: state.status === 'completed' ? { ...data, results, total_results: results.length } : { ...data, results } };
}

/**
 * Holds the socket's writes until the end of this tick: the frames written together (headers,
 * `retry:` and the snapshot on connect; a completion and its total, and the stream's end) leave in
 * one system call instead of one each.
 */
function corkForThisTick(reply: FastifyReply): void {
  reply.raw.cork();
  process.nextTick(() => reply.raw.uncork());
}

/** Writes go straight to the socket, each frame encoded once for all viewers; never to a closed one. */
function sseSink(reply: FastifyReply): SseSink {
  let corked = false;
  return {
    write(frame) {
      const raw = reply.raw;
      if (!reply.sse.isConnected || raw.destroyed || raw.writableEnded) return false;
      if (!corked) {
        corked = true;
        corkForThisTick(reply);
        process.nextTick(() => (corked = false));
      }
      raw.write(frame);
      if (raw.writableLength > MAX_SSE_BUFFERED_BYTES) {
        reply.log.warn({ buffered: raw.writableLength }, 'SSE client too slow; disconnecting it');
        raw.destroy();
        return false;
      }
      return true;
    },
    end() {
      reply.sse.close();
    },
  };
}

/** Every later log line of the request, the response line included, carries the search's id. */
function bindSearchId(request: FastifyRequest, reply: FastifyReply, searchId: string): void {
  request.log = request.log.child({ search_id: searchId });
  reply.log = request.log;
}

/**
 * The flight search API (SPEC §3): start a search, follow it over SSE, or poll its snapshot.
 * Payload schemas come from @skyway/contracts; validation errors become the 400 envelope.
 */
const flightsRoutes: FastifyPluginAsyncTypebox<FlightsRoutesOptions> = async (app, { config, sseRetryMs }) => {
  const openStreams = sseConnectionMetrics(app.metricsRegistry).stream('search');
  app.addHook('preHandler', async (request, reply) => {
    const { search_id: searchId } = request.params as { search_id?: string };
    if (searchId !== undefined) bindSearchId(request, reply, searchId);
  });

  const idempotency = new SearchIdempotency({ commands: app.redis, keyPrefix: config.redisKeyPrefix });

  /** Stores the search and publishes its request; resolves to when the search expires (epoch ms). */
  async function startSearch(query: SearchQuery, searchId: string, request: FastifyRequest): Promise<number> {
    // The entry carries this span's context, so the provider's processing joins the request's trace.
    const state = await withProducerSpan(STREAMS.searchRequested, (trace) =>
      app.searchStore.create(query, { searchId, now: app.now(), timeoutMs: config.searchTimeoutMs, ttlMs: config.searchTtlMs, trace }),
    );
    request.log.info(query, 'search submitted');
    return state.expires_at;
  }

  function sendAccepted(reply: FastifyReply, searchId: string): FastifyReply {
    const body: FlightSearchAccepted = { success: true, message: 'Search request submitted', data: { search_id: searchId, status: 'processing' } };
    return reply.code(202).header('location', streamPath(searchId)).send(body);
  }

  app.post(
    '/api/flights/search',
    {
      // Per client, in Redis, so the budget holds across replicas (see plugins/app/rate-limit).
      config: { rateLimit: { max: config.searchRateLimit.max, timeWindow: config.searchRateLimit.windowMs } },
      schema: {
        tags: ['flights'],
        operationId: 'startFlightSearch',
        summary: 'Start a flight search',
        description:
          'Answers 202 at once; follow the `Location` (the SSE stream) or poll the snapshot. ' +
          'With an `Idempotency-Key`, a retry of a request whose answer was lost returns the same `search_id` ' +
          `and \`Location\` for as long as the search is readable (\`SEARCH_TTL_MS\`, one hour by default), on any replica.`,
        headers: SearchRequestHeaders,
        body: FlightSearchRequest,
        response: {
          202: { ...FlightSearchAccepted, headers: { Location: Type.String({ description: 'The search’s SSE stream, `/api/flights/search/{search_id}/stream`' }) } },
          400: ErrorEnvelope,
          409: { ...ErrorEnvelope, description: 'A request with this `Idempotency-Key` is still starting its search: retry after `Retry-After` seconds' },
          413: ErrorEnvelope,
          415: ErrorEnvelope,
          422: { ...ErrorEnvelope, description: 'This `Idempotency-Key` was used with a different request body' },
          429: ErrorEnvelope,
          503: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const normalised = normaliseSearchRequest(request.body, app.now());
      if (!normalised.ok) return sendEnvelope(reply, 400, 'Invalid request', normalised.error);
      const start = async (searchId: string): Promise<number> => {
        bindSearchId(request, reply, searchId);
        return startSearch(normalised.value, searchId, request);
      };
      const header = request.headers['idempotency-key'];
      if (header === undefined) {
        const searchId = randomUUID();
        await start(searchId);
        return sendAccepted(reply, searchId);
      }
      const outcome = await idempotency.startOnce(unquoteIdempotencyKey(header), normalised.value, randomUUID(), start);
      switch (outcome.kind) {
        case 'started':
          return sendAccepted(reply, outcome.searchId);
        case 'replayed':
          bindSearchId(request, reply, outcome.searchId);
          request.log.info('search request replayed (Idempotency-Key)');
          return sendAccepted(reply, outcome.searchId);
        case 'in-progress':
          reply.header('retry-after', '1');
          return sendEnvelope(reply, 409, 'A request with this Idempotency-Key is still being processed; retry shortly');
        case 'mismatch':
          return sendEnvelope(reply, 422, 'This Idempotency-Key was used with a different search request; use a new key for a new search');
      }
    },
  );

  app.get(
    '/api/flights/search/:search_id',
    {
      schema: {
        tags: ['flights'],
        operationId: 'getFlightSearch',
        summary: 'The current state of a search (for clients that poll)',
        params: SearchParams,
        response: { 200: SearchSnapshot, 400: ErrorEnvelope, 404: ErrorEnvelope, 414: ErrorEnvelope, 503: ErrorEnvelope },
      },
    },
    async (request, reply) => {
      const state = await app.currentSearchState(request.params.search_id);
      if (state === null) return sendEnvelope(reply, 404, 'Search not found');
      return snapshotOf(state);
    },
  );

  app.get(
    '/api/flights/search/:search_id/stream',
    {
      sse: 'only',
      schema: {
        tags: ['flights'],
        operationId: 'followFlightSearch',
        summary: 'Follow a search over Server-Sent Events',
        description:
          'Events carry `id: <n>`; reconnect with `Last-Event-ID` to resume without gaps or duplicates. ' +
          '`processing` (cumulative results), then `completed` with results and `completed` with `total_results`, ' +
          'or `failed` with `{code, message}`; then the server ends the stream. A reconnect to a finished search whose ' +
          'final event the client has is answered 204, which stops every standard `EventSource`.\n\n' +
          'A standard `EventSource` also gives up for good on a 429 (too many streams from this client) or a 503 (the server ' +
          'is at capacity, or storage is unreachable): a client should then wait `Retry-After` seconds and open a new ' +
          '`EventSource` with the same URL (it gets everything again, or poll `GET /api/flights/search/{search_id}`).',
        params: SearchParams,
        response: {
          200: {
            description: 'An event stream; each event is a default `message` whose `data:` is one `SearchEvent`',
            content: {
              'text/event-stream': {
                schema: Type.String({
                  description:
                    'Server-Sent Events: a `retry:` field (milliseconds to wait before reconnecting), then events of `id:` and `data:` lines; ' +
                    'each `data:` is one JSON [SearchEvent](#/components/schemas/SearchEvent)',
                }),
              },
            },
          },
          204: Type.Null({ description: 'The search is finished and `Last-Event-ID` is at or past its final event: nothing more will come, stop reconnecting' }),
          400: ErrorEnvelope,
          404: ErrorEnvelope,
          406: { ...ErrorEnvelope, description: 'The request’s `Accept` refuses `text/event-stream`' },
          414: ErrorEnvelope,
          429: { ...ErrorEnvelope, description: 'Too many open streams from this client (`SSE_MAX_STREAMS_PER_CLIENT`)' },
          503: { ...ErrorEnvelope, description: 'The server is at its stream capacity (`SSE_MAX_STREAMS`) or storage is unreachable' },
        },
      },
    },
    async (request, reply) => {
      const searchId = request.params.search_id;
      if (!app.searchResults.isReady()) throw new RedisUnavailableError('results stream reader not started yet');
      // Subscribe BEFORE reading the state: what arrives meanwhile is buffered, then de-duplicated by id.
      const subscription = app.searchFanout.subscribe(searchId, sseSink(reply));
      let state: SearchState | null;
      try {
        state = await app.currentSearchState(searchId);
      } catch (error) {
        subscription.close();
        throw error;
      }
      if (state === null) {
        subscription.close();
        return sendEnvelope(reply, 404, 'Search not found');
      }
      const lastEventId = parseLastEventId(request.headers['last-event-id']);
      // A finished search whose final event the client has: 204 tells every conforming EventSource to stop.
      if (isTerminal(state) && lastEventId >= state.seq) {
        subscription.close();
        return reply.code(204).send(null);
      }
      reply.sse.keepAlive();
      reply.sse.onClose(() => subscription.close());
      reply.sse.sendHeaders();
      // A client already gone has run the close callbacks: count only a stream still open.
      if (reply.sse.isConnected) {
        corkForThisTick(reply);
        reply.raw.write(`retry: ${sseRetryMs}\n\n`);
        reply.sse.onClose(openStreams.onOpen());
      }
      request.log.info({ status: state.status }, 'search stream opened');
      subscription.start(encodeEvents(searchView(state)), lastEventId);
      // A finished search's final event ends the stream as it is written; a running one needs its deadline watched.
      if (!isTerminal(state)) app.searchFanout.watchDeadline(searchId, state.deadline_at);
    },
  );
};

export default flightsRoutes;
