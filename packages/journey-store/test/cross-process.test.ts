import { journeyChangeCodec } from '@skyway/contracts';
import { isolatedTopology, sampleJourney, testTopologies, type IsolatedTopology, type TestTopology } from '@skyway/testkit';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { StoreFixture } from './support';
import type { WorkerUpdate } from './fixtures/update-worker';

const PROCESSES = 4;
const UPDATES_PER_PROCESS = 250;
const CONCURRENCY_PER_PROCESS = 16;
const SEGMENTS = 20;

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly results: Promise<WorkerUpdate[]>;
}

function startWorker(index: number, redis: IsolatedTopology): Worker {
  const child = fork(join(__dirname, 'fixtures', 'update-worker.ts'), [], {
    cwd: join(__dirname, '..'),
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      WORKER_INDEX: String(index),
      UPDATES: String(UPDATES_PER_PROCESS),
      CONCURRENCY: String(CONCURRENCY_PER_PROCESS),
      SEGMENTS: String(SEGMENTS),
      JOURNEY_ID: 'JRN-CROSS',
      ...redis.topology.env,
      REDIS_KEY_PREFIX: redis.prefix,
      CHANGE_STREAM_MAX_LEN: '100000',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`worker ${index} exited with ${code} before reporting`))),
  );
  const ready = Promise.race([new Promise<void>((resolve) => child.once('message', () => resolve())), exited]);
  const results = ready.then(() => Promise.race([new Promise<WorkerUpdate[]>((resolve) => child.once('message', (message) => resolve(message as WorkerUpdate[]))), exited]));
  results.catch(() => undefined);
  return { child, ready, results };
}

describe.each(testTopologies().map((topology) => [topology.name, topology] as [string, TestTopology]))('optimistic updates across OS processes on a %s', (_name, topology) => {
  let redis: IsolatedTopology;
  let fixture: StoreFixture;
  const workers: Worker[] = [];
  beforeAll(async () => {
    redis = await isolatedTopology(topology, 'journey-cross-process');
    fixture = await StoreFixture.connect({ url: topology.url, prefix: redis.prefix }, topology.clusterNodes);
  });
  afterAll(async () => {
    for (const { child } of workers) if (child.exitCode === null) child.kill('SIGKILL');
    await fixture.close();
    await redis.cleanup();
  });

  it(`${PROCESSES} processes × ${UPDATES_PER_PROCESS} updates of one journey: version - 1 equals the successes, none exhausted, none lost`, async () => {
    const store = fixture.store();
    await store.create(sampleJourney('JRN-CROSS', SEGMENTS));
    workers.push(...Array.from({ length: PROCESSES }, (_, i) => startWorker(i, redis)));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const { child } of workers) child.send('go');
    const updates = (await Promise.all(workers.map((worker) => worker.results))).flat();

    expect(updates).toHaveLength(PROCESSES * UPDATES_PER_PROCESS);
    const committed = updates.flatMap((update) => (update.outcome.kind === 'committed' ? [{ ...update, version: update.outcome.version }] : []));
    expect(updates.filter((update) => update.outcome.kind === 'conflict-exhausted')).toHaveLength(0);
    expect(committed).toHaveLength(updates.length);

    const journey = await store.get('JRN-CROSS');
    expect(journey?.version).toBe(committed.length + 1);
    expect(committed.map((update) => update.version).sort((a, b) => a - b)).toEqual(Array.from({ length: committed.length }, (_, i) => i + 2));

    // Each segment holds the status of its committed update with the highest version.
    for (const segment of journey?.segments ?? []) {
      const writes = committed.filter((update) => update.segmentId === segment.segmentId);
      const latest = writes.reduce((a, b) => (b.version > a.version ? b : a));
      expect({ segment: segment.segmentId, status: segment.status }).toEqual({ segment: segment.segmentId, status: latest.status });
    }

    // The outbox holds one event per committed update, versions 1…N+1 in order.
    const events = (await redis.client.xrange(store.keys.journeyChanges('JRN-CROSS'), '-', '+')).map(([, fields]) => journeyChangeCodec.decode(fields));
    expect(events.map((event) => (event.ok ? event.value.version : -1))).toEqual(Array.from({ length: committed.length + 1 }, (_, i) => i + 1));
  });
});
