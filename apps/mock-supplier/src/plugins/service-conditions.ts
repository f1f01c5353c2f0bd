import type { SupplierErrorResponse } from '@skyway/contracts';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { isInjectedFailure, pickLatencyMs, type LatencyRange } from '../domain/service-conditions';

export interface ServiceConditionsOptions {
  readonly latency: LatencyRange;
  readonly failureRate: number;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Seconds a caller is told to wait after an injected 503. */
export const RETRY_AFTER_S = 1;

/**
 * Makes the routes of the scope it is registered in behave like a remote API: every request waits
 * for the configured latency, then a `failureRate` share is answered 503 (before validation, as an
 * overloaded upstream would).
 */
const serviceConditions: FastifyPluginAsync<ServiceConditionsOptions> = async (app, options) => {
  app.addHook('onRequest', async (request, reply) => {
    const latencyMs = pickLatencyMs(options.latency, options.random);
    if (latencyMs > 0) await options.sleep(latencyMs);
    if (!isInjectedFailure(options.failureRate, options.random)) return;
    request.log.info({ latencyMs }, 'answering with an injected failure');
    const body: SupplierErrorResponse = { code: 'SUPPLIER_UNAVAILABLE', message: 'Supplier temporarily unavailable, retry later' };
    await reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(body);
  });
};

export default fp(serviceConditions, { name: 'service-conditions', fastify: '5.x' });
