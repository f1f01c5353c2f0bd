import { healthPlugin, loggerOptions } from '@skyway/service-runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MockSupplierConfig } from './config';

/** Collaborators a test may replace; production uses the defaults. */
export interface MockSupplierDeps {
  /** Source of randomness for latency and injected failures (tests make it deterministic). */
  readonly random?: () => number;
}

export async function buildApp(config: MockSupplierConfig, _deps: MockSupplierDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions('mock-supplier', config) });
  await app.register(healthPlugin, { checks: {} });
  return app;
}
