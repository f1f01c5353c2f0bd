/**
 * What `WAIT 1` costs a journey commit on a Redis Cluster. Redis Cluster replicates asynchronously:
 * a commit acknowledged by a master that dies before its replica received it is lost on failover.
 * `WAIT numreplicas timeout` after EXEC makes the acknowledgement wait for a replica's copy.
 *
 * On a private local cluster (3 masters + 3 replicas), writers commit the journey transaction's
 * shape (MULTI: SET document + XADD change stream + XADD partition feed, EXEC) on dedicated
 * connections to the owning masters, with and without `WAIT 1 1000` after each EXEC, alternating
 * the two modes over rounds; it reports commits/s, p50/p99 and the ratio.
 */
import { redisKeys } from '@skyway/contracts';
import { startRedisCluster } from '@skyway/local-redis';
import { TransactionPool, createRedisTopology, waitForReady } from '@skyway/redis-connection';
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { latencyHistogram, median, printTable, runBenchmark, writeResults } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COMMITS = 3_000;
const WRITERS = 16;
const JOURNEYS = 64;

type Mode = 'no WAIT' | 'WAIT 1';

async function round(pool: TransactionPool, mode: Mode, prefix: string): Promise<{ perSecond: number; p50: number; p99: number; unreplicated: number }> {
  const keys = redisKeys(prefix);
  const histogram = latencyHistogram();
  let next = 0;
  let unreplicated = 0;
  const document = JSON.stringify({ id: 'x', segments: Array.from({ length: 20 }, (_, n) => ({ segmentId: n, status: 'Scheduled' })) });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < COMMITS) {
        const journeyId = `JRN-WAIT-${next++ % JOURNEYS}`;
        const key = keys.journey(journeyId);
        const connection = await pool.acquire(key);
        const begun = performance.now();
        try {
          await connection
            .multi()
            .set(key, document)
            .xadd(keys.journeyChanges(journeyId), 'MAXLEN', '~', 1_000, '*', 'v', '1')
            .xadd(keys.journeyPartitionOf(journeyId).changeFeed, 'MAXLEN', '~', 10_000, '*', 'journeyId', journeyId)
            .exec();
          if (mode === 'WAIT 1' && (await connection.wait(1, 1_000)) < 1) unreplicated += 1;
        } finally {
          await pool.release(connection);
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - begun) * 1_000)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  return { perSecond: COMMITS / seconds, p50: histogram.getValueAtPercentile(50) / 1_000, p99: histogram.getValueAtPercentile(99) / 1_000, unreplicated };
}

/** A new cluster's replicas are still syncing: WAIT would measure the initial sync, not replication. */
async function replicasOnline(masters: readonly Redis[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const master of masters) {
    while (!/slave0:.*state=online/.test(await master.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`replica of ${master.options.host}:${master.options.port} not online after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function main(): Promise<void> {
  const cluster = await startRedisCluster();
  const topology = createRedisTopology({ url: `redis://${cluster.nodes[0]?.address}`, clusterNodes: cluster.seeds.split(',') }, { connectionName: 'bench:wait' });
  const pool = new TransactionPool(topology, { connectionName: 'bench:wait-tx', size: WRITERS, acquireTimeoutMs: 10_000 });
  const runs: Record<Mode, Array<Awaited<ReturnType<typeof round>>>> = { 'no WAIT': [], 'WAIT 1': [] };
  try {
    await waitForReady(topology.commands, 10_000);
    await replicasOnline((topology.commands as Cluster).nodes('master'));
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating order, so neither mode always runs on a warmer machine.
      const order: Mode[] = r % 2 === 0 ? ['no WAIT', 'WAIT 1'] : ['WAIT 1', 'no WAIT'];
      for (const mode of order) runs[mode].push(await round(pool, mode, `bench-wait:${r}:${mode === 'WAIT 1' ? 'w' : 'n'}:`));
    }
  } finally {
    await pool.close();
    topology.close();
    await cluster.stop();
  }
  const summary = (mode: Mode) => ({
    mode,
    'commits/s (median)': Math.round(median(runs[mode].map((run) => run.perSecond))),
    'p50 ms': median(runs[mode].map((run) => run.p50)).toFixed(2),
    'p99 ms': median(runs[mode].map((run) => run.p99)).toFixed(2),
    'not replicated in 1 s': runs[mode].reduce((sum, run) => sum + run.unreplicated, 0),
  });
  const rows = [summary('no WAIT'), summary('WAIT 1')];
  const ratio = median(runs['WAIT 1'].map((run, i) => run.perSecond / (runs['no WAIT'][i]?.perSecond ?? run.perSecond)));
  printTable(`journey-shaped commits on a local 3+3 Redis Cluster, ${WRITERS} writers, ${COMMITS} commits per round, ${ROUNDS} rounds; WAIT/no-WAIT throughput ${ratio.toFixed(2)}`, rows);
  writeResults('cluster-wait', { rounds: ROUNDS, commits: COMMITS, writers: WRITERS, journeys: JOURNEYS, cluster: '3 masters + 3 replicas, local' }, { rows, waitToNoWaitThroughputRatioMedian: ratio, runs });
}

runBenchmark(main);
