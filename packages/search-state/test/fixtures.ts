import type { FlightResult } from '@skyway/contracts';
import type { SearchQuery } from '../src';

export const query: SearchQuery = { from: 'CGK', to: 'DPS', date: '2025-07-10', passengers: 2 };

export function flight(id: string, provider = 'alpha'): FlightResult {
  return {
    id: `${provider}:${id}`,
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
    provider,
  };
}
