import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TSchema } from '@sinclair/typebox';
import { Journey, JourneyChangeEvent, SearchEvent } from '@skyway/contracts';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { APP_ROOT } from '../../app-root';

/** Where the Swagger UI is served; the document itself is at `${DOCS_PATH}/json`. */
export const DOCS_PATH = '/docs';

const DESCRIPTION = `Skyway's public API.

**Flight search**: \`POST /api/flights/search\` answers 202 at once with a \`search_id\`; the results
then stream in over Server-Sent Events at \`/api/flights/search/{search_id}/stream\` as suppliers answer.

**Journeys** hold passenger data: every route needs \`Authorization: Bearer <access token>\` with scope
\`journeys:read\` (list, journey, history, stream) or \`journeys:write\` (create, updates), or the static
service token \`JOURNEY_API_TOKEN\` (actor \`service\`). Every change records its actor, listed by
\`GET /api/journeys/{journeyId}/history\`. An \`EventSource\`, which cannot send headers, opens a stream with a
single-use \`?ticket=\` from \`POST /api/journeys/stream-tickets\`. Concurrent segment updates are never lost:
a write that cannot commit after its bounded retries is a 409 \`JOURNEY_CONFLICT\` with \`Retry-After\`.`;

interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
}
interface Operation {
  security?: unknown[];
  responses?: Record<string, Response>;
}
/** A path item's operations (it may also hold parameters and servers, which are not objects with responses). */
type PathItem = Record<string, Operation | undefined>;

/**
 * The `data:` payloads of the SSE routes, as named components their responses link to. OpenAPI
 * 3.1 cannot type an event stream (3.2's `itemSchema` can, but validators, linters and generators
 * do not read it yet), so an SSE response is documented as a string and names its event schemas.
 */
const SSE_EVENT_SCHEMAS: readonly TSchema[] = [SearchEvent, Journey, JourneyChangeEvent];

/** Seconds a refused client should wait: every 429 and 503 of the API carries it (a readiness probe's 503 does not). */
const RETRY_AFTER_HEADER = {
  description: 'Seconds to wait before retrying',
  required: true,
  schema: { type: 'string', pattern: '^[0-9]+$' },
};

/**
 * A request not fully received within REQUEST_TIMEOUT_MS is answered by Fastify's client-error
 * handler on the socket, before any route (so in its own shape, not the API's), on every route.
 */
const REQUEST_TIMEOUT_RESPONSE: Response = {
  description: 'The request (headers or body) did not arrive within `REQUEST_TIMEOUT_MS`; the connection is closed',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error', 'message', 'statusCode'],
        properties: { error: { type: 'string' }, message: { type: 'string' }, statusCode: { type: 'integer', const: 408 } },
      },
    },
  },
};

/**
 * Adds `schema` (a contract schema with an `$id`) to `components` under that name; every schema
 * nested in it that has an `$id` of its own becomes a `$ref` to its own component.
 */
function addComponent(components: Record<string, unknown>, schema: TSchema): void {
  const inline = (node: unknown, isRoot: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, false));
    if (typeof node !== 'object' || node === null) return node;
    const { $id, ...rest } = node as Record<string, unknown>;
    const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value, false)]));
    if (typeof $id !== 'string') return converted;
    components[$id] ??= converted;
    return isRoot ? converted : { $ref: `#/components/schemas/${$id}` };
  };
  // JSON round trip: drops TypeBox's symbol keys.
  inline(JSON.parse(JSON.stringify(schema)), true);
}

/**
 * What the route schemas cannot say, applied to the generated document:
 * - responses are described by their status's reason phrase (`Accepted`, `Not Found`) where the
 *   route gives no description, instead of the generator's `Default Response` on every one;
 * - an operation that declares no security is anonymous (`security: []`), said explicitly;
 * - every operation may be answered 408, and every 429 and 503 of the API carries `Retry-After`;
 * - the SSE routes' event payloads are components.
 */
const completeDocument: SwaggerTransformObject = (generated) => {
  const document = 'openapiObject' in generated ? generated.openapiObject : generated.swaggerObject;
  for (const [path, pathItem] of Object.entries(document.paths ?? {}) as Array<[string, PathItem]>) {
    for (const operation of Object.values(pathItem)) {
      if (operation?.responses === undefined) continue;
      operation.security ??= [];
      operation.responses['408'] ??= { ...REQUEST_TIMEOUT_RESPONSE };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? (status === '2XX' ? 'Success' : status);
        const refused = status === '429' || status === '503';
        if (refused && path.startsWith('/api/')) response.headers = { 'Retry-After': RETRY_AFTER_HEADER, ...response.headers };
      }
    }
  }
  const openapi = document as { components?: { schemas?: Record<string, unknown> } };
  const components = ((openapi.components ??= {}).schemas ??= {});
  for (const schema of SSE_EVENT_SCHEMAS) addComponent(components, schema);
  return document;
};

/**
 * OpenAPI 3.1 document generated from the route schemas (@fastify/swagger), served at `/docs/json`
 * with Swagger UI at `/docs` (@fastify/swagger-ui, its own bundled assets: no CDN, and no inline
 * script, so the app-wide CSP applies unchanged). 3.1 because its Schema Object is JSON Schema
 * 2020-12: TypeBox's `const`, `examples` and `$id` are valid there as they are. Registered before
 * the routes, which it collects as they are added; only tagged routes are listed, so health,
 * metrics and the demo page's files stay out of the API reference.
 */
const openApi: FastifyPluginAsync = async (app) => {
  const { version } = JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Skyway API',
        version,
        description: DESCRIPTION,
        // No open-source licence: the packages are private (npm's UNLICENSED), stated in SPDX's form for a licence of one's own.
        license: { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Skyway-Proprietary' },
      },
      // Relative: the API is wherever this document was fetched from (Swagger UI, generated clients given a base URL).
      servers: [{ url: '/', description: 'The server that serves this document' }],
      tags: [
        { name: 'flights', description: 'Flight search: start one, follow it over SSE, or poll it' },
        { name: 'journeys', description: "Booked journeys and their segments' live statuses" },
        { name: 'health', description: 'Liveness and readiness probes' },
        { name: 'development', description: 'Development token issuer (AUTH_DEV_ISSUER=true only)' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'A JWT access token from the issuer of AUTH_ISSUER (scopes journeys:read, journeys:write), or the JOURNEY_API_TOKEN service token',
          },
          streamTicket: { type: 'apiKey', in: 'query', name: 'ticket', description: 'A single-use ticket from POST /api/journeys/stream-tickets (journey streams only)' },
        },
      },
    },
    hideUntagged: true,
    // Shared schemas become components named by their contracts `$id` (`FlightResult`), not `def-3`.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: completeDocument,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { deepLinking: true, tryItOutEnabled: true, validatorUrl: null },
  });
};

export default fp(openApi, { name: 'openapi', fastify: '5.x' });
