import Redis, { Cluster } from 'ioredis';
import { testRedisUrl, uniqueKeyPrefix } from './isolation';

/** Where a suite's Redis is: the shape of `RedisTopologyConfig`, plus the same as app environment. */
export interface TestTopology {
  readonly name: 'single Redis' | 'Redis Cluster';
  readonly url: string;
  readonly clusterNodes: readonly string[];
  /** `REDIS_URL` and, for the cluster, `REDIS_CLUSTER_NODES`: what an app process is given. */
  readonly env: Readonly<Record<string, string>>;
}

/** The run's private local cluster (3 masters + 3 replicas), started by the Jest global setup. */
export function testClusterNodes(): string[] {
  const seeds = process.env.SKYWAY_TEST_CLUSTER_NODES;
  if (!seeds) throw new Error('SKYWAY_TEST_CLUSTER_NODES is not set: run tests through Jest\'s global setup (it starts a local Redis Cluster)');
  return seeds.split(',');
}

export function singleTestTopology(): TestTopology {
  const url = testRedisUrl();
  return { name: 'single Redis', url, clusterNodes: [], env: { REDIS_URL: url } };
}

/** The cluster whose nodes are `clusterNodes` (e.g. a suite's own, to be broken on purpose). */
export function clusterTopology(clusterNodes: readonly string[]): TestTopology {
  // REDIS_URL is not used for the host then; it carries credentials and TLS (none here).
  const url = `redis://${clusterNodes[0]}`;
  return { name: 'Redis Cluster', url, clusterNodes, env: { REDIS_URL: url, REDIS_CLUSTER_NODES: clusterNodes.join(',') } };
}

export function clusterTestTopology(): TestTopology {
  return clusterTopology(testClusterNodes());
}

/** Both topologies, for `describe.each`: every suite that matters runs against a single Redis and a cluster. */
export function testTopologies(): TestTopology[] {
  return [singleTestTopology(), clusterTestTopology()];
}

/** A test's own namespace on a topology, and a client of that topology to inspect it. */
export interface IsolatedTopology {
  readonly topology: TestTopology;
  readonly prefix: string;
  /** A plain client (a `Cluster` on the cluster): single-slot commands only. */
  readonly client: Redis | Cluster;
  /** Deletes the namespace's keys on every master and closes the client. */
  cleanup(): Promise<void>;
}

function mastersOf(client: Redis | Cluster): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

export async function isolatedTopology(topology: TestTopology, label?: string): Promise<IsolatedTopology> {
  const prefix = uniqueKeyPrefix(label);
  const client =
    topology.clusterNodes.length > 0
      ? new Cluster(topology.clusterNodes.map((address) => ({ host: address.split(':')[0] as string, port: Number(address.split(':')[1]) })))
      : new Redis(topology.url);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
  return {
    topology,
    prefix,
    client,
    async cleanup() {
      for (const master of mastersOf(client)) {
        let cursor = '0';
        do {
          const [next, keys] = await master.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
          cursor = next;
          // One key per UNLINK: keys of one namespace live in many slots.
          for (const key of keys) await master.unlink(key);
        } while (cursor !== '0');
      }
      client.disconnect();
    },
  };
}
