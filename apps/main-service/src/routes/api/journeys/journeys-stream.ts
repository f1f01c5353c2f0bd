import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN } from '@skyway/contracts';
import { sendJourneyError } from './error-handler';
import { journeyEventStreams, journeyStreamResponses } from './journey-sse';

/** Journeys one stream may follow: a board's worth, bounded so one request cannot watch them all. */
export const MAX_JOURNEYS_PER_STREAM = 100;

const JOURNEY_ID = new RegExp(ID_PATTERN);

/** `JRN-001,JRN-002` → the distinct ids in order, or why the list is not one. */
function parseIds(list: string): { ids: string[] } | { error: string } {
  const ids = [...new Set(list.split(',').map((id) => id.trim()))];
  const invalid = ids.find((id) => !JOURNEY_ID.test(id));
  if (invalid !== undefined) return { error: `${JSON.stringify(invalid.slice(0, 70))} is not a journey id (letters, digits, _ and -, at most 64)` };
  if (ids.length > MAX_JOURNEYS_PER_STREAM) return { error: `at most ${MAX_JOURNEYS_PER_STREAM} journeys per stream (got ${ids.length})` };
  return { ids };
}

/**
 * `GET /api/journeys-stream?ids=JRN-001,JRN-002` (SSE): the changes of several journeys on one
 * stream — a board of N journeys holds one connection, not N (a browser keeps about 6 per origin,
 * and each stream counts against `SSE_MAX_STREAMS_PER_CLIENT`). Event `journey` with each journey
 * now, then event `change` (a JourneyChangeEvent, which names its journey) per committed change,
 * each journey's in version order. Built on the process's one change feed, one subscription per
 * journey. Events carry no `id:`: a reconnecting client gets fresh snapshots, as on the
 * one-journey stream, which is also what happens when the feed cannot continue one of the
 * journeys without a gap (the server ends the stream).
 *
 * The path is not under `/api/journeys/`, where it would shadow a journey with that id.
 */
const journeysStream: FastifyPluginAsyncTypebox = async (app) => {
  const openStream = journeyEventStreams(app);
  // No path parameter, so no 414.
  const { 414: _tooLong, ...responses } = journeyStreamResponses(
    'An event stream: event `journey` per journey (each as it is now), then one event `change` per committed change of any of them',
  );

  app.get(
    '/api/journeys-stream',
    {
      sse: 'only',
      onRequest: app.requireScope('journeys:read', { streamTicket: true }),
      schema: {
        tags: ['journeys'],
        operationId: 'followJourneys',
        summary: 'Follow several journeys over one Server-Sent Events stream',
        description: 'Authorization: Bearer, or (for EventSource, which cannot send headers) `?ticket=` from `POST /api/journeys/stream-tickets`.',
        security: [{ bearerAuth: ['journeys:read'] }, { streamTicket: [] }],
        querystring: Type.Object(
          {
            ticket: Type.Optional(Type.String({ description: 'A single-use stream ticket' })),
            ids: Type.String({
              minLength: 1,
              maxLength: MAX_JOURNEYS_PER_STREAM * 65,
              description: `Comma-separated journey ids, at most ${MAX_JOURNEYS_PER_STREAM}`,
              examples: ['JRN-001,JRN-002,JRN-003'],
            }),
          },
          { additionalProperties: false },
        ),
        response: responses,
      },
    },
    async (request, reply) => {
      const parsed = parseIds(request.query.ids);
      if ('error' in parsed) return sendJourneyError(reply, 400, { message: 'Invalid request', errors: [{ field: 'ids', message: parsed.error }] });
      const { ids } = parsed;
      const snapshots = await Promise.all(ids.map((journeyId) => app.journeyStore.snapshot(journeyId)));
      const missing = ids.filter((_, i) => snapshots[i] === null);
      if (missing.length > 0) return sendJourneyError(reply, 404, { message: `Journeys not found: ${missing.join(', ')}` });

      const stream = openStream(request, reply);
      for (const snapshot of snapshots) {
        if (snapshot === null) continue;
        const { journey, streamPosition } = snapshot;
        stream.send('journey', journey);
        stream.onClose(
          app.journeyFeed.subscribe(journey.id, { version: journey.version, streamPosition }, (event) => {
            if (event.kind === 'change') return stream.send('change', event.event);
            request.log.info({ journeyId: journey.id, reason: event.reason }, 'journeys stream cannot continue without a gap; ending it so the client reconnects');
            reply.sse.close();
          }),
        );
      }
      if (stream.settle()) request.log.info({ journeys: ids.length }, 'journeys stream opened');
    },
  );
};

export default journeysStream;
