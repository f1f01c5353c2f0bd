import { DEFAULT_SHUTDOWN_DEADLINE_MS } from '@skyway/service-runtime';
import { isolatedRedis, openSse, startApp, type AppProcess, type IsolatedRedis, type SseConnection } from '@skyway/testkit';

const DAY_MS = 86_400_000;

/** main-service as a real process (build first) receiving SIGTERM while clients follow searches over SSE. */
describe('main-service shutdown with open SSE streams (real process)', () => {
  let redis: IsolatedRedis;
  let main: AppProcess | undefined;
  const streams: SseConnection[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('shutdown');
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await main?.stop('SIGKILL');
    await redis.cleanup();
  });

  it('ends every open stream cleanly and exits 0 within the shutdown deadline', async () => {
    main = await startApp('main-service', {
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'info', SEED_JOURNEYS: 'none' },
      readyPath: '/health/ready',
    });
    const date = new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10);
    const searchIds: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const response = await fetch(`${main.url}/api/flights/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'CGK', to: 'DPS', date, passengers: 1 }),
      });
      expect(response.status).toBe(202);
      searchIds.push(((await response.json()) as { data: { search_id: string } }).data.search_id);
    }
    // No provider runs: every search stays `processing`, so the streams stay open until shutdown.
    for (const searchId of [...searchIds, searchIds[0] as string]) {
      const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`);
      streams.push(stream);
      await stream.event(0);
    }

    // Exit 0 before the deadline; past it the stop would SIGKILL (and report 'SIGKILL').
    expect(await main.stop('SIGTERM', DEFAULT_SHUTDOWN_DEADLINE_MS)).toBe(0);
    await Promise.all(streams.map((stream) => stream.ended));
    for (const stream of streams) expect(stream.events.map((event) => event.id)).toEqual(['1']);
    expect(main.output()).toContain('shutting down');
  });
});
