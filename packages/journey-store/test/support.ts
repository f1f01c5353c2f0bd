import { createRedisClient, waitForReady } from '@skyway/redis-connection';
import type { IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { JourneyStore, type JourneyStoreOptions } from '../src';

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
