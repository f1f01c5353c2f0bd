import type { FastifyPluginAsync } from 'fastify';
import fastifyMetrics from 'fastify-metrics';
import fp from 'fastify-plugin';
import { Registry } from 'prom-client';
import { timeHttpRequests } from './metrics/http';
import { traceRequests } from './request-spans';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry: the metric sets register here and `GET /metrics` serves it. */
    metricsRegistry: Registry;
  }
}

/** Resolution of `nodejs_eventloop_lag_*` (prom-client's `monitorEventLoopDelay`), in ms. */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

/**
 * Makes an app observable. Register it first, before any route: it serves `GET /metrics`
 * (Prometheus text: default process metrics, `http_request_duration_seconds{method,route,
 * status_code}`, and every metric set registered on `app.metricsRegistry`); it traces every
 * request (one span: {@link traceRequests}), continuing an incoming `traceparent`; and it answers with a
 * `traceresponse` header (W3C Trace Context level 2) so a caller can quote its trace id.
 */
const telemetry: FastifyPluginAsync = async (app) => {
  // One registry per app, not prom-client's global one: several apps may share a process (tests).
  const registry = new Registry();
  app.decorate('metricsRegistry', registry);
  await app.register(fastifyMetrics, {
    endpoint: '/metrics',
    // The event-loop delay histogram samples on a timer: prom-client's 10 ms woke every idle process
    // ~100 times a second. 100 ms still catches every stall (a blocked loop delays the next sample).
    defaultMetrics: { enabled: true, register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS },
    // Timed by our own hook, at a fraction of the cost (see timeHttpRequests).
    routeMetrics: { enabled: false },
  });
  timeHttpRequests(app, registry);
  traceRequests(app);
};

export const telemetryPlugin = fp(telemetry, { name: 'skyway-telemetry', fastify: '5.x' });
