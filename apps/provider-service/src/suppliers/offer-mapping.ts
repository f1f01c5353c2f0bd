import type { FlightResult, SupplierFlightsQuery, SupplierOffer } from '@skyway/contracts';

/**
 * Adapts a supplier's offer to Skyway's result shape. Offers that do not answer the query (another
 * route, too few seats for the party) are dropped rather than shown. Result ids are
 * `<supplier>:<offerId>`, stable across redeliveries, so re-published results merge instead of
 * duplicating.
 */
export function toFlightResults(supplier: string, query: SupplierFlightsQuery, offers: readonly SupplierOffer[]): FlightResult[] {
  return offers
    .filter((offer) => offer.origin === query.from && offer.destination === query.to && offer.seatsLeft >= query.passengers)
    .map((offer) => ({
      id: `${supplier}:${offer.offerId}`,
      airline: offer.carrier.name,
      flight_number: offer.flightNumber,
      from: offer.origin,
      to: offer.destination,
      departure_time: offer.departureLocal,
      arrival_time: offer.arrivalLocal,
      duration_minutes: offer.durationMinutes,
      stops: offer.stops,
      price: offer.fare,
      seats_available: offer.seatsLeft,
      provider: supplier,
    }));
}
