import { randomUUID } from 'node:crypto';
import { redisKeys, slotOf } from '@skyway/contracts';
import { RedisUnavailableError, createRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { sampleFlight, startRedisCluster, type RedisCluster } from '@skyway/testkit';
import { SearchStore } from '../src';

/**
 * `replicaAcks` (REDIS_WAIT_REPLICAS) for new searches: on a cluster of its own, with the replica
 * of one master paused (SIGSTOP), a search on that master is refused as Redis unavailable (it is
 * not known to survive a failover), a search on another master is created, and once the replica is
 * back the first master's searches are created again.
 */
describe('SearchStore on a Redis Cluster of its own: replica acknowledgements (WAIT), moved slots', () => {
  let cluster: RedisCluster;
  let topology: RedisTopology;
  const keys = redisKeys('');
  const query = { from: 'CGK', to: 'DPS', date: '2030-01-01', passengers: 1 } as const;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const seeds = cluster.seeds.split(',');
    topology = createRedisTopology({ url: `redis://${seeds[0]}`, clusterNodes: seeds }, { connectionName: 'test:replica-acks' });
    await waitForReady(topology.commands, 10_000);
  }, 60_000);
  afterAll(async () => {
    topology.close();
    await cluster.stop();
  });

  /** A fresh search id whose state lives on (or off) the master `masterId`. */
  async function searchIdOn(masterId: string, on: boolean): Promise<string> {
    for (;;) {
      const searchId = randomUUID();
      if (((await cluster.masterOf(slotOf(keys.search(searchId)))).id === masterId) === on) return searchId;
    }
  }

  it('refuses a new search while its master\'s replica cannot acknowledge it, creates one elsewhere, and creates again once the replica is back', async () => {
    const store = new SearchStore({ topology, keys, service: 'test', replicaAcks: { replicas: 1, timeoutMs: 1_000 } });
    const create = async (searchId: string) => store.create(query, { searchId, now: new Date(), timeoutMs: 30_000, ttlMs: 60_000 });
    const master = await cluster.masterOf(0);
    const replica = await cluster.replicaOf(master.id);
    try {
      await create(await searchIdOn(master.id, true));
      const resume = cluster.pause(replica.address);
      try {
        await expect(create(await searchIdOn(master.id, true))).rejects.toThrow(RedisUnavailableError);
        const elsewhere = await searchIdOn(master.id, false);
        await create(elsewhere);
        expect(await store.get(elsewhere)).not.toBeNull();
      } finally {
        resume();
      }
      const after = await searchIdOn(master.id, true);
      await create(after);
      expect(await store.get(after)).not.toBeNull();
    } finally {
      await store.close();
    }
  });
  it('follows a slot moved to another master: the change meets MOVED, is counted, and applies at the new owner', async () => {
    let slotMoves = 0;
    const store = new SearchStore({ topology, keys, service: 'test', onSlotMoved: () => (slotMoves += 1) });
    try {
      const { search_id: searchId } = await store.create(query, { searchId: randomUUID(), now: new Date(), timeoutMs: 30_000, ttlMs: 60_000 });
      const slot = slotOf(keys.search(searchId));
      const owner = await cluster.masterOf(slot);
      const elsewhere = (await cluster.state()).find((node) => node.role === 'master' && node.id !== owner.id);
      await cluster.moveSlot(slot, elsewhere?.address as string);

      const transition = await store.change(searchId, { kind: 'partial', results: [sampleFlight('moved')] }, { now: new Date() });
      expect(transition?.applied).toBe(true);
      expect(slotMoves).toBeGreaterThanOrEqual(1);
      expect((await cluster.masterOf(slot)).id).toBe(elsewhere?.id);
    } finally {
      await store.close();
    }
  });
});
