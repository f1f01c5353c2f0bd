import { validate } from '@readme/openapi-parser';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Type, type TObject } from '@sinclair/typebox';
import {
  compileValidator,
  FlightSearchRequest,
  ID_PATTERN,
  NewJourney,
  UpdateJourneyStatusBody,
  UpdateSegmentStatusBody,
} from '@skyway/contracts';
import { isolatedRedis, type IsolatedRedis } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema: { pattern?: string; format?: string };
  example?: unknown;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: boolean }; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { type?: string; description?: string } }> }>;
  security?: Array<Record<string, string[]>>;
}
interface Document {
  openapi: string;
  info: { license?: { name: string } };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
}

/** The request body each write route validates with: the document must describe exactly these. */
const REQUEST_BODIES: Record<string, TObject> = {
  'POST /api/flights/search': FlightSearchRequest,
  'POST /api/journeys': NewJourney,
  'PUT /api/journeys/{journeyId}/segments/{segmentId}/status': UpdateSegmentStatusBody,
  'PUT /api/journeys/{journeyId}/status': UpdateJourneyStatusBody,
};

/**
 * Every route the app serves, as `METHOD /path/{param}`, read from Fastify's own route tree
 * (`printRoutes`), so a route added without documentation is caught here.
 */
function servedRoutes(app: FastifyInstance): string[] {
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    parents.length = depth;
    const path = (parents.at(-1) ?? '') + (match[2] ?? '');
    parents.push(path);
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

describe('OpenAPI document and docs UI', () => {
  let redis: IsolatedRedis;
  let app: FastifyInstance;
  let document: Document;

  beforeAll(async () => {
    redis = await isolatedRedis('openapi');
    app = await buildApp(parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', SEED_JOURNEYS: 'none' }));
    await app.ready();
    const response = await app.inject('/docs/json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.json<Document>();
  });
  afterAll(async () => {
    await app.close();
    await redis.cleanup();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    // validate() dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
    expect(document.openapi).toBe('3.1.0');
  });

  it('lists every public API route the app serves, each with a tag, a summary, an operationId and its responses', () => {
    const api = servedRoutes(app).filter((route) => / \/api\//.test(route) && !/^(HEAD|OPTIONS) /.test(route));
    expect(api.sort()).toEqual([
      'GET /api/flights/search/{search_id}',
      'GET /api/flights/search/{search_id}/stream',
      'GET /api/journeys',
      'GET /api/journeys-stream',
      'GET /api/journeys/{journeyId}',
      'GET /api/journeys/{journeyId}/history',
      'GET /api/journeys/{journeyId}/stream',
      'POST /api/flights/search',
      'POST /api/journeys',
      'POST /api/journeys/stream-tickets',
      'PUT /api/journeys/{journeyId}/segments/{segmentId}/status',
      'PUT /api/journeys/{journeyId}/status',
    ]);
    for (const route of api) {
      const [method = '', path = ''] = route.split(' ');
      const operation = document.paths[path]?.[method.toLowerCase()];
      expect([route, operation?.tags?.length]).toEqual([route, 1]);
      const success = Object.keys(operation?.responses ?? {}).filter((status) => status.startsWith('2'));
      expect([route, success.length > 0]).toEqual([route, true]);
    }
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    // The health routes too: what a gateway or a generated client needs of every operation.
    for (const operation of operations) {
      expect([operation.operationId, typeof operation.summary]).toEqual([expect.stringMatching(/^[a-z][A-Za-z]+$/), 'string']);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect([operation.operationId, status, response.description]).not.toEqual([operation.operationId, status, 'Default Response']);
      }
    }
    expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(operations.length);
    expect(operations.length).toBe(14);
    // The demo page's files and the docs UI are not API routes.
    expect(Object.keys(document.paths).filter((path) => !path.startsWith('/api/') && !path.startsWith('/health/'))).toEqual([]);
  });

  it('names its servers and its licence', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(document.info.license).toMatchObject({ name: expect.any(String), identifier: expect.stringMatching(/^LicenseRef-/) });
  });

  it('passes @redocly/cli lint with the recommended rules: no error, and no warning but the SSE event components no $ref uses', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'skyway-openapi-'));
    try {
      const file = join(directory, 'openapi.json');
      await writeFile(file, JSON.stringify(document));
      const cli = join(dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
      // lint exits 1 on errors: the report is read either way.
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--extends=recommended', '--format=json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
      }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as { problems: Array<{ severity: string; ruleId: string; message: string; location: Array<{ pointer: string }> }> };
      const problems = report.problems.map((problem) => `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`);
      expect(problems.filter((problem) => problem.startsWith('error'))).toEqual([]);
      // The event payloads are linked from the SSE responses' descriptions, which the linter does not count as a use.
      expect(problems.filter((problem) => !/^warn no-unused-components #\/components\/schemas\/(SearchEvent|Journey|JourneyChangeEvent):/.test(problem))).toEqual([]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('describes each request body with the schema the route validates with, and an example that schema accepts', () => {
    for (const [route, contract] of Object.entries(REQUEST_BODIES)) {
      const [method = '', path = ''] = route.split(' ');
      const media = document.paths[path]?.[method.toLowerCase()]?.requestBody?.content['application/json'];
      expect([route, media?.schema.required, Object.keys(media?.schema.properties ?? {}), media?.schema.additionalProperties]).toEqual([
        route,
        contract.required,
        Object.keys(contract.properties),
        false,
      ]);
      // Wrapped: Ajv compiles a schema with an `$id` once per instance, and the app has compiled these.
      const validator = compileValidator(Type.Array(contract));
      expect([route, validator.errors([media?.example])]).toEqual([route, []]);
    }
  });

  it('describes path parameters with the patterns that validate them, with examples', () => {
    const searchId = document.paths['/api/flights/search/{search_id}']?.get?.parameters?.find((parameter) => parameter.name === 'search_id');
    expect(searchId).toMatchObject({ in: 'path', required: true, schema: { format: 'uuid' }, example: expect.any(String) });
    const segment = document.paths['/api/journeys/{journeyId}/segments/{segmentId}/status']?.put?.parameters ?? [];
    for (const name of ['journeyId', 'segmentId']) {
      expect(segment.find((parameter) => parameter.name === name)).toMatchObject({ in: 'path', required: true, schema: { pattern: ID_PATTERN }, example: expect.any(String) });
    }
  });

  it('marks every journeys route as needing a bearer token with its scope (streams: or a ticket), and documents 401 and 403', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.securitySchemes.streamTicket).toMatchObject({ type: 'apiKey', in: 'query', name: 'ticket' });
    const journeys = Object.entries(document.paths).filter(([path]) => path.startsWith('/api/journeys'));
    const secured = journeys.flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [method, path, operation] as const));
    expect(secured.length).toBeGreaterThanOrEqual(8);
    for (const [method, path, operation] of secured) {
      const scope = method === 'get' || path.endsWith('/stream-tickets') ? 'journeys:read' : 'journeys:write';
      const expected = /\/stream$|-stream$/.test(path) ? [{ bearerAuth: [scope] }, { streamTicket: [] }] : [{ bearerAuth: [scope] }];
      expect([method, path, operation.security]).toEqual([method, path, expected]);
      expect([method, path, Object.keys(operation.responses)]).toEqual([method, path, expect.arrayContaining(['401', '403'])]);
    }
  });

  it('documents the SSE routes as text/event-stream strings that link their event payloads, components of the document', () => {
    for (const path of ['/api/flights/search/{search_id}/stream', '/api/journeys/{journeyId}/stream']) {
      const content = document.paths[path]?.get?.responses['200']?.content ?? {};
      expect([path, Object.keys(content)]).toEqual([path, ['text/event-stream']]);
      const schema = content['text/event-stream']?.schema;
      expect([path, schema?.type]).toEqual([path, 'string']);
      const linked = [...(schema?.description ?? '').matchAll(/\(#\/components\/schemas\/(\w+)\)/g)].map((match) => match[1] ?? '');
      expect([path, linked.length > 0, linked.filter((name) => document.components.schemas[name] === undefined)]).toEqual([path, true, []]);
    }
  });

  it('serves Swagger UI at /docs from its own files, with no inline script, under the app-wide CSP', async () => {
    const page = await app.inject('/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', inline = ''] of scripts) {
      const src = /src="([^"]+)"/.exec(attributes)?.[1];
      expect([src?.startsWith('/docs/'), inline.trim()]).toEqual([true, '']);
      const asset = await app.inject(src ?? '');
      expect([src, asset.statusCode, asset.headers['content-type']]).toEqual([src, 200, expect.stringMatching(/javascript/)]);
    }
    // The initializer points the UI at this document.
    expect((await app.inject('/docs/static/swagger-initializer.js')).body).toContain('json');
  });
});
