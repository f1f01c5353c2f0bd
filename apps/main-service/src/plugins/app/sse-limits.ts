import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { StreamSlots, type StreamLimits } from '../../sse/stream-slots';
import { RequestRefusedError } from './error-envelope';

declare module 'fastify' {
  interface FastifyInstance {
    /** Open SSE streams of this process, per client: the caps of SSE_MAX_STREAMS(_PER_CLIENT). */
    sseStreams: StreamSlots;
  }
}

export interface SseLimitsOptions {
  readonly limits: StreamLimits;
}

/** How long a refused client should wait before reconnecting. */
export const SSE_REFUSED_RETRY_AFTER_S = 5;

/**
 * Caps open SSE streams per process (503: this replica is full, another may not be) and per
 * client address (429: this client holds too many). Every route declared with an `sse` option
 * registered after this plugin takes a slot in `onRequest` — before validation and before Redis is
 * touched — and gives it back when its response closes, however it ends.
 */
const sseLimits: FastifyPluginAsync<SseLimitsOptions> = async (app, { limits }) => {
  const slots = new StreamSlots(limits);
  app.decorate('sseStreams', slots);

  async function takeSlot(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const slot = slots.acquire(request.ip);
    if (slot === 'process-full') {
      request.log.warn({ open: slots.stats().open }, 'SSE stream refused: process cap reached');
      throw new RequestRefusedError(503, `This server has its maximum of ${limits.perProcess} open streams; retry shortly`, SSE_REFUSED_RETRY_AFTER_S);
    }
    if (slot === 'client-full') {
      throw new RequestRefusedError(
        429,
        `Too many open streams from this client (at most ${limits.perClient}); close one before opening another`,
        SSE_REFUSED_RETRY_AFTER_S,
      );
    }
    reply.raw.once('close', slot);
  }

  app.addHook('onRoute', (route) => {
    if (!route.sse) return;
    const existing: onRequestHookHandler[] = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [takeSlot, ...existing];
  });
};

export default fp(sseLimits, { name: 'sse-limits', fastify: '5.x' });
