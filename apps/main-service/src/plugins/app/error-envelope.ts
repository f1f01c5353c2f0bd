import { toFieldError, type ErrorEnvelope, type FieldError } from '@skyway/contracts';
import { RedisFailureLog, isRedisUnavailableError } from '@skyway/redis-connection';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Seconds a client should wait before retrying when Redis is unreachable. */
export const REDIS_UNAVAILABLE_RETRY_AFTER_S = 2;

/** A cause of 503s that keeps occurring is logged again this often (with some slots down, others keep succeeding). */
const REFUSAL_LOG_REPEAT_MS = 30_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests answered 503 because Redis is unavailable: each cause logged once (again every 30 s while it lasts), not once per request. */
    redisRefusals: RedisFailureLog;
  }
}

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

function isFastifyErrorBody(payload: unknown): payload is { statusCode: number; error: string; message: string } {
  if (typeof payload !== 'object' || payload === null) return false;
  const body = payload as Record<string, unknown>;
  return typeof body.statusCode === 'number' && typeof body.error === 'string' && typeof body.message === 'string' && !('success' in body);
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot decode (400) or a path parameter longer than
 * the router accepts (414) gets the envelope too, without echoing the URL back (it may be 10 kB).
 */
export function frameworkErrorEnvelope(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendEnvelope(reply, 414, 'A path parameter is too long');
  if (error.code === 'FST_ERR_BAD_URL') return sendEnvelope(reply, 400, 'The URL is malformed');
  return sendEnvelope(reply, 400, 'Invalid request');
}

/**
 * The default error shape of the public API: `{success:false, message, errors?}`. Validation →
 * 400 with every failing field; Redis unreachable → 503 with Retry-After; a refusal for capacity →
 * its 429/503 with Retry-After; client errors keep their status; anything else is logged and
 * answered 500 without internals.
 */
const errorEnvelope: FastifyPluginAsync = async (app) => {
  app.decorate('redisRefusals', new RedisFailureLog({ logger: app.log, failure: 'requests answered 503: Redis unavailable', repeatAfterMs: REFUSAL_LOG_REPEAT_MS }));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return sendEnvelope(reply, 400, 'Invalid request', validationErrors(error));
    if (isRedisUnavailableError(error)) {
      app.redisRefusals.failed(error);
      request.log.debug({ err: error }, 'redis unavailable');
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
  // Plugins that answer on their own (e.g. @fastify/sse's 406 for a client refusing event streams)
  // send Fastify's `{statusCode, error, message}`: the public API answers with the envelope instead.
  app.addHook('preSerialization', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || !isFastifyErrorBody(payload)) return payload;
    const envelope: ErrorEnvelope = { success: false, message: payload.message };
    return envelope;
  });
  app.setNotFoundHandler((request, reply) => sendEnvelope(reply, 404, `Route ${request.method} ${request.url} not found`));
};

export default fp(errorEnvelope, { name: 'error-envelope', fastify: '5.x' });
