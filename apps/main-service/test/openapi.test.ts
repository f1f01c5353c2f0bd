import { validate } from '@readme/openapi-parser';
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
  tags?: string[];
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: boolean }; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
  security?: Array<Record<string, string[]>>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
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

  it('lists every public API route the app serves, each with a tag, a summary and its responses', () => {
    const api = servedRoutes(app).filter((route) => / \/api\//.test(route) && !/^(HEAD|OPTIONS) /.test(route));
    expect(api.sort()).toEqual([
      'GET /api/flights/search/{search_id}',
      'GET /api/flights/search/{search_id}/stream',
      'GET /api/journeys',
      'GET /api/journeys-stream',
      'GET /api/journeys/{journeyId}',
      'GET /api/journeys/{journeyId}/stream',
      'POST /api/flights/search',
      'POST /api/journeys',
      'PUT /api/journeys/{journeyId}/segments/{segmentId}/status',
      'PUT /api/journeys/{journeyId}/status',
    ]);
    for (const route of api) {
      const [method = '', path = ''] = route.split(' ');
      const operation = document.paths[path]?.[method.toLowerCase()];
      expect([route, operation?.tags?.length, typeof operation?.summary]).toEqual([route, 1, 'string']);
      const success = Object.keys(operation?.responses ?? {}).filter((status) => status.startsWith('2'));
      expect([route, success.length]).toEqual([route, 1]);
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        expect([route, status, response.description]).not.toEqual([route, status, 'Default Response']);
      }
    }
    // The demo page's files and the docs UI are not API routes.
    expect(Object.keys(document.paths).filter((path) => !path.startsWith('/api/') && !path.startsWith('/health/'))).toEqual([]);
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

  it('marks journey writes as needing the bearer token, and reads as open', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const journeys = Object.entries(document.paths).filter(([path]) => path.startsWith('/api/journeys'));
    const secured = journeys.flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [method, path, operation.security ?? []] as const));
    for (const [method, path, security] of secured) {
      expect([method, path, security]).toEqual([method, path, method === 'get' ? [] : [{ bearerAuth: [] }]]);
    }
  });

  it('documents the SSE routes as text/event-stream', () => {
    for (const path of ['/api/flights/search/{search_id}/stream', '/api/journeys/{journeyId}/stream']) {
      expect([path, Object.keys(document.paths[path]?.get?.responses['200']?.content ?? {})]).toEqual([path, ['text/event-stream']]);
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
