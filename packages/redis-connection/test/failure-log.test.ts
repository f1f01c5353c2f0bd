import { eventually, startProtectedModeRedis, startRedisServer, type ProtectedModeRedis, type RedisServer } from '@skyway/testkit';
import type Redis from 'ioredis';
import { clientAddress, createRedisClient, RedisFailureLog, serverGreeting, waitForReady } from '../src';

interface Line {
  readonly level: 'warn' | 'info';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps its lines. */
function capturingLogger(): { lines: Line[]; warn(fields: object, message: string): void; info(fields: object, message: string): void } {
  const lines: Line[] = [];
  return {
    lines,
    warn: (fields, message) => void lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
    info: (fields, message) => void lines.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
  };
}

/**
 * A connection and a retry loop on it, both logging through one RedisFailureLog, as the apps'
 * blocking readers do: the connection's error events and the loop's failed commands.
 */
function readerLoop(url: string, logger: ReturnType<typeof capturingLogger>): { client: Redis; reconnects: () => number; stop: () => Promise<void> } {
  const client = createRedisClient(url, { connectionName: 'failure-log-test', blocking: true, onError: (error) => failures.failed(error) });
  const failures = new RedisFailureLog({ logger, failure: 'read failed; retrying', recovery: 'read recovered', fields: { stream: 'test' }, server: () => clientAddress(client) });
  let reconnects = 0;
  client.on('reconnecting', () => (reconnects += 1));
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        await client.xread('BLOCK', 50, 'STREAMS', 'failure-log-test', '$');
        failures.recovered();
      } catch (error) {
        failures.failed(error);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();
  return {
    client,
    reconnects: () => reconnects,
    async stop() {
      running = false;
      client.disconnect();
      await loop;
    },
  };
}

describe('RedisFailureLog (real Redis)', () => {
  let refusing: ProtectedModeRedis | undefined;
  let plain: RedisServer | undefined;
  let reader: ReturnType<typeof readerLoop> | undefined;
  afterEach(async () => {
    await reader?.stop();
    await refusing?.server.stop();
    await plain?.stop();
    [reader, refusing, plain] = [undefined, undefined, undefined];
  });

  it('logs a Redis that refuses the connection once, with its DENIED reply, however the drops alternate; and the recovery once', async () => {
    refusing = await startProtectedModeRedis();
    expect(await serverGreeting({ host: new URL(refusing.refusedUrl).hostname, port: refusing.server.port })).toMatch(/^DENIED Redis is running in protected mode/);
    const logger = capturingLogger();
    reader = readerLoop(refusing.refusedUrl, logger);
    // Many reconnects, each failing with write EPIPE, read ECONNRESET or "Stream isn't writeable".
    await eventually('the refusal logged and 8 reconnects', () => logger.lines.length > 0 && reader!.reconnects() >= 8, { timeoutMs: 30_000 });

    expect(logger.lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'read failed; retrying: Redis replied DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.'],
    ]);
    expect(logger.lines[0]?.fields).toMatchObject({ stream: 'test', cause: 'DENIED', serverReply: expect.stringContaining("CONFIG SET protected-mode no") });

    // Lift the refusal from loopback: the reader reconnects and reads again.
    const admin = createRedisClient(refusing.loopbackUrl, { connectionName: 'failure-log-admin' });
    try {
      await waitForReady(admin, 5_000);
      await admin.config('SET', 'protected-mode', 'no');
    } finally {
      admin.disconnect();
    }
    await eventually('the reader reading again', () => reader!.client.status === 'ready' && logger.lines.length === 2, { timeoutMs: 10_000 });
    const reconnectsAtRecovery = reader.reconnects();
    await eventually('more successful reads', async () => (await reader!.client.ping()) === 'PONG' && reader!.reconnects() === reconnectsAtRecovery);
    expect(logger.lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', expect.stringContaining('DENIED')],
      ['info', 'read recovered'],
    ]);
    expect(logger.lines[1]?.fields).toEqual({ stream: 'test', causes: expect.any(Number) });
  }, 60_000);

  it('logs each distinct cause of an outage once (not only a change from the last one), and again in the next outage', async () => {
    plain = await startRedisServer();
    const logger = capturingLogger();
    reader = readerLoop(plain.url, logger);
    await eventually('the reader ready', () => reader!.client.status === 'ready');

    // Redis killed: the connection drops (no reply: nothing speaks first), then every reconnect is refused.
    await plain.kill();
    await eventually('8 refused reconnects', () => reader!.reconnects() >= 8, { timeoutMs: 30_000 });
    const firstOutage = logger.lines.map((line) => line.fields.cause);
    expect(new Set(firstOutage).size).toBe(firstOutage.length);
    expect(firstOutage).toEqual(expect.arrayContaining(['connection dropped', 'ECONNREFUSED']));
    expect(logger.lines.every((line) => line.level === 'warn' && line.fields.serverReply === undefined)).toBe(true);

    plain = await startRedisServer({ port: plain.port });
    await eventually('the recovery logged', () => logger.lines.some((line) => line.level === 'info'), { timeoutMs: 10_000 });
    const afterRecovery = logger.lines.length;
    expect(logger.lines.at(-1)).toEqual({ level: 'info', fields: { stream: 'test', causes: firstOutage.length }, message: 'read recovered' });

    // The next outage's causes are new again, and so is its recovery.
    await plain.kill();
    await eventually('the second outage logged', () => logger.lines.slice(afterRecovery).some((line) => line.fields.cause === 'ECONNREFUSED'), { timeoutMs: 10_000 });
    plain = await startRedisServer({ port: plain.port });
    await eventually('the second recovery logged', () => logger.lines.slice(afterRecovery).some((line) => line.level === 'info'), { timeoutMs: 10_000 });
  }, 60_000);
  it('logs an EXECABORT as the reply that caused it; with repeatAfterMs, a cause that lasts is logged again after that long, not once per failure', async () => {
    plain = await startRedisServer();
    const client = createRedisClient(plain.url, { connectionName: 'test:execabort' });
    try {
      await waitForReady(client, 5_000);
      const logger = capturingLogger();
      const refusals = new RedisFailureLog({ logger, failure: 'requests refused', repeatAfterMs: 200 });
      // A queued command the server rejects makes EXEC fail with EXECABORT, its reply kept in previousErrors.
      const execAbort: unknown = await client.multi().call('SET', 'only-a-key').exec().catch((error: unknown) => error);
      expect((execAbort as Error).message).toMatch(/^EXECABORT/);
      for (let n = 0; n < 5; n++) refusals.failed(execAbort);
      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]?.fields).toMatchObject({ cause: 'ERR', serverReply: expect.stringContaining('wrong number of arguments') });
      await new Promise((resolve) => setTimeout(resolve, 250));
      refusals.failed(execAbort);
      refusals.failed(execAbort);
      expect(logger.lines).toHaveLength(2);
    } finally {
      client.disconnect();
    }
  });
});
