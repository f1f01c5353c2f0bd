import { DEFAULT_SHUTDOWN_DEADLINE_MS } from '@skyway/service-runtime';
import { eventually, isolatedRedis, openSse, startApp, type AppProcess, type IsolatedRedis, type SseConnection } from '@skyway/testkit';

const DAY_MS = 86_400_000;
const TOKEN = 'shutdown-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** main-service as a real process (build first) receiving SIGTERM while clients follow searches over SSE. */
describe('main-service shutdown with open search and journey streams (real process)', () => {
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
    const app = await startApp('main-service', {
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'info', SEED_JOURNEYS: 'bundled', JOURNEY_API_TOKEN: TOKEN },
      readyPath: '/health/ready',
    });
    main = app;
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
    const searchStreams: SseConnection[] = [];
    for (const searchId of [...searchIds, searchIds[0] as string]) {
      const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`);
      searchStreams.push(stream);
      await stream.event(0);
    }
    await eventually('the seed journeys loaded', async () => (await fetch(`${app.url}/api/journeys/JRN-002`, { headers: auth })).status === 200);
    const journeyStreams: SseConnection[] = [];
    for (const journeyId of ['JRN-001', 'JRN-002', 'JRN-001']) {
      const stream = await openSse(`${main.url}/api/journeys/${journeyId}/stream`, { headers: auth });
      journeyStreams.push(stream);
      await stream.event(0);
    }
    streams.push(...searchStreams, ...journeyStreams);

    // Exit 0 before the deadline; past it the stop would SIGKILL (and report 'SIGKILL').
    expect(await main.stop('SIGTERM', DEFAULT_SHUTDOWN_DEADLINE_MS)).toBe(0);
    await Promise.all(streams.map((stream) => stream.ended));
    for (const stream of searchStreams) expect(stream.events.map((event) => event.id)).toEqual(['1']);
    for (const stream of journeyStreams) expect(stream.events.map((event) => event.event)).toEqual(['journey']);
    expect(main.output()).toContain('shutting down');
  });
});
