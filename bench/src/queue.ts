/**
 * `pnpm bench:queue` — the provider's consumer loop (`@skyway/stream-consumer`: XREADGROUP BLOCK,
 * codec validation, one XACK per entry) versus BullMQ (what a Node user would pick instead), on the
 * same Redis, with the same no-op handler, the same concurrency and the same payload (a
 * `flight.search.requested` message). Each run first enqueues the jobs, then times how long a
 * fresh consumer takes to handle all of them (start to last ack/completion). The two alternate
 * within each round, so drift on the busy machine hits both alike.
 */
import { createStreamCodec, PROVIDER_GROUP, redisKeys, SearchRequestedMessage, type SearchPartition } from '@skyway/contracts';
import { NodeBoundConnection, singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { StreamConsumer } from '@skyway/stream-consumer';
import { deleteNamespace, provisionRedis, uniqueKeyPrefix } from '@skyway/testkit';
import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { median, printTable, runBenchmark, writeResults } from './report';

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = [1, 16, 64];
const ENQUEUE_BATCH = 1_000;

type System = 'stream-consumer' | 'bullmq';

interface RunResult {
  readonly enqueueJobsPerSecond: number;
  readonly jobsPerSecond: number;
}

function message(): SearchRequestedMessage {
  return { search_id: randomUUID(), from: 'CGK', to: 'DPS', date: '2030-07-10', passengers: 2, requested_at: new Date().toISOString() };
}

/** Counts handled jobs; `done` resolves at `target`, or rejects when nothing moves for 30 s (a stuck consumer). */
class Countdown {
  private handled = 0;
  private lastProgressAt = performance.now();
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;

  constructor(private readonly target: number) {
    this.done = new Promise((resolve, reject) => {
      const watchdog = setInterval(() => {
        if (performance.now() - this.lastProgressAt > 30_000) {
          clearInterval(watchdog);
          reject(new Error(`consumer stuck at ${this.handled}/${target}`));
        }
      }, 1_000);
      this.finish = () => {
        clearInterval(watchdog);
        resolve();
      };
    });
  }

  tick(): void {
    this.handled++;
    this.lastProgressAt = performance.now();
    if (this.handled === this.target) this.finish();
  }
}

async function runStreamConsumer(topology: RedisTopology & { readonly commands: Redis }, concurrency: number): Promise<RunResult> {
  const { commands } = topology;
  const prefix = uniqueKeyPrefix('bench-queue');
  const { requested, deadLetter } = redisKeys(prefix, { searchPartitions: 1 }).searchPartitions[0] as SearchPartition;
  const codec = createStreamCodec(SearchRequestedMessage);
  const enqueueStarted = performance.now();
  for (let sent = 0; sent < JOBS; sent += ENQUEUE_BATCH) {
    const pipeline = commands.pipeline();
    for (let i = sent; i < Math.min(JOBS, sent + ENQUEUE_BATCH); i++) pipeline.xadd(requested, '*', ...codec.encode(message()));
    await pipeline.exec();
  }
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1_000;

  const blocking = new NodeBoundConnection(topology, requested, { connectionName: 'bench:queue-reader' });
  const countdown = new Countdown(JOBS);
  const consumer = new StreamConsumer<SearchRequestedMessage>({
    blocking,
    commands,
    stream: requested,
    group: PROVIDER_GROUP,
    consumer: 'bench-1',
    deadLetterStream: deadLetter,
    codec,
    handler: async () => undefined,
    concurrency,
    // Acked after the handler: counting here counts what is done, as BullMQ's `completed` does.
    observer: { onHandled: (_id, _ms, outcome) => outcome === 'ok' && countdown.tick() },
  });
  const started = performance.now();
  consumer.start();
  await countdown.done;
  const seconds = (performance.now() - started) / 1_000;
  await consumer.stop(1_000);
  blocking.disconnect();
  const pending = (await commands.xpending(requested, PROVIDER_GROUP)) as [number, ...unknown[]];
  if (pending[0] !== 0) throw new Error(`${pending[0]} stream entries left unacked`);
  await deleteNamespace(commands, prefix);
  return { enqueueJobsPerSecond: JOBS / enqueueSeconds, jobsPerSecond: JOBS / seconds };
}

async function runBullmq(url: string, commands: Redis, concurrency: number): Promise<RunResult> {
  const prefix = uniqueKeyPrefix('bench-queue');
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const bullPrefix = prefix.slice(0, -1);
  const queue = new Queue('flight-search-requested', { connection, prefix: bullPrefix });
  const enqueueStarted = performance.now();
  for (let sent = 0; sent < JOBS; sent += ENQUEUE_BATCH) {
    const batch = Array.from({ length: Math.min(ENQUEUE_BATCH, JOBS - sent) }, () => ({
      name: 'search',
      data: message(),
      // Like an acked stream entry: nothing kept per finished job.
      opts: { removeOnComplete: true, removeOnFail: true },
    }));
    await queue.addBulk(batch);
  }
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1_000;

  const countdown = new Countdown(JOBS);
  const started = performance.now();
  const worker = new Worker('flight-search-requested', async () => undefined, { connection, prefix: bullPrefix, concurrency });
  worker.on('completed', () => countdown.tick());
  await countdown.done;
  const seconds = (performance.now() - started) / 1_000;
  await worker.close();
  await queue.close();
  await deleteNamespace(commands, prefix);
  return { enqueueJobsPerSecond: JOBS / enqueueSeconds, jobsPerSecond: JOBS / seconds };
}

async function main(): Promise<void> {
  const provisioned = await provisionRedis();
  const topology = singleRedisTopology(provisioned.url, { connectionName: 'bench:queue', commandTimeoutMs: 10_000 });
  const { commands } = topology;
  await waitForReady(commands, 5_000);
  const runners: Record<System, (concurrency: number) => Promise<RunResult>> = {
    'stream-consumer': (concurrency) => runStreamConsumer(topology, concurrency),
    bullmq: (concurrency) => runBullmq(provisioned.url, commands, concurrency),
  };
  const rows: Record<string, string | number>[] = [];
  const results: unknown[] = [];
  try {
    for (const concurrency of CONCURRENCY) {
      const runs: Record<System, RunResult[]> = { 'stream-consumer': [], bullmq: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const order: System[] = round % 2 === 0 ? ['stream-consumer', 'bullmq'] : ['bullmq', 'stream-consumer'];
        for (const system of order) runs[system].push(await runners[system](concurrency));
      }
      const streams = median(runs['stream-consumer'].map((run) => run.jobsPerSecond));
      const bull = median(runs.bullmq.map((run) => run.jobsPerSecond));
      // Each round's two runs are neighbours in time: their ratio cancels most of the machine's drift.
      const ratioPerRound = runs['stream-consumer'].map((run, i) => run.jobsPerSecond / (runs.bullmq[i] as RunResult).jobsPerSecond);
      const ratio = median(ratioPerRound);
      const streamsEnqueue = median(runs['stream-consumer'].map((run) => run.enqueueJobsPerSecond));
      const bullEnqueue = median(runs.bullmq.map((run) => run.enqueueJobsPerSecond));
      rows.push({
        concurrency,
        'stream-consumer jobs/s': Math.round(streams),
        'bullmq jobs/s': Math.round(bull),
        'streams/bullmq (median of rounds)': ratio,
        'XADD enqueue/s': Math.round(streamsEnqueue),
        'addBulk enqueue/s': Math.round(bullEnqueue),
      });
      results.push({
        concurrency,
        streamConsumer: { jobsPerSecondMedian: streams, enqueuePerSecondMedian: streamsEnqueue, runs: runs['stream-consumer'] },
        bullmq: { jobsPerSecondMedian: bull, enqueuePerSecondMedian: bullEnqueue, runs: runs.bullmq },
        streamConsumerToBullmqRatioPerRound: ratioPerRound,
        streamConsumerToBullmqRatioMedian: ratio,
      });
      console.error(`queue: concurrency ${concurrency} done`);
    }
  } finally {
    commands.disconnect();
    await provisioned.teardown();
  }
  printTable(`no-op jobs handled per second, ${JOBS} jobs, median of ${ROUNDS} runs (alternating order)`, rows);
  writeResults(
    'queue',
    {
      jobs: JOBS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      payload: 'flight.search.requested message',
      handler: 'no-op',
      bullmq: '6.7.0, removeOnComplete',
      enqueueBatch: ENQUEUE_BATCH,
      redis: provisioned.source,
    },
    results,
  );
}

runBenchmark(main);
