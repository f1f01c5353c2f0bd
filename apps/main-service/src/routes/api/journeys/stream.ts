import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorEnvelope, JourneyErrorBody, JourneyId } from '@skyway/contracts';
import { sseConnectionMetrics } from '@skyway/telemetry';
import type { FastifyReply } from 'fastify';
import { sendJourneyError } from './error-handler';

/** A viewer whose socket buffers more than this is too slow to keep: it is dropped and may reconnect. */
export const MAX_JOURNEY_SSE_BUFFERED_BYTES = 256 * 1024;

/**
 * `GET /api/journeys/{journeyId}/stream` (SSE): event `journey` with the journey now, then one
 * event `change` (a JourneyChangeEvent) per committed change, each with `id:` = its version.
 *
 * Changes come from the process's one change feed (a single blocking XREAD over the change
 * streams of every journey someone watches), not from a Redis connection per client. The
 * snapshot and its stream position are read together, so no change is missed or repeated. If the
 * feed cannot guarantee that (the stream was trimmed past this client), the server ends the
 * stream and the client's EventSource reconnects to a fresh snapshot. Disconnecting releases the
 * subscription; on shutdown every stream is ended first so the server can close.
 */
const journeyStream: FastifyPluginAsyncTypebox = async (app) => {
  const open = new Set<FastifyReply>();
  const connections = sseConnectionMetrics(app.metricsRegistry).stream('journey');
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });

  app.get(
    '/api/journeys/:journeyId/stream',
    {
      sse: 'only',
      onRequest: app.requireScope('journeys:read', { streamTicket: true }),
      schema: {
        tags: ['journeys'],
        operationId: 'followJourney',
        summary: "Follow a journey's changes over Server-Sent Events",
        description: 'Authorization: Bearer, or (for EventSource, which cannot send headers) `?ticket=` from `POST /api/journeys/stream-tickets`.',
        security: [{ bearerAuth: ['journeys:read'] }, { streamTicket: [] }],
        params: Type.Object({ journeyId: JourneyId }, { additionalProperties: false }),
        querystring: Type.Object({ ticket: Type.Optional(Type.String({ description: 'A single-use stream ticket' })) }),
        response: {
          200: {
            description: 'An event stream: event `journey` (the journey now), then one event `change` per committed change; `id:` is the version',
            // A string, as OpenAPI 3.1 tools read an event stream; the payloads are components it links to.
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
        },
      },
    },
    async (request, reply) => {
      const { journeyId } = request.params;
      const snapshot = await app.journeyStore.snapshot(journeyId);
      if (snapshot === null) return sendJourneyError(reply, 404, { message: `Journey ${journeyId} not found` });

      const closed = connections.onOpen();
      open.add(reply);
      let unsubscribe: () => void = () => undefined;
      const release = (): void => {
        unsubscribe();
        open.delete(reply);
        closed();
      };
      reply.sse.keepAlive();
      reply.sse.onClose(release);
      const send = (id: number, event: string, data: unknown): void => {
        if (!reply.sse.isConnected) return;
        void reply.sse.send({ id: String(id), event, data }).catch(() => undefined);
        if (reply.raw.writableLength > MAX_JOURNEY_SSE_BUFFERED_BYTES) {
          request.log.warn({ buffered: reply.raw.writableLength }, 'journey SSE client too slow; disconnecting it');
          reply.raw.destroy();
        }
      };

      send(snapshot.journey.version, 'journey', snapshot.journey);
      unsubscribe = app.journeyFeed.subscribe(journeyId, { version: snapshot.journey.version, streamPosition: snapshot.streamPosition }, (event) => {
        if (event.kind === 'change') return send(event.event.version, 'change', event.event);
        request.log.info({ reason: event.reason }, 'journey stream cannot continue without a gap; ending it so the client reconnects');
        reply.sse.close();
      });
      // The client may have gone while the snapshot was read: then onClose has already run.
      if (!reply.sse.isConnected || reply.raw.destroyed) release();
      else request.log.info({ version: snapshot.journey.version }, 'journey stream opened');
    },
  );
};

export default journeyStream;
