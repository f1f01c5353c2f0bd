import {
  FlightResult,
  FlightSearchAccepted,
  FlightSearchRequest,
  SearchEvent,
  SearchSnapshot,
  compileValidator,
  normaliseSearchRequest,
} from '../src';

const request = compileValidator(FlightSearchRequest);
const briefExample = { from: 'CGK', to: 'DPS', date: '2025-07-10', passengers: 2 };
const searchId = '3f1c2a9e-7b4d-4c1e-9a7f-2d5b8e6c4a10';

export const sampleFlight: FlightResult = {
  id: 'skyway-mock:GA404:2025-07-10',
  airline: 'Garuda Indonesia',
  flight_number: 'GA404',
  from: 'CGK',
  to: 'DPS',
  departure_time: '2025-07-10T06:00:00+07:00',
  arrival_time: '2025-07-10T08:50:00+08:00',
  duration_minutes: 110,
  stops: 0,
  price: { amount: 1_250_000, currency: 'IDR' },
  seats_available: 9,
  provider: 'skyway-mock',
};

describe('FlightSearchRequest schema', () => {
  it("accepts the brief's example and lowercase codes", () => {
    expect(request.errors(briefExample)).toEqual([]);
    expect(request.check({ ...briefExample, from: 'cgk', to: 'dps' })).toBe(true);
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
    const errors = request.errors({ ...briefExample, ...change });
    expect(errors.map((error) => error.field)).toContain(field);
  });

  it('reports every missing field', () => {
    expect(request.errors({}).map((error) => error.field).sort()).toEqual(['date', 'from', 'passengers', 'to']);
  });
});

describe('normaliseSearchRequest', () => {
  const now = new Date('2025-07-01T23:59:00Z');

  it('uppercases codes and accepts today and 365 days ahead (UTC)', () => {
    expect(normaliseSearchRequest({ ...briefExample, from: 'cgk', to: 'dps', date: '2025-07-01' }, now)).toEqual({
      ok: true,
      value: { from: 'CGK', to: 'DPS', date: '2025-07-01', passengers: 2 },
    });
    expect(normaliseSearchRequest({ ...briefExample, date: '2026-07-01' }, now).ok).toBe(true);
  });

  it.each([
    ['yesterday', { date: '2025-06-30' }, 'date'],
    ['366 days ahead', { date: '2026-07-02' }, 'date'],
    ['the same origin and destination', { to: 'cgk' }, 'to'],
  ])('rejects %s', (_case, change, field) => {
    const result = normaliseSearchRequest({ ...briefExample, ...change }, now);
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
      { search_id: searchId, status: 'completed', results: [sampleFlight] },
      { search_id: searchId, status: 'completed', total_results: 1 },
      { search_id: searchId, status: 'failed', error: { code: 'SEARCH_TIMEOUT', message: 'no answer in 30 s' } },
    ]) {
      expect(events.errors(event)).toEqual([]);
    }
    expect(compileValidator(SearchSnapshot).check({ success: true, data: { search_id: searchId, status: 'completed', results: [sampleFlight], total_results: 1 } })).toBe(true);
  });

  it.each([
    ['a search id that is not a UUID', { search_id: 'abc', status: 'processing', results: [] }],
    ['an unknown status', { search_id: searchId, status: 'done', results: [] }],
    ['a failure without an error', { search_id: searchId, status: 'failed' }],
    ['a flight with a local time lacking its offset', { search_id: searchId, status: 'completed', results: [{ ...sampleFlight, departure_time: '2025-07-10T06:00:00' }] }],
    ['a flight with no seats', { search_id: searchId, status: 'completed', results: [{ ...sampleFlight, seats_available: 0 }] }],
  ])('reject %s', (_case, event) => {
    expect(compileValidator(SearchEvent).check(event)).toBe(false);
  });
});
