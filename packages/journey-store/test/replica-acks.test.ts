import { redisKeys, slotOf } from '@skyway/contracts';
import { RedisUnavailableError, createRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { sampleJourney, segmentId, startRedisCluster, type RedisCluster } from '@skyway/testkit';
import { JourneyStore } from '../src';

/**
 * `replicaAcks` (REDIS_WAIT_REPLICAS): a write is answered only once that many replicas have it.
 * On a cluster of its own, the replica of the journey's master is paused with
 * SIGSTOP: a store that asks for one replica's ack refuses to call the write committed, one that
 * does not ask commits as before, and once the replica is back the acks come again.
 */
describe('replica acknowledgements (WAIT) on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let topology: RedisTopology;
  // Long enough for a replica starved of CPU by a busy test run (and below the 1.5 s command timeout); a paused one never answers.
  const waitForOne = { replicas: 1, timeoutMs: 1_000 };

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

  /** Pauses the replica of the master that holds `key` until the returned function is called. */
  async function pauseReplicaOf(key: string): Promise<() => void> {
    const master = await cluster.masterOf(slotOf(key));
    return cluster.pause((await cluster.replicaOf(master.id)).address);
  }

  /** An id (not yet used) whose journey lives on the same master as `journeyId`'s. */
  async function journeyIdBesides(journeyId: string): Promise<string> {
    const keys = redisKeys('');
    const master = await cluster.masterOf(slotOf(keys.journey(journeyId)));
    for (let n = 1; ; n++) {
      const candidate = `JRN-NEW-${n}`;
      if ((await cluster.masterOf(slotOf(keys.journey(candidate)))).id === master.id) return candidate;
    }
  }

  it('a journey update or creation waits for a replica: not confirmed (Redis unavailable) while it is paused, committed without the setting, confirmed again once it is back', async () => {
    const waiting = new JourneyStore(topology, { connectionName: 'test:wait-tx', replicaAcks: waitForOne });
    const plain = new JourneyStore(topology, { connectionName: 'test:plain-tx' });
    try {
      await waiting.create(sampleJourney('JRN-WAIT', 4));
      expect(await waiting.updateSegmentStatus('JRN-WAIT', segmentId(1), 'Boarding')).toMatchObject({ kind: 'committed', version: 2 });

      const resume = await pauseReplicaOf(waiting.keys.journey('JRN-WAIT'));
      try {
        await expect(waiting.updateSegmentStatus('JRN-WAIT', segmentId(2), 'Boarding')).rejects.toThrow(RedisUnavailableError);
        await expect(waiting.updateSegmentStatus('JRN-WAIT', segmentId(2), 'Boarding')).rejects.toThrow(/not confirmed by 1 replica/);
        expect(await plain.updateSegmentStatus('JRN-WAIT', segmentId(3), 'Boarding')).toMatchObject({ kind: 'committed' });
        // A new journey on the same master is refused the same way.
        await expect(waiting.create(sampleJourney(await journeyIdBesides('JRN-WAIT'), 4))).rejects.toThrow(RedisUnavailableError);
      } finally {
        resume();
      }
      expect(await waiting.updateSegmentStatus('JRN-WAIT', segmentId(4), 'Boarding')).toMatchObject({ kind: 'committed' });
    } finally {
      await Promise.all([waiting.close(), plain.close()]);
    }
  });
});
