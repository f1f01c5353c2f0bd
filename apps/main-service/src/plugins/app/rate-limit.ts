import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface RateLimitOptions {
  /** REDIS_KEY_PREFIX: the counters live beside the app's other keys. */
  readonly keyPrefix: string;
}

/**
 * Per-client rate limits (@fastify/rate-limit) for the routes that declare `config.rateLimit`,
 * counted in Redis (one Lua INCR+PEXPIRE per request on the shared connection) so every replica
 * enforces one budget per client. An exceeded budget is a 429 with `Retry-After`.
 *
 * It fails closed: when the counter cannot be read (Redis down or slow) the request is refused
 * with the usual 503, because the limited routes need Redis anyway — the 503 comes at once
 * instead of after a second Redis timeout inside the route, and an outage is never a window in
 * which the limit does not apply.
 */
const rateLimit: FastifyPluginAsync<RateLimitOptions> = async (app, { keyPrefix }) => {
  await app.register(fastifyRateLimit, {
    global: false,
    redis: app.redis,
    nameSpace: `${keyPrefix}rate-limit:`,
    skipOnError: false,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many requests from this client: at most ${context.max} per window; retry in ${context.after}`), {
        statusCode: context.statusCode,
      }),
  });
};

export default fp(rateLimit, { name: 'rate-limit', fastify: '5.x', dependencies: ['redis'] });
