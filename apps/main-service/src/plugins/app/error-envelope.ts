import { toFieldError, type ErrorEnvelope, type FieldError } from '@skyway/contracts';
import { isRedisUnavailableError } from '@skyway/redis-connection';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

/** Seconds a client should wait before retrying when Redis is unreachable. */
export const REDIS_UNAVAILABLE_RETRY_AFTER_S = 2;

/** A request turned away for capacity (429 for this client, 503 for the whole process), with when to retry. */
export class RequestRefusedError extends Error {
  override readonly name = 'RequestRefusedError';
  constructor(
    readonly statusCode: 429 | 503,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export function sendEnvelope(reply: FastifyReply, status: number, message: string, errors?: FieldError[]): FastifyReply {
  const body: ErrorEnvelope = errors ? { success: false, message, errors } : { success: false, message };
  return reply.code(status).send(body);
}

export function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((issue) => {
    const fieldError = toFieldError(issue as Parameters<typeof toFieldError>[0]);
    return context === 'body' ? fieldError : { ...fieldError, field: `${context}.${fieldError.field}`.replace(/\.body$/, '') };
  });
}

/**
 * The default error shape of the public API: `{success:false, message, errors?}`. Validation →
 * 400 with every failing field; Redis unreachable → 503 with Retry-After; a refusal for capacity → its
 * 429/503 with Retry-After; client errors keep their
 * status; anything else is logged and answered 500 without internals.
 */
const errorEnvelope: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return sendEnvelope(reply, 400, 'Invalid request', validationErrors(error));
    if (isRedisUnavailableError(error)) {
      request.log.warn({ err: error }, 'redis unavailable');
      reply.header('retry-after', String(REDIS_UNAVAILABLE_RETRY_AFTER_S));
      return sendEnvelope(reply, 503, 'Service temporarily unavailable: storage is unreachable, retry shortly');
    }
    if (error instanceof RequestRefusedError) {
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendEnvelope(reply, error.statusCode, error.message);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendEnvelope(reply, status, error.message);
    request.log.error({ err: error }, 'unhandled error');
    return sendEnvelope(reply, 500, 'Internal server error');
  });
  app.setNotFoundHandler((request, reply) => sendEnvelope(reply, 404, `Route ${request.method} ${request.url} not found`));
};

export default fp(errorEnvelope, { name: 'error-envelope', fastify: '5.x' });
