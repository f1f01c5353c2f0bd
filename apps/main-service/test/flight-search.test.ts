import { redisKeys, type FlightResult, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchStore, searchRequestCodec, type SearchState } from '@skyway/search-state';
import { startTracing } from '@skyway/telemetry';
import { eventually, isolatedRedis, openSse, sampleFlight, type IsolatedRedis, type SseConnection } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { buildApp, SSE_HEARTBEAT_MS, type MainServiceDeps } from '../src/app';
import { parseConfig } from '../src/config';

const DAY_MS = 86_400_000;
const utcDate = (offsetDays: number): string => new Date(Date.now() + offsetDays * DAY_MS).toISOString().slice(0, 10);

describe('flight search API (in process, real Redis, real sockets for SSE)', () => {
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  let topology: RedisTopology & { readonly commands: Redis };
  /** Plays the provider's part: the same SearchStore.change the provider uses, on real Redis. */
  let provider: SearchStore;
  const apps: FastifyInstance[] = [];
  const streams: SseConnection[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('flights');
    keys = redisKeys(redis.prefix);
    topology = singleRedisTopology(redis.url, { connectionName: 'test:provider' });
    await waitForReady(topology.commands, 5_000);
    provider = new SearchStore({ topology, keys, service: 'test-provider' });
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await provider.close();
    topology.close();
    await redis.cleanup();
  });

  async function startMain(env: Record<string, string> = {}, deps: MainServiceDeps = {}): Promise<{ app: FastifyInstance; url: string }> {
    const app = await buildApp(
      parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', ...env }),
      deps,
    );
    apps.push(app);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    await eventually('the results reader to start', () => app.searchResults.isReady());
    return { app, url };
  }

  async function submit(url: string, body: unknown = { from: 'CGK', to: 'DPS', date: utcDate(10), passengers: 2 }) {
    const response = await fetch(`${url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { response, json: (await response.json()) as Record<string, unknown> };
  }

  async function submitted(url: string): Promise<string> {
    const { response, json } = await submit(url);
    expect(response.status).toBe(202);
    return (json.data as { search_id: string }).search_id;
  }

  async function open(url: string, searchId: string, lastEventId?: string): Promise<SseConnection> {
    const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`, lastEventId === undefined ? {} : { lastEventId });
    streams.push(stream);
    return stream;
  }

  const partial = (searchId: string, results: FlightResult[]) =>
    provider.change(searchId, { kind: 'partial', results }, { now: new Date() });
  const complete = (searchId: string, results: FlightResult[]) =>
    provider.change(searchId, { kind: 'completed', results }, { now: new Date() });

  const summary = (stream: SseConnection) =>
    stream.events.map((event) => {
      const data = JSON.parse(event.data) as { status: string; results?: unknown[]; total_results?: number; error?: { code: string } };
      const detail = data.error?.code ?? (data.total_results !== undefined ? `total=${data.total_results}` : `results=${data.results?.length}`);
      return `${event.id}:${data.status}:${detail}`;
    });

  describe('POST /api/flights/search', () => {
    it('answers 202 with the envelope and Location, stores the search and publishes the request', async () => {
      const { url } = await startMain();
      const date = utcDate(30);
      const { response, json } = await submit(url, { from: 'cgk', to: 'dps', date, passengers: 2 });
      expect(response.status).toBe(202);
      expect(json).toEqual({ success: true, message: 'Search request submitted', data: { search_id: expect.any(String), status: 'processing' } });
      const searchId = (json.data as { search_id: string }).search_id;
      expect(searchId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(response.headers.get('location')).toBe(`/api/flights/search/${searchId}/stream`);
      const [[, fields] = ['', []]] = await redis.client.xrange(keys.searchPartitionOf(searchId).requested, '-', '+');
      expect(searchRequestCodec.decode(fields)).toMatchObject({ ok: true, value: { search_id: searchId, from: 'CGK', to: 'DPS', date, passengers: 2 } });
      expect(await redis.client.pttl(keys.search(searchId))).toBeGreaterThan(0);
    });

    it('writes the request entry in a producer span of the caller’s trace: same trace id, its own span id', async () => {
      const tracing = startTracing({ serviceName: 'main-service', env: {} });
      try {
        const { app } = await startMain();
        const response = await app.inject({
          method: 'POST',
          url: '/api/flights/search',
          headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
          payload: { from: 'CGK', to: 'DPS', date: utcDate(1), passengers: 1 },
        });
        expect(response.statusCode).toBe(202);
        const searchId = (response.json() as { data: { search_id: string } }).data.search_id;
        const [[, fields] = ['', []]] = await redis.client.xrange(keys.searchPartitionOf(searchId).requested, '-', '+');
        const decoded = searchRequestCodec.decode(fields);
        const traceparent = decoded.ok ? decoded.value.traceparent : undefined;
        expect(traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
        // Neither the caller's span nor the request span the traceresponse header names: the XADD's own.
        expect(traceparent).not.toContain('00f067aa0ba902b7');
        expect(response.headers.traceresponse).not.toContain(traceparent?.split('-')[2]);
      } finally {
        await tracing.shutdown();
      }
    });

    const valid = { from: 'CGK', to: 'DPS', date: utcDate(10), passengers: 2 };
    it.each([
      ['from of 2 letters', { ...valid, from: 'CG' }, 'from'],
      ['from with a digit', { ...valid, from: 'C1K' }, 'from'],
      ['to missing', { from: 'CGK', date: valid.date, passengers: 2 }, 'to'],
      ['from equal to to (after uppercasing)', { ...valid, from: 'dps', to: 'DPS' }, 'to'],
      ['a date in the past (yesterday, UTC)', { ...valid, date: utcDate(-1) }, 'date'],
      ['a date 366 days ahead', { ...valid, date: utcDate(366) }, 'date'],
      ['a date that does not exist', { ...valid, date: '2031-02-30' }, 'date'],
      ['a date not in YYYY-MM-DD', { ...valid, date: '10/07/2031' }, 'date'],
      ['0 passengers', { ...valid, passengers: 0 }, 'passengers'],
      ['10 passengers', { ...valid, passengers: 10 }, 'passengers'],
      ['a fractional passenger count', { ...valid, passengers: 2.5 }, 'passengers'],
      ['passengers as a string', { ...valid, passengers: '2' }, 'passengers'],
      ['an unknown field', { ...valid, cabin: 'business' }, 'cabin'],
    ])('rejects %s with the 400 envelope naming the field', async (_case, body, field) => {
      const { app } = await startMain();
      const response = await app.inject({ method: 'POST', url: '/api/flights/search', payload: body });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        success: false,
        message: expect.any(String),
        errors: expect.arrayContaining([{ field, message: expect.any(String) }]),
      });
      expect(await redis.client.exists(...keys.searchPartitions.map((partition) => partition.requested))).toBe(0);
    });

    it.each([
      ['today (UTC)', { date: utcDate(0) }],
      ['365 days ahead', { date: utcDate(365) }],
      ['1 passenger', { passengers: 1 }],
      ['9 passengers', { passengers: 9 }],
      ['lowercase codes', { from: 'cgk', to: 'sin' }],
    ])('accepts the edge case %s', async (_case, override) => {
      const { app } = await startMain();
      const response = await app.inject({
        method: 'POST',
        url: '/api/flights/search',
        payload: { from: 'CGK', to: 'DPS', date: utcDate(10), passengers: 2, ...override },
      });
      expect(response.statusCode).toBe(202);
    });

    it('answers 503 with the envelope, not a hang, when Redis is unreachable', async () => {
      const app = await buildApp(parseConfig({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' }));
      apps.push(app);
      const response = await app.inject({ method: 'POST', url: '/api/flights/search', payload: valid });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ success: false, message: expect.stringContaining('unavailable') });
      expect(response.headers['retry-after']).toBe('2');
    });
  });

  describe('GET /api/flights/search/{search_id}', () => {
    it('returns the snapshot as the search progresses', async () => {
      const { app, url } = await startMain();
      const searchId = await submitted(url);
      const get = async () => (await app.inject(`/api/flights/search/${searchId}`)).json();
      expect(await get()).toEqual({ success: true, data: { search_id: searchId, status: 'processing', results: [] } });
      await complete(searchId, [sampleFlight('a'), sampleFlight('b')]);
      expect(await get()).toEqual({
        success: true,
        data: { search_id: searchId, status: 'completed', results: [sampleFlight('a'), sampleFlight('b')], total_results: 2 },
      });
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      const { app } = await startMain();
      const malformed = await app.inject('/api/flights/search/not-a-uuid');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toMatchObject({ success: false, errors: [{ field: 'params.search_id' }] });
      const unknown = await app.inject(`/api/flights/search/${randomUUID()}`);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ success: false, message: 'Search not found' });
    });
  });

  describe('GET /api/flights/search/{search_id}/stream', () => {
    it('streams processing at once, partial results, completed with results, completed with the total, then ends', async () => {
      const { url } = await startMain();
      const searchId = await submitted(url);
      const stream = await open(url, searchId);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      expect(stream.headers.get('cache-control')).toBe('no-cache');
      expect(stream.headers.get('x-accel-buffering')).toBe('no');
      await stream.event(0);
      await partial(searchId, [sampleFlight('a')]);
      await stream.event(1);
      await complete(searchId, [sampleFlight('b', 'beta')]);
      await stream.ended;
      expect(summary(stream)).toEqual(['1:processing:results=0', '2:processing:results=1', '3:completed:results=2', '4:completed:total=2']);
      expect(JSON.parse(stream.events[3]?.data ?? '')).toEqual({ search_id: searchId, status: 'completed', total_results: 2 });
    });

    it('gives a client that joins after completion processing, completed and the total at once', async () => {
      const { url } = await startMain();
      const searchId = await submitted(url);
      await partial(searchId, [sampleFlight('a')]);
      await complete(searchId, [sampleFlight('b')]);
      const stream = await open(url, searchId);
      await stream.ended;
      expect(summary(stream)).toEqual(['2:processing:results=2', '3:completed:results=2', '4:completed:total=2']);
    });

    it('resumes with Last-Event-ID without a gap or a duplicate', async () => {
      const { url } = await startMain();
      const searchId = await submitted(url);
      const first = await open(url, searchId);
      await first.event(0);
      first.close();
      await partial(searchId, [sampleFlight('a')]);
      const resumed = await open(url, searchId, '1');
      await resumed.event(0);
      await complete(searchId, [sampleFlight('b')]);
      await resumed.ended;
      expect(summary(resumed)).toEqual(['2:processing:results=1', '3:completed:results=2', '4:completed:total=2']);

      const afterResults = await open(url, searchId, '3');
      await afterResults.ended;
      expect(summary(afterResults)).toEqual(['4:completed:total=2']);
      const upToDate = await open(url, searchId, '4');
      await upToDate.ended;
      expect(upToDate.events).toEqual([]);
    });

    it('gives two viewers of one search every event', async () => {
      const { url } = await startMain();
      const searchId = await submitted(url);
      const viewers = [await open(url, searchId), await open(url, searchId)];
      await Promise.all(viewers.map((viewer) => viewer.event(0)));
      await partial(searchId, [sampleFlight('a')]);
      await complete(searchId, [sampleFlight('b')]);
      await Promise.all(viewers.map((viewer) => viewer.ended));
      for (const viewer of viewers) {
        expect(summary(viewer)).toEqual(['1:processing:results=0', '2:processing:results=1', '3:completed:results=2', '4:completed:total=2']);
      }
    });

    it('serves a search submitted to another main-service replica', async () => {
      const [first, second] = [await startMain(), await startMain()];
      const searchId = await submitted(first.url);
      const stream = await open(second.url, searchId);
      await stream.event(0);
      await complete(searchId, [sampleFlight('a')]);
      await stream.ended;
      expect(summary(stream)).toEqual(['1:processing:results=0', '2:completed:results=1', '3:completed:total=1']);
    });

    it('ends with failed SEARCH_TIMEOUT when no provider answers in time', async () => {
      const { app, url } = await startMain({ SEARCH_TIMEOUT_MS: '300' });
      const searchId = await submitted(url);
      const stream = await open(url, searchId);
      await stream.ended;
      expect(summary(stream)).toEqual(['1:processing:results=0', '2:failed:SEARCH_TIMEOUT']);
      expect((await app.inject(`/api/flights/search/${searchId}`)).json()).toMatchObject({
        data: { status: 'failed', error: { code: 'SEARCH_TIMEOUT', message: expect.any(String) } },
      });
      expect(app.searchFanout.stats()).toEqual({ searches: 0, viewers: 0, deadlineTimers: 0 });
    });

    it('ends with failed and the supplier error when the provider fails the search', async () => {
      const { url } = await startMain();
      const searchId = await submitted(url);
      const stream = await open(url, searchId);
      await stream.event(0);
      await provider.change(searchId, { kind: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE', message: 'All suppliers are down' } }, { now: new Date() });
      await stream.ended;
      expect(summary(stream)).toEqual(['1:processing:results=0', '2:failed:SUPPLIERS_UNAVAILABLE']);
    });

    it('answers a malformed id with 400 and an unknown one with 404, as JSON', async () => {
      const { url } = await startMain();
      const malformed = await open(url, 'nope');
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toContain('application/json');
      expect(JSON.parse(malformed.text ?? '')).toMatchObject({ success: false });
      const unknown = await open(url, randomUUID());
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.text ?? '')).toEqual({ success: false, message: 'Search not found' });
    });

    it('sends heartbeat comments (at most every 15 s in production)', async () => {
      expect(SSE_HEARTBEAT_MS).toBeLessThanOrEqual(15_000);
      const { url } = await startMain({}, { sseHeartbeatMs: 100 });
      const searchId = await submitted(url);
      const stream = await open(url, searchId);
      expect(await stream.comment(0)).toBe('heartbeat');
    });

    describe('a result arriving while a client connects (subscribe, then read the state)', () => {
      /** A store whose state read is answered with the state as it was before a result landed. */
      class StaleReadStore extends SearchStore {
        constructor(
          private readonly beforeAnswering: (searchId: string) => Promise<void>,
          private readonly answerWithStale: boolean,
        ) {
          super({ topology, keys, service: 'test-main' });
        }
        override async get(searchId: string): Promise<SearchState | null> {
          const before = await super.get(searchId);
          await this.beforeAnswering(searchId);
          return this.answerWithStale ? before : super.get(searchId);
        }
      }

      /** A partial result lands between subscribing and answering the state read; then the search completes. */
      async function connectDuringPartial(answerWithStale: boolean): Promise<SseConnection> {
        let published = 0;
        let armed = false;
        const store = new StaleReadStore(async (searchId) => {
          if (!armed) return;
          armed = false;
          await partial(searchId, [sampleFlight('a')]);
          await eventually('the reader to deliver the partial result', () => published > 0);
        }, answerWithStale);
        const { url } = await startMain({}, { searchStore: store, searchFanoutObserver: { onPublished: () => (published += 1) } });
        try {
          const searchId = await submitted(url);
          armed = true;
          const stream = await open(url, searchId);
          await eventually('the partial result on the stream', () => stream.events.some((event) => event.id === '2'));
          await complete(searchId, [sampleFlight('b')]);
          await stream.ended;
          return stream;
        } finally {
          await store.close();
        }
      }

      it('is not lost when the state was read before it landed', async () => {
        const stream = await connectDuringPartial(true);
        expect(summary(stream)).toEqual(['1:processing:results=0', '2:processing:results=1', '3:completed:results=2', '4:completed:total=2']);
      });

      it('is not doubled when the state was read after it landed', async () => {
        const stream = await connectDuringPartial(false);
        expect(summary(stream)).toEqual(['2:processing:results=1', '3:completed:results=2', '4:completed:total=2']);
      });
    });

    it('ends open streams on shutdown so the server can close (clients resume elsewhere)', async () => {
      const { app, url } = await startMain();
      const searchId = await submitted(url);
      const stream = await open(url, searchId);
      await stream.event(0);
      await app.close();
      await stream.ended;
      expect(summary(stream)).toEqual(['1:processing:results=0']);
      expect(app.searchFanout.stats()).toEqual({ searches: 0, viewers: 0, deadlineTimers: 0 });
    });

    it('leaves no subscription, timer, listener or socket behind after 1,000 connect/disconnect cycles', async () => {
      const { app, url } = await startMain();
      const searchId = await submitted(url);
      const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
      const connections = (): Promise<number> =>
        new Promise((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
      const warm = await open(url, searchId);
      await warm.event(0);
      warm.close();
      await eventually('the warm-up stream released', () => app.searchFanout.stats().viewers === 0);
      const before = { fanout: app.searchFanout.stats(), timers: timers(), listeners: app.server.listenerCount('request') };

      for (let cycle = 0; cycle < 1_000; cycle += 1) {
        const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`);
        await stream.event(0);
        stream.close();
      }
      await eventually('every stream released', async () => app.searchFanout.stats().viewers === 0 && (await connections()) === 0);
      expect(app.searchFanout.stats()).toEqual(before.fanout);
      expect(before.fanout).toEqual({ searches: 0, viewers: 0, deadlineTimers: 0 });
      await eventually('timers back to the baseline', () => timers() <= before.timers);
      expect(app.server.listenerCount('request')).toBe(before.listeners);
    });
  });
});
