import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN, JourneyErrorBody } from '@skyway/contracts';
import { sseConnectionMetrics } from '@skyway/telemetry';
import type { FastifyReply } from 'fastify';
import { sendJourneyError } from './error-handler';
import { journeyEventSender } from './journey-sse';

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
  const open = new Set<FastifyReply>();
  const connections = sseConnectionMetrics(app.metricsRegistry).stream('journey');
  app.addHook('preClose', async () => {
    for (const reply of open) reply.sse.close();
  });

  app.get(
    '/api/journeys-stream',
    {
      sse: 'only',
      schema: {
        tags: ['journeys'],
        summary: 'Follow several journeys over one Server-Sent Events stream',
        querystring: Type.Object(
          {
            ids: Type.String({
              minLength: 1,
              maxLength: MAX_JOURNEYS_PER_STREAM * 65,
              description: `Comma-separated journey ids, at most ${MAX_JOURNEYS_PER_STREAM}`,
              examples: ['JRN-001,JRN-002,JRN-003'],
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'An event stream: event `journey` per journey (each as it is now), then one event `change` per committed change of any of them',
            content: {
              'text/event-stream': {
                schema: Type.String({ description: '`event: journey` frames carry a `Journey`, `event: change` frames a `JourneyChangeEvent` (JSON)' }),
              },
            },
          },
          400: JourneyErrorBody,
          404: JourneyErrorBody,
          503: JourneyErrorBody,
        },
      },
    },
    async (request, reply) => {
      const parsed = parseIds(request.query.ids);
      if ('error' in parsed) return sendJourneyError(reply, 400, { message: 'Invalid request', errors: [{ field: 'ids', message: parsed.error }] });
      const { ids } = parsed;
      const snapshots = await Promise.all(ids.map((journeyId) => app.journeyStore.snapshot(journeyId)));
      const missing = ids.filter((_, i) => snapshots[i] === null);
      if (missing.length > 0) return sendJourneyError(reply, 404, { message: `Journeys not found: ${missing.join(', ')}` });

      const closed = connections.onOpen();
      open.add(reply);
      const unsubscribes: Array<() => void> = [];
      const release = (): void => {
        for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
        open.delete(reply);
        closed();
      };
      reply.sse.keepAlive();
      reply.sse.onClose(release);
      const send = journeyEventSender(request, reply);
      for (const snapshot of snapshots) {
        if (snapshot === null) continue;
        const { journey, streamPosition } = snapshot;
        send('journey', journey);
        unsubscribes.push(
          app.journeyFeed.subscribe(journey.id, { version: journey.version, streamPosition }, (event) => {
            if (event.kind === 'change') return send('change', event.event);
            request.log.info({ journeyId: journey.id, reason: event.reason }, 'journeys stream cannot continue without a gap; ending it so the client reconnects');
            reply.sse.close();
          }),
        );
      }
      // The client may have gone while the snapshots were read: then onClose has already run.
      if (!reply.sse.isConnected || reply.raw.destroyed) release();
      else request.log.info({ journeys: ids.length }, 'journeys stream opened');
    },
  );
};

export default journeysStream;
