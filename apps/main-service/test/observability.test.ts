import { startTracing } from '@skyway/telemetry';
import {
  eventually,
  freePort,
  isolatedRedis,
  jsonLogLines,
  openSse,
  parsePrometheusText,
  runToExit,
  sampleValue,
  startApp,
  startOtlpCollector,
  type IsolatedRedis,
} from '@skyway/testkit';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

const CALLER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`;
/** A traced route that answers whether or not searches exist yet: an unknown search id. */
const TRACED_PATH = '/api/flights/search/00000000-0000-4000-8000-000000000000';
const BEARER_TOKEN = 'obs-test-token-4f1c9a7e2b';
const STREAM_TICKET = 'TkT0bsErvAbiLiTy-sHoULd-n0t-bE-eXp0rTeD-123';

describe('main-service observability', () => {
  let redis: IsolatedRedis;
  beforeAll(async () => {
    redis = await isolatedRedis('observability');
  });
  afterAll(() => redis.cleanup());

  const config = () => parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent' });

  it('serves Prometheus text at /metrics: process metrics, Redis connection state, and request durations by route and status', async () => {
    const app = await buildApp(config());
    try {
      expect((await app.inject('/health/live')).statusCode).toBe(200);
      expect((await app.inject('/no/such/route')).statusCode).toBe(404);
      const families = await eventually('the Redis connection to be ready in the metrics', async () => {
        const scraped = parsePrometheusText((await app.inject('/metrics')).body);
        return sampleValue(scraped, 'skyway_redis_connections_ready', { connection: 'main-service:commands' }) === 1 && scraped;
      });

      const response = await app.inject('/metrics');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(families.get('http_request_duration_seconds')?.type).toBe('histogram');
      expect(sampleValue(families, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status_code: '200' })).toBe(1);
      expect(sampleValue(families, 'http_request_duration_seconds_count', { method: 'GET', route: '__unknown__', status_code: '404' })).toBe(1);
      expect(sampleValue(families, 'http_request_duration_seconds_bucket', { route: '/health/live', le: '+Inf' })).toBe(1);
      expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
      expect(families.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
      expect(sampleValue(families, 'skyway_redis_connections', { connection: 'main-service:commands' })).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('continues an incoming traceparent: the request span joins the caller trace and says so in traceresponse', async () => {
    const tracing = startTracing({ serviceName: 'main-service', env: {} });
    const app = await buildApp(config());
    try {
      const response = await app.inject({ url: TRACED_PATH, headers: { traceparent: TRACEPARENT } });
      expect(response.headers.traceresponse).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`));
      expect(response.headers.traceresponse).not.toContain(CALLER_SPAN_ID);

      // No caller trace: a new one, recorded or not as the default sampler decides (1 in 10).
      const untraced = await app.inject(TRACED_PATH);
      expect(untraced.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(untraced.headers.traceresponse).not.toContain(CALLER_TRACE_ID);
    } finally {
      await app.close();
      await tracing.shutdown();
    }
  });

  it('gives a request the sampler did not record a trace id all the same, and records a caller’s sampled trace whatever the ratio', async () => {
    const tracing = startTracing({ serviceName: 'main-service', env: { OTEL_TRACES_SAMPLER_ARG: '0' } });
    const app = await buildApp(config());
    try {
      const unrecorded = await app.inject(TRACED_PATH);
      expect(unrecorded.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(unrecorded.headers.traceresponse).not.toMatch(/^00-0{32}-/);
      const sampledByCaller = await app.inject({ url: TRACED_PATH, headers: { traceparent: TRACEPARENT } });
      expect(sampledByCaller.headers.traceresponse).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`));
    } finally {
      await app.close();
      await tracing.shutdown();
    }
  });

  describe('as a process', () => {
    it('continues the caller trace: traceresponse and every log line of the request carry its trace id', async () => {
      const app = await startApp('main-service', { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } });
      let response: Response;
      try {
        response = await fetch(app.url + TRACED_PATH, { headers: { traceparent: TRACEPARENT } });
      } finally {
        await app.stop();
      }
      expect(response.headers.get('traceresponse')).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-`));
      const requestLines = jsonLogLines(app.output()).filter((line) => line.req !== undefined || line.res !== undefined);
      expect(requestLines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
      for (const line of requestLines) expect(line).toMatchObject({ trace_id: CALLER_TRACE_ID, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
      expect(requestLines[1]).toMatchObject({ res: { statusCode: 404, method: 'GET', route: '/api/flights/search/:search_id' }, responseTime: expect.any(Number) });
    });

    it('exports the spans of the caller trace over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, flushing them at shutdown', async () => {
      const collector = await startOtlpCollector();
      try {
        const app = await startApp('main-service', {
          env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
        });
        try {
          await fetch(app.url + TRACED_PATH, { headers: { traceparent: TRACEPARENT } });
          await fetch(`${app.url}/api/journeys/JRN-001/stream?ticket=${STREAM_TICKET}`, { headers: { traceparent: TRACEPARENT } });
        } finally {
          expect(await app.stop()).toBe(0);
        }
        const exported = JSON.stringify(collector.bodies);
        // The request with a credential in its URL was traced, without the credential.
        expect(exported).toContain('/api/journeys/JRN-001/stream');
        expect(exported).not.toContain(STREAM_TICKET);
        expect(exported).toContain(`"traceId":"${CALLER_TRACE_ID}"`);
        expect(exported).toContain(`"parentSpanId":"${CALLER_SPAN_ID}"`);
        expect(exported).toContain('"stringValue":"main-service"');
      } finally {
        await collector.close();
      }
    });

    it('refuses an OTEL_EXPORTER_OTLP_ENDPOINT that is not a URL with one line naming it', async () => {
      const { exit, output } = await runToExit('main-service', { OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' });
      expect(exit).toBe(1);
      expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^main-service: invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT /)]);
    });

    it('writes JSON lines only, and never the bearer token', async () => {
      const app = await startApp('main-service', {
        env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'trace', JOURNEY_API_TOKEN: BEARER_TOKEN },
      });
      try {
        const headers = { authorization: `Bearer ${BEARER_TOKEN}`, 'content-type': 'application/json' };
        await fetch(`${app.url}/health/ready`, { headers });
        await fetch(`${app.url}/metrics`, { headers });
        await fetch(app.url + TRACED_PATH, { headers });
        await fetch(`${app.url}/api/flights/search`, { method: 'POST', headers, body: '{"from":"CGK"' });
        await fetch(`${app.url}/api/journeys/J1/status`, { method: 'PUT', headers, body: JSON.stringify({ status: 'Confirmed', token: BEARER_TOKEN }) });
      } finally {
        await app.stop();
      }
      const completed = jsonLogLines(app.output()).filter((line) => line.msg === 'request completed');
      // Health and metrics requests log only warnings: the three API requests are the ones logged.
      expect(completed.map((line) => (line.res as { method: string }).method)).toEqual(['GET', 'POST', 'PUT']);
      expect(app.output()).not.toContain(BEARER_TOKEN);
    });

    it('never writes an access token or a stream ticket, whatever the request does with them', async () => {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const app = await startApp('main-service', {
        port,
        readyPath: '/health/ready',
        env: {
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: redis.prefix,
          LOG_LEVEL: 'trace',
          AUTH_DEV_ISSUER: 'true',
          AUTH_JWKS_URL: `${origin}/dev/jwks.json`,
          AUTH_ISSUER: `${origin}/dev`,
          AUTH_AUDIENCE: 'skyway-journeys',
        },
      });
      const secrets: string[] = [];
      try {
        const signIn = (user: string, scopes?: string[]) =>
          fetch(`${app.url}/dev/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, scopes }) })
            .then((response) => response.json() as Promise<{ access_token: string }>)
            .then(({ access_token }) => access_token);
        const [token, readOnly] = [await signIn('logger-test'), await signIn('reader', ['journeys:read'])];
        secrets.push(token, readOnly);
        const as = (bearer: string) => ({ authorization: `Bearer ${bearer}`, 'content-type': 'application/json' });
        await eventually('the seed journeys loaded', async () => (await fetch(`${app.url}/api/journeys/JRN-001`, { headers: as(token) })).status === 200);
        await fetch(`${app.url}/api/journeys/JRN-001/segments/SEG-001/status`, { method: 'PUT', headers: as(token), body: JSON.stringify({ status: 'Boarding' }) });
        await fetch(`${app.url}/api/journeys/JRN-001/status`, { method: 'PUT', headers: as(readOnly), body: JSON.stringify({ status: 'InProgress', token }) });
        await fetch(`${app.url}/api/journeys/JRN-001/history`, { headers: as(`${token}x`) });
        await fetch(`${app.url}/api/journeys?access_token=${token}&token=${token}`);
        const ticket = async () =>
          ((await (await fetch(`${app.url}/api/journeys/stream-tickets`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { ticket: string }).ticket;
        const [used, unknownJourney] = [await ticket(), await ticket()];
        secrets.push(used, unknownJourney);
        const stream = await openSse(`${app.url}/api/journeys/JRN-001/stream?ticket=${used}`);
        await stream.event(0);
        stream.close();
        expect((await fetch(`${app.url}/api/journeys/JRN-001/stream?ticket=${used}`)).status).toBe(401);
        expect((await fetch(`${app.url}/api/journeys/JRN-404/stream?ticket=${unknownJourney}`, { headers: { accept: 'text/event-stream' } })).status).toBe(404);
        expect((await fetch(`${app.url}/api/journeys/JRN-001/stream?ticket=${used}&ticket=${unknownJourney}`)).status).toBeGreaterThanOrEqual(400);
      } finally {
        await app.stop();
      }
      const lines = jsonLogLines(app.output());
      // The requests were logged (with their URLs), only not their credentials.
      expect(lines.filter((line) => String((line.req as { url?: string } | undefined)?.url).includes('ticket=[redacted]')).length).toBeGreaterThanOrEqual(3);
      expect(lines.some((line) => line.msg === 'credential refused')).toBe(true);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(40);
        // Any fragment of it: a token's signature alone would be as bad.
        for (const part of secret.split('.')) expect(app.output()).not.toContain(part.slice(0, 24));
      }
    });

    it('writes human-readable lines with LOG_PRETTY', async () => {
      const app = await startApp('main-service', { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_PRETTY: 'true' } });
      try {
        await eventually('the listening line', () => app.output().includes('Server listening'));
      } finally {
        await app.stop();
      }
      const listening = app.output().split('\n').find((line) => line.includes('Server listening')) ?? '';
      expect(listening).toMatch(/^\[[\d:.]+\] INFO.*: Server listening/);
      expect(() => JSON.parse(listening)).toThrow();
    });
  });
});
