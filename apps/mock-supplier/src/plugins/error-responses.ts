import { toFieldError, type SupplierErrorResponse } from '@skyway/contracts';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The supplier API's error shape `{code, message, errors?}`: invalid queries are 400 with every
 * offending parameter, unknown routes 404, anything unexpected 500 without internals.
 */
const errorResponses: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const errors = error.validation.map((issue) => toFieldError(issue as Parameters<typeof toFieldError>[0]));
      const summary = errors.map((fieldError) => `${fieldError.field} ${fieldError.message}`).join('; ');
      const body: SupplierErrorResponse = { code: 'INVALID_QUERY', message: `Invalid query: ${summary}`, errors };
      return reply.code(400).send(body);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const body: SupplierErrorResponse = { code: 'INVALID_QUERY', message: error.message };
      return reply.code(status).send(body);
    }
    request.log.error({ err: error }, 'unhandled error');
    const body: SupplierErrorResponse = { code: 'INTERNAL_ERROR', message: 'Internal server error' };
    return reply.code(500).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: SupplierErrorResponse = { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found` };
    return reply.code(404).send(body);
  });
};

export default fp(errorResponses, { name: 'error-responses', fastify: '5.x' });
