import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { JourneyId } from '@skyway/contracts';
import { sendJourneyError } from './error-handler';
import { journeyEventStreams, journeyStreamResponses } from './journey-sse';

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
  const openStream = journeyEventStreams(app);

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
        response: journeyStreamResponses('An event stream: event `journey` (the journey now), then one event `change` per committed change; `id:` is the version'),
      },
    },
    async (request, reply) => {
      const { journeyId } = request.params;
      const snapshot = await app.journeyStore.snapshot(journeyId);
      if (snapshot === null) return sendJourneyError(reply, 404, { message: `Journey ${journeyId} not found` });

      const stream = openStream(request, reply);
      stream.send('journey', snapshot.journey, snapshot.journey.version);
      stream.onClose(
        app.journeyFeed.subscribe(journeyId, { version: snapshot.journey.version, streamPosition: snapshot.streamPosition }, (event) => {
          if (event.kind === 'change') return stream.send('change', event.event, event.event.version);
          request.log.info({ reason: event.reason }, 'journey stream cannot continue without a gap; ending it so the client reconnects');
          reply.sse.close();
        }),
      );
      if (stream.settle()) request.log.info({ version: snapshot.journey.version }, 'journey stream opened');
    },
  );
};

export default journeyStream;
