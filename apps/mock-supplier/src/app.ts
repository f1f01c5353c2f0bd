import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { healthPlugin, loggingOptions, requestLogging } from '@skyway/service-runtime';
import { telemetryPlugin } from '@skyway/telemetry';
import Fastify, { type FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockSupplierConfig } from './config';
import errorResponses from './plugins/error-responses';
import serviceConditions from './plugins/service-conditions';
import flightsRoute from './routes/api/flights';

/** Collaborators a test may replace; production uses the defaults. */
export interface MockSupplierDeps {
  /** Source of randomness for latency and injected failures, a value in [0, 1) (tests make it deterministic). */
  readonly random?: () => number;
  /** Waits out the simulated latency (tests record it instead of waiting). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function buildApp(config: MockSupplierConfig, deps: MockSupplierDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...loggingOptions('mock-supplier', config),
    // Query strings are strings: `passengers=2` is coerced to a number, but an unknown parameter is a
    // 400 rather than silently dropped, and every bad parameter is reported at once.
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // First: it traces the routes registered after it and serves /metrics.
  await app.register(telemetryPlugin);
  await app.register(requestLogging);
  await app.register(errorResponses);
  await app.register(healthPlugin, { checks: {} });
  await app.register(
    async (v1) => {
      await v1.register(serviceConditions, {
        latency: config.latency,
        failureRate: config.failureRate,
        random: deps.random ?? Math.random,
        sleep: deps.sleep ?? ((ms) => sleep(ms)),
      });
      await v1.register(flightsRoute, { supplierName: config.supplierName });
    },
    { prefix: '/v1' },
  );
  return app;
}
