import { redactUrl, traceLogFields } from '@skyway/telemetry';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
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
 * JSON lines (pino-pretty when `LOG_PRETTY`): every line carries `service`, and `trace_id`/
 * `span_id` when written inside a span; `request completed` carries method, route, status and
 * `responseTime`; secrets are redacted, in headers, fields and URLs.
 */
export function loggerOptions(service: string, config: Pick<CommonConfig, 'logLevel' | 'logPretty'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    base: { service },
    mixin: traceLogFields,
    serializers: { req: requestSummary, res: replySummary },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Resolved here, where it is a dependency: pino would look for it from fastify's folder.
    ...(config.logPretty ? { transport: { target: require.resolve('pino-pretty'), options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
}
