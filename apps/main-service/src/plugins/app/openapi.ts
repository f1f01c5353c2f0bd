import fastifySwagger, { type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
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

/** An operation as far as responses go (path items also hold parameters and servers). */
type PathItem = Record<string, { responses?: Record<string, { description?: string }> } | undefined>;

/**
 * Responses are described by their status's reason phrase (`Accepted`, `Not Found`) where the
 * route gives no description, instead of the generator's `Default Response` on every one.
 */
const describeResponses: SwaggerTransformObject = (generated) => {
  const document = 'openapiObject' in generated ? generated.openapiObject : generated.swaggerObject;
  for (const pathItem of Object.values(document.paths ?? {}) as PathItem[]) {
    for (const operation of Object.values(pathItem)) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? (status === '2XX' ? 'Success' : status);
      }
    }
  }
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
      info: { title: 'Skyway API', version, description: DESCRIPTION },
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
    transformObject: describeResponses,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { deepLinking: true, tryItOutEnabled: true, validatorUrl: null },
  });
};

export default fp(openApi, { name: 'openapi', fastify: '5.x' });
