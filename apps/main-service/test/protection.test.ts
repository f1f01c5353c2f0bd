import { SearchStore, type SearchQuery, type SearchState, type CreateSearchOptions } from '@skyway/search-state';
import { redisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady } from '@skyway/redis-connection';
import { eventually, isolatedRedis, openSse, type IsolatedRedis } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { buildApp, type MainServiceDeps } from '../src/app';
import { parseConfig } from '../src/config';

const DAY_MS = 86_400_000;
const search = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10), passengers: 1 };

/** An SSE request from a chosen loopback address (127.0.0.0/8): another client, as the server sees it. */
interface RawStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** The JSON body of a refused request. */
  readonly json: Promise<unknown>;
  close(): void;
}

const TOKEN = 'protection-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

function openStreamFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { localAddress, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      const json = new Promise<unknown>((done, fail) => {
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            done(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            fail(error as Error);
          }
        });
      });
      // Only refused requests end with a body worth reading; an open stream never ends on its own.
      json.catch(() => undefined);
      resolve({ status: response.statusCode ?? 0, headers: response.headers, json, close: () => request.destroy() });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('protection: rate limit, SSE caps, CORS and security headers (real Redis)', () => {
  let redis: IsolatedRedis;
  const apps: FastifyInstance[] = [];
  const cleanups: Array<() => void> = [];

  beforeEach(async () => {
    redis = await isolatedRedis('protection');
  });
  afterEach(async () => {
    cleanups.splice(0).forEach((cleanup) => cleanup());
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis.cleanup();
  });

  async function startMain(env: Record<string, string> = {}, deps: MainServiceDeps = {}): Promise<FastifyInstance> {
    const app = await buildApp(
      parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', SEED_JOURNEYS: 'none', ...env }),
      deps,
    );
    apps.push(app);
    return app;
  }

  /** Ready = Redis answers and the results reader runs (what /health/ready and a load balancer wait for). */
  async function startReady(env: Record<string, string> = {}): Promise<FastifyInstance> {
    const app = await startMain(env);
    await eventually('main-service ready', async () => (await app.inject('/health/ready')).statusCode === 200);
    return app;
  }

  const post = (app: FastifyInstance, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/flights/search', payload: search, remoteAddress });

  describe('rate limit on POST /api/flights/search', () => {
    it('answers 429 with Retry-After and the envelope once a client exceeds its budget, other clients unaffected', async () => {
      const app = await startReady({ SEARCH_RATE_LIMIT_MAX: '3', SEARCH_RATE_LIMIT_WINDOW_MS: '60000' });
      const statuses = [];
      for (let index = 0; index < 4; index += 1) statuses.push((await post(app)).statusCode);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const refused = await post(app);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(refused.json()).toEqual({ success: false, message: expect.stringMatching(/^Too many requests from this client/) });
      expect((await post(app, '10.1.2.3')).statusCode).toBe(202);
      // Reads are not limited.
      expect((await app.inject('/api/flights/search/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    });

    it('is one budget per client across replicas (counted in Redis)', async () => {
      const env = { SEARCH_RATE_LIMIT_MAX: '3' };
      const [first, second] = [await startReady(env), await startReady(env)];
      expect((await post(first)).statusCode).toBe(202);
      expect((await post(second)).statusCode).toBe(202);
      expect((await post(first)).statusCode).toBe(202);
      expect((await post(second)).statusCode).toBe(429);
      expect(await redis.keys()).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${redis.prefix}rate-limit:`))]));
    });

    it('fails closed: with Redis unreachable the request is refused 503 before the route runs', async () => {
      let created = 0;
      const topology = singleRedisTopology(redis.url, { connectionName: 'test:commands' });
      cleanups.push(() => topology.close());
      await waitForReady(topology.commands, 5_000);
      class CountingStore extends SearchStore {
        override create(query: SearchQuery, options: CreateSearchOptions): Promise<SearchState> {
          created += 1;
          return super.create(query, options);
        }
      }
      const store = new CountingStore({ topology, keys: redisKeys(redis.prefix), service: 'test' });
      cleanups.push(() => void store.close());
      const app = await startMain({ REDIS_URL: 'redis://127.0.0.1:1' }, { searchStore: store });
      const response = await post(app);
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('2');
      expect(response.json()).toEqual({ success: false, message: expect.stringContaining('unavailable') });
      expect(created).toBe(0);
    });
  });

  describe('caps on open SSE streams', () => {
    async function listening(env: Record<string, string>): Promise<{ app: FastifyInstance; url: string; searchId: string }> {
      const app = await startReady(env);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const accepted = await post(app);
      return { app, url, searchId: (accepted.json() as { data: { search_id: string } }).data.search_id };
    }

    it('refuses a client over its cap with 429 and the process over its cap with 503, and frees slots on disconnect', async () => {
      const { app, url, searchId } = await listening({ SSE_MAX_STREAMS: '2', SSE_MAX_STREAMS_PER_CLIENT: '1' });
      const streamUrl = `${url}/api/flights/search/${searchId}/stream`;
      const first = await openStreamFrom('127.0.0.1', streamUrl);
      cleanups.push(() => first.close());
      expect(first.status).toBe(200);

      const sameClient = await openStreamFrom('127.0.0.1', streamUrl);
      expect(sameClient.status).toBe(429);
      expect(sameClient.headers['retry-after']).toBe('5');
      expect(await sameClient.json).toEqual({ success: false, message: expect.stringMatching(/^Too many open streams from this client \(at most 1\)/) });

      const second = await openStreamFrom('127.0.0.2', streamUrl);
      cleanups.push(() => second.close());
      expect(second.status).toBe(200);
      expect(app.sseStreams.stats()).toEqual({ open: 2, clients: 2 });

      const processFull = await openStreamFrom('127.0.0.3', streamUrl);
      expect(processFull.status).toBe(503);
      expect(processFull.headers['retry-after']).toBe('5');
      expect(await processFull.json).toEqual({ success: false, message: expect.stringContaining('maximum of 2 open streams') });

      first.close();
      await eventually('the slot freed', () => app.sseStreams.stats().open === 1);
      const again = await openStreamFrom('127.0.0.1', streamUrl);
      cleanups.push(() => again.close());
      expect(again.status).toBe(200);
    });

    it('counts journey streams against the same caps, refusing them with the journeys API {message} body', async () => {
      const { app, url, searchId } = await listening({ SSE_MAX_STREAMS: '2', SSE_MAX_STREAMS_PER_CLIENT: '1', SEED_JOURNEYS: 'bundled', JOURNEY_API_TOKEN: TOKEN });
      await eventually('the seed journeys loaded', async () => (await app.inject({ url: '/api/journeys/JRN-001', headers: auth })).statusCode === 200);
      const searchStream = await openStreamFrom('127.0.0.1', `${url}/api/flights/search/${searchId}/stream`);
      cleanups.push(() => searchStream.close());
      expect(searchStream.status).toBe(200);

      const clientFull = await openStreamFrom('127.0.0.1', `${url}/api/journeys/JRN-001/stream`, auth);
      expect(clientFull.status).toBe(429);
      expect(await clientFull.json).toEqual({ message: expect.stringMatching(/^Too many open streams from this client/) });

      const journeyStream = await openStreamFrom('127.0.0.2', `${url}/api/journeys/JRN-001/stream`, auth);
      cleanups.push(() => journeyStream.close());
      expect(journeyStream.status).toBe(200);
      expect(app.sseStreams.stats()).toEqual({ open: 2, clients: 2 });

      const processFull = await openStreamFrom('127.0.0.3', `${url}/api/journeys/JRN-002/stream`, auth);
      expect(processFull.status).toBe(503);
      expect(processFull.headers['retry-after']).toBe('5');
      expect(await processFull.json).toEqual({ message: expect.stringContaining('maximum of 2 open streams') });
    });

    it('leaves streams alone past REQUEST_TIMEOUT_MS (it bounds receiving a request, not a response)', async () => {
      const app = await startMain({ REQUEST_TIMEOUT_MS: '1000' }, { sseHeartbeatMs: 100 });
      await eventually('main-service ready', async () => (await app.inject('/health/ready')).statusCode === 200);
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const searchId = ((await post(app)).json() as { data: { search_id: string } }).data.search_id;
      const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`);
      cleanups.push(() => stream.close());
      // 30 heartbeats 100 ms apart: the stream is still open well past the 1 s request timeout.
      expect(await stream.comment(29)).toBe('heartbeat');
      expect(stream.events).toHaveLength(1);
    });

    it('counts refused and answered requests only while they are open: 404s and 400s give their slot back', async () => {
      const { app, url } = await listening({ SSE_MAX_STREAMS_PER_CLIENT: '1' });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const unknown = await openSse(`${url}/api/flights/search/00000000-0000-4000-8000-000000000000/stream`);
        expect(unknown.status).toBe(404);
        const malformed = await openSse(`${url}/api/flights/search/nope/stream`);
        expect(malformed.status).toBe(400);
      }
      await eventually('every slot freed', () => app.sseStreams.stats().open === 0);
      expect(app.sseStreams.stats()).toEqual({ open: 0, clients: 0 });
    });
  });

  describe('CORS', () => {
    const allowed = 'https://app.example.com';

    it('answers a preflight from an allowed origin with the methods and headers the API uses', async () => {
      const app = await startReady({ CORS_ORIGINS: `${allowed}, http://localhost:5173` });
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/api/journeys/JRN-001/status',
        headers: { origin: allowed, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, if-match' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(allowed);
      expect(String(preflight.headers['access-control-allow-methods']).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT']));
      expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toEqual(
        expect.stringContaining('authorization'),
      );
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

      const accepted = await app.inject({ method: 'POST', url: '/api/flights/search', payload: search, headers: { origin: allowed } });
      expect(accepted.statusCode).toBe(202);
      expect(accepted.headers['access-control-allow-origin']).toBe(allowed);
      expect(String(accepted.headers['access-control-expose-headers']).toLowerCase()).toEqual(expect.stringContaining('location'));
    });

    it('gives an origin that is not listed no CORS permission', async () => {
      const app = await startMain({ CORS_ORIGINS: allowed });
      for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.example', 'null']) {
        const preflight = await app.inject({
          method: 'OPTIONS',
          url: '/api/flights/search',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        const response = await app.inject({ url: '/health/live', headers: { origin } });
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('allows no cross-origin caller by default', async () => {
      const app = await startReady();
      const response = await app.inject({ method: 'POST', url: '/api/flights/search', payload: search, headers: { origin: allowed } });
      expect(response.statusCode).toBe(202);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('lets an allowed origin follow a search over SSE (the headers reach the event stream)', async () => {
      const app = await startReady({ CORS_ORIGINS: allowed });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const searchId = ((await post(app)).json() as { data: { search_id: string } }).data.search_id;
      const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`, { headers: { origin: allowed } });
      cleanups.push(() => stream.close());
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      expect(stream.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(JSON.parse((await stream.event(0)).data)).toMatchObject({ search_id: searchId, status: 'processing' });
    });
  });

  describe('security headers', () => {
    const directives = (header: string | undefined): Map<string, string> =>
      new Map(
        (header ?? '')
          .split(';')
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => {
            const [name = '', ...values] = part.split(/\s+/);
            return [name, values.join(' ')];
          }),
      );

    it('sets a CSP that allows same-origin scripts, styles, images and EventSource, and forbids inline scripts and framing', async () => {
      const app = await startMain();
      const response = await app.inject('/health/live');
      const csp = directives(response.headers['content-security-policy'] as string | undefined);
      expect(csp.get('default-src')).toBe("'self'");
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('script-src-attr')).toBe("'none'");
      expect(csp.get('frame-ancestors')).toBe("'self'");
      expect(csp.get('img-src')).toContain("'self'");
      expect(csp.get('style-src')).toContain("'self'");
      // Served over plain HTTP in development: upgrading would send the page's requests to a missing https port.
      expect(csp.has('upgrade-insecure-requests')).toBe(false);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    });

    it('sends Strict-Transport-Security only when HSTS_MAX_AGE_S is set (off by default: TLS belongs to the proxy in front)', async () => {
      const plainHttp = await startMain();
      expect((await plainHttp.inject('/health/live')).headers['strict-transport-security']).toBeUndefined();
      const tlsInApp = await startMain({ HSTS_MAX_AGE_S: '31536000' });
      expect((await tlsInApp.inject('/health/live')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    });

    it('keeps JSON errors and the SSE stream intact under those headers', async () => {
      const app = await startReady();
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const invalid = await app.inject({ method: 'POST', url: '/api/flights/search', payload: { ...search, passengers: 0 } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.headers['x-content-type-options']).toBe('nosniff');
      const searchId = ((await post(app)).json() as { data: { search_id: string } }).data.search_id;
      const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`);
      cleanups.push(() => stream.close());
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
      expect(stream.headers.get('x-accel-buffering')).toBe('no');
      expect(JSON.parse((await stream.event(0)).data)).toMatchObject({ status: 'processing' });
    });
  });
});
