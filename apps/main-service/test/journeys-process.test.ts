import type { JourneyChangeEvent, JourneyHistory } from '@skyway/contracts';
import { isolatedRedis, openSse, runToExit, startApp, type AppProcess, type IsolatedRedis } from '@skyway/testkit';
import { startTestIssuer, type TestIssuer } from './support/test-issuer';

const WRITES_PER_PROCESS = 60;
const segmentId = (n: number): string => `SEG-${String(n).padStart(3, '0')}`;

/** main-service as real OS processes (build first): seed loading, bad seed files, two replicas writing one journey. */
describe('journeys across main-service processes', () => {
  let redis: IsolatedRedis;
  let issuer: TestIssuer;
  const apps: AppProcess[] = [];
  beforeEach(async () => {
    redis = await isolatedRedis('journeys-process');
    issuer = await startTestIssuer();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await issuer.close();
    await redis.cleanup();
  });

  it('exits 1 with one line naming SEED_JOURNEYS when the seed file is missing', async () => {
    const { exit, output } = await runToExit('main-service', { REDIS_URL: redis.url, SEED_JOURNEYS: '/nonexistent/journeys.json' });
    expect(exit).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'main-service: invalid configuration: SEED_JOURNEYS: cannot read /nonexistent/journeys.json (ENOENT)',
    ]);
  });

  it('two replicas serve concurrent updates of one journey: no update lost, an SSE viewer of one sees every change of both, each naming its writer', async () => {
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'warn', ...issuer.env };
    const [first, second] = await Promise.all([
      startApp('main-service', { env, readyPath: '/health/ready' }),
      startApp('main-service', { env: { ...env, SEED_JOURNEYS: 'none' }, readyPath: '/health/ready' }),
    ]);
    apps.push(first, second);
    const [viewerToken, ...writerTokens] = await Promise.all(['viewer', 'writer-first', 'writer-second'].map((subject) => issuer.token(subject)));
    const as = (token: string | undefined) => ({ authorization: `Bearer ${token}` });
    const seeded = (await (await fetch(`${first.url}/api/journeys/JRN-001`, { headers: as(viewerToken) })).json()) as { version: number; segments: unknown[] };
    expect(seeded).toMatchObject({ version: 1, passengerName: 'John Smith' });

    // A ticket from one replica opens a stream on the other (tickets live in Redis).
    const { ticket } = (await (await fetch(`${second.url}/api/journeys/stream-tickets`, { method: 'POST', headers: as(viewerToken) })).json()) as { ticket: string };
    const viewer = await openSse(`${first.url}/api/journeys/JRN-001/stream?ticket=${ticket}`);
    try {
      await viewer.event(0);
      const put = (app: AppProcess, token: string | undefined, i: number) =>
        fetch(`${app.url}/api/journeys/JRN-001/segments/${segmentId((i % 2) + 1)}/status`, {
          method: 'PUT',
          headers: { ...as(token), 'content-type': 'application/json' },
          body: JSON.stringify({ status: i % 3 === 0 ? 'Boarding' : 'Departed' }),
        });
      const responses = await Promise.all(
        [first, second].flatMap((app, n) => Array.from({ length: WRITES_PER_PROCESS }, (_, i) => put(app, writerTokens[n], i))),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
      const applied = statuses.filter((status) => status === 200).length;
      // Responses come in order: the first replica's writes, then the second's.
      const writerByVersion = new Map<number, string>();
      await Promise.all(
        responses.map(async (response, i) => {
          if (response.status !== 200) return;
          const { version } = (await response.json()) as { version: number };
          writerByVersion.set(version, i < WRITES_PER_PROCESS ? 'writer-first' : 'writer-second');
        }),
      );
      expect([...writerByVersion.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: applied }, (_, i) => i + 2));

      const final = (await (await fetch(`${second.url}/api/journeys/JRN-001`, { headers: as(viewerToken) })).json()) as { version: number };
      expect(final.version).toBe(applied + 1);
      await viewer.event(applied);
      const seen = viewer.events.slice(1).map((event) => (JSON.parse(event.data) as JourneyChangeEvent).version);
      expect(seen).toEqual(Array.from({ length: applied }, (_, i) => i + 2));

      // The history attributes each change to the writer whose request made it.
      const history = (await (await fetch(`${first.url}/api/journeys/JRN-001/history`, { headers: as(viewerToken) })).json()) as JourneyHistory;
      expect(history.complete).toBe(true);
      expect(history.changes.slice(1).map((event) => [event.version, event.actor])).toEqual([...writerByVersion].sort(([a], [b]) => a - b));
    } finally {
      viewer.close();
    }
  });
});
