import type { FieldError } from './envelope';
import { MAX_DAYS_AHEAD, type FlightSearchRequest } from './search';

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

const DAY_MS = 86_400_000;

function utcDay(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

/** Parses `YYYY-MM-DD` as a real calendar date (rejects 2025-02-30), returning its UTC day number. */
export function parseCalendarDate(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const valid = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return valid ? utcDay(date) : undefined;
}

/**
 * The rules of a flight search request that a JSON schema cannot state: codes are normalised to
 * uppercase, origin and destination differ, and the date lies between today (UTC) and
 * {@link MAX_DAYS_AHEAD} days ahead. Expects a body that already passed {@link FlightSearchRequest}.
 */
export function normaliseSearchRequest(
  body: FlightSearchRequest,
  now: Date,
): Result<FlightSearchRequest, FieldError[]> {
  const request = { ...body, from: body.from.toUpperCase(), to: body.to.toUpperCase() };
  const errors: FieldError[] = [];
  if (request.from === request.to) {
    errors.push({ field: 'to', message: 'must differ from `from`' });
  }
  const day = parseCalendarDate(request.date);
  const today = utcDay(now);
  if (day === undefined) {
    errors.push({ field: 'date', message: 'must be a real calendar date in the form YYYY-MM-DD' });
  } else if (day < today) {
    errors.push({ field: 'date', message: 'must not be in the past (UTC)' });
  } else if (day > today + MAX_DAYS_AHEAD) {
    errors.push({ field: 'date', message: `must be at most ${MAX_DAYS_AHEAD} days ahead` });
  }
  return errors.length > 0 ? { ok: false, error: errors } : { ok: true, value: request };
}
