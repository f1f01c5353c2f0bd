import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ErrorEnvelope,
  Journey,
  JourneyErrorBody,
  JourneyHistory,
  JourneyId,
  JourneyList,
  JourneyStatusUpdated,
  NewJourney,
  SegmentId,
  SegmentStatusUpdated,
  StreamTicket,
  UpdateJourneyStatusBody,
  UpdateSegmentStatusBody,
} from '@skyway/contracts';
import type { ChangeAuthor, UpdateOptions, UpdateOutcome } from '@skyway/journey-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fresh from 'fresh';
import { sendJourneyError, setJourneyErrorHandler } from './error-handler';
import journeysStream from './journeys-stream';
import journeyStream from './stream';

const JourneyParams = Type.Object({ journeyId: JourneyId }, { additionalProperties: false });
const SegmentParams = Type.Object({ journeyId: JourneyId, segmentId: SegmentId }, { additionalProperties: false });
const ConditionalHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      pattern: '^\\s*(\\*|(W/)?"?[1-9][0-9]{0,14}"?)\\s*$',
      description: 'Apply only if the journey is at this version (its ETag, e.g. `"3"`); otherwise 412',
    }),
  ),
});
const CachedHeaders = Type.Object({ 'if-none-match': Type.Optional(Type.String()) });

const etag = (version: number): string => `"${version}"`;

/** Versions start at 1: asking for this one fails the precondition, with the journey's current ETag. */
const NO_VERSION = 0;

/**
 * `If-Match: "3"` → 3; absent or `*` → no condition. If-Match uses the strong comparison (RFC 9110
 * §13.1.1), under which a weak validator (`W/"3"`) matches nothing: 412. The header's shape was
 * validated by the schema.
 */
function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch?.trim().startsWith('W/')) return NO_VERSION;
  const digits = ifMatch === undefined ? undefined : /\d+/.exec(ifMatch)?.[0];
  return digits === undefined ? undefined : Number(digits);
}

/** A 304 has no body, so none of a body's headers either (RFC 9110 §8.6, §15.4.5). */
const sendNotModified = (reply: FastifyReply): FastifyReply => reply.code(304).send();

/** Every update outcome has one HTTP answer: never a silent loss, never a 500. */
function sendUpdateOutcome(reply: FastifyReply, outcome: UpdateOutcome, committed: (version: number) => unknown): FastifyReply {
  switch (outcome.kind) {
    case 'committed':
      return reply.header('etag', etag(outcome.version)).send(committed(outcome.version));
    case 'journey-not-found':
      return sendJourneyError(reply, 404, { message: `Journey ${outcome.journeyId} not found` });
    case 'segment-not-found':
      return sendJourneyError(reply, 404, { message: `Segment ${outcome.segmentId} not found in journey ${outcome.journeyId}` });
    case 'precondition-failed':
      reply.header('etag', etag(outcome.currentVersion));
      return sendJourneyError(reply, 412, {
        message: `Journey ${outcome.journeyId} has changed: it is at version ${outcome.currentVersion}`,
        code: 'PRECONDITION_FAILED',
      });
    case 'conflict-exhausted':
      reply.header('retry-after', String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000))));
      return sendJourneyError(reply, 409, {
        message: `Journey ${outcome.journeyId} is being updated by many writers at once; the update was not applied, retry it`,
        code: 'JOURNEY_CONFLICT',
      });
  }
}

/** The change's author: who the credential names, and this request (its id is in every log line of it). */
function authorOf(request: FastifyRequest): ChangeAuthor {
  return { actor: (request.principal as NonNullable<FastifyRequest['principal']>).actor, requestId: request.id };
}

/** An update's author, and the version it must apply to when the request sent `If-Match`. */
function updateOptions(request: FastifyRequest, ifMatch: string | undefined): UpdateOptions {
  const version = expectedVersion(ifMatch);
  return version === undefined ? { author: authorOf(request) } : { author: authorOf(request), expectedVersion: version };
}

/**
 * The journeys API (SPEC §5), the original .NET service's routes and camelCase bodies. Every route
 * needs a credential (`requireScope`, checked before the body is validated): `journeys:read` to
 * read, `journeys:write` to change; every change records its author. Ids are validated by pattern
 * before Redis is touched; updates go through the journey store.
 */
const journeysRoutes: FastifyPluginAsyncTypebox = async (app) => {
  setJourneyErrorHandler(app);
  const canRead = app.requireScope('journeys:read');
  const canWrite = app.requireScope('journeys:write');

  // Every log line about a journey carries its id, the response line included.
  app.addHook('preHandler', async (request, reply) => {
    const { journeyId } = request.params as { journeyId?: string };
    if (journeyId === undefined) return;
    request.log = request.log.child({ journeyId });
    reply.log = request.log;
  });

  const authErrors = { 401: JourneyErrorBody, 403: JourneyErrorBody };
  // A path parameter past the router's length limit is refused before the route, in the app-wide envelope.
  const errors = { 400: JourneyErrorBody, 404: JourneyErrorBody, 414: ErrorEnvelope, 503: JourneyErrorBody, ...authErrors };
  const bodyErrors = { 409: JourneyErrorBody, 413: JourneyErrorBody, 415: JourneyErrorBody, ...authErrors };
  const updateErrors = { ...errors, ...bodyErrors, 412: JourneyErrorBody };
  const readSecurity = [{ bearerAuth: ['journeys:read'] }];
  const writeSecurity = [{ bearerAuth: ['journeys:write'] }];

  app.get(
    '/api/journeys',
    {
      onRequest: canRead,
      schema: {
        tags: ['journeys'],
        operationId: 'listJourneys',
        summary: 'Every journey id',
        security: readSecurity,
        response: { 200: JourneyList, 503: JourneyErrorBody, ...authErrors },
      },
    },
    async () => {
      const journeyIds = await app.journeyStore.list();
      return { journeyIds, count: journeyIds.length };
    },
  );

  app.get(
    '/api/journeys/:journeyId',
    {
      onRequest: canRead,
      schema: {
        tags: ['journeys'],
        operationId: 'getJourney',
        summary: 'One journey; its ETag is its version',
        security: readSecurity,
        params: JourneyParams,
        headers: CachedHeaders,
        response: { 200: Journey, 304: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const journey = await app.journeyStore.get(request.params.journeyId);
      if (journey === null) return sendJourneyError(reply, 404, { message: `Journey ${request.params.journeyId} not found` });
      reply.header('etag', etag(journey.version));
      // If-None-Match: weak comparison, lists and `*` (RFC 9110 §13.1.2), as `fresh` implements them. Only
      // that header is passed: `fresh` also obeys a request's `Cache-Control: no-cache`, which fetch adds to
      // every conditional request, though it is a directive for caches, not for the origin server.
      if (fresh({ 'if-none-match': request.headers['if-none-match'] }, { etag: etag(journey.version) })) return sendNotModified(reply);
      return journey;
    },
  );

  app.get(
    '/api/journeys/:journeyId/history',
    {
      onRequest: canRead,
      schema: {
        tags: ['journeys'],
        operationId: 'getJourneyHistory',
        summary: "The journey's changes, oldest first: who (actor, request id), when, and before → after",
        security: readSecurity,
        params: JourneyParams,
        response: { 200: JourneyHistory, ...errors },
      },
    },
    async (request, reply) => {
      const { journeyId } = request.params;
      const history = await app.journeyStore.history(journeyId);
      if (history === null) return sendJourneyError(reply, 404, { message: `Journey ${journeyId} not found` });
      return { journeyId, ...history };
    },
  );

  app.post(
    '/api/journeys/stream-tickets',
    {
      onRequest: canRead,
      schema: {
        tags: ['journeys'],
        operationId: 'createStreamTicket',
        summary: 'A single-use ticket for one journey stream (for EventSource, which cannot send Authorization)',
        security: readSecurity,
        response: { 201: StreamTicket, 503: JourneyErrorBody, ...authErrors },
      },
    },
    async (request, reply) => {
      const ticket = await app.streamTickets.issue(request.principal as NonNullable<FastifyRequest['principal']>);
      return reply.code(201).header('cache-control', 'no-store').send(ticket);
    },
  );

  app.post(
    '/api/journeys',
    {
      onRequest: canWrite,
      schema: {
        tags: ['journeys'],
        operationId: 'createJourney',
        summary: 'Create a journey (version 1)',
        security: writeSecurity,
        body: NewJourney,
        response: { 201: Journey, 400: JourneyErrorBody, ...bodyErrors, 503: JourneyErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await app.journeyStore.create(request.body, authorOf(request));
      if (outcome.kind === 'already-exists') {
        return sendJourneyError(reply, 409, { message: `Journey ${outcome.journeyId} already exists`, code: 'JOURNEY_EXISTS' });
      }
      request.log.info({ journeyId: outcome.journey.id }, 'journey created');
      return reply
        .code(201)
        .header('location', `/api/journeys/${outcome.journey.id}`)
        .header('etag', etag(outcome.journey.version))
        .send(outcome.journey);
    },
  );

  app.put(
    '/api/journeys/:journeyId/segments/:segmentId/status',
    {
      onRequest: canWrite,
      schema: {
        tags: ['journeys'],
        operationId: 'updateSegmentStatus',
        summary: "Set a segment's status",
        security: writeSecurity,
        params: SegmentParams,
        headers: ConditionalHeaders,
        body: UpdateSegmentStatusBody,
        response: { 200: SegmentStatusUpdated, ...updateErrors },
      },
    },
    async (request, reply) => {
      const { journeyId, segmentId } = request.params;
      const { status } = request.body;
      const outcome = await app.journeyStore.updateSegmentStatus(journeyId, segmentId, status, updateOptions(request, request.headers['if-match']));
      return sendUpdateOutcome(reply, outcome, (newVersion) => ({
        message: 'Segment status updated successfully',
        journeyId,
        segmentId,
        newStatus: status,
        version: newVersion,
      }));
    },
  );

  app.put(
    '/api/journeys/:journeyId/status',
    {
      onRequest: canWrite,
      schema: {
        tags: ['journeys'],
        operationId: 'updateJourneyStatus',
        summary: "Set a journey's status",
        security: writeSecurity,
        params: JourneyParams,
        headers: ConditionalHeaders,
        body: UpdateJourneyStatusBody,
        response: { 200: JourneyStatusUpdated, ...updateErrors },
      },
    },
    async (request, reply) => {
      const { journeyId } = request.params;
      const { status } = request.body;
      const outcome = await app.journeyStore.updateJourneyStatus(journeyId, status, updateOptions(request, request.headers['if-match']));
      return sendUpdateOutcome(reply, outcome, (newVersion) => ({
        message: 'Journey status updated successfully',
        journeyId,
        newStatus: status,
        version: newVersion,
      }));
    },
  );

  await app.register(journeyStream);
  await app.register(journeysStream);
};

export default journeysRoutes;
