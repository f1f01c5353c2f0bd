import { clusterTestTopology, isolatedRedis, isolatedTopology, sampleJourney, segmentId, type IsolatedRedis, type IsolatedTopology } from '@skyway/testkit';
import Redis from 'ioredis';
import { StoreFixture } from './support';

/**
 * WATCH is per connection: EXEC and UNWATCH clear every watch of the connection. Concurrent
 * transactions on one shared client therefore disarm each other and lose updates with no error.
 */
describe('WATCH on a shared connection', () => {
  let redis: IsolatedRedis;
  let fixture: StoreFixture;
  beforeEach(async () => {
    redis = await isolatedRedis('journey-shared-connection');
    fixture = await StoreFixture.connect(redis);
  });
  afterEach(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  it('the trap: 20 concurrent WATCH/GET/MULTI/EXEC increments on one client all "succeed", yet most are lost', async () => {
    const key = `${redis.prefix}counter`;
    await redis.client.set(key, '0');
    const shared = redis.client;
    const increment = async (): Promise<boolean> => {
      await shared.watch(key);
      const value = Number(await shared.get(key));
      return (await shared.multi().set(key, String(value + 1)).exec()) !== null;
    };

    const results = await Promise.all(Array.from({ length: 20 }, increment));

    const succeeded = results.filter(Boolean).length;
    const final = Number(await shared.get(key));
    expect(succeeded).toBe(20);
    expect(final).toBeLessThan(succeeded);
  });

  it('the store runs every WATCH on a dedicated pooled connection, never on the shared one, and loses nothing', async () => {
    const connectionName = `tx-${redis.prefix.replace(/:/g, '')}`;
    const store = fixture.store({ poolSize: 4, connectionName });
    const otherProcess = fixture.store({ poolSize: 4, connectionName });
    await store.create(sampleJourney('JRN-A', 20));
    await store.create(sampleJourney('JRN-B', 20));
    const sharedAddress = /addr=(\S+)/.exec(String(await fixture.redis.client('INFO')))?.[1];

    // MONITOR runs on a connection of its own that `monitor()` opens beside its client.
    const monitorClient = new Redis(redis.url);
    const monitor = await monitorClient.monitor();
    const watchSources: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (args[0]?.toLowerCase() === 'watch' && args[1]?.startsWith(redis.prefix)) watchSources.push(source);
    });
    let committed = 0;
    try {
      const outcomes = await Promise.all(
        ['JRN-A', 'JRN-B'].flatMap((journeyId) =>
          Array.from({ length: 64 }, (_, i) =>
            (i % 2 === 0 ? store : otherProcess).updateSegmentStatus(journeyId, segmentId((i % 20) + 1), 'Boarding'),
          ),
        ),
      );
      committed = outcomes.filter((outcome) => outcome.kind === 'committed').length;
      await redis.client.ping(); // MONITOR output of the last commands arrives before this reply
    } finally {
      monitor.disconnect();
      monitorClient.disconnect();
    }

    expect(sharedAddress).toEqual(expect.stringMatching(/^127\.0\.0\.1:\d+$/));
    expect(watchSources.length).toBeGreaterThan(0);
    expect(watchSources).not.toContain(sharedAddress);
    expect(committed).toBe(128);
    expect((await store.get('JRN-A'))?.version).toBe(65);
    expect((await store.get('JRN-B'))?.version).toBe(65);
    const clients = String(await redis.client.client('LIST'));
    const pooled = clients.split('\n').filter((line) => line.includes(`name=${connectionName} `));
    expect(pooled.length).toBeGreaterThan(0);
    expect(pooled.length).toBeLessThanOrEqual(8); // two pools of 4
  });

  it('hands each dedicated connection to onConnection as it is created (to watch it in metrics)', async () => {
    const created: Redis[] = [];
    const store = fixture.store({ poolSize: 2, connectionName: 'journey-tx-watched', onConnection: (connection) => created.push(connection) });
    await store.create(sampleJourney('JRN-W', 4));
    // Creation writes on a connection of its own too (so a WAIT can follow it there).
    expect(created).toHaveLength(1);
    await Promise.all([1, 2, 3, 4].map((n) => store.updateSegmentStatus('JRN-W', segmentId(n), 'Boarding')));
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(created.length).toBeLessThanOrEqual(3);
    for (const connection of created) expect(connection.options.connectionName).toBe('journey-tx-watched');
  });
});

/**
 * ioredis's cluster client offers `watch`/`multi`, but routes them over its one shared connection
 * per node (redis/ioredis#999, closed as won't-fix): the same trap as above, on a cluster. The
 * store instead borrows a dedicated connection to the key's master from a per-node pool.
 */
describe('WATCH through the Redis Cluster client', () => {
  let redis: IsolatedTopology;
  let fixture: StoreFixture;
  const topology = clusterTestTopology();
  beforeEach(async () => {
    redis = await isolatedTopology(topology, 'journey-cluster-watch');
    fixture = await StoreFixture.connect({ url: topology.url, prefix: redis.prefix }, topology.clusterNodes);
  });
  afterEach(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  it('the unsafe convenience: 20 concurrent increments with the cluster client\'s own watch/multi all "succeed", yet updates are lost', async () => {
    const key = `${redis.prefix}{counter}`;
    await redis.client.set(key, '0');
    const cluster = redis.client;
    const increment = async (): Promise<boolean> => {
      await cluster.watch(key);
      const value = Number(await cluster.get(key));
      return (await cluster.multi().set(key, String(value + 1)).exec()) !== null;
    };

    const results = await Promise.all(Array.from({ length: 20 }, increment));

    const succeeded = results.filter(Boolean).length;
    expect(succeeded).toBe(20);
    expect(Number(await cluster.get(key))).toBeLessThan(succeeded);
  });

  it('the safe path: two stores (as two processes) racing 64 updates each on journeys of every master lose nothing', async () => {
    const store = fixture.store({ poolSize: 4 });
    const otherProcess = fixture.store({ poolSize: 4 });
    const journeyIds = store.keys.journeyPartitions.map((_, n) => `JRN-CLUSTER-${n}`);
    await Promise.all(journeyIds.map((journeyId) => store.create(sampleJourney(journeyId, 20))));

    const outcomes = await Promise.all(
      journeyIds.flatMap((journeyId) =>
        Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? store : otherProcess).updateSegmentStatus(journeyId, segmentId((i % 20) + 1), 'Boarding')),
      ),
    );

    expect(outcomes.filter((outcome) => outcome.kind === 'committed')).toHaveLength(64 * journeyIds.length);
    for (const journeyId of journeyIds) expect((await store.get(journeyId))?.version).toBe(65);
  });
});
