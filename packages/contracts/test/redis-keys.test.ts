import {
  CLUSTER_SLOTS,
  DEFAULT_SEARCH_PARTITIONS,
  JOURNEY_PARTITIONS,
  STREAMS,
  partitionTags,
  redisKeys,
  slotOf,
  type RedisKeys,
} from '../src';

const SEARCH_ID = '0b5b3c1e-8d1f-4b7a-9a55-3f0c2e7d9a10';
const JOURNEY_ID = 'JRN-001';

/**
 * Every key set that one MULTI, script or multi-key read touches, by the operation that does:
 * Redis Cluster refuses (CROSSSLOT) any of these whose keys are not in one slot.
 */
function transactionKeySets(keys: RedisKeys): Record<string, string[]> {
  const search = keys.searchPartitionOf(SEARCH_ID);
  const journeyFeed = keys.journeyPartitionOf(JOURNEY_ID).changeFeed;
  return {
    'search create (SET state + XADD request)': [keys.search(SEARCH_ID), search.requested],
    'search change (WATCH/SET state + XADD result + XACK request)': [keys.search(SEARCH_ID), search.results, search.requested],
    'dead-letter (XADD dlq + XACK request)': [search.deadLetter, search.requested],
    'journey update (WATCH/SET document + XADD change stream + XADD feed)': [keys.journey(JOURNEY_ID), keys.journeyChanges(JOURNEY_ID), journeyFeed],
    'journey create script (document + change stream)': [keys.journey(JOURNEY_ID), keys.journeyChanges(JOURNEY_ID)],
    'journey lua strategy script': [keys.journey(JOURNEY_ID), keys.journeyChanges(JOURNEY_ID), journeyFeed],
    'journey snapshot (GET document + XREVRANGE feed)': [keys.journey(JOURNEY_ID), journeyFeed],
    'journey lock strategy (lock + document)': [keys.journeyLock(JOURNEY_ID), keys.journey(JOURNEY_ID)],
  };
}

describe('redisKeys', () => {
  it.each(['', 'test:abc123:'])('puts the keys of every transaction in one slot (prefix %j)', (prefix) => {
    for (const partitions of [1, 3, DEFAULT_SEARCH_PARTITIONS, 64]) {
      const keys = redisKeys(prefix, { searchPartitions: partitions });
      for (const [operation, keySet] of Object.entries(transactionKeySets(keys))) {
        expect({ operation, slots: new Set(keySet.map(slotOf)).size }).toEqual({ operation, slots: 1 });
        for (const key of keySet) expect(key.startsWith(prefix)).toBe(true);
      }
    }
  });

  it('keeps the brief\'s stream names recognisable, each partition in a slot of its own', () => {
    const keys = redisKeys('', { searchPartitions: DEFAULT_SEARCH_PARTITIONS });
    expect(keys.searchPartitions).toHaveLength(DEFAULT_SEARCH_PARTITIONS);
    for (const partition of keys.searchPartitions) {
      expect(partition.requested).toBe(`${STREAMS.searchRequested}:{${partition.tag}}`);
      expect(partition.results).toBe(`${STREAMS.searchResults}:{${partition.tag}}`);
      expect(partition.deadLetter).toBe(`${STREAMS.searchRequestedDeadLetter}:{${partition.tag}}`);
    }
    expect(new Set(keys.searchPartitions.map((partition) => slotOf(partition.requested))).size).toBe(DEFAULT_SEARCH_PARTITIONS);
    expect(new Set(keys.journeyPartitions.map((partition) => slotOf(partition.changeFeed))).size).toBe(JOURNEY_PARTITIONS);
  });

  it('spreads P partitions over P equal slot ranges, so the masters of an evenly sliced cluster get P/masters each', () => {
    for (const count of [1, 3, 16, 100]) {
      const slots = partitionTags('s', count).map(slotOf);
      slots.forEach((slot, index) => {
        expect(slot).toBeGreaterThanOrEqual(Math.floor((index * CLUSTER_SLOTS) / count));
        expect(slot).toBeLessThan(Math.floor(((index + 1) * CLUSTER_SLOTS) / count));
      });
    }
    // 3 masters with 5461/5461/5462 slots (what redis-cli --cluster create assigns): 16 partitions → 5/6/5.
    const perMaster = [0, 0, 0];
    for (const slot of partitionTags('s', 16).map(slotOf)) perMaster[slot < 5461 ? 0 : slot < 10923 ? 1 : 2]! += 1;
    expect(Math.max(...perMaster) - Math.min(...perMaster)).toBeLessThanOrEqual(1);
  });

  it('spreads searches over the partitions by id, and always puts one search in the same one', () => {
    const keys = redisKeys('', { searchPartitions: 8 });
    const counts = new Array<number>(8).fill(0);
    for (let n = 0; n < 8_000; n++) counts[keys.searchPartitionOf(`${n}-${SEARCH_ID}`).index]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    expect(keys.searchPartitionOf(SEARCH_ID)).toBe(keys.searchPartitionOf(SEARCH_ID));
  });

  it('spreads sequential journey ids evenly: every partition within ±15 % of the mean, every master of 3 within ±15 %', () => {
    const keys = redisKeys('');
    for (const format of [(n: number) => `JRN-${String(n).padStart(6, '0')}`, (n: number) => `JRN-${String(n).padStart(3, '0')}`, (n: number) => String(n)]) {
      const perPartition = new Array<number>(JOURNEY_PARTITIONS).fill(0);
      for (let n = 1; n <= 4_000; n++) perPartition[keys.journeyPartitionOf(format(n)).index]! += 1;
      const mean = 4_000 / JOURNEY_PARTITIONS;
      for (const count of perPartition) expect(Math.abs(count - mean) / mean).toBeLessThanOrEqual(0.15);
      // Masters as redis-cli --cluster create slices them (5461/5461/5462 slots): 16 partitions are 5/6/5, so +12.5 % is the floor.
      const perMaster = [0, 0, 0];
      keys.journeyPartitions.forEach((partition) => {
        const slot = slotOf(partition.tag);
        perMaster[slot < 5461 ? 0 : slot < 10923 ? 1 : 2]! += perPartition[partition.index]!;
      });
      for (const count of perMaster) expect(Math.abs(count - 4_000 / 3) / (4_000 / 3)).toBeLessThanOrEqual(0.15);
    }
  });

  it('refuses a partition count that is not an integer from 1 to 1024', () => {
    for (const bad of [0, -1, 1.5, 1_025]) expect(() => redisKeys('', { searchPartitions: bad })).toThrow(RangeError);
  });

  it('uses the Redis client\'s slot function (CRC16 of the hash tag)', () => {
    // Values from the Redis Cluster specification's examples.
    expect(slotOf('123456789')).toBe(12_739);
    expect(slotOf('{user1000}.following')).toBe(slotOf('{user1000}.followers'));
  });
});
