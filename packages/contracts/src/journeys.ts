import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';
import { createStreamCodec } from './stream-codec';

function literalUnion<T extends string>(values: readonly T[], $id?: string): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    $id === undefined ? {} : { $id },
  );
}

export const SEGMENT_STATUSES = [
  'Scheduled', 'CheckInOpen', 'Boarding', 'Departed', 'Arrived', 'Delayed', 'Cancelled', 'Diverted',
] as const;
export const JOURNEY_STATUSES = ['Pending', 'Confirmed', 'CheckedIn', 'InProgress', 'Completed', 'Cancelled'] as const;

export const SegmentStatus = literalUnion(SEGMENT_STATUSES, 'SegmentStatus');
export type SegmentStatus = Static<typeof SegmentStatus>;
export const JourneyStatus = literalUnion(JOURNEY_STATUSES, 'JourneyStatus');
export type JourneyStatus = Static<typeof JourneyStatus>;

/** Journey and segment ids: safe to embed in Redis key names, checked before Redis is touched. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const JourneyId = Type.String({ pattern: ID_PATTERN, examples: ['JRN-001'] });
export const SegmentId = Type.String({ pattern: ID_PATTERN, examples: ['SEG-001'] });

export const Segment = Type.Object(
  {
    segmentId: SegmentId,
    origin: Type.String({ pattern: '^[A-Z]{3}$' }),
    destination: Type.String({ pattern: '^[A-Z]{3}$' }),
    departureTime: Type.String({ format: 'date-time' }),
    arrivalTime: Type.String({ format: 'date-time' }),
    flightNumber: Type.String({ minLength: 1, maxLength: 16 }),
    carrier: Type.String({ minLength: 1, maxLength: 64 }),
    status: SegmentStatus,
    price: Type.Number({ minimum: 0 }),
  },
  { $id: 'Segment', additionalProperties: false },
);
export type Segment = Static<typeof Segment>;

const journeyFields = {
  id: JourneyId,
  passengerName: Type.String({ minLength: 1, maxLength: 200 }),
  passengerEmail: Type.String({ format: 'email', maxLength: 254 }),
  bookingDate: Type.String({ format: 'date-time' }),
  status: JourneyStatus,
  totalPrice: Type.Number({ minimum: 0 }),
  segments: Type.Array(Segment, { maxItems: 64 }),
  metadata: Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), { maxProperties: 64 }),
};

/** Body of `POST /api/journeys`: a journey without its version (the store assigns version 1). */
export const NewJourney = Type.Object(journeyFields, {
  $id: 'NewJourney',
  additionalProperties: false,
  examples: [
    {
      id: 'JRN-100',
      passengerName: 'Ayu Lestari',
      passengerEmail: 'ayu.lestari@example.com',
      bookingDate: '2025-06-01T09:30:00Z',
      status: 'Confirmed',
      totalPrice: 180.5,
      segments: [
        {
          segmentId: 'SEG-001',
          origin: 'CGK',
          destination: 'DPS',
          departureTime: '2025-07-10T01:15:00Z',
          arrivalTime: '2025-07-10T03:05:00Z',
          flightNumber: 'GA402',
          carrier: 'Garuda Indonesia',
          status: 'Scheduled',
          price: 180.5,
        },
      ],
      metadata: { source: 'web' },
    },
  ],
});
export type NewJourney = Static<typeof NewJourney>;

export const Journey = Type.Object(
  { ...journeyFields, version: Type.Integer({ minimum: 1, description: '+1 per committed change; also the ETag' }) },
  { $id: 'Journey', additionalProperties: false },
);
export type Journey = Static<typeof Journey>;

export const UpdateSegmentStatusBody = Type.Object(
  { status: SegmentStatus },
  { $id: 'UpdateSegmentStatusBody', additionalProperties: false, examples: [{ status: 'Departed' }] },
);
export type UpdateSegmentStatusBody = Static<typeof UpdateSegmentStatusBody>;

export const UpdateJourneyStatusBody = Type.Object(
  { status: JourneyStatus },
  { $id: 'UpdateJourneyStatusBody', additionalProperties: false, examples: [{ status: 'InProgress' }] },
);
export type UpdateJourneyStatusBody = Static<typeof UpdateJourneyStatusBody>;

export const JourneyList = Type.Object(
  { journeyIds: Type.Array(JourneyId), count: Type.Integer({ minimum: 0 }) },
  { $id: 'JourneyList', additionalProperties: false },
);
export type JourneyList = Static<typeof JourneyList>;

export const SegmentStatusUpdated = Type.Object(
  {
    message: Type.String(),
    journeyId: JourneyId,
    segmentId: SegmentId,
    newStatus: SegmentStatus,
    version: Type.Integer({ minimum: 1 }),
  },
  { $id: 'SegmentStatusUpdated', additionalProperties: false },
);
export type SegmentStatusUpdated = Static<typeof SegmentStatusUpdated>;

export const JourneyStatusUpdated = Type.Object(
  { message: Type.String(), journeyId: JourneyId, newStatus: JourneyStatus, version: Type.Integer({ minimum: 1 }) },
  { $id: 'JourneyStatusUpdated', additionalProperties: false },
);
export type JourneyStatusUpdated = Static<typeof JourneyStatusUpdated>;

/** The journeys API's error body (the original .NET API's camelCase `{message}` shape). */
export const JourneyErrorBody = Type.Object(
  {
    message: Type.String(),
    code: Type.Optional(Type.String({ examples: ['JOURNEY_CONFLICT'] })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'JourneyErrorBody', additionalProperties: false },
);
export type JourneyErrorBody = Static<typeof JourneyErrorBody>;

/**
 * One committed change, as written to the journey's change stream in the same MULTI as the document.
 * A status change records the status it replaced (`previousStatus`), so the history reads before → after
 * without replaying older entries (which the stream's MAXLEN may have trimmed).
 */
export const JourneyChange = Type.Union([
  Type.Object({ type: Type.Literal('created') }, { additionalProperties: false }),
  Type.Object(
    // The same enums again without their `$id`: a schema may name each `$id` only once.
    { type: Type.Literal('segmentStatus'), segmentId: SegmentId, status: SegmentStatus, previousStatus: literalUnion(SEGMENT_STATUSES) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('journeyStatus'), status: JourneyStatus, previousStatus: literalUnion(JOURNEY_STATUSES) }, { additionalProperties: false }),
]);
export type JourneyChange = Static<typeof JourneyChange>;

/** Who made a change: the access token's `sub`, `service` for the static service token, `seed` for the bundled journeys. */
export const ChangeActor = Type.String({ minLength: 1, maxLength: 256, examples: ['auth0|64f1c2', 'service'] });

export const JourneyChangeEvent = Type.Object(
  {
    journeyId: JourneyId,
    version: Type.Integer({ minimum: 1 }),
    changes: Type.Array(JourneyChange, { minItems: 1 }),
    committedAt: Type.String({ format: 'date-time' }),
    actor: Type.Optional(ChangeActor),
    /** The id of the HTTP request that made the change (its `x-request-id`), to find its log lines. */
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { $id: 'JourneyChangeEvent', additionalProperties: false },
);
export type JourneyChangeEvent = Static<typeof JourneyChangeEvent>;

/** Body of `GET /api/journeys/{journeyId}/history`: the journey's change events, oldest first. */
export const JourneyHistory = Type.Object(
  {
    journeyId: JourneyId,
    changes: Type.Array(JourneyChangeEvent),
    complete: Type.Boolean({ description: 'true when the changes run from version 1 to the current version without a gap (none trimmed away)' }),
  },
  { $id: 'JourneyHistory', additionalProperties: false },
);
export type JourneyHistory = Static<typeof JourneyHistory>;

/** Body of `POST /api/journeys/stream-tickets`: a single-use credential for one journey SSE connection. */
export const StreamTicket = Type.Object(
  {
    ticket: Type.String({ description: 'Pass as `?ticket=` on a journey stream URL; valid once, for `expiresIn` seconds' }),
    expiresIn: Type.Integer({ minimum: 1 }),
  },
  { $id: 'StreamTicket', additionalProperties: false },
);
export type StreamTicket = Static<typeof StreamTicket>;

/** Encodes/decodes entries of a journey's change stream (`redisKeys().journeyChanges(id)`). */
export const journeyChangeCodec = createStreamCodec(JourneyChangeEvent);
