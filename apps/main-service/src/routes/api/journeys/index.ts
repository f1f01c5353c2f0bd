import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  Journey,
  JourneyErrorBody,
  JourneyId,
  JourneyList,
  JourneyStatusUpdated,
  NewJourney,
  SegmentId,
  SegmentStatusUpdated,
  UpdateJourneyStatusBody,
  UpdateSegmentStatusBody,
} from '@skyway/contracts';
import type { UpdateOutcome } from '@skyway/journey-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MainServiceConfig } from '../../../config';
import { bearerTokenChecker } from './bearer-token';
import { sendJourneyError, setJourneyErrorHandler } from './error-handler';
import journeysStream from './journeys-stream';
import journeyStream from './stream';

export interface JourneysRoutesOptions {
  readonly config: MainServiceConfig;
}

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

/** `If-Match: "3"` → 3; absent or `*` → no condition. The header's shape was validated by the schema. */
function expectedVersion(ifMatch: string | undefined): number | undefined {
  const digits = ifMatch === undefined ? undefined : /\d+/.exec(ifMatch)?.[0];
  return digits === undefined ? undefined : Number(digits);
}

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

/**
 * The journeys API (SPEC §5), the original .NET service's routes and camelCase bodies. Writes need
 * `Authorization: Bearer <JOURNEY_API_TOKEN>` (checked before the body is validated); ids are
 * validated by pattern before Redis is touched; updates go through the journey store.
 */
const journeysRoutes: FastifyPluginAsyncTypebox<JourneysRoutesOptions> = async (app, { config }) => {
  setJourneyErrorHandler(app);
  const checkBearer = bearerTokenChecker(config.journeyApiToken);

  async function requireBearer(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = checkBearer(request.headers.authorization);
    if (result === 'ok') return;
    reply.header('www-authenticate', 'Bearer realm="skyway-journeys"');
    const message =
      result === 'writes-disabled'
        ? 'Journey writes are disabled: the server has no JOURNEY_API_TOKEN configured'
        : result === 'missing'
          ? 'Authorization: Bearer <token> is required for journey writes'
          : 'The bearer token is not valid';
    await sendJourneyError(reply, 401, { message });
  }

  // Every log line about a journey carries its id, the response line included.
  app.addHook('preHandler', async (request, reply) => {
    const { journeyId } = request.params as { journeyId?: string };
    if (journeyId === undefined) return;
    request.log = request.log.child({ journeyId });
    reply.log = request.log;
  });

  const errors = { 400: JourneyErrorBody, 404: JourneyErrorBody, 503: JourneyErrorBody };
  const writeErrors = { ...errors, 401: JourneyErrorBody, 409: JourneyErrorBody, 412: JourneyErrorBody };
  const security = [{ bearerAuth: [] }];

  app.get(
    '/api/journeys',
    { schema: { tags: ['journeys'], summary: 'Every journey id', response: { 200: JourneyList, 503: JourneyErrorBody } } },
    async () => {
      const journeyIds = await app.journeyStore.list();
      return { journeyIds, count: journeyIds.length };
    },
  );

  app.get(
    '/api/journeys/:journeyId',
    {
      schema: {
        tags: ['journeys'],
        summary: 'One journey; its ETag is its version',
        params: JourneyParams,
        headers: CachedHeaders,
        response: { 200: Journey, 304: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const journey = await app.journeyStore.get(request.params.journeyId);
      if (journey === null) return sendJourneyError(reply, 404, { message: `Journey ${request.params.journeyId} not found` });
      reply.header('etag', etag(journey.version));
      if (request.headers['if-none-match'] === etag(journey.version)) return reply.code(304).send(null);
      return journey;
    },
  );

  app.post(
    '/api/journeys',
    {
      onRequest: requireBearer,
      schema: {
        tags: ['journeys'],
        summary: 'Create a journey (version 1)',
        security,
        body: NewJourney,
        response: { 201: Journey, ...writeErrors },
      },
    },
    async (request, reply) => {
      const outcome = await app.journeyStore.create(request.body);
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
      onRequest: requireBearer,
      schema: {
        tags: ['journeys'],
        summary: "Set a segment's status",
        security,
        params: SegmentParams,
        headers: ConditionalHeaders,
        body: UpdateSegmentStatusBody,
        response: { 200: SegmentStatusUpdated, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { journeyId, segmentId } = request.params;
      const { status } = request.body;
      const version = expectedVersion(request.headers['if-match']);
      const outcome = await app.journeyStore.updateSegmentStatus(journeyId, segmentId, status, version === undefined ? {} : { expectedVersion: version });
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
      onRequest: requireBearer,
      schema: {
        tags: ['journeys'],
        summary: "Set a journey's status",
        security,
        params: JourneyParams,
        headers: ConditionalHeaders,
        body: UpdateJourneyStatusBody,
        response: { 200: JourneyStatusUpdated, ...writeErrors },
      },
    },
    async (request, reply) => {
      const { journeyId } = request.params;
      const { status } = request.body;
      const version = expectedVersion(request.headers['if-match']);
      const outcome = await app.journeyStore.updateJourneyStatus(journeyId, status, version === undefined ? {} : { expectedVersion: version });
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
