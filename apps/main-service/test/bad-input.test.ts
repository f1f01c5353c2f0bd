import { eventually, isolatedRedis, sampleJourney, startApp, type AppProcess, type IsolatedRedis } from '@skyway/testkit';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { buildApp, BODY_LIMIT_BYTES } from '../src/app';
import { parseConfig } from '../src/config';

const TOKEN = 'bad-input-test-token-0123456789';
const DAY_MS = 86_400_000;
const validSearch = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10), passengers: 2 };
/** Journey ids a request may create; stream requests never use them (an open stream would not end). */
const CREATABLE_JOURNEY_ID = 'FUZZ-CREATED';

/** Strings that have broken parsers, key builders and loggers before. */
const NASTY_STRINGS = [
  '',
  ' ',
  '*',
  '?',
  '{',
  '}',
  '{x}',
  ':',
  'a:b',
  '..',
  '../..',
  '%2e%2e%2f',
  '%00',
  '%0d%0aX-Injected:%201',
  '%',
  '%zz',
  '%E0%A4%A',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'ünïcödé',
  '%F0%9F%9B%AB',
  '%E2%80%AE',
  'a'.repeat(10_240),
  '1e309',
  '-0',
  '0x1F',
  'NaN',
  'JRN-001 OR 1=1',
  '$(reboot)',
];

const PROTOTYPE_POLLUTION_BODIES = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"from":"CGK","to":"DPS","date":"2030-01-01","passengers":1,"__proto__":{"polluted":"yes"}}',
  '{"status":"Departed","__proto__":{"isAdmin":true}}',
  '{"a":{"__proto__":{"polluted":"yes"}}}',
];

/** What a request can be aimed at: every public route, by template. */
type Target = (ids: { search: string; journey: string; segment: string }) => string;
const TARGETS: Record<string, Target> = {
  search: () => '/api/flights/search',
  searchSnapshot: ({ search }) => `/api/flights/search/${search}`,
  searchStream: ({ search }) => `/api/flights/search/${search}/stream`,
  journeys: () => '/api/journeys',
  journey: ({ journey }) => `/api/journeys/${journey}`,
  segmentStatus: ({ journey, segment }) => `/api/journeys/${journey}/segments/${segment}/status`,
  journeyStatus: ({ journey }) => `/api/journeys/${journey}/status`,
  journeyStream: ({ journey }) => `/api/journeys/${journey}/stream`,
  journeyStreamWithTicket: ({ journey, search }) => `/api/journeys/${journey}/stream?ticket=${search}`,
  journeyHistory: ({ journey }) => `/api/journeys/${journey}/history`,
  streamTickets: () => '/api/journeys/stream-tickets',
  demoPage: () => '/',
  demoFile: ({ search }) => `/${search}`,
  docs: () => '/docs',
  docsJson: () => '/docs/json',
  docsFile: ({ search }) => `/docs/static/${search}`,
  healthLive: () => '/health/live',
  healthReady: () => '/health/ready',
  metrics: () => '/metrics',
  unknown: ({ search }) => `/api/${search}`,
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** Printable ASCII only: anything else is refused by Node's HTTP layer before Fastify sees it. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 });

const id = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.uuid().map((uuid) => uuid),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.string({ maxLength: 40 }).map((text) => encodeURIComponent(text)),
);
const journeyIdForStream = id.filter((candidate) => candidate !== CREATABLE_JOURNEY_ID);

const body = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(...PROTOTYPE_POLLUTION_BODIES),
  fc.record({ from: headerText, to: headerText, date: headerText, passengers: fc.oneof(fc.integer(), fc.double(), fc.string()) }).map((value) => JSON.stringify(value)),
  fc.constant(JSON.stringify(validSearch)),
  fc.constant(JSON.stringify(sampleJourney(CREATABLE_JOURNEY_ID, 1))),
  fc.constantFrom('{"status":"Departed"}', '{"status":"InProgress"}', '{"status":"departed"}', '{"status":null}'),
  fc.constantFrom('[]', '{', '{"a":1,}', '\u0000', '1e99999', '"', '{"a":' + '['.repeat(2_000) + ']'.repeat(2_000) + '}'),
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/merge-patch+json',
    'text/plain',
    'text/event-stream',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
    '*/*',
    ';;;',
  ),
  headerText,
);

const jwtPart = fc.oneof(fc.base64String({ maxLength: 40 }).map((text) => text.replace(/=+$/, '')), fc.json().map((json) => Buffer.from(json).toString('base64url')));
const authorization = fc.oneof(
  fc.constantFrom(`Bearer ${TOKEN}`, `bearer   ${TOKEN}  `, 'Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`),
  // JWT-shaped garbage, unsigned (`alg: none`) tokens included: the JWKS below is unreachable, so no key verifies them.
  fc.tuple(jwtPart, jwtPart, jwtPart).map((parts) => `Bearer ${parts.join('.')}`),
  fc.json().map((claims) => `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(claims).toString('base64url')}.`),
  headerText,
);

const request = fc.record(
  {
    method: fc.constantFrom(...METHODS),
    target: fc.constantFrom(...Object.keys(TARGETS)),
    search: id,
    journey: id,
    streamJourney: journeyIdForStream,
    segment: id,
    body,
    headers: fc.record(
      {
        'content-type': contentType,
        authorization,
        'if-match': fc.oneof(fc.constantFrom('"1"', '*', 'W/"2"', '"0"', '"99999999999999999999"', '1,2'), headerText),
        'if-none-match': headerText,
        'last-event-id': fc.oneof(fc.constantFrom('0', '-1', '3', '1e3', '99999999999999999999', ' 2 '), headerText),
        accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/html', 'image/png'),
        origin: fc.constantFrom('https://evil.example.com', 'null'),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['method', 'target', 'search', 'journey', 'streamJourney', 'segment'] },
);

/** A request the server must answer; a stream that stays open (or a hang) fails the property clearly. */
async function send(app: FastifyInstance, options: InjectOptions): Promise<LightMyRequestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const unanswered = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete answer to ${JSON.stringify(options).slice(0, 300)}`)), 5_000);
  });
  try {
    return await Promise.race([app.inject(options), unanswered]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes raw bytes to the server (without closing our side) and returns its status line ('' if it just closes). */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const finish = (): void => {
      socket.destroy();
      resolve(answer.split('\r\n')[0] ?? '');
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.on('close', finish);
    socket.setTimeout(5_000, () => reject(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 80))}`)));
    socket.write(bytes);
  });
}

/** Every refusal is JSON with a message (`{success:false,message}` for the flight API, `{message}` for journeys). */
function expectRefusalEnvelope(response: LightMyRequestResponse, method: string, url: string): void {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  if (method === 'HEAD') return;
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const envelope = response.json() as Record<string, unknown>;
  expect(typeof envelope.message).toBe('string');
  if (!url.startsWith('/api/journeys')) expect(envelope.success).toBe(false);
}

describe('bad input (fast-check properties and nasty cases, real Redis)', () => {
  let redis: IsolatedRedis;
  let app: FastifyInstance;

  beforeAll(async () => {
    redis = await isolatedRedis('bad-input');
    app = await buildApp(
      parseConfig({
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
        LOG_LEVEL: 'silent',
        JOURNEY_API_TOKEN: TOKEN,
        AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json',
        AUTH_ISSUER: 'https://issuer.example.com/',
        AUTH_AUDIENCE: 'skyway',
        SEED_JOURNEYS: 'none',
        SEARCH_RATE_LIMIT_MAX: '1000000',
      }),
    );
    await eventually('main-service ready', async () => (await app.inject('/health/ready')).statusCode === 200);
  });
  afterAll(async () => {
    await app.close();
    await redis.cleanup();
  });

  afterEach(() => {
    // No payload may have reached a prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('answers random and adversarial requests to every route with a non-5xx, refusals as the JSON envelope', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const streaming = ['searchStream', 'journeyStream', 'journeyStreamWithTicket'].includes(input.target);
        const journey = streaming ? input.streamJourney : input.journey;
        const url = (TARGETS[input.target] as Target)({ search: input.search, journey, segment: input.segment });
        // A stream of an existing search or journey never ends by itself: stream ids are random, so none exists.
        const search = streaming && /^[0-9a-f-]{36}$/i.test(input.search) ? randomUUID() : input.search;
        const target = (TARGETS[input.target] as Target)({ search, journey, segment: input.segment });
        const response = await send(app, {
          method: input.method,
          url: target,
          headers: input.headers,
          ...(input.method === 'GET' || input.method === 'HEAD' ? {} : { payload: input.body }),
        });
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) expectRefusalEnvelope(response, input.method, url);
      }),
      { numRuns: 600 },
    );
    expect((await app.inject('/health/live')).statusCode).toBe(200);
  });

  describe('nasty cases', () => {
    it.each([
      ['POST /api/flights/search', 'POST', '/api/flights/search'],
      ['POST /api/journeys', 'POST', '/api/journeys'],
      ['PUT a segment status', 'PUT', '/api/journeys/JRN-001/segments/SEG-001/status'],
    ])('%s: a body over the limit is a 413 envelope', async (_name, method, url) => {
      const payload = JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT_BYTES) });
      const response = await send(app, {
        method: method as 'POST' | 'PUT',
        url,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        payload,
      });
      expect(response.statusCode).toBe(413);
      expectRefusalEnvelope(response, method, url);
    });

    it.each(PROTOTYPE_POLLUTION_BODIES)('refuses the prototype-pollution body %s with 400 and changes nothing', async (payload) => {
      const requestsBefore = await redis.client.xlen(`${redis.prefix}flight.search.requested`);
      for (const url of ['/api/flights/search', '/api/journeys', '/api/journeys/JRN-001/status']) {
        const response = await send(app, {
          method: url.endsWith('/status') ? 'PUT' : 'POST',
          url,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          payload,
        });
        expect(response.statusCode).toBe(400);
        expectRefusalEnvelope(response, 'POST', url);
      }
      expect(await redis.client.xlen(`${redis.prefix}flight.search.requested`)).toBe(requestsBefore);
    });

    it.each(['/../package.json', '/%2e%2e/package.json', '/%2e%2e%2fpackage.json', '/..%5cpackage.json', '/docs/static/..%2f..%2fpackage.json', '/%00index.html', '/index.html%00.js'])(
      'serves nothing outside the static folders for %s',
      async (url) => {
        const response = await send(app, { url });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expectRefusalEnvelope(response, 'GET', url);
        expect(response.body).not.toContain('@skyway/main-service');
      },
    );

    it('ignores prototype keys in the query string', async () => {
      const response = await send(app, {
        url: '/api/journeys?__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__.isAdmin=true',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.statusCode).toBe(200);
    });

    it.each([
      // Fastify reads text/plain as a string, which is not the object the schema wants.
      ['text/plain', '{"from":"CGK"}', 400],
      ['application/x-www-form-urlencoded', 'from=CGK&to=DPS', 415],
      ['application/json', '', 400],
      ['application/json', '{"from":', 400],
      ['application/json', 'null', 400],
      ['application/json', '[]', 400],
      ['application/json', JSON.stringify(validSearch).replace('"passengers":2', '"passengers":1e309'), 400],
      ['application/json', JSON.stringify({ ...validSearch, from: { $gt: '' } }), 400],
    ])('POST /api/flights/search as %s %j → %i', async (type, payload, status) => {
      const response = await send(app, { method: 'POST', url: '/api/flights/search', headers: { 'content-type': type }, payload });
      expect(response.statusCode).toBe(status);
      expectRefusalEnvelope(response, 'POST', '/api/flights/search');
    });
  });

  describe('ids that could reach Redis key names are rejected before any Redis call', () => {
    /** The same app with Redis unreachable: any request that touched Redis would be a 503, not a 400. */
    let offline: FastifyInstance;
    beforeAll(async () => {
      offline = await buildApp(
        parseConfig({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent', JOURNEY_API_TOKEN: TOKEN, SEED_JOURNEYS: 'none' }),
      );
    });
    afterAll(() => offline.close());

    const HOSTILE_IDS = ['*', '{', '}', '{JRN-001}', ':', 'JRN:001', '..', 'ünïcödé', '🛫', 'a'.repeat(10_240), 'JRN 001', 'JRN-001\r\nFLUSHALL'];
    const routes: Array<[string, 'GET' | 'PUT', (hostile: string) => string]> = [
      ['search snapshot', 'GET', (hostile) => `/api/flights/search/${hostile}`],
      ['search stream', 'GET', (hostile) => `/api/flights/search/${hostile}/stream`],
      ['journey', 'GET', (hostile) => `/api/journeys/${hostile}`],
      ['journey stream', 'GET', (hostile) => `/api/journeys/${hostile}/stream`],
      ['journey status', 'PUT', (hostile) => `/api/journeys/${hostile}/status`],
      ['segment status (journey id)', 'PUT', (hostile) => `/api/journeys/${hostile}/segments/SEG-001/status`],
      ['segment status (segment id)', 'PUT', (hostile) => `/api/journeys/JRN-001/segments/${hostile}/status`],
    ];

    it.each(routes)('%s: 4xx (400, or 404 when the path does not match, 414 past the id length limit), never 503', async (_name, method, path) => {
      const answers: Array<[string, number]> = [];
      for (const hostile of HOSTILE_IDS) {
        const url = path(encodeURIComponent(hostile));
        const response = await send(offline, {
          method,
          url,
          headers: { accept: url.endsWith('/stream') ? 'text/event-stream' : 'application/json', authorization: `Bearer ${TOKEN}` },
          ...(method === 'PUT' ? { payload: { status: url.includes('/segments/') ? 'Departed' : 'InProgress' } } : {}),
        });
        answers.push([hostile.slice(0, 20), response.statusCode]);
        expectRefusalEnvelope(response, method, url);
      }
      expect(answers.filter(([, status]) => ![400, 404, 414].includes(status))).toEqual([]);
    });

    it('(control) a well-formed id does reach Redis, which is down: 503', async () => {
      expect((await send(offline, { url: `/api/flights/search/${randomUUID()}` })).statusCode).toBe(503);
      expect((await send(offline, { url: '/api/journeys/JRN-001', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(503);
    });
  });

  describe('as a process: malformed HTTP never brings it down', () => {
    let main: AppProcess;
    beforeAll(async () => {
      main = await startApp('main-service', {
        env: {
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: `${redis.prefix}process:`,
          LOG_LEVEL: 'warn',
          JOURNEY_API_TOKEN: TOKEN,
          SEED_JOURNEYS: 'none',
          REQUEST_TIMEOUT_MS: '1000',
        },
        readyPath: '/health/ready',
      });
    });
    afterAll(async () => {
      expect(await main.stop('SIGTERM')).toBe(0);
    });

    it.each([
      ['a request line that is not HTTP', 'HELLO\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['a header line without a colon', 'GET /health/live HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['32 kB of headers', `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32_768)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ['a body that stalls (slowloris)', 'POST /api/flights/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"from":', /^HTTP\/1\.1 408 /],
      ['headers that stall', 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ', /^HTTP\/1\.1 408 /],
      ['a Content-Length over the body limit', `POST /api/flights/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY_LIMIT_BYTES * 100}\r\nConnection: close\r\n\r\n{}`, /^HTTP\/1\.1 413 /],
      ['broken chunked encoding', 'POST /api/journeys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['both Content-Length and Transfer-Encoding (request smuggling)', 'POST /api/journeys HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['a NUL byte in the path', 'GET /api/journeys/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 /],
      ['an unknown method', 'BREW /api/journeys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', /^HTTP\/1\.1 (400|404|405) /],
    ])('%s: a 4xx (or a closed socket), and the process still serves', async (_case, bytes, expected) => {
      expect(await rawExchange(main.port, bytes)).toMatch(expected);
      expect(main.child.exitCode).toBeNull();
      expect((await fetch(`${main.url}/health/live`)).status).toBe(200);
    });
  });
});
