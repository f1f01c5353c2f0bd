import { redactUrl, traceLogFields } from '@skyway/telemetry';
import { LogController, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { CommonConfig } from './config';

/** Never logged: credentials in headers, and anything named like a secret. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  '*.token',
  '*.password',
];

/** Fastify's `incoming request` line (its default fields) with the URL's credentials redacted. */
function requestSummary(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

/** Fastify's `request completed` line: the status plus what was asked, so the line stands alone. */
function replySummary(reply: Pick<FastifyReply, 'statusCode'> & Partial<Pick<FastifyReply, 'request'>>): { statusCode: number; method?: string; route?: string } {
  return { statusCode: reply.statusCode, method: reply.request?.method, route: reply.request?.routeOptions?.url };
}

/**
 * Fastify's own request log lines, but `incoming request`, which Fastify writes before any hook
 * runs, so before the telemetry plugin has opened the request's span: {@link requestLogging} writes
 * it from a hook instead, with the trace id.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}
}

/**
 * JSON lines (pino-pretty when `LOG_PRETTY`): every line carries `service`, and `trace_id`/
 * `span_id` when written inside a span; `request completed` carries method, route, status and
 * `responseTime`; secrets are redacted, in headers, fields and URLs. Register
 * {@link requestLogging} too.
 */
export function loggingOptions(
  service: string,
  config: Pick<CommonConfig, 'logLevel' | 'logPretty'>,
): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logger: {
      level: config.logLevel,
      base: { service },
      mixin: traceLogFields,
      serializers: { req: requestSummary, res: replySummary },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Resolved here, where it is a dependency: pino would look for it from fastify's folder.
      ...(config.logPretty ? { transport: { target: require.resolve('pino-pretty'), options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
    },
    logController: new RequestLogController(),
  };
}

/** Writes the `incoming request` line inside the request's span; register it right after the telemetry plugin. */
const requestLog: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.info({ req: request }, 'incoming request');
    done();
  });
};

export const requestLogging = fp(requestLog, { name: 'skyway-request-logging', fastify: '5.x', dependencies: ['skyway-telemetry'] });
