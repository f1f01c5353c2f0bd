import type { NewJourney } from '@skyway/contracts';
import type Redis from 'ioredis';

export function segmentId(n: number): string {
  return `SEG-${String(n).padStart(3, '0')}`;
}

/** A journey like the original challenge's JRN-TEST-001: `segments` segments, all Scheduled. */
export function benchJourney(id: string, segments: number): NewJourney {
  return {
    id,
    passengerName: 'Bench Passenger',
    passengerEmail: 'bench@example.com',
    bookingDate: '2024-01-15T10:30:00Z',
    status: 'Confirmed',
    totalPrice: 100 * segments,
    segments: Array.from({ length: segments }, (_, i) => ({
      segmentId: segmentId(i + 1),
      origin: 'JFK',
      destination: 'LAX',
      departureTime: '2024-02-01T08:00:00Z',
      arrivalTime: '2024-02-01T11:30:00Z',
      flightNumber: `BW${100 + i}`,
      carrier: 'Bench Air',
      status: 'Scheduled' as const,
      price: 100,
    })),
    metadata: { source: 'bench' },
  };
}

/** Deletes every key under `prefix` (a benchmark pointed at a shared REDIS_URL leaves nothing behind). */
export async function deleteNamespace(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
