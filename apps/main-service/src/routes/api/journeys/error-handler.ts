import type { FieldError, JourneyErrorBody } from '@skyway/contracts';
import { isRedisUnavailableError } from '@skyway/redis-connection';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { REDIS_UNAVAILABLE_RETRY_AFTER_S, RequestRefusedError, validationErrors } from '../../../plugins/app/error-envelope';

/**
 * Field errors of a failed validation, one per field for enums: a status is a union of literals,
 * for which Ajv reports every literal it did not equal; clients get "must be one of: …" instead.
 */
export function journeyValidationErrors(error: FastifyError): FieldError[] {
  const issues = error.validation ?? [];
  const allowedByPath = new Map<string, string[]>();
  for (const issue of issues) {
    if (issue.keyword !== 'const') continue;
    const allowed = allowedByPath.get(issue.instancePath) ?? [];
    allowed.push(String((issue.params as { allowedValue: unknown }).allowedValue));
    allowedByPath.set(issue.instancePath, allowed);
  }
  const fieldErrors = validationErrors(error);
  const summarised = new Set<string>();
  return fieldErrors.flatMap((fieldError, i) => {
    const issue = issues[i];
    const allowed = issue === undefined ? undefined : allowedByPath.get(issue.instancePath);
    if (issue === undefined || allowed === undefined || (issue.keyword !== 'const' && issue.keyword !== 'anyOf')) return [fieldError];
    if (summarised.has(fieldError.field)) return [];
    summarised.add(fieldError.field);
    return [{ field: fieldError.field, message: `must be one of: ${allowed.join(', ')}` }];
  });
}

export function sendJourneyError(reply: FastifyReply, status: number, body: JourneyErrorBody): FastifyReply {
  return reply.code(status).send(body);
}

/**
 * The journeys API keeps the original service's camelCase `{message}` error body, so its routes
 * have their own handler: validation → 400 with every failing field; Redis unreachable → 503 with
 * Retry-After; a refusal for capacity (SSE caps) → its 429/503 with Retry-After; other client errors
 * keep their status; anything else is logged and answered 500
 * without internals.
 */
export function setJourneyErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return sendJourneyError(reply, 400, { message: 'Invalid request', errors: journeyValidationErrors(error) });
    if (isRedisUnavailableError(error)) {
      app.redisRefusals.failed(error);
      request.log.debug({ err: error }, 'redis unavailable');
      reply.header('retry-after', String(REDIS_UNAVAILABLE_RETRY_AFTER_S));
      return sendJourneyError(reply, 503, { message: 'Service temporarily unavailable: storage is unreachable, retry shortly' });
    }
    if (error instanceof RequestRefusedError) {
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendJourneyError(reply, error.statusCode, { message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendJourneyError(reply, status, { message: error.message });
    request.log.error({ err: error }, 'unhandled error');
    return sendJourneyError(reply, 500, { message: 'Internal server error' });
  });
}
