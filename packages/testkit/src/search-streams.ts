import type { RedisKeys } from '@skyway/contracts';
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';

type StreamEntry = [id: string, fields: string[]];

/** Every entry of one search stream over all its partitions (`which`: requested, results or deadLetter), oldest first per partition. */
export async function searchStreamEntries(client: Redis | Cluster, keys: RedisKeys, which: 'requested' | 'results' | 'deadLetter'): Promise<StreamEntry[]> {
  const perPartition = await Promise.all(keys.searchPartitions.map((partition) => client.xrange(partition[which], '-', '+')));
  return perPartition.flat();
}

/** Entries pending in `group` over every partition of the request stream. */
export async function pendingSearchRequests(client: Redis | Cluster, keys: RedisKeys, group: string): Promise<number> {
  const counts = await Promise.all(
    keys.searchPartitions.map(async (partition) => {
      try {
        return ((await client.xpending(partition.requested, group)) as [number])[0];
      } catch (error) {
        // A partition no request reached yet has no group.
        if (/NOGROUP|no such key/i.test((error as Error).message)) return 0;
        throw error;
      }
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
