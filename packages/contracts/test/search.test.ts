import {
  FlightSearchAccepted,
  FlightSearchRequest,
  SearchEvent,
  SearchSnapshot,
  compileValidator,
  exampleFlightResult,
  exampleFlightSearchRequest,
  exampleSearchDate,
  normaliseSearchRequest,
} from '../src';

const request = compileValidator(FlightSearchRequest);
const searchId = '3f1c2a9e-7b4d-4c1e-9a7f-2d5b8e6c4a10';

describe('FlightSearchRequest schema', () => {
  it("accepts the brief's example and lowercase codes", () => {
    expect(request.errors(exampleFlightSearchRequest)).toEqual([]);
    expect(request.check({ ...exampleFlightSearchRequest, from: 'cgk', to: 'dps' })).toBe(true);
  });

  it.each([
    ['a 2-letter code', { from: 'CG' }, 'from'],
    ['a 4-letter code', { to: 'DPSX' }, 'to'],
    ['digits in a code', { from: 'C9K' }, 'from'],
    ['a number for a code', { from: 123 }, 'from'],
    ['a month 13', { date: '2025-13-01' }, 'date'],
    ['February 30th', { date: '2025-02-30' }, 'date'],
    ['a timestamp for a date', { date: '2025-07-10T00:00:00Z' }, 'date'],
    ['0 passengers', { passengers: 0 }, 'passengers'],
    ['10 passengers', { passengers: 10 }, 'passengers'],
    ['fractional passengers', { passengers: 2.5 }, 'passengers'],
    ['passengers as a string', { passengers: '2' }, 'passengers'],
    ['an unknown field', { cabin: 'business' }, 'cabin'],
  ])('rejects %s, naming the field', (_case, change, field) => {
    const errors = request.errors({ ...exampleFlightSearchRequest, ...change });
    expect(errors.map((error) => error.field)).toContain(field);
  });

  it('reports every missing field', () => {
    expect(request.errors({}).map((error) => error.field).sort()).toEqual(['date', 'from', 'passengers', 'to']);
  });
});

describe('normaliseSearchRequest', () => {
  const now = new Date('2025-07-01T23:59:00Z');

  it('accepts the documented example on any day: it is dated from when it is built, not fixed', () => {
    expect(normaliseSearchRequest(exampleFlightSearchRequest, new Date())).toEqual({ ok: true, value: exampleFlightSearchRequest });
    for (const day of ['2025-07-01T23:59:00Z', '2031-02-28T00:00:00Z', '2040-12-31T12:00:00Z']) {
      const today = new Date(day);
      expect([day, normaliseSearchRequest({ ...exampleFlightSearchRequest, date: exampleSearchDate(today) }, today).ok]).toEqual([day, true]);
    }
  });

  it('uppercases codes and accepts today and 365 days ahead (UTC)', () => {
    expect(normaliseSearchRequest({ ...exampleFlightSearchRequest, from: 'cgk', to: 'dps', date: '2025-07-01' }, now)).toEqual({
      ok: true,
      value: { from: 'CGK', to: 'DPS', date: '2025-07-01', passengers: 2 },
    });
    expect(normaliseSearchRequest({ ...exampleFlightSearchRequest, date: '2026-07-01' }, now).ok).toBe(true);
  });

  it.each([
    ['yesterday', { date: '2025-06-30' }, 'date'],
    ['366 days ahead', { date: '2026-07-02' }, 'date'],
    ['the same origin and destination', { to: 'cgk', date: '2025-07-10' }, 'to'],
  ])('rejects %s', (_case, change, field) => {
    const result = normaliseSearchRequest({ ...exampleFlightSearchRequest, ...change }, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.map((error) => error.field)).toEqual([field]);
  });
});

describe('response and event schemas', () => {
  it("accept the brief's accepted body, SSE events and a snapshot", () => {
    expect(compileValidator(FlightSearchAccepted).errors({
      success: true,
      message: 'Search request submitted',
      data: { search_id: searchId, status: 'processing' },
    })).toEqual([]);
    const events = compileValidator(SearchEvent);
    for (const event of [
      { search_id: searchId, status: 'processing', results: [] },
      { search_id: searchId, status: 'completed', results: [exampleFlightResult] },
      { search_id: searchId, status: 'completed', total_results: 1 },
      { search_id: searchId, status: 'failed', error: { code: 'SEARCH_TIMEOUT', message: 'no answer in 30 s' } },
    ]) {
      expect(events.errors(event)).toEqual([]);
    }
    expect(compileValidator(SearchSnapshot).check({ success: true, data: { search_id: searchId, status: 'completed', results: [exampleFlightResult], total_results: 1 } })).toBe(true);
  });

  it.each([
    ['a search id that is not a UUID', { search_id: 'abc', status: 'processing', results: [] }],
    ['an unknown status', { search_id: searchId, status: 'done', results: [] }],
    ['a failure without an error', { search_id: searchId, status: 'failed' }],
    ['a flight with a local time lacking its offset', { search_id: searchId, status: 'completed', results: [{ ...exampleFlightResult, departure_time: '2025-07-10T06:00:00' }] }],
    ['a flight with no seats', { search_id: searchId, status: 'completed', results: [{ ...exampleFlightResult, seats_available: 0 }] }],
  ])('reject %s', (_case, event) => {
    expect(compileValidator(SearchEvent).check(event)).toBe(false);
  });
});
