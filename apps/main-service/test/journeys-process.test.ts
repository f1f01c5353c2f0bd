import type { JourneyChangeEvent } from '@skyway/contracts';
import { isolatedRedis, openSse, runToExit, startApp, type AppProcess, type IsolatedRedis } from '@skyway/testkit';

const TOKEN = 'journey-process-token-0123456789';
const WRITES_PER_PROCESS = 60;
const segmentId = (n: number): string => `SEG-${String(n).padStart(3, '0')}`;

/** main-service as real OS processes (build first): seed loading, bad seed files, two replicas writing one journey. */
describe('journeys across main-service processes', () => {
  let redis: IsolatedRedis;
  const apps: AppProcess[] = [];
  beforeEach(async () => {
    redis = await isolatedRedis('journeys-process');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await redis.cleanup();
  });

  it('exits 1 with one line naming SEED_JOURNEYS when the seed file is missing', async () => {
    const { exit, output } = await runToExit('main-service', { REDIS_URL: redis.url, SEED_JOURNEYS: '/nonexistent/journeys.json' });
    expect(exit).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'main-service: invalid configuration: SEED_JOURNEYS: cannot read /nonexistent/journeys.json (ENOENT)',
    ]);
  });

  it('two replicas serve concurrent updates of one journey: no update lost, and an SSE viewer of one sees every change of both', async () => {
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, JOURNEY_API_TOKEN: TOKEN, LOG_LEVEL: 'warn' };
    const [first, second] = await Promise.all([
      startApp('main-service', { env, readyPath: '/health/ready' }),
      startApp('main-service', { env: { ...env, SEED_JOURNEYS: 'none' }, readyPath: '/health/ready' }),
    ]);
    apps.push(first, second);
    const seeded = (await (await fetch(`${first.url}/api/journeys/JRN-001`)).json()) as { version: number; segments: unknown[] };
    expect(seeded).toMatchObject({ version: 1, passengerName: 'John Smith' });

    const viewer = await openSse(`${first.url}/api/journeys/JRN-001/stream`);
    try {
      await viewer.event(0);
      const put = (app: AppProcess, i: number) =>
        fetch(`${app.url}/api/journeys/JRN-001/segments/${segmentId((i % 2) + 1)}/status`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status: i % 3 === 0 ? 'Boarding' : 'Departed' }),
        });
      const responses = await Promise.all([first, second].flatMap((app) => Array.from({ length: WRITES_PER_PROCESS }, (_, i) => put(app, i))));
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
      const applied = statuses.filter((status) => status === 200).length;
      const versions = (await Promise.all(responses.filter((r) => r.status === 200).map((r) => r.json()))).map((body) => (body as { version: number }).version);
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: applied }, (_, i) => i + 2));

      const final = (await (await fetch(`${second.url}/api/journeys/JRN-001`)).json()) as { version: number };
      expect(final.version).toBe(applied + 1);
      await viewer.event(applied);
      const seen = viewer.events.slice(1).map((event) => (JSON.parse(event.data) as JourneyChangeEvent).version);
      expect(seen).toEqual(Array.from({ length: applied }, (_, i) => i + 2));
    } finally {
      viewer.close();
    }
  });
});
