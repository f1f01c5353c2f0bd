import { Type } from '@sinclair/typebox';
import { createStreamCodec } from '@skyway/contracts';
import { NodeBoundConnection, createRedisClient, singleRedisTopology } from '@skyway/redis-connection';
import { eventually, isolatedRedis, startRedisServer, type IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { createHook } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StreamConsumer, type DeadLetter, type Delivery, type StreamConsumerOptions } from '../src';

const Job = Type.Object({ n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
type Job = { n: number };
const codec = createStreamCodec(Job);

interface Harness {
  readonly consumer: StreamConsumer<Job>;
  readonly blocking: NodeBoundConnection;
  readonly commands: Redis;
  close(): Promise<void>;
}

describe('StreamConsumer', () => {
  let redis: IsolatedRedis;
  let stream: string;
  let dlq: string;
  const group = 'workers';
  const harnesses: Harness[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('consumer');
    stream = `${redis.prefix}jobs`;
    dlq = `${redis.prefix}jobs.dlq`;
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
    await redis.cleanup();
  });

  function startConsumer(
    handler: (delivery: Delivery<Job>) => Promise<void>,
    options: Partial<StreamConsumerOptions<Job>> = {},
    url = redis.url,
  ): Harness {
    const topology = singleRedisTopology(url, { connectionName: 'test:commands' });
    const commands = topology.commands;
    const blocking = new NodeBoundConnection(topology, stream, { connectionName: 'test:blocking' });
    const consumer = new StreamConsumer<Job>({
      blocking,
      commands,
      stream,
      group,
      consumer: 'c1',
      deadLetterStream: dlq,
      codec,
      handler,
      claimIdleMs: 200,
      claimIntervalMs: 50,
      blockMs: 200,
      ...options,
    });
    consumer.start();
    const harness: Harness = {
      consumer,
      blocking,
      commands,
      async close() {
        await consumer.stop(1_000);
        blocking.disconnect();
        commands.disconnect();
      },
    };
    harnesses.push(harness);
    return harness;
  }

  const add = (n: number): Promise<string | null> => redis.client.xadd(stream, '*', ...codec.encode({ n }));
  const pendingCount = async (): Promise<number> => ((await redis.client.xpending(stream, group)) as [number])[0];

  it('handles new entries and acks them, leaving nothing pending', async () => {
    const seen: number[] = [];
    const { consumer } = startConsumer(async ({ message }) => {
      seen.push(message.n);
    });
    await eventually('the group to be joined', () => consumer.isJoined());
    for (let n = 0; n < 20; n += 1) await add(n);
    await eventually('all 20 entries handled', () => seen.length === 20);
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
  });

  it('creates the group from 0, so entries added before any consumer existed are handled', async () => {
    await add(7);
    const seen: number[] = [];
    startConsumer(async ({ message }) => {
      seen.push(message.n);
    });
    await eventually('the early entry handled', () => seen.includes(7));
  });

  it('finishes its own pending entries before reading new ones, counting the redelivery', async () => {
    await redis.client.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    await add(1);
    await add(2);
    // A previous life of consumer c1 read both and died before acking.
    await redis.client.xreadgroup('GROUP', group, 'c1', 'COUNT', 10, 'STREAMS', stream, '>');
    await add(3);
    const order: Array<[number, number]> = [];
    startConsumer(
      async ({ message, deliveryCount }) => {
        order.push([message.n, deliveryCount]);
      },
      { concurrency: 1, claimIdleMs: 60_000 },
    );
    await eventually('three entries handled', () => order.length === 3);
    expect(order).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
  });

  it('reclaims entries left pending by a dead consumer once they are idle', async () => {
    await redis.client.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    await add(5);
    await redis.client.xreadgroup('GROUP', group, 'ghost', 'COUNT', 10, 'STREAMS', stream, '>');
    const handled: Array<[number, number]> = [];
    startConsumer(async ({ message, deliveryCount }) => {
      handled.push([message.n, deliveryCount]);
    });
    await eventually('the ghost entry reclaimed', () => handled.length === 1);
    expect(handled).toEqual([[5, 2]]);
    await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
  });

  it('dead-letters a malformed entry at once with the reason and keeps working', async () => {
    const seen: number[] = [];
    const deadLetters: DeadLetter<Job>[] = [];
    const { consumer } = startConsumer(
      async ({ message }) => {
        seen.push(message.n);
      },
      {
        onDeadLetter: async (deadLetter) => {
          deadLetters.push(deadLetter);
        },
      },
    );
    await eventually('the group to be joined', () => consumer.isJoined());
    const poisonId = await redis.client.xadd(stream, '*', 'n', 'not-a-number');
    await add(9);
    await eventually('the good entry handled', () => seen.includes(9));
    await eventually('the poison entry dead-lettered', () => deadLetters.length === 1);
    expect(deadLetters[0]).toMatchObject({ id: poisonId, deliveryCount: 1, reason: expect.stringContaining('field n') });
    const [[, fields] = ['', []]] = await eventually('the DLQ entry', async () => {
      const entries = await redis.client.xrange(dlq, '-', '+');
      return entries.length === 1 ? entries : undefined;
    });
    expect(fields).toEqual(expect.arrayContaining(['n', 'not-a-number', 'dlq_reason', 'dlq_source_id', poisonId]));
    await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
    expect(seen).toEqual([9]);
  });

  it('dead-letters a huge malformed entry with its fields cut to deadLetterMaxFieldLength', async () => {
    const deadLetters: DeadLetter<Job>[] = [];
    const { consumer } = startConsumer(async () => undefined, {
      deadLetterMaxFieldLength: 64,
      onDeadLetter: async (deadLetter) => {
        deadLetters.push(deadLetter);
      },
    });
    await eventually('the group to be joined', () => consumer.isJoined());
    await redis.client.xadd(stream, '*', 'n', '7'.repeat(2_000_000), 'x'.repeat(100), 'short');
    await eventually('the poison entry dead-lettered', () => deadLetters.length === 1);
    const [[, fields] = ['', []]] = await eventually('the DLQ entry', async () => {
      const entries = await redis.client.xrange(dlq, '-', '+');
      return entries.length === 1 ? entries : undefined;
    });
    expect(fields.slice(0, 4)).toEqual(['n', '7'.repeat(64), 'x'.repeat(64), 'short']);
    expect(fields).toEqual(expect.arrayContaining(['dlq_truncated', 'true', 'dlq_reason']));
    await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
  });

  it('redelivers a failing entry until MAX_DELIVERIES, then dead-letters it and drains the pending list', async () => {
    const attempts: number[] = [];
    const deadLetters: DeadLetter<Job>[] = [];
    startConsumer(
      async ({ deliveryCount }) => {
        attempts.push(deliveryCount);
        throw new Error('downstream is broken');
      },
      {
        maxDeliveries: 3,
        onDeadLetter: async (deadLetter) => {
          deadLetters.push(deadLetter);
        },
      },
    );
    await add(4);
    await eventually('the entry dead-lettered', () => deadLetters.length === 1, { timeoutMs: 15_000 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(deadLetters[0]).toMatchObject({ deliveryCount: 4, message: { n: 4 }, reason: expect.stringContaining('MAX_DELIVERIES=3') });
    await eventually('the pending list to drain', async () => (await pendingCount()) === 0);
    expect(await redis.client.xlen(dlq)).toBe(1);
  });

  it('logs a failed handler, the reclaim and the dead-lettering with the entry id and the caller’s entry fields', async () => {
    const lines: Array<{ level: string; message: string; object: Record<string, unknown> }> = [];
    const record = (level: string) => (object: object, message: string) => void lines.push({ level, message, object: object as Record<string, unknown> });
    let failures = 0;
    const { consumer } = startConsumer(
      async () => {
        failures += 1;
        if (failures === 1) throw new Error('downstream hiccup');
      },
      {
        logger: { info: record('info'), warn: record('warn'), error: record('error') },
        entryLogFields: (fields) => ({ job: fields[1] ?? 'gone' }),
      },
    );
    await eventually('the group to be joined', () => consumer.isJoined());
    const retriedId = await add(6);
    const poisonId = await redis.client.xadd(stream, '*', 'n', 'poison');
    await eventually('the failed entry handled again', () => failures === 2);
    await eventually('the poison entry dead-lettered', () => lines.some((line) => line.message === 'entry dead-lettered'));

    const about = (entryId: string | null) => lines.filter((line) => line.object.entryId === entryId).map((line) => [line.level, line.message, line.object]);
    expect(about(retriedId)).toEqual([
      ['warn', 'handler failed; entry left pending for redelivery', expect.objectContaining({ job: '6', deliveryCount: 1, err: expect.any(Error) })],
      ['info', 'idle entry reclaimed', expect.objectContaining({ job: '6', deliveryCount: 2, stream })],
    ]);
    expect(about(poisonId)).toEqual([
      ['warn', 'entry dead-lettered', expect.objectContaining({ job: 'poison', deliveryCount: 1, reason: expect.stringContaining('field n') })],
    ]);
  });

  it('leaves an entry pending when the dead-letter hook fails, and dead-letters it once the hook succeeds', async () => {
    let hookCalls = 0;
    startConsumer(async () => undefined, {
      onDeadLetter: async () => {
        hookCalls += 1;
        if (hookCalls === 1) throw new Error('cannot mark the search failed right now');
      },
    });
    await redis.client.xadd(stream, '*', 'garbage', 'yes');
    await eventually('the DLQ entry', async () => (await redis.client.xlen(dlq)) === 1, { timeoutMs: 15_000 });
    expect(hookCalls).toBe(2);
    expect(await pendingCount()).toBe(0);
  });

  it('never runs more handlers at once than its concurrency', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const release: Array<() => void> = [];
    startConsumer(
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running -= 1;
        done += 1;
      },
      { concurrency: 3, claimIdleMs: 60_000 },
    );
    for (let n = 0; n < 12; n += 1) await add(n);
    while (done < 12) {
      await eventually('handlers waiting', () => release.length > 0);
      expect(running).toBeLessThanOrEqual(3);
      release.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(peak).toBe(3);
  });

  it('lets a handler ack inside its own MULTI, atomically with its output', async () => {
    const output = `${redis.prefix}output`;
    const { consumer } = startConsumer(async (delivery) => {
      const transaction = harnesses[0]!.commands.multi().rpush(output, String(delivery.message.n));
      delivery.ackInto(transaction);
      await transaction.exec();
    });
    await eventually('the group to be joined', () => consumer.isJoined());
    await add(42);
    await eventually('the output written', async () => (await redis.client.lrange(output, 0, -1)).includes('42'));
    expect(await pendingCount()).toBe(0);
  });

  it('on stop, finishes in-flight work within the deadline and leaves the rest pending', async () => {
    const finished: number[] = [];
    let aborted = 0;
    const { consumer } = startConsumer(
      async ({ message, signal }) => {
        if (message.n === 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          finished.push(1);
          return;
        }
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted += 1;
        throw new Error('aborted by shutdown');
      },
      { claimIdleMs: 60_000 },
    );
    await add(1);
    await add(2);
    await eventually('both in flight', () => consumer.inFlightCount() === 2);
    const result = await consumer.stop(400);
    expect(result).toEqual({ abandoned: 1 });
    await eventually('the slow handler aborted', () => aborted === 1);
    expect(finished).toEqual([1]);
    expect(await pendingCount()).toBe(1);
  });

  it('on a stop with nothing left in flight, leaves no timer behind (a 60 s deadline would hold the process open)', async () => {
    const { consumer } = startConsumer(async () => undefined);
    await add(1);
    await eventually('the entry handled', async () => (await pendingCount()) === 0 && consumer.inFlightCount() === 0);
    // Every timer created while stopping, until it fires or is cleared (destroy hooks run asynchronously).
    const live = new Set<number>();
    let stopping = true;
    const hook = createHook({
      init: (asyncId, type) => void (stopping && type === 'Timeout' && live.add(asyncId)),
      destroy: (asyncId) => void live.delete(asyncId),
    });
    hook.enable();
    try {
      expect(await consumer.stop(60_000)).toEqual({ abandoned: 0 });
      stopping = false;
      await eventually('every timer of the stop gone', () => live.size === 0, { timeoutMs: 3_000 });
    } finally {
      hook.disable();
    }
  });

  it('keeps nothing per handled entry when handlers combine its signal with AbortSignal.any (Node 20 keeps one entry per call on the source signal)', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    let handled = 0;
    const { consumer } = startConsumer(
      async ({ signal }) => {
        // What a handler with a deadline of its own does, e.g. per supplier attempt.
        AbortSignal.any([signal, new AbortController().signal]);
        handled += 1;
      },
      { concurrency: 64 },
    );
    const addMany = async (count: number): Promise<void> => {
      for (let start = 0; start < count; start += 1_000) {
        const pipeline = redis.client.pipeline();
        for (let n = start; n < Math.min(count, start + 1_000); n++) pipeline.xadd(stream, '*', ...codec.encode({ n }));
        await pipeline.exec();
      }
    };
    const handle = async (count: number): Promise<void> => {
      const target = handled + count;
      await addMany(count);
      await eventually(`${target} entries handled`, () => handled >= target && consumer.inFlightCount() === 0, { timeoutMs: 60_000 });
    };
    const heapAfterGc = (): number => {
      collectGarbage();
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    await handle(2_000); // warm-up: connections, JIT, buffers at their working size
    const before = heapAfterGc();
    const entries = 30_000;
    await handle(entries);
    const bytesPerEntry = (heapAfterGc() - before) / entries;
    // Leaking, each entry kept ≥ 60 bytes (a WeakRef in the consumer signal's dependants); not leaking, noise around 0.
    expect(bytesPerEntry).toBeLessThan(20);
  }, 90_000);

  it('re-creates its group and serves again after Redis restarts empty', async () => {
    const server = await startRedisServer();
    try {
      const seen: number[] = [];
      const { consumer } = startConsumer(
        async ({ message }) => {
          seen.push(message.n);
        },
        {},
        server.url,
      );
      const direct = createRedisClient(server.url, { connectionName: 'test:direct' });
      try {
        await eventually('joined', () => consumer.isJoined());
        await direct.xadd(stream, '*', 'n', '1');
        await eventually('first entry handled', () => seen.includes(1));

        await server.stop();
        const restarted = await startRedisServer({ port: server.port });
        try {
          await eventually('the direct client back', async () => (await direct.ping()) === 'PONG', { timeoutMs: 15_000 });
          // The stream exists again (a producer wrote first) but the group does not: NOGROUP.
          await direct.xadd(stream, '*', 'n', '2');
          await eventually('the entry written after the restart handled', () => seen.includes(2), { timeoutMs: 15_000 });
          expect(((await direct.xinfo('GROUPS', stream)) as unknown[]).length).toBe(1);
        } finally {
          await harnesses.splice(0).reduce((chain, harness) => chain.then(() => harness.close()), Promise.resolve());
          await restarted.stop();
        }
      } finally {
        direct.disconnect();
      }
    } finally {
      await server.stop().catch(() => undefined);
    }
  });
});
