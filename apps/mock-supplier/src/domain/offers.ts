import type { SupplierFlightsQuery, SupplierOffer } from '@skyway/contracts';
import { getDistance } from 'geolib';
import { LRUCache } from 'lru-cache';
import { DateTime } from 'luxon';
import { AIRLINES, type Airline } from './airlines';
import { findAirport, type Airport } from './airports';
import { CURRENCY_BY_COUNTRY, priceIn } from './currencies';
import { seededRandom, type SeededRandom } from './seeded-random';

/** Block time model: great-circle distance at cruise speed, plus taxi, climb and descent. */
export const CRUISE_KM_PER_HOUR = 800;
export const TAXI_CLIMB_DESCENT_MINUTES = 40;
/** Connection time at the hub of a one-stop itinerary. */
export const LAYOVER_MINUTES = { min: 45, max: 180 } as const;
/** A one-stop itinerary is sold only when flying via the hub is at most this much longer than direct. */
const MAX_DETOUR_RATIO = 1.35;
/** Below this distance nobody sells a connection: you fly direct or not at all. */
const MIN_ONE_STOP_KM = 1_500;
/** Two airports closer than this serve the same place: there is no flight between them. */
const MIN_ROUTE_KM = 100;
/** Beyond this, airlines fly non-stop only to and from their hub, as long-haul networks do. */
const MAX_POINT_TO_POINT_KM = 2_500;
const FARE_FACTOR: Readonly<Record<Airline['model'], number>> = { 'full-service': 1.3, 'low-cost': 0.75 };

/** One way an airline serves the route: non-stop, or through its hub. */
interface Service {
  readonly airline: Airline;
  readonly via?: Airport;
  /** The distance actually flown (both legs for a one-stop). */
  readonly flownKm: number;
}

interface ScheduledFlight extends Service {
  readonly flightNumber: string;
  readonly departure: DateTime;
  readonly durationMinutes: number;
}

/** A timetable entry with its local times already formatted (ISO 8601 with the airports' offsets). */
interface TimetabledFlight extends Service {
  readonly flightNumber: string;
  readonly durationMinutes: number;
  readonly departureLocal: string;
  readonly arrivalLocal: string;
}

/**
 * Built timetables by route and date. Building one is time-zone maths (luxon) that was most of this
 * process's CPU per request; it depends on nothing else, so a bounded cache serves repeated queries.
 * 5,000 route-days of a few flights each stay within a few MB.
 */
const TIMETABLE_CACHE_ENTRIES = 5_000;
const timetables = new LRUCache<string, readonly TimetabledFlight[]>({ max: TIMETABLE_CACHE_ENTRIES });

export function distanceKm(a: Airport, b: Airport): number {
  return getDistance(a, b) / 1000;
}

function roundUpTo5(minutes: number): number {
  return Math.ceil(minutes / 5) * 5;
}

export function blockMinutes(km: number): number {
  return roundUpTo5(TAXI_CLIMB_DESCENT_MINUTES + (km / CRUISE_KM_PER_HOUR) * 60);
}

function isHomeCarrier(airline: Airline, origin: Airport, destination: Airport): boolean {
  return airline.country === origin.country || airline.country === destination.country;
}

/**
 * Who flies the route: home carriers non-stop within their range (beyond short hops, only from or to
 * their hub); home carriers and, between foreign countries, connectors via their hub.
 */
function servicesOn(origin: Airport, destination: Airport, directKm: number): Service[] {
  const domestic = origin.country === destination.country;
  const services: Service[] = [];
  for (const airline of AIRLINES) {
    const hub = findAirport(airline.hub);
    if (!hub) throw new RangeError(`hub ${airline.hub} of ${airline.code} is not in the airport table`);
    const home = isHomeCarrier(airline, origin, destination);
    const touchesHub = hub.city === origin.city || hub.city === destination.city;
    if (home && directKm <= airline.rangeKm && (directKm <= MAX_POINT_TO_POINT_KM || touchesHub)) {
      services.push({ airline, flownKm: directKm });
    }

    if (touchesHub || directKm < MIN_ONE_STOP_KM || !(home || (airline.connector && !domestic))) continue;
    const [first, second] = [distanceKm(origin, hub), distanceKm(hub, destination)];
    if (first > airline.rangeKm || second > airline.rangeKm || first + second > directKm * MAX_DETOUR_RATIO) continue;
    services.push({ airline, via: hub, flownKm: first + second });
  }
  return services;
}

/** Flights a day for one service: short non-stop routes are busy, long-haul and connections are not. */
function dailyFrequency(service: Service, random: SeededRandom): number {
  if (service.via) return random.int(0, 1);
  if (service.flownKm < 1_500) return random.int(1, 3);
  if (service.flownKm < 5_000) return random.int(1, 2);
  return random.int(0, 1);
}

function drawFlightNumber(airline: Airline, flownKm: number, taken: Set<string>, random: SeededRandom): string {
  for (;;) {
    // Long-haul flagship services tend to have short numbers; regional ones three digits.
    const candidate = `${airline.code}${flownKm >= 5_000 ? random.int(1, 999) : random.int(100, 999)}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/** The day's timetable for a route: depends only on the route and the date, as a real one does. */
function buildTimetable(origin: Airport, destination: Airport, date: string): ScheduledFlight[] {
  const directKm = distanceKm(origin, destination);
  if (directKm < MIN_ROUTE_KM) return [];
  const random = seededRandom(`timetable|${origin.code}|${destination.code}|${date}`);
  const services = servicesOn(origin, destination, directKm);
  const frequencies = services.map((service) => dailyFrequency(service, random));
  // A route someone sells is served at least once a day.
  if (services.length > 0 && !frequencies.some((count) => count > 0)) frequencies[0] = 1;

  const midnight = DateTime.fromISO(date, { zone: origin.timeZone });
  if (!midnight.isValid) throw new RangeError(`invalid date ${date} for ${origin.code}`);
  const taken = new Set<string>();
  const flights: ScheduledFlight[] = [];
  services.forEach((service, index) => {
    for (let n = 0; n < (frequencies[index] ?? 0); n++) {
      // Departures between 05:00 and 22:55 local, on five-minute marks.
      const minuteOfDay = random.int(5 * 12, 22 * 12 + 11) * 5;
      const layover = service.via ? random.int(LAYOVER_MINUTES.min / 5, LAYOVER_MINUTES.max / 5) * 5 : 0;
      const durationMinutes = service.via
        ? blockMinutes(distanceKm(origin, service.via)) + layover + blockMinutes(distanceKm(service.via, destination))
        : blockMinutes(service.flownKm);
      flights.push({
        ...service,
        flightNumber: drawFlightNumber(service.airline, service.flownKm, taken, random),
        departure: midnight.set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 }),
        durationMinutes,
      });
    }
  });
  return flights.sort((a, b) => a.departure.toMillis() - b.departure.toMillis() || a.flightNumber.localeCompare(b.flightNumber));
}

function isoWithOffset(time: DateTime): string {
  const text = time.toISO({ suppressMilliseconds: true });
  if (text === null) throw new RangeError(`cannot format ${time.invalidExplanation ?? 'an invalid time'}`);
  return text;
}

function timetable(origin: Airport, destination: Airport, date: string): readonly TimetabledFlight[] {
  const key = `${origin.code}|${destination.code}|${date}`;
  const cached = timetables.get(key);
  if (cached) return cached;
  const flights = buildTimetable(origin, destination, date).map(({ departure, ...flight }) => ({
    ...flight,
    departureLocal: isoWithOffset(departure),
    arrivalLocal: isoWithOffset(departure.plus({ minutes: flight.durationMinutes }).setZone(destination.timeZone)),
  }));
  timetables.set(key, flights);
  return flights;
}

/**
 * The offers a supplier named `supplierName` returns for a query: the same query always gets the
 * same offers. The timetable depends on the route and date only (two suppliers sell the same
 * flights); fares and seat availability also depend on the supplier. Flights without enough seats
 * for the party are not offered; the fare is the total for all passengers, in the origin's currency.
 * Unknown airports and airports of the same city give no offers.
 */
export function generateOffers(query: SupplierFlightsQuery, supplierName: string): SupplierOffer[] {
  const origin = findAirport(query.from);
  const destination = findAirport(query.to);
  if (!origin || !destination || origin.city === destination.city) return [];
  const currency = CURRENCY_BY_COUNTRY[origin.country];
  if (!currency) throw new RangeError(`no currency for country ${origin.country}`);

  const sales = seededRandom(`sales|${supplierName}|${origin.code}|${destination.code}|${query.date}`);
  const offers: SupplierOffer[] = [];
  for (const flight of timetable(origin, destination, query.date)) {
    // Drawn for every flight, before filtering, so that the party size changes nothing else.
    const seatsLeft = sales.chance(0.2) ? sales.int(0, 9) : sales.int(10, 80);
    const demand = sales.float(0.85, 1.45);
    if (seatsLeft < query.passengers) continue;
    const perPassengerUsd = (20 + 0.06 * flight.flownKm) * FARE_FACTOR[flight.airline.model] * demand * (flight.via ? 0.85 : 1);
    offers.push({
      offerId: `${supplierName}-${flight.flightNumber}-${query.date.replaceAll('-', '')}-${origin.code}${destination.code}`,
      carrier: { code: flight.airline.code, name: flight.airline.name },
      flightNumber: flight.flightNumber,
      origin: origin.code,
      destination: destination.code,
      departureLocal: flight.departureLocal,
      arrivalLocal: flight.arrivalLocal,
      durationMinutes: flight.durationMinutes,
      stops: flight.via ? 1 : 0,
      fare: { amount: priceIn(currency, perPassengerUsd * query.passengers), currency: currency.code },
      seatsLeft,
    });
  }
  return offers;
}
