import { createSkywayClient, type SearchEvent } from '@skyway/api-client';
import { redisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchStore } from '@skyway/search-state';
import { eventually, isolatedRedis, sampleFlight, sampleJourney, type IsolatedRedis } from '@skyway/testkit';
import { EventSource } from 'eventsource';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

const TOKEN = 'typed-client-test-token-0123456789';
/** The client's types, generated from the document and committed (`UPDATE_API_CLIENT=1` rewrites them). */
const GENERATED_SCHEMA = join(__dirname, '../../../packages/api-client/src/schema.ts');
const HEADER = `// From main-service's OpenAPI document (/docs/json) without its examples.
// Regenerate: UPDATE_API_CLIENT=1 npx jest apps/main-service/test/typed-client.test.ts
`;

/** The openapi-typescript CLI, as a user would run it (in a process of its own: it loads ES modules Jest cannot). */
async function generateTypes(document: unknown): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'skyway-client-'));
  try {
    const input = join(directory, 'openapi.json');
    const output = join(directory, 'schema.ts');
    await writeFile(input, JSON.stringify(document));
    const cli = join(dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js');
    await promisify(execFile)(process.execPath, [cli, input, '--output', output]);
    return HEADER + (await readFile(output, 'utf8'));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Examples are dated from the day the document is built: they are not part of the types, and would change daily. */
function withoutExamples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutExamples);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'example' && key !== 'examples')
      .map(([key, value]) => [key, withoutExamples(value)]),
  );
}

describe('a typed client generated from the OpenAPI document alone (openapi-typescript + openapi-fetch)', () => {
  let redis: IsolatedRedis;
  let app: FastifyInstance;
  let base: string;
  let topology: RedisTopology & { readonly commands: Redis };
  let provider: SearchStore;

  beforeAll(async () => {
    redis = await isolatedRedis('typed-client');
    app = await buildApp(parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', SEED_JOURNEYS: 'none', JOURNEY_API_TOKEN: TOKEN }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    await eventually('main-service ready', async () => (await app.inject('/health/ready')).statusCode === 200);
    topology = singleRedisTopology(redis.url, { connectionName: 'test:provider' });
    await waitForReady(topology.commands, 5_000);
    provider = new SearchStore({ topology, keys: redisKeys(redis.prefix), service: 'test-provider' });
  });
  afterAll(async () => {
    await app.close();
    await provider.close();
    topology.close();
    await redis.cleanup();
  });

  it('is generated from the document as the app serves it (the committed types are not stale)', async () => {
    const document = (await app.inject('/docs/json')).json<Record<string, unknown>>();
    const generated = await generateTypes(withoutExamples(document));
    if (process.env.UPDATE_API_CLIENT === '1') await writeFile(GENERATED_SCHEMA, generated);
    expect(await readFile(GENERATED_SCHEMA, 'utf8')).toBe(generated);
  });

  it('starts a search, follows it with an EventSource and polls it, all typed from the document', async () => {
    const client = createSkywayClient(base);
    const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const key = randomUUID();
    const started = await client.POST('/api/flights/search', { body: { from: 'cgk', to: 'DPS', date, passengers: 2 }, headers: { 'idempotency-key': key } });
    expect(started.response.status).toBe(202);
    const searchId = started.data?.data.search_id ?? '';
    const location = started.response.headers.get('location') ?? '';
    expect(location).toBe(`/api/flights/search/${searchId}/stream`);
    const retried = await client.POST('/api/flights/search', { body: { from: 'CGK', to: 'DPS', date, passengers: 2 }, headers: { 'idempotency-key': key } });
    expect(retried.data?.data.search_id).toBe(searchId);

    await provider.change(searchId, { kind: 'completed', results: [sampleFlight('a'), sampleFlight('b')] }, { now: new Date() });
    const events: SearchEvent[] = [];
    const source = new EventSource(new URL(location, base));
    await new Promise<void>((resolve) => {
      source.onmessage = (message) => {
        const event = JSON.parse(message.data as string) as SearchEvent;
        events.push(event);
        if ('total_results' in event) resolve();
      };
    });
    source.close();
    expect(events.map((event) => event.status)).toEqual(['processing', 'completed', 'completed']);

    const polled = await client.GET('/api/flights/search/{search_id}', { params: { path: { search_id: searchId } } });
    expect([polled.data?.data.status, polled.data?.data.total_results]).toEqual(['completed', 2]);

    const refused = await client.POST('/api/flights/search', { body: { from: 'CGK', to: 'CGK', date, passengers: 0 } });
    // The error bodies of every listed status form a union: the envelope's `errors` is there to narrow to.
    const fields = refused.error !== undefined && 'errors' in refused.error ? refused.error.errors?.map((error) => error.field) : undefined;
    expect([refused.response.status, fields]).toEqual([400, ['passengers']]);
    const unknown = await client.GET('/api/flights/search/{search_id}', { params: { path: { search_id: randomUUID() } } });
    expect([unknown.response.status, unknown.error?.message]).toEqual([404, 'Search not found']);
  });

  it('creates, reads and updates a journey, with its bearer token, ETag and If-Match', async () => {
    const client = createSkywayClient(base, { headers: { authorization: `Bearer ${TOKEN}` } });
    const created = await client.POST('/api/journeys', { body: sampleJourney('JRN-TYPED', 2) });
    expect([created.response.status, created.data?.version]).toEqual([201, 1]);
    const listed = await client.GET('/api/journeys');
    expect(listed.data?.journeyIds).toEqual(['JRN-TYPED']);

    const updated = await client.PUT('/api/journeys/{journeyId}/segments/{segmentId}/status', {
      params: { path: { journeyId: 'JRN-TYPED', segmentId: 'SEG-001' }, header: { 'if-match': '"1"' } },
      body: { status: 'Boarding' },
    });
    expect([updated.data?.newStatus, updated.data?.version]).toEqual(['Boarding', 2]);
    const stale = await client.PUT('/api/journeys/{journeyId}/status', {
      params: { path: { journeyId: 'JRN-TYPED' }, header: { 'if-match': '"1"' } },
      body: { status: 'InProgress' },
    });
    expect([stale.response.status, stale.error !== undefined && 'code' in stale.error ? stale.error.code : undefined]).toEqual([412, 'PRECONDITION_FAILED']);

    const fetched = await client.GET('/api/journeys/{journeyId}', { params: { path: { journeyId: 'JRN-TYPED' } } });
    expect(fetched.data?.segments.map((segment) => segment.status)).toEqual(['Boarding', 'Scheduled']);
    const notModified = await client.GET('/api/journeys/{journeyId}', {
      params: { path: { journeyId: 'JRN-TYPED' }, header: { 'if-none-match': fetched.response.headers.get('etag') ?? '' } },
    });
    // openapi-fetch files a 304 under `error` (not 2xx), with no body to parse.
    expect([notModified.response.status, notModified.data]).toEqual([304, undefined]);
  });
});
