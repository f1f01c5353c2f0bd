import { createRedisTopology, waitForReady, type RedisCommands, type RedisTopology } from '@skyway/redis-connection';
import type { IsolatedRedis } from '@skyway/testkit';
import { JourneyStore, type JourneyStoreOptions } from '../src';

/** A shared command client like the app's (fail-fast policy), and stores on it that close together. */
export class StoreFixture {
  readonly topology: RedisTopology;
  readonly redis: RedisCommands;
  private readonly stores: JourneyStore[] = [];

  private constructor(
    private readonly isolated: Pick<IsolatedRedis, 'url' | 'prefix'>,
    clusterNodes: readonly string[],
  ) {
    this.topology = createRedisTopology({ url: isolated.url, clusterNodes }, { connectionName: 'journey-store-test:commands' });
    this.redis = this.topology.commands;
  }

  /** On the single test Redis, or on the cluster of `clusterNodes`. */
  static async connect(isolated: Pick<IsolatedRedis, 'url' | 'prefix'>, clusterNodes: readonly string[] = []): Promise<StoreFixture> {
    const fixture = new StoreFixture(isolated, clusterNodes);
    await waitForReady(fixture.redis, 5_000);
    return fixture;
  }

  store(options: JourneyStoreOptions = {}): JourneyStore {
    const store = new JourneyStore(this.topology, { keyPrefix: this.isolated.prefix, connectionName: 'journey-store-test:tx', ...options });
    this.stores.push(store);
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((store) => store.close()));
    this.topology.close();
  }
}
