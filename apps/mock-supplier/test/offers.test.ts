import { compileValidator, SupplierFlightsResponse, type SupplierFlightsQuery, type SupplierOffer } from '@skyway/contracts';
import fc from 'fast-check';
import { getDistance } from 'geolib';
import { AIRPORTS, findAirport, type Airport } from '../src/domain/airports';
import { generateOffers } from '../src/domain/offers';

const validResponse = compileValidator(SupplierFlightsResponse);

/** What a traveller would expect to pay in, by the origin's country (independent of the code's own table). */
const EXPECTED_CURRENCY: Record<string, string> = {
  ID: 'IDR', SG: 'SGD', MY: 'MYR', TH: 'THB', PH: 'PHP', VN: 'VND', HK: 'HKD', TW: 'TWD', CN: 'CNY', KR: 'KRW',
  JP: 'JPY', IN: 'INR', AE: 'AED', QA: 'QAR', AU: 'AUD', NZ: 'NZD', GB: 'GBP', FR: 'EUR', DE: 'EUR', NL: 'EUR', US: 'USD',
};
const INDONESIAN_CARRIERS = ['GA', 'ID', 'JT', 'QZ', 'QG', 'IU'];

function airport(code: string): Airport {
  const found = findAirport(code);
  if (!found) throw new Error(`${code} missing from the table`);
  return found;
}

/** The UTC offset suffix of an ISO date-time (`+07:00`; `Z` read as `+00:00`). */
function offsetOf(isoDateTime: string): string {
  const suffix = /(Z|[+-]\d{2}:\d{2})$/.exec(isoDateTime)?.[1];
  if (!suffix) throw new Error(`no offset in ${isoDateTime}`);
  return suffix === 'Z' ? '+00:00' : suffix;
}

/** The offset of an IANA zone at an instant, from the runtime's own tz database. */
function zoneOffsetAt(timeZone: string, instant: Date): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((part) => part.type === 'timeZoneName')?.value;
  if (!name) throw new Error(`no offset for ${timeZone}`);
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

const minutesBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / 60_000;

function query(from: string, to: string, date = '2025-07-10', passengers = 2): SupplierFlightsQuery {
  return { from, to, date, passengers };
}

/** Every property a realistic offer has, checked against the query that produced it. */
function expectRealistic(offer: SupplierOffer, request: SupplierFlightsQuery): void {
  const origin = airport(request.from);
  const destination = airport(request.to);
  expect([offer.origin, offer.destination]).toEqual([request.from, request.to]);
  expect(offer.flightNumber.startsWith(offer.carrier.code)).toBe(true);
  // Leaves on the requested local day, and lands after it leaves, measured in UTC.
  expect(offer.departureLocal.slice(0, 10)).toBe(request.date);
  expect(minutesBetween(offer.departureLocal, offer.arrivalLocal)).toBe(offer.durationMinutes);
  expect(offer.durationMinutes).toBeGreaterThan(0);
  expect(offsetOf(offer.departureLocal)).toBe(zoneOffsetAt(origin.timeZone, new Date(offer.departureLocal)));
  expect(offsetOf(offer.arrivalLocal)).toBe(zoneOffsetAt(destination.timeZone, new Date(offer.arrivalLocal)));
  // Between a fast jet with no taxiing and a slow one with long ground time; connections add at least 45 min.
  const km = getDistance(origin, destination) / 1000;
  const fastest = (km / 900) * 60 + 20;
  if (offer.stops === 0) {
    expect(offer.durationMinutes).toBeGreaterThanOrEqual(fastest);
    expect(offer.durationMinutes).toBeLessThanOrEqual((km / 600) * 60 + 60);
  } else {
    expect(offer.stops).toBe(1);
    expect(offer.durationMinutes).toBeGreaterThanOrEqual(fastest + 45);
    expect(offer.durationMinutes).toBeLessThanOrEqual(((km * 1.35) / 600) * 60 + 2 * 60 + 180);
  }
  expect(offer.seatsLeft).toBeGreaterThanOrEqual(request.passengers);
  expect(offer.fare.currency).toBe(EXPECTED_CURRENCY[origin.country]);
  expect(offer.fare.amount).toBeGreaterThan(0);
}

describe('generateOffers', () => {
  it('gives the same offers for the same query', () => {
    const first = generateOffers(query('CGK', 'DPS'), 'skyway-mock');
    expect(first.length).toBeGreaterThan(0);
    expect(generateOffers(query('CGK', 'DPS'), 'skyway-mock')).toEqual(first);
  });

  it('offers Jakarta–Bali like the real route: Indonesian carriers, non-stop, about two hours, rupiah, WIB to WITA', () => {
    const request = query('CGK', 'DPS');
    const offers = generateOffers(request, 'skyway-mock');
    expect(offers.length).toBeGreaterThanOrEqual(3);
    for (const offer of offers) {
      expectRealistic(offer, request);
      expect(INDONESIAN_CARRIERS).toContain(offer.carrier.code);
      expect(offer.stops).toBe(0);
      expect(offer.durationMinutes).toBeGreaterThanOrEqual(100);
      expect(offer.durationMinutes).toBeLessThanOrEqual(130);
      expect(offer.fare.currency).toBe('IDR');
      expect(offer.departureLocal).toMatch(/\+07:00$/);
      expect(offer.arrivalLocal).toMatch(/\+08:00$/);
    }
  });

  it('follows daylight saving: London–New York is +00:00/-05:00 in January and +01:00/-04:00 in July', () => {
    const [winter] = generateOffers(query('LHR', 'JFK', '2026-01-15'), 'skyway-mock');
    const [summer] = generateOffers(query('LHR', 'JFK', '2026-07-15'), 'skyway-mock');
    expect([winter && offsetOf(winter.departureLocal), winter && offsetOf(winter.arrivalLocal)]).toEqual(['+00:00', '-05:00']);
    expect([summer && offsetOf(summer.departureLocal), summer && offsetOf(summer.arrivalLocal)]).toEqual(['+01:00', '-04:00']);
  });

  it('lists offers in departure order', () => {
    const offers = generateOffers(query('CGK', 'SIN'), 'skyway-mock');
    const departures = offers.map((offer) => Date.parse(offer.departureLocal));
    expect(departures).toEqual([...departures].sort((a, b) => a - b));
  });

  it.each([
    ['an unknown origin', 'XXX', 'DPS'],
    ['an unknown destination', 'CGK', 'ZZZ'],
    ['the same airport', 'CGK', 'CGK'],
    ['two airports of one city (Jakarta)', 'CGK', 'HLP'],
    ['two airports of one city (Tokyo)', 'HND', 'NRT'],
  ])('offers nothing for %s', (_case, from, to) => {
    expect(generateOffers(query(from, to), 'skyway-mock')).toEqual([]);
  });

  it('sells the same timetable under another supplier name, at other fares', () => {
    const ours = generateOffers(query('SIN', 'HKG', '2026-03-01', 1), 'skyway-mock');
    const theirs = generateOffers(query('SIN', 'HKG', '2026-03-01', 1), 'other-supplier');
    const schedule = (offers: SupplierOffer[]) => new Map(offers.map((offer) => [offer.flightNumber, offer.departureLocal]));
    const shared = [...schedule(ours)].filter(([flight]) => schedule(theirs).has(flight));
    expect(shared.length).toBeGreaterThan(0);
    for (const [flight, departure] of shared) expect(schedule(theirs).get(flight)).toBe(departure);
    const fares = (offers: SupplierOffer[]) => offers.map((offer) => `${offer.flightNumber}:${offer.fare.amount}`);
    expect(fares(theirs)).not.toEqual(fares(ours));
  });

  it('drops flights without enough seats for a larger party, and prices the party as a whole', () => {
    const single = generateOffers(query('CGK', 'DPS', '2026-05-20', 1), 'skyway-mock');
    const party = generateOffers(query('CGK', 'DPS', '2026-05-20', 9), 'skyway-mock');
    const singleById = new Map(single.map((offer) => [offer.offerId, offer]));
    expect(party.length).toBeLessThan(single.length);
    for (const offer of party) {
      const alone = singleById.get(offer.offerId);
      expect(alone).toBeDefined();
      expect(offer.seatsLeft).toBe(alone?.seatsLeft);
      // Rounded to 1,000 rupiah on each side.
      expect(Math.abs(offer.fare.amount - 9 * (alone?.fare.amount ?? 0))).toBeLessThanOrEqual(9 * 1_000);
    }
  });

  it('produces schema-valid, realistic offers for any pair of known airports, date and party size', () => {
    const codes = AIRPORTS.map((entry) => entry.code);
    const requests = fc.record({
      from: fc.constantFrom(...codes),
      to: fc.constantFrom(...codes),
      date: fc.date({ min: new Date('2025-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }).map((day) => day.toISOString().slice(0, 10)),
      passengers: fc.integer({ min: 1, max: 9 }),
    });
    fc.assert(
      fc.property(requests, (request) => {
        const offers = generateOffers(request, 'skyway-mock');
        const response = { supplier: 'skyway-mock', offers };
        expect(validResponse.errors(response)).toEqual([]);
        for (const offer of offers) expectRealistic(offer, request);
        expect(new Set(offers.map((offer) => offer.offerId)).size).toBe(offers.length);
        expect(generateOffers(request, 'skyway-mock')).toEqual(offers);
      }),
      { numRuns: 200 },
    );
  });
});
