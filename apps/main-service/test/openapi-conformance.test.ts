import { redisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchIdempotency, SearchStore } from '@skyway/search-state';
import { eventually, freePort, isolatedRedis, sampleFlight, type IsolatedRedis } from '@skyway/testkit';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { buildApp, BODY_LIMIT_BYTES } from '../src/app';
import { startTestIssuer, type TestIssuer } from './support/test-issuer';
import { parseConfig } from '../src/config';

/**
 * Real traffic against the document: every operation is driven through its success and error paths
 * on real sockets, and each response (status, headers, body, and each SSE event) is validated
 * against the OpenAPI document the app serves, with Ajv (the validator Fastify and the contracts
 * use, in its JSON Schema 2020-12 mode, which OpenAPI 3.1 schemas are written in). Then the statuses
 * seen are compared with the statuses listed: none unlisted, none listed and never seen.
 *
 * A validating proxy (Prism) was the other option: it is a large dependency tree, starts a server
 * of its own, and in CI it would be one more process whose failures are not the API's. This check
 * reads the same document and fails on the same mismatches, in process.
 */

const TOKEN = 'conformance-test-token-0123456789';
const REQUEST_TIMEOUT_MS = 1_000;
/** The document's `$id` for Ajv: its `#/components/...` references resolve against it. */
const DOCUMENT_ID = 'https://skyway.invalid/openapi.json';

interface MediaType {
  schema: Record<string, unknown> & { type?: string; description?: string };
  example?: unknown;
}
interface Response {
  description: string;
  headers?: Record<string, { required?: boolean; schema: Record<string, unknown> }>;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  parameters?: Array<{ in: string; name: string; example?: unknown }>;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The client's address (127.0.0.0/8): per-client limits see another client for each. */
  readonly localAddress?: string;
}

/** Operations whose listed status this test does not drive, and why. */
const NOT_DRIVEN_HERE: Record<string, string> = {
  'PUT /api/journeys/{journeyId}/segments/{segmentId}/status 409': 'JOURNEY_CONFLICT needs cross-process contention: journeys-api.test.ts drives it',
  'PUT /api/journeys/{journeyId}/status 409': 'JOURNEY_CONFLICT needs cross-process contention: journeys-api.test.ts drives it',
};

let nextClient = 1;
/** A loopback address no earlier request of this test used: a fresh client for per-client limits. */
const freshClient = (): string => `127.0.${Math.floor(nextClient / 250) + 1}.${(nextClient++ % 250) + 1}`;

/** Longest one exchange may take: a response that never ends (a stream answered 200 where a refusal was due) fails, naming the request. */
const EXCHANGE_DEADLINE_MS = 15_000;

/** One request on a real socket, read to its end. */
function send(base: string, path: string, options: RequestOptions = {}): Promise<Exchange> {
  const caller = new Error().stack?.split('\n')[2]?.trim() ?? '';
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${path}`,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        localAddress: options.localAddress ?? freshClient(),
        signal: AbortSignal.timeout(EXCHANGE_DEADLINE_MS),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', (error) => reject(new Error(`${options.method ?? 'GET'} ${path} (${caller}): ${error.message}`)));
    request.end(options.body);
  });
}

interface HeldStream {
  /** The response so far: status, headers and the first event. */
  readonly exchange: Exchange;
  close(): void;
}

/** Opens an SSE stream, waits for its headers and first event (or its whole refusal), and keeps it open. */
function hold(base: string, path: string, localAddress: string, headers: Record<string, string> = {}): Promise<HeldStream> {
  return new Promise((resolve, reject) => {
    // Only until the first event: the stream itself stays open until the test closes it.
    const deadline = setTimeout(() => {
      request.destroy();
      reject(new Error(`GET ${path}: no first event within ${EXCHANGE_DEADLINE_MS} ms`));
    }, EXCHANGE_DEADLINE_MS);
    const request = httpRequest(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers }, localAddress }, (response) => {
      let body = '';
      const done = (): void => {
        clearTimeout(deadline);
        resolve({ exchange: { status: response.statusCode ?? 0, headers: response.headers, body }, close: () => request.destroy() });
      };
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
        if (/\ndata: .*\n\n/.test(body)) done();
      });
      response.on('end', done);
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * A request that stalls: the headers (or the body of a write) never complete, so Node answers 408
 * after REQUEST_TIMEOUT_MS and closes the connection. Resolves with what came back.
 */
function stall(base: string, method: string, path: string): Promise<Exchange> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(
      method === 'GET'
        ? `GET ${path} HTTP/1.1\r\nHost: localhost\r\nX-Stalled: `
        : `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"status":`,
    );
  });
}

function sseEvents(body: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(body);
  return events;
}

describe('the OpenAPI document against real traffic: every operation, every status, every response validated', () => {
  let redis: IsolatedRedis;
  let topology: RedisTopology & { readonly commands: Redis };
  let provider: SearchStore;
  /** Signs the access tokens of the 403 cases (a valid token without the operation's scope). */
  let issuer: TestIssuer;
  const apps: FastifyInstance[] = [];
  let document: Document;
  let ajv: Ajv2020;
  const validators = new Map<string, ValidateFunction>();
  const seen = new Map<string, Set<string>>();
  const problems: string[] = [];

  beforeAll(async () => {
    redis = await isolatedRedis('openapi-conformance');
    topology = singleRedisTopology(redis.url, { connectionName: 'test:provider' });
    await waitForReady(topology.commands, 5_000);
    provider = new SearchStore({ topology, keys: redisKeys(redis.prefix), service: 'test-provider' });
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await provider.close();
    topology.close();
    await redis.cleanup();
  });

  async function start(env: Record<string, string> = {}, redisUrl = redis.url): Promise<{ app: FastifyInstance; base: string }> {
    const app = await buildApp(
      parseConfig({
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redis.prefix,
        LOG_LEVEL: 'silent',
        SEED_JOURNEYS: 'none',
        JOURNEY_API_TOKEN: TOKEN,
        ...issuer.env,
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        SEARCH_RATE_LIMIT_MAX: '1000',
        ...env,
      }),
    );
    apps.push(app);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    // Until every results reader (one per partition) knows where it starts, streams are refused with a 503 by design.
    if (redisUrl === redis.url) await eventually('main-service ready', async () => (await app.inject('/health/ready')).statusCode === 200);
    return { app, base };
  }

  /** The compiled schema at `pointer` in the document, its `$ref`s resolved against the document's components. */
  function validatorFor(pointer: string, schema: unknown): ValidateFunction {
    let validate = validators.get(pointer);
    if (validate === undefined) {
      validate = ajv.compile({ $id: `${DOCUMENT_ID}/schemas/${validators.size}`, ...(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)) as object) });
      validators.set(pointer, validate);
    }
    return validate;
  }

  /** Records the status for `operation` and validates the response against the document; mismatches go to `problems`. */
  function check(operation: string, exchange: Exchange): void {
    const [method = '', path = ''] = operation.split(' ');
    const documented = document.paths[path]?.[method.toLowerCase()];
    if (documented === undefined) {
      problems.push(`${operation}: not in the document`);
      return;
    }
    const status = String(exchange.status);
    const statuses = seen.get(operation) ?? new Set<string>();
    seen.set(operation, statuses);
    const listedAs = documented.responses[status] !== undefined ? status : `${status[0]}XX`;
    statuses.add(listedAs);
    const response = documented.responses[listedAs];
    const where = `${operation} → ${status}`;
    if (response === undefined) {
      problems.push(`${where}: status not listed`);
      return;
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = exchange.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: header ${name} missing`);
        continue;
      }
      const validate = validatorFor(`${operation}/${status}/headers/${name}`, header.schema);
      if (!validate(value)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`);
    }
    const mediaType = exchange.headers['content-type']?.split(';')[0]?.trim();
    if (response.content === undefined) {
      if (mediaType !== undefined || exchange.body !== '') problems.push(`${where}: documented without a body, got ${mediaType} ${JSON.stringify(exchange.body.slice(0, 80))}`);
      if ((status === '204' || status === '304') && exchange.headers['content-length'] !== undefined) problems.push(`${where}: content-length on a ${status}`);
      return;
    }
    const media = mediaType === undefined ? undefined : response.content[mediaType];
    if (mediaType === undefined || media === undefined) {
      problems.push(`${where}: media type ${mediaType} not among ${Object.keys(response.content).join(', ')}`);
      return;
    }
    if (mediaType === 'text/event-stream') {
      // A string, whose description links the component each event's `data:` is.
      const linked = [...(media.schema.description ?? '').matchAll(/\(#\/components\/schemas\/(\w+)\)/g)].map((match) => ({ $ref: `#/components/schemas/${match[1]}` }));
      const validate = validatorFor(`${operation}/${status}/events`, { anyOf: linked });
      const events = sseEvents(exchange.body);
      if (linked.length === 0 || events.length === 0) problems.push(`${where}: no event schema linked (${linked.length}) or no event received (${events.length})`);
      for (const event of events) {
        if (!validate(JSON.parse(event.data))) problems.push(`${where}: event ${event.id} ${ajv.errorsText(validate.errors)}: ${event.data.slice(0, 200)}`);
      }
      return;
    }
    const validate = validatorFor(`${operation}/${status}/${mediaType}`, media.schema);
    if (!validate(JSON.parse(exchange.body))) problems.push(`${where}: ${ajv.errorsText(validate.errors)}: ${exchange.body.slice(0, 200)}`);
  }

  // One test, because the last check needs every status seen; generous time, as it starts four apps on a shared machine.
  it('every response matches the document, and every listed status is one an operation really returns', async () => {
    const { app, base } = await start({ SSE_MAX_STREAMS: '100', SSE_MAX_STREAMS_PER_CLIENT: '1' });
    document = (await app.inject('/docs/json')).json<Document>();
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    ajv.addSchema({ $id: DOCUMENT_ID, components: JSON.parse(JSON.stringify(document.components).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`)) as unknown });

    const post = document.paths['/api/flights/search']?.post;
    const exampleSearch = JSON.stringify(post?.requestBody?.content['application/json']?.example);
    const exampleJourney = document.paths['/api/journeys']?.post?.requestBody?.content['application/json']?.example as { id: string; segments: Array<{ segmentId: string }> };
    const exampleSearchId = String(document.paths['/api/flights/search/{search_id}']?.get?.parameters?.find((parameter) => parameter.name === 'search_id')?.example);
    const json = { 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const readOnly = { authorization: `Bearer ${await issuer.token('reader', { scopes: ['journeys:read'] })}` };
    const writeOnly = { authorization: `Bearer ${await issuer.token('writer', { scopes: ['journeys:write'] })}` };
    const sse = { accept: 'text/event-stream' };
    const tooLong = 'a'.repeat(120);
    const oversized = JSON.stringify({ status: 'x'.repeat(BODY_LIMIT_BYTES) });

    // Flight search: the document's own example is accepted today.
    const started = await send(base, '/api/flights/search', { method: 'POST', headers: json, body: exampleSearch });
    check('POST /api/flights/search', started);
    const searchId = (JSON.parse(started.body) as { data: { search_id: string } }).data.search_id;
    const key = randomUUID();
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: exampleSearch }));
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: { ...json, 'idempotency-key': key }, body: exampleSearch.replace('"passengers":2', '"passengers":3') }));
    // A first request with this key still creating its search (held open here): a retry meanwhile is a 409.
    let finishCreating: () => void = () => undefined;
    let claimed: () => void = () => undefined;
    const keyClaimed = new Promise<void>((resolve) => (claimed = resolve));
    const pendingKey = randomUUID();
    const creating = new SearchIdempotency({ commands: topology.commands, keyPrefix: redis.prefix }).startOnce(
      pendingKey,
      JSON.parse(exampleSearch) as { from: string; to: string; date: string; passengers: number },
      randomUUID(),
      () =>
        new Promise<number>((resolve) => {
          finishCreating = () => resolve(Date.now() + 60_000);
          claimed();
        }),
    );
    await keyClaimed;
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: { ...json, 'idempotency-key': pendingKey }, body: exampleSearch }));
    finishCreating();
    await creating;
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: json, body: '{}' }));
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: { ...json, 'idempotency-key': 'not a key!' }, body: exampleSearch }));
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: json, body: oversized }));
    check('POST /api/flights/search', await send(base, '/api/flights/search', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<search/>' }));

    check('GET /api/flights/search/{search_id}', await send(base, `/api/flights/search/${searchId}`));
    check('GET /api/flights/search/{search_id}', await send(base, '/api/flights/search/not-a-uuid'));
    check('GET /api/flights/search/{search_id}', await send(base, `/api/flights/search/${exampleSearchId}`));
    check('GET /api/flights/search/{search_id}', await send(base, `/api/flights/search/${tooLong}`));

    await provider.change(searchId, { kind: 'partial', results: [sampleFlight('a')] }, { now: new Date() });
    await provider.change(searchId, { kind: 'completed', results: [sampleFlight('b')] }, { now: new Date() });
    const finished = await send(base, `/api/flights/search/${searchId}/stream`, { headers: sse });
    check('GET /api/flights/search/{search_id}/stream', finished);
    const finalId = sseEvents(finished.body).at(-1)?.id ?? '';
    check('GET /api/flights/search/{search_id}/stream', await send(base, `/api/flights/search/${searchId}/stream`, { headers: { ...sse, 'last-event-id': finalId } }));
    check('GET /api/flights/search/{search_id}/stream', await send(base, '/api/flights/search/not-a-uuid/stream', { headers: sse }));
    check('GET /api/flights/search/{search_id}/stream', await send(base, `/api/flights/search/${exampleSearchId}/stream`, { headers: sse }));
    check('GET /api/flights/search/{search_id}/stream', await send(base, `/api/flights/search/${searchId}/stream`, { headers: { accept: 'application/json' } }));
    check('GET /api/flights/search/{search_id}/stream', await send(base, `/api/flights/search/${tooLong}/stream`, { headers: sse }));

    // Journeys: the document's example journey is accepted.
    check('GET /api/journeys', await send(base, '/api/journeys', { headers: auth }));
    check('GET /api/journeys', await send(base, '/api/journeys'));
    check('GET /api/journeys', await send(base, '/api/journeys', { headers: writeOnly }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { ...json, ...readOnly }, body: JSON.stringify(exampleJourney) }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify(exampleJourney) }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify(exampleJourney) }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { ...json, ...auth }, body: '{}' }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: json, body: JSON.stringify(exampleJourney) }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { ...json, ...auth }, body: oversized }));
    check('POST /api/journeys', await send(base, '/api/journeys', { method: 'POST', headers: { 'content-type': 'application/xml', ...auth }, body: '<journey/>' }));

    const journeyPath = `/api/journeys/${exampleJourney.id}`;
    const fetched = await send(base, journeyPath, { headers: auth });
    check('GET /api/journeys/{journeyId}', fetched);
    check('GET /api/journeys/{journeyId}', await send(base, journeyPath, { headers: { ...auth, 'if-none-match': String(fetched.headers.etag) } }));
    check('GET /api/journeys/{journeyId}', await send(base, '/api/journeys/not*an*id', { headers: auth }));
    check('GET /api/journeys/{journeyId}', await send(base, '/api/journeys/JRN-UNKNOWN', { headers: auth }));
    check('GET /api/journeys/{journeyId}', await send(base, `/api/journeys/${tooLong}`, { headers: auth }));
    check('GET /api/journeys/{journeyId}', await send(base, journeyPath));
    check('GET /api/journeys/{journeyId}', await send(base, journeyPath, { headers: writeOnly }));

    for (const [headers, path] of [
      [auth, `${journeyPath}/history`],
      [auth, '/api/journeys/not*an*id/history'],
      [auth, '/api/journeys/JRN-UNKNOWN/history'],
      [auth, `/api/journeys/${tooLong}/history`],
      [{}, `${journeyPath}/history`],
      [writeOnly, `${journeyPath}/history`],
    ] as const) {
      check('GET /api/journeys/{journeyId}/history', await send(base, path, { headers }));
    }
    for (const headers of [auth, {}, writeOnly]) {
      check('POST /api/journeys/stream-tickets', await send(base, '/api/journeys/stream-tickets', { method: 'POST', headers }));
    }

    const segmentId = exampleJourney.segments[0]?.segmentId ?? '';
    const writes: Array<[string, string, string]> = [
      ['PUT /api/journeys/{journeyId}/segments/{segmentId}/status', `${journeyPath}/segments/${segmentId}/status`, '{"status":"Boarding"}'],
      ['PUT /api/journeys/{journeyId}/status', `${journeyPath}/status`, '{"status":"InProgress"}'],
    ];
    for (const [operation, path, body] of writes) {
      check(operation, await send(base, path, { method: 'PUT', headers: { ...json, ...auth }, body }));
      check(operation, await send(base, path, { method: 'PUT', headers: { ...json, ...auth }, body: '{"status":"Teleported"}' }));
      check(operation, await send(base, path, { method: 'PUT', headers: json, body }));
      check(operation, await send(base, path, { method: 'PUT', headers: { ...json, ...readOnly }, body }));
      check(operation, await send(base, path.replace(exampleJourney.id, 'JRN-UNKNOWN'), { method: 'PUT', headers: { ...json, ...auth }, body }));
      check(operation, await send(base, path, { method: 'PUT', headers: { ...json, ...auth, 'if-match': '"99"' }, body }));
      check(operation, await send(base, path, { method: 'PUT', headers: { ...json, ...auth }, body: oversized }));
      check(operation, await send(base, path, { method: 'PUT', headers: { 'content-type': 'application/xml', ...auth }, body: '<status/>' }));
      check(operation, await send(base, path.replace(exampleJourney.id, tooLong), { method: 'PUT', headers: { ...json, ...auth }, body }));
    }
    check(
      'PUT /api/journeys/{journeyId}/segments/{segmentId}/status',
      await send(base, `${journeyPath}/segments/SEG-UNKNOWN/status`, { method: 'PUT', headers: { ...json, ...auth }, body: '{"status":"Boarding"}' }),
    );

    const journeyStream = await hold(base, `${journeyPath}/stream`, freshClient(), auth);
    journeyStream.close();
    check('GET /api/journeys/{journeyId}/stream', journeyStream.exchange);
    check('GET /api/journeys/{journeyId}/stream', await send(base, '/api/journeys/not*an*id/stream', { headers: { ...sse, ...auth } }));
    check('GET /api/journeys/{journeyId}/stream', await send(base, '/api/journeys/JRN-UNKNOWN/stream', { headers: { ...sse, ...auth } }));
    check('GET /api/journeys/{journeyId}/stream', await send(base, `${journeyPath}/stream`, { headers: { accept: 'application/json', ...auth } }));
    check('GET /api/journeys/{journeyId}/stream', await send(base, `/api/journeys/${tooLong}/stream`, { headers: { ...sse, ...auth } }));
    check('GET /api/journeys/{journeyId}/stream', await send(base, `${journeyPath}/stream`, { headers: sse }));
    check('GET /api/journeys/{journeyId}/stream', await send(base, `${journeyPath}/stream`, { headers: { ...sse, ...writeOnly } }));

    const boardPath = `/api/journeys-stream?ids=${exampleJourney.id}`;
    const boardStream = await hold(base, boardPath, freshClient(), auth);
    boardStream.close();
    check('GET /api/journeys-stream', boardStream.exchange);
    check('GET /api/journeys-stream', await send(base, '/api/journeys-stream?ids=not*an*id', { headers: { ...sse, ...auth } }));
    check('GET /api/journeys-stream', await send(base, '/api/journeys-stream?ids=JRN-UNKNOWN', { headers: { ...sse, ...auth } }));
    check('GET /api/journeys-stream', await send(base, boardPath, { headers: { accept: 'application/json', ...auth } }));
    check('GET /api/journeys-stream', await send(base, boardPath, { headers: sse }));
    check('GET /api/journeys-stream', await send(base, boardPath, { headers: { ...sse, ...writeOnly } }));

    check('GET /health/live', await send(base, '/health/live'));
    check('GET /health/ready', await send(base, '/health/ready'));

    // Stream caps: a client over its own cap is 429; a server at its cap is 503 (with Retry-After).
    const capped = await start({ SSE_MAX_STREAMS: '2', SSE_MAX_STREAMS_PER_CLIENT: '1' });
    const running = (JSON.parse((await send(capped.base, '/api/flights/search', { method: 'POST', headers: json, body: exampleSearch })).body) as { data: { search_id: string } }).data.search_id;
    const searchStream = `/api/flights/search/${running}/stream`;
    const greedy = freshClient();
    const held = [await hold(capped.base, searchStream, greedy)];
    check('GET /api/flights/search/{search_id}/stream', held[0]?.exchange ?? { status: 0, headers: {}, body: '' });
    try {
      check('GET /api/flights/search/{search_id}/stream', await send(capped.base, searchStream, { headers: sse, localAddress: greedy }));
      check('GET /api/journeys/{journeyId}/stream', await send(capped.base, `${journeyPath}/stream`, { headers: { ...sse, ...auth }, localAddress: greedy }));
      check('GET /api/journeys-stream', await send(capped.base, boardPath, { headers: { ...sse, ...auth }, localAddress: greedy }));
      held.push(await hold(capped.base, searchStream, freshClient()));
      check('GET /api/flights/search/{search_id}/stream', await send(capped.base, searchStream, { headers: sse }));
      check('GET /api/journeys/{journeyId}/stream', await send(capped.base, `${journeyPath}/stream`, { headers: { ...sse, ...auth } }));
      check('GET /api/journeys-stream', await send(capped.base, boardPath, { headers: { ...sse, ...auth } }));
    } finally {
      held.forEach((stream) => stream.close());
    }

    // One client over the search budget.
    const limited = await start({ SEARCH_RATE_LIMIT_MAX: '1' });
    const flooder = freshClient();
    await send(limited.base, '/api/flights/search', { method: 'POST', headers: json, body: exampleSearch, localAddress: flooder });
    check('POST /api/flights/search', await send(limited.base, '/api/flights/search', { method: 'POST', headers: json, body: exampleSearch, localAddress: flooder }));

    // Redis unreachable: every operation that needs it answers 503.
    const down = await start({}, `redis://127.0.0.1:${await freePort()}`);
    check('POST /api/flights/search', await send(down.base, '/api/flights/search', { method: 'POST', headers: json, body: exampleSearch }));
    check('GET /api/flights/search/{search_id}', await send(down.base, `/api/flights/search/${searchId}`));
    check('GET /api/flights/search/{search_id}/stream', await send(down.base, `/api/flights/search/${searchId}/stream`, { headers: sse }));
    check('GET /api/journeys', await send(down.base, '/api/journeys', { headers: auth }));
    check('GET /api/journeys/{journeyId}', await send(down.base, journeyPath, { headers: auth }));
    check('GET /api/journeys/{journeyId}/history', await send(down.base, `${journeyPath}/history`, { headers: auth }));
    check('POST /api/journeys/stream-tickets', await send(down.base, '/api/journeys/stream-tickets', { method: 'POST', headers: auth }));
    check('POST /api/journeys', await send(down.base, '/api/journeys', { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ ...exampleJourney, id: 'JRN-DOWN' }) }));
    for (const [operation, path, body] of writes) check(operation, await send(down.base, path, { method: 'PUT', headers: { ...json, ...auth }, body }));
    check('GET /api/journeys/{journeyId}/stream', await send(down.base, `${journeyPath}/stream`, { headers: { ...sse, ...auth } }));
    check('GET /api/journeys-stream', await send(down.base, boardPath, { headers: { ...sse, ...auth } }));
    check('GET /health/ready', await send(down.base, '/health/ready'));

    // Every operation: a request that never finishes arriving is answered 408 by Node.
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation })),
    );
    const stalled = await Promise.all(operations.map(({ method, path }) => stall(base, method, path.replace(/\{(\w+)\}/g, 'ID-$1'))));
    operations.forEach(({ name }, index) => check(name, stalled[index] ?? { status: 0, headers: {}, body: '' }));

    expect(problems).toEqual([]);
    const listedButNotSeen = operations.flatMap(({ name, operation }) =>
      Object.keys(operation.responses)
        .map((status) => `${name} ${status}`)
        .filter((listed) => !seen.get(name)?.has(listed.split(' ').at(-1) ?? '') && NOT_DRIVEN_HERE[listed] === undefined),
    );
    expect(listedButNotSeen).toEqual([]);
  }, 180_000);
});
