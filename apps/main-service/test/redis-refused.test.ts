import { eventually, jsonLogLines, parsePrometheusText, startApp, startProtectedModeRedis, type AppProcess, type ProtectedModeRedis } from '@skyway/testkit';

/** Reconnect attempts of all the app's Redis connections so far: how many times each retry loop has failed. */
async function reconnects(app: AppProcess): Promise<number> {
  const families = parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text());
  const samples = [...families.values()].flatMap((family) => family.samples).filter((sample) => sample.name === 'skyway_redis_reconnects_total');
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * An operator pointing the apps at a Redis that refuses them (protected mode) reads the server's
 * reason once per retry loop (per partition, for the partitioned readers) — not `write EPIPE` and
 * `Stream isn't writeable …` once a second.
 */
describe('a Redis that refuses the connection (real processes, protected mode)', () => {
  let redis: ProtectedModeRedis;
  const apps: AppProcess[] = [];
  beforeAll(async () => {
    redis = await startProtectedModeRedis();
  });
  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await redis.server.stop();
  });

  it.each(['main-service', 'provider-service'] as const)('%s logs one line per retry loop, each with the DENIED reply, however long it retries', async (name) => {
    // main-service seeds the bundled journeys: that retry loop too.
    const app = await startApp(name, { env: { REDIS_URL: redis.refusedUrl, SUPPLIER_URLS: 'http://127.0.0.1:9' } });
    apps.push(app);
    // Every connection has failed and reconnected many times (seeding retries every 2 s meanwhile).
    await eventually('15 reconnects', async () => (await reconnects(app)) >= 15, { timeoutMs: 40_000 });

    const warnings = jsonLogLines(app.output()).filter((line) => line.level === 40);
    const messages = warnings.map((line) => String(line.msg));
    expect(messages.length).toBeGreaterThan(0);
    // One line per loop: a loop is its message and, for the partitioned ones, its stream.
    const loopLines = warnings.map((line) => `${String(line.msg)} ${String(line.stream ?? '')}`);
    expect(new Set(loopLines).size).toBe(loopLines.length);
    for (const line of warnings) {
      expect([line.msg, line.cause, line.serverReply]).toEqual([
        expect.stringContaining(': Redis replied DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.'),
        'DENIED',
        expect.stringContaining('DENIED'),
      ]);
    }
    const loops = messages.map((message) => message.split(':')[0]);
    expect(loops).toEqual(
      expect.arrayContaining(
        name === 'main-service'
          ? ['redis connection error', 'redis reader connection error', 'results stream read failed; retrying', 'seeding journeys failed; retrying every 2000 ms']
          : // The consumers fail creating their groups, before any opens its reading connection.
            ['redis connection error', 'stream read failed; retrying'],
      ),
    );
  }, 60_000);
});
