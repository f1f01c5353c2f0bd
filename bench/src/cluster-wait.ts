/**
 * What `WAIT 1` costs a journey commit on a Redis Cluster, and what it buys. Redis Cluster
 * replicates asynchronously: a commit acknowledged by a master that dies before its replica
 * received it is lost on failover. `WAIT numreplicas timeout` after EXEC makes the acknowledgement
 * wait for a replica's copy (`REDIS_WAIT_REPLICAS`).
 *
 * Cost: on a private local cluster (3 masters + 3 replicas), writers commit the journey
 * transaction's shape (MULTI: SET document + XADD change stream + XADD partition feed, EXEC) on
 * dedicated connections to the owning masters, with and without `WAIT 1 1000` after each EXEC,
 * alternating the two modes over rounds; it reports commits/s, p50/p99 and the ratio.
 *
 * Benefit: writers update journeys through the production `JourneyStore` (optimistic strategy,
 * with and without `replicaAcks: 1`) on a fresh cluster; one master is SIGKILLed mid-load and its
 * replica promoted; afterwards every acknowledged update is looked up in its journey's history.
 * It reports the acknowledged updates lost per kill.
 */
import { SEGMENT_STATUSES, redisKeys, type SegmentStatus } from '@skyway/contracts';
import { JourneyStore } from '@skyway/journey-store';
import { startRedisCluster, type RedisCluster } from '@skyway/local-redis';
import { NO_REPLICA_ACKS, TransactionPool, createRedisTopology, waitForReady } from '@skyway/redis-connection';
import { isInHistory, sampleJourney, segmentId, type AcknowledgedUpdate } from '@skyway/testkit';
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

const KILL_ROUNDS = Number(process.env.BENCH_KILL_ROUNDS ?? 5);
const KILL_JOURNEYS = 48;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the killed master's replica serves its slots: every master up and known. */
async function promoted(cluster: RedisCluster, killedId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await cluster.state().catch(() => []);
    const masters = state.filter((node) => node.role === 'master' && !node.failing && node.slots.length > 0);
    if (masters.length === 3 && !masters.some((node) => node.id === killedId)) return;
    if (Date.now() > deadline) throw new Error('no replica promoted within 30 s');
    await sleep(100);
  }
}

/**
 * The victim's replica when the master is killed: keeping up, or stalled for the last {@link LAG_MS}
 * (a network hiccup, a slow disk). On loopback the kernel keeps receiving the replication stream
 * for a stopped process, so a short stall loses nothing; 2 s of writes overflow its socket buffer
 * and leave the rest in the master's output buffer, which the kill takes away.
 */
type ReplicaState = 'in sync' | 'lagging';
const LAG_MS = 2_000;

/**
 * One kill: journey writers through JourneyStore, a master SIGKILLed after 1 s (its replica first
 * paused for {@link LAG_MS} when `lagging`, and resumed right after the kill), then every
 * acknowledged update looked up.
 */
async function killRound(mode: Mode, replicaState: ReplicaState): Promise<{ acknowledged: number; lost: number; failedWhileDown: number }> {
  const cluster = await startRedisCluster();
  const seeds = cluster.seeds.split(',');
  const topology = createRedisTopology({ url: `redis://${seeds[0]}`, clusterNodes: seeds }, { connectionName: 'bench:kill' });
  const store = new JourneyStore(topology, { connectionName: 'bench:kill-tx', replicaAcks: mode === 'WAIT 1' ? { replicas: 1, timeoutMs: 1_000 } : NO_REPLICA_ACKS });
  const acknowledged: AcknowledgedUpdate[] = [];
  let failedWhileDown = 0;
  try {
    await waitForReady(topology.commands, 10_000);
    const journeyIds = Array.from({ length: KILL_JOURNEYS }, (_, n) => `JRN-KILL-${n}`);
    for (const journeyId of journeyIds) await store.create(sampleJourney(journeyId, 8));
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async () => {
      while (writing) {
        const journeyId = journeyIds[Math.floor(Math.random() * journeyIds.length)] as string;
        const segment = segmentId(1 + Math.floor(Math.random() * 8));
        const status = SEGMENT_STATUSES[Math.floor(Math.random() * SEGMENT_STATUSES.length)] as SegmentStatus;
        try {
          const outcome = await store.updateSegmentStatus(journeyId, segment, status);
          if (outcome.kind === 'committed') acknowledged.push({ journeyId, version: outcome.version, segmentId: segment, status });
        } catch {
          failedWhileDown += 1;
          await sleep(20);
        }
      }
    });
    await sleep(1_000);
    const victim = await cluster.masterOf(0);
    const resume = replicaState === 'lagging' ? cluster.pause((await cluster.replicaOf(victim.id)).address) : undefined;
    if (resume) await sleep(LAG_MS);
    await cluster.kill(victim.address, 'SIGKILL');
    resume?.();
    await promoted(cluster, victim.id);
    await sleep(1_000);
    writing = false;
    await Promise.all(writers);
    await topology.refresh();
    let lost = 0;
    for (const journeyId of journeyIds) {
      const history = await store.history(journeyId);
      for (const update of acknowledged.filter((candidate) => candidate.journeyId === journeyId)) {
        if (!isInHistory(history?.changes ?? [], update)) lost += 1;
      }
    }
    return { acknowledged: acknowledged.length, lost, failedWhileDown };
  } finally {
    await store.close();
    topology.close();
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const killCases = (['in sync', 'lagging'] as const).flatMap((replica) => (['no WAIT', 'WAIT 1'] as const).map((mode) => ({ mode, replica })));
  const kills = killCases.map((killCase) => ({ ...killCase, runs: [] as Array<Awaited<ReturnType<typeof killRound>>> }));
  for (let r = 0; r < KILL_ROUNDS; r++) {
    for (const killCase of r % 2 === 0 ? kills : [...kills].reverse()) killCase.runs.push(await killRound(killCase.mode, killCase.replica));
  }
  const cluster = await startRedisCluster();
  const topology = createRedisTopology({ url: `redis://${cluster.nodes[0]?.address}`, clusterNodes: cluster.seeds.split(',') }, { connectionName: 'bench:wait' });
  const pool = new TransactionPool(topology, { connectionName: 'bench:wait-tx', size: WRITERS, acquireTimeoutMs: 10_000 });
  const runs: Record<Mode, Array<Awaited<ReturnType<typeof round>>>> = { 'no WAIT': [], 'WAIT 1': [] };
  try {
    await waitForReady(topology.commands, 10_000);
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
  const killRows = kills.map(({ mode, replica, runs: killRuns }) => ({
    mode,
    'replica at the kill': replica === 'lagging' ? `stalled ${LAG_MS} ms` : 'in sync',
    kills: killRuns.length,
    'acknowledged per kill (median)': median(killRuns.map((run) => run.acknowledged)),
    'refused per kill (median)': median(killRuns.map((run) => run.failedWhileDown)),
    'acknowledged, then lost (total)': killRuns.reduce((sum, run) => sum + run.lost, 0),
    'lost per kill (max)': Math.max(...killRuns.map((run) => run.lost)),
  }));
  printTable(`a master SIGKILLed under ${WRITERS} JourneyStore writers (${KILL_JOURNEYS} journeys), its replica promoted; ${KILL_ROUNDS} kills per case`, killRows);
  writeResults(
    'cluster-wait',
    { rounds: ROUNDS, commits: COMMITS, writers: WRITERS, journeys: JOURNEYS, killRounds: KILL_ROUNDS, killJourneys: KILL_JOURNEYS, lagMs: LAG_MS, cluster: '3 masters + 3 replicas, local' },
    { rows, waitToNoWaitThroughputRatioMedian: ratio, runs, killRows, kills },
  );
}

runBenchmark(main);
