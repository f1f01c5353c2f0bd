import type { NewJourney, SegmentStatus } from '@skyway/contracts';
import { createRedisClient, waitForReady } from '@skyway/redis-connection';
import type { IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { JourneyStore, type JourneyStoreOptions } from '../src';

/** The original challenge's status cycle for SEG-001…SEG-020. */
export const STATUS_CYCLE: readonly SegmentStatus[] = ['Departed', 'Boarding', 'Delayed', 'Cancelled'];

export function segmentId(n: number): string {
  return `SEG-${String(n).padStart(3, '0')}`;
}

/** A journey like the challenge's JRN-TEST-001: `segments` segments, all Scheduled. */
export function testJourney(id: string, segments = 20): NewJourney {
  return {
    id,
    passengerName: 'Test Passenger',
    passengerEmail: 'test@example.com',
    bookingDate: '2024-01-15T10:30:00Z',
    status: 'Confirmed',
    totalPrice: 100 * segments,
    segments: Array.from({ length: segments }, (_, i) => ({
      segmentId: segmentId(i + 1),
      origin: 'JFK',
      destination: 'LAX',
      departureTime: '2024-02-01T08:00:00Z',
      arrivalTime: '2024-02-01T11:30:00Z',
      flightNumber: `TS${100 + i}`,
      carrier: 'Test Air',
      status: 'Scheduled' as const,
      price: 100,
    })),
    metadata: { source: 'test' },
  };
}

/** A shared command client like the app's (fail-fast policy), and stores on it that close together. */
export class StoreFixture {
  readonly redis: Redis;
  private readonly stores: JourneyStore[] = [];

  private constructor(private readonly isolated: Pick<IsolatedRedis, 'url' | 'prefix'>) {
    this.redis = createRedisClient(isolated.url, { connectionName: 'journey-store-test:commands' });
  }

  static async connect(isolated: Pick<IsolatedRedis, 'url' | 'prefix'>): Promise<StoreFixture> {
    const fixture = new StoreFixture(isolated);
    await waitForReady(fixture.redis, 5_000);
    return fixture;
  }

  store(options: JourneyStoreOptions = {}): JourneyStore {
    const store = new JourneyStore(this.redis, { keyPrefix: this.isolated.prefix, connectionName: 'journey-store-test:tx', ...options });
    this.stores.push(store);
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((store) => store.close()));
    this.redis.disconnect();
  }
}
