import { Type } from '@sinclair/typebox';
import { ErrorEnvelope, JourneyErrorBody } from '@skyway/contracts';
import { sseConnectionMetrics } from '@skyway/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A viewer whose socket buffers more than this is too slow to keep: it is dropped and may reconnect. */
export const MAX_JOURNEY_SSE_BUFFERED_BYTES = 256 * 1024;

/** The responses of a journey event stream route: the stream (described), or a JSON error. */
export function journeyStreamResponses(description: string) {
  return {
    200: {
      description,
      // A string, as OpenAPI 3.1 tools read an event stream; the payloads are components it links to.
      // (A union of Journey and JourneyChangeEvent would repeat nested `$id`s the serializer rejects.)
      content: {
        'text/event-stream': {
          schema: Type.String({
            description:
              '`event: journey` frames carry a [Journey](#/components/schemas/Journey), ' +
              '`event: change` frames a [JourneyChangeEvent](#/components/schemas/JourneyChangeEvent) (JSON)',
          }),
        },
      },
    },
    400: JourneyErrorBody,
    401: JourneyErrorBody,
    403: JourneyErrorBody,
    404: JourneyErrorBody,
    406: JourneyErrorBody,
    // A path parameter past the router's length limit is refused before the route, in the app-wide envelope.
    414: ErrorEnvelope,
    429: JourneyErrorBody,
    503: JourneyErrorBody,
  };
}

/** One open journey event stream. */
export interface JourneyEventStream {
  /** Sends one event; nothing once the client is gone. */
  send(event: 'journey' | 'change', data: unknown, id?: number): void;
  /** Runs `release` (an unsubscribe) when the stream closes, however it ends. */
  onClose(release: () => void): void;
  /** Call once subscribed: if the client left meanwhile, releases at once. Says whether it is still open. */
  settle(): boolean;
}

/**
 * The journey event streams of one route plugin: each counted in `skyway_sse_connections`, ended
 * first on shutdown (so the server can close), and its subscriptions released when it closes. A
 * client more than {@link MAX_JOURNEY_SSE_BUFFERED_BYTES} behind is disconnected rather than buffered
 * (its EventSource reconnects to a fresh snapshot).
 */
export function journeyEventStreams(app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply) => JourneyEventStream {
  const open = new Set<FastifyReply>();
  const connections = sseConnectionMetrics(app.metricsRegistry).stream('journey');
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });

  return (request, reply) => {
    const closed = connections.onOpen();
    open.add(reply);
    const releases: Array<() => void> = [];
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const unsubscribe of releases.splice(0)) unsubscribe();
      open.delete(reply);
      closed();
    };
    reply.sse.keepAlive();
    reply.sse.onClose(release);
    return {
      send(event, data, id) {
        if (!reply.sse.isConnected) return;
        void reply.sse.send({ ...(id === undefined ? {} : { id: String(id) }), event, data }).catch(() => undefined);
        if (reply.raw.writableLength > MAX_JOURNEY_SSE_BUFFERED_BYTES) {
          request.log.warn({ buffered: reply.raw.writableLength }, 'journey SSE client too slow; disconnecting it');
          reply.raw.destroy();
        }
      },
      onClose(unsubscribe) {
        if (released) unsubscribe();
        else releases.push(unsubscribe);
      },
      settle() {
        // The client may have gone while the snapshot was read: then the close has already happened.
        if (!reply.sse.isConnected || reply.raw.destroyed) release();
        return !released;
      },
    };
  };
}
