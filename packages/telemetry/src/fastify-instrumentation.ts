import { FastifyOtelInstrumentation } from '@fastify/otel';
import { ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { redactUrl } from './redaction';

/**
 * Probe and scrape endpoints: hit every few seconds by orchestrators and Prometheus, they would
 * drown the traces that matter. They are still counted in the HTTP metrics.
 */
export function isOperationalPath(url: string): boolean {
  return url === '/metrics' || url.startsWith('/metrics?') || url.startsWith('/health/');
}

let instance: FastifyOtelInstrumentation | undefined;

/**
 * The one @fastify/otel instance of the process: the tracing bootstrap hands it the tracer
 * provider, and the telemetry plugin registers its Fastify plugin on each app; until tracing is
 * started its spans are no-ops. Created on first use, never at import: constructing any
 * instrumentation installs the shared require hook, and a `require('http')` passing through
 * that hook before the HTTP instrumentation registers would be cached unpatched.
 */
export function fastifyInstrumentation(): FastifyOtelInstrumentation {
  instance ??= new FastifyOtelInstrumentation({
    ignorePaths: (route) => isOperationalPath(route.url),
    // Its request span records the URL with its query: credentials in it are replaced.
    requestHook: (span, request) => void span.setAttribute(ATTR_URL_PATH, redactUrl(request.url)),
  });
  return instance;
}
