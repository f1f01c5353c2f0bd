import fastifySse from '@fastify/sse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { JourneyStoreOptions } from '@skyway/journey-store';
import type { SearchStore } from '@skyway/search-state';
import { healthPlugin, loggingOptions, requestLogging, redisPlugin, redisReady } from '@skyway/service-runtime';
import { redisConnectionMetrics, telemetryPlugin } from '@skyway/telemetry';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { KeySetTimings } from './auth/access-tokens';
import type { MainServiceConfig } from './config';
import auth from './plugins/app/auth';
import errorEnvelope, { frameworkErrorEnvelope } from './plugins/app/error-envelope';
import httpSecurity from './plugins/app/http-security';
import openApi from './plugins/app/openapi';
import rateLimit from './plugins/app/rate-limit';
import sseLimits from './plugins/app/sse-limits';
import devIssuer from './plugins/dev-issuer';
import flightSearch from './plugins/flight-search';
import flightsRoutes from './routes/api/flights';
import journeys from './plugins/journeys';
import journeysRoutes from './routes/api/journeys';
import demoPage from './routes/demo';
import type { SearchFanoutObserver } from './search/search-fanout';

/** Collaborators a test may replace; production uses the defaults. */
export interface MainServiceDeps {
  /** The clock: search date rules and timeouts read it. */
  readonly now?: () => Date;
  /** A search store to use instead of the default one (the test then closes it). */
  readonly searchStore?: SearchStore;
  /** Hook points for metrics on the SSE fan-out. */
  readonly searchFanoutObserver?: SearchFanoutObserver;
  /** SSE heartbeat interval (tests shorten it). */
  readonly sseHeartbeatMs?: number;
  /** The `retry:` a search stream tells clients to wait before reconnecting (tests shorten it). */
  readonly sseRetryMs?: number;
  /** Journey store settings to override (tests force e.g. `maxAttempts: 1`). */
  readonly journeyStoreOptions?: JourneyStoreOptions;
  /** JWKS fetch timeout, cooldown and refresh (tests shorten the cooldown to rotate keys at once). */
  readonly keySetTimings?: KeySetTimings;
}

export const BODY_LIMIT_BYTES = 64 * 1024;
/** How often Node looks for requests past their timeout (its default, 30 s, would triple a 10 s timeout). */
const REQUEST_TIMEOUT_CHECK_MS = 1_000;
/** SSE heartbeat comment interval: under the 15 s SPEC §3 asks for, and under common proxy idle timeouts. */
export const SSE_HEARTBEAT_MS = 10_000;
/**
 * How long a search stream's clients wait before reconnecting (its `retry:` field): soon enough to
 * resume a dropped stream at once, and a reconnect to a finished search costs one 204.
 */
export const SSE_RETRY_MS = 2_000;

/** Builds the main-service app without listening: `main.ts` listens, tests use `inject` or `listen(0)`. */
export async function buildApp(config: MainServiceConfig, deps: MainServiceDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...loggingOptions('main-service', config),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: frameworkErrorEnvelope,
    // A stalled upload (slowloris) must not hold a socket, or delay shutdown, for ever: a request not
    // fully received in time is a 408. SSE requests have no body, so their streams are not affected.
    requestTimeout: config.requestTimeoutMs,
    http: { headersTimeout: config.requestTimeoutMs, connectionsCheckingInterval: REQUEST_TIMEOUT_CHECK_MS },
    // Bodies are validated exactly as declared: unknown fields and wrong types are 400s, not
    // silently stripped or coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? (() => new Date());
  app.decorate('now', now);

  // First: it traces the routes registered after it and serves /metrics.
  await app.register(telemetryPlugin);
  await app.register(requestLogging);
  await app.register(redisPlugin, {
    redis: config.redis,
    keyPrefix: config.redisKeyPrefix,
    service: 'main-service',
    searchPartitions: config.searchPartitions,
  });
  redisConnectionMetrics(app.metricsRegistry).watch(app.redis);
  await app.register(errorEnvelope);
  // Before the routes: they add hooks to every route registered after them.
  await app.register(httpSecurity, { corsOrigins: config.corsOrigins, hstsMaxAgeS: config.hstsMaxAgeS });
  await app.register(rateLimit, { keyPrefix: config.redisKeyPrefix });
  await app.register(sseLimits, { limits: config.sseLimits });
  // Before the routes: it collects their schemas as they are added.
  await app.register(openApi);
  await app.register(fastifySse, { heartbeatInterval: deps.sseHeartbeatMs ?? SSE_HEARTBEAT_MS });
  await app.register(flightSearch, {
    config,
    ...(deps.searchStore ? { store: deps.searchStore } : {}),
    ...(deps.searchFanoutObserver ? { observer: deps.searchFanoutObserver } : {}),
  });
  await app.register(flightsRoutes, { config, sseRetryMs: deps.sseRetryMs ?? SSE_RETRY_MS });
  await app.register(auth, { config, ...(deps.keySetTimings ? { keySetTimings: deps.keySetTimings } : {}) });
  if (config.devIssuer && config.accessTokens) await app.register(devIssuer, { accessTokens: config.accessTokens });
  await app.register(journeys, { config, ...(deps.journeyStoreOptions ? { storeOptions: deps.journeyStoreOptions } : {}) });
  await app.register(journeysRoutes);
  await app.register(demoPage);
  await app.register(healthPlugin, {
    checks: {
      redis: redisReady(app),
      searchResults: async () => app.searchResults.isReady() || 'results stream reader not started',
    },
  });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    now: () => Date;
  }
}
