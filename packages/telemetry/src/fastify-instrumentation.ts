import { FastifyOtelInstrumentation } from '@fastify/otel';

/**
 * Probe and scrape endpoints: hit every few seconds by orchestrators and Prometheus, they would
 * drown the traces that matter. They are still counted in the HTTP metrics.
 */
export function isOperationalPath(url: string): boolean {
  return url === '/metrics' || url.startsWith('/metrics?') || url.startsWith('/health/');
}

/**
 * The one @fastify/otel instance of the process: the tracing bootstrap hands it the tracer
 * provider, and the telemetry plugin registers its Fastify plugin on each app. Until tracing is
 * started its spans are no-ops.
 */
export const fastifyInstrumentation = new FastifyOtelInstrumentation({
  ignorePaths: (route) => isOperationalPath(route.url),
});
