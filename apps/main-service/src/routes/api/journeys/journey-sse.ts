import type { FastifyReply, FastifyRequest } from 'fastify';

/** A viewer whose socket buffers more than this is too slow to keep: it is dropped and may reconnect. */
export const MAX_JOURNEY_SSE_BUFFERED_BYTES = 256 * 1024;

/** Sends one event on a journey SSE response; nothing once the client is gone. */
export type JourneyEventSender = (event: 'journey' | 'change', data: unknown, id?: number) => void;

/**
 * The sender of a journey SSE response: a client more than {@link MAX_JOURNEY_SSE_BUFFERED_BYTES}
 * behind is disconnected (its EventSource reconnects to a fresh snapshot) rather than buffered.
 */
export function journeyEventSender(request: FastifyRequest, reply: FastifyReply): JourneyEventSender {
  return (event, data, id) => {
    if (!reply.sse.isConnected) return;
    void reply.sse.send({ ...(id === undefined ? {} : { id: String(id) }), event, data }).catch(() => undefined);
    if (reply.raw.writableLength > MAX_JOURNEY_SSE_BUFFERED_BYTES) {
      request.log.warn({ buffered: reply.raw.writableLength }, 'journey SSE client too slow; disconnecting it');
      reply.raw.destroy();
    }
  };
}
