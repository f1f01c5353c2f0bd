import { Type, type Static } from '@sinclair/typebox';

/**
 * A 3-letter IATA airport code. Lowercase is accepted on input and normalised to uppercase
 * by {@link normaliseSearchRequest}; everything downstream of the HTTP edge sees uppercase.
 */
export const IataCode = Type.String({ pattern: '^[A-Za-z]{3}$', examples: ['CGK'] });
export const UppercaseIataCode = Type.String({ pattern: '^[A-Z]{3}$', examples: ['CGK'] });

export const SearchId = Type.String({
  format: 'uuid',
  description: 'A UUID v4 issued by `POST /api/flights/search`',
  examples: ['6f1c9a52-3b7e-4d0a-9c1e-2f4b8d7a5e10'],
});

export const MIN_PASSENGERS = 1;
export const MAX_PASSENGERS = 9;
/** How far ahead a search may look, in days from today (UTC). */
export const MAX_DAYS_AHEAD = 365;

/** How far ahead the documented example searches: valid on any day the process runs, for this many days of uptime. */
const EXAMPLE_DAYS_AHEAD = 30;

/** A date {@link EXAMPLE_DAYS_AHEAD} days after `now` (UTC), `YYYY-MM-DD`. */
export function exampleSearchDate(now: Date = new Date()): string {
  return new Date(now.getTime() + EXAMPLE_DAYS_AHEAD * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The brief's example search, dated when this module loads (a fixed date would soon be in the
 * past, which the API refuses); the schema's documented example.
 */
export const exampleFlightSearchRequest = { from: 'CGK', to: 'DPS', date: exampleSearchDate(), passengers: 2 };

export const FlightSearchRequest = Type.Object(
  {
    from: IataCode,
    to: IataCode,
    date: Type.String({
      format: 'date',
      description: `Departure date, YYYY-MM-DD (UTC calendar), from today to ${MAX_DAYS_AHEAD} days ahead`,
      examples: [exampleFlightSearchRequest.date],
    }),
    passengers: Type.Integer({ minimum: MIN_PASSENGERS, maximum: MAX_PASSENGERS }),
  },
  {
    $id: 'FlightSearchRequest',
    additionalProperties: false,
    examples: [exampleFlightSearchRequest],
  },
);
export type FlightSearchRequest = Static<typeof FlightSearchRequest>;

export const SearchStatus = Type.Union([Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]);
export type SearchStatus = Static<typeof SearchStatus>;

export const FlightSearchAccepted = Type.Object(
  {
    success: Type.Literal(true),
    message: Type.String(),
    data: Type.Object(
      { search_id: SearchId, status: Type.Literal('processing') },
      { additionalProperties: false },
    ),
  },
  { $id: 'FlightSearchAccepted', additionalProperties: false },
);
export type FlightSearchAccepted = Static<typeof FlightSearchAccepted>;

export const Money = Type.Object(
  {
    amount: Type.Number({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' }),
  },
  { additionalProperties: false },
);
export type Money = Static<typeof Money>;

/** ISO 8601 date-time with an explicit UTC offset, e.g. `2026-07-10T08:15:00+07:00`. */
export const OffsetDateTime = Type.String({ format: 'date-time' });

/** One flight answering {@link exampleFlightSearchRequest}; the schema's documented example. */
export const exampleFlightResult = {
  id: `skyway-mock:GA404:${exampleFlightSearchRequest.date}`,
  airline: 'Garuda Indonesia',
  flight_number: 'GA404',
  from: 'CGK',
  to: 'DPS',
  departure_time: `${exampleFlightSearchRequest.date}T06:00:00+07:00`,
  arrival_time: `${exampleFlightSearchRequest.date}T08:50:00+08:00`,
  duration_minutes: 110,
  stops: 0,
  price: { amount: 1_250_000, currency: 'IDR' },
  seats_available: 9,
  provider: 'skyway-mock',
};

export const FlightResult = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    airline: Type.String({ minLength: 1 }),
    flight_number: Type.String({ pattern: '^[A-Z0-9]{2}[0-9]{1,4}$' }),
    from: UppercaseIataCode,
    to: UppercaseIataCode,
    departure_time: OffsetDateTime,
    arrival_time: OffsetDateTime,
    duration_minutes: Type.Integer({ minimum: 1 }),
    stops: Type.Integer({ minimum: 0 }),
    price: Money,
    seats_available: Type.Integer({ minimum: 1 }),
    provider: Type.String({ minLength: 1 }),
  },
  { $id: 'FlightResult', additionalProperties: false, examples: [exampleFlightResult] },
);
export type FlightResult = Static<typeof FlightResult>;

/** Machine-readable reasons a search ends as `failed`. */
export const SearchErrorCode = Type.Union([
  Type.Literal('SUPPLIERS_UNAVAILABLE'),
  Type.Literal('SEARCH_TIMEOUT'),
  Type.Literal('DEAD_LETTERED'),
  Type.Literal('INVALID_REQUEST'),
]);
export type SearchErrorCode = Static<typeof SearchErrorCode>;

export const SearchError = Type.Object(
  { code: SearchErrorCode, message: Type.String() },
  { additionalProperties: false },
);
export type SearchError = Static<typeof SearchError>;

/** SSE `data:` payloads of `GET /api/flights/search/{search_id}/stream`, in the brief's shapes. */
export const SearchProgressEvent = Type.Object(
  {
    search_id: SearchId,
    status: Type.Union([Type.Literal('processing'), Type.Literal('completed')]),
    results: Type.Array(FlightResult),
  },
  { additionalProperties: false },
);
export const SearchSummaryEvent = Type.Object(
  { search_id: SearchId, status: Type.Literal('completed'), total_results: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const SearchFailedEvent = Type.Object(
  { search_id: SearchId, status: Type.Literal('failed'), error: SearchError },
  { additionalProperties: false },
);
export const SearchEvent = Type.Union([SearchProgressEvent, SearchSummaryEvent, SearchFailedEvent], { $id: 'SearchEvent' });
export type SearchEvent = Static<typeof SearchEvent>;

/** `GET /api/flights/search/{search_id}` for clients that poll. */
export const SearchSnapshot = Type.Object(
  {
    success: Type.Literal(true),
    data: Type.Object(
      {
        search_id: SearchId,
        status: SearchStatus,
        results: Type.Optional(Type.Array(FlightResult)),
        total_results: Type.Optional(Type.Integer({ minimum: 0 })),
        error: Type.Optional(SearchError),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'SearchSnapshot', additionalProperties: false },
);
export type SearchSnapshot = Static<typeof SearchSnapshot>;
