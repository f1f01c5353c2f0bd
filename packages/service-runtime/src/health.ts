import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** A readiness check: `true` when ready, or a short reason why not. */
export type ReadinessCheck = () => Promise<true | string>;

export interface HealthOptions {
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

const CheckResults = {
  type: 'object',
  additionalProperties: { type: 'string' },
} as const;

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: every check passes; otherwise
 * 503 with each failing check's reason, so an operator sees why.
 */
const health: FastifyPluginAsync<HealthOptions> = async (app, { checks }) => {
  app.get(
    '/health/live',
    {
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers',
        response: { 200: { type: 'object', properties: { status: { type: 'string', const: 'ok' } }, required: ['status'] } },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: "Readiness: every check passes (503 lists each failing check's reason)",
        response: {
          '2xx': { type: 'object', properties: { status: { type: 'string' }, checks: CheckResults }, required: ['status', 'checks'] },
          503: { type: 'object', properties: { status: { type: 'string' }, checks: CheckResults }, required: ['status', 'checks'] },
        },
      },
    },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            const result = await check();
            return [name, result === true ? 'ok' : result] as const;
          } catch (error) {
            return [name, `check failed: ${(error as Error).message}`] as const;
          }
        }),
      );
      const ready = entries.every(([, result]) => result === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(entries) });
    },
  );
};

export const healthPlugin = fp(health, { name: 'skyway-health', fastify: '5.x' });
