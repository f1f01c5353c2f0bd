import { journeyChangeCodec, PROVIDER_GROUP, redisKeys } from '@skyway/contracts';
import { searchResultCodec } from '@skyway/search-state';
import {
  eventually,
  openSse,
  processesPerTest,
  sampleJourney,
  startRedisServer,
  uniqueKeyPrefix,
  type AppProcess,
  type RedisServer,
  type SseConnection,
  pendingSearchRequests,
  searchStreamEntries,
} from '@skyway/testkit';
import Redis from 'ioredis';

const DAY_MS = 86_400_000;
const search = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 20 * DAY_MS).toISOString().slice(0, 10), passengers: 1 };
/** SPEC §3: with Redis unreachable, a write answers 503 within this — never a hang. */
const REDIS_DOWN_ANSWER_MS = 2_000;
const TOKEN = 'outage-test-token-0123456789';
const SEGMENT_STATUSES = ['CheckInOpen', 'Boarding', 'Departed', 'Arrived', 'Delayed'] as const;

/**
 * The whole deployment as real processes (build first) on a redis-server of the test's own, which
 * the test kills and restarts — empty, or from its append-only file. No service is restarted.
 */
describe('Redis outages (real processes, a Redis the test kills)', () => {
  const streams: SseConnection[] = [];
  afterEach(() => streams.splice(0).forEach((stream) => stream.close()));
  const { start, defer } = processesPerTest();

  async function deployment(server: RedisServer, supplierLatencyMs: number, providerEnv: Record<string, string> = {}) {
    const prefix = uniqueKeyPrefix('outage');
    const common = { REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix };
    const supplier = await start('mock-supplier', { SUPPLIER_LATENCY_MS: String(supplierLatencyMs) });
    const provider = await start('provider-service', { ...common, SUPPLIER_URLS: supplier.url, ...providerEnv });
    const main = await start('main-service', { ...common, SEED_JOURNEYS: 'none', SEARCH_RATE_LIMIT_MAX: '100000', JOURNEY_API_TOKEN: TOKEN });
    return { prefix, supplier, provider, main };
  }

  const post = (main: AppProcess, signal?: AbortSignal) =>
    fetch(`${main.url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(search),
      ...(signal ? { signal } : {}),
    });

  const journeyRequest = (main: AppProcess, method: 'POST' | 'PUT', path: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${main.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  const createJourney = (main: AppProcess, id: string, signal?: AbortSignal) => journeyRequest(main, 'POST', '/api/journeys', sampleJourney(id, 4), signal);
  const setSegment = (main: AppProcess, id: string, segmentId: string, status: string, signal?: AbortSignal) =>
    journeyRequest(main, 'PUT', `/api/journeys/${id}/segments/${segmentId}/status`, { status }, signal);

  async function submitted(main: AppProcess): Promise<string> {
    const response = await post(main);
    expect(response.status).toBe(202);
    return ((await response.json()) as { data: { search_id: string } }).data.search_id;
  }

  async function completes(main: AppProcess, searchId: string): Promise<void> {
    const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`);
    streams.push(stream);
    await stream.ended;
    const statuses = stream.events.map((event) => (JSON.parse(event.data) as { status: string }).status);
    expect(statuses.slice(-2)).toEqual(['completed', 'completed']);
  }

  const ready = (app: AppProcess) => eventually(`${app.name} ready`, async () => (await fetch(`${app.url}/health/ready`)).status === 200, { timeoutMs: 20_000 });

  it('Redis killed: writes answer 503 within 2 s and no process exits; restarted empty: everything reconnects and searches complete again', async () => {
    const server = await startRedisServer();
    let current = server;
    defer(() => current.stop());
    const { prefix, main, provider, supplier } = await deployment(server, 0);
    await completes(main, await submitted(main));
    expect((await createJourney(main, 'JRN-OUTAGE')).status).toBe(201);

    await server.kill();
    const refused = await post(main, AbortSignal.timeout(REDIS_DOWN_ANSWER_MS));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toEqual({ success: false, message: expect.stringContaining('unavailable') });
    const snapshot = await fetch(`${main.url}/api/flights/search/00000000-0000-4000-8000-000000000000`, { signal: AbortSignal.timeout(REDIS_DOWN_ANSWER_MS) });
    expect(snapshot.status).toBe(503);
    for (const write of [
      await setSegment(main, 'JRN-OUTAGE', 'SEG-001', 'Boarding', AbortSignal.timeout(REDIS_DOWN_ANSWER_MS)),
      await createJourney(main, 'JRN-OUTAGE-2', AbortSignal.timeout(REDIS_DOWN_ANSWER_MS)),
    ]) {
      expect(write.status).toBe(503);
      expect(write.headers.get('retry-after')).toBe('2');
      expect(await write.json()).toEqual({ message: expect.stringContaining('unavailable') });
    }
    for (const app of [main, provider]) {
      expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(503);
    }
    for (const app of [main, provider, supplier]) expect(app.child.exitCode).toBeNull();

    current = await startRedisServer({ port: server.port });
    await Promise.all([ready(main), ready(provider)]);
    await completes(main, await submitted(main));
    // The journey went with the data; a new one is written and updated as usual.
    expect((await fetch(`${main.url}/api/journeys/JRN-OUTAGE`)).status).toBe(404);
    expect((await createJourney(main, 'JRN-OUTAGE')).status).toBe(201);
    expect((await setSegment(main, 'JRN-OUTAGE', 'SEG-001', 'Boarding')).status).toBe(200);
    // The provider re-created its consumer group on the empty Redis.
    const client = new Redis(current.url);
    defer(async () => void client.disconnect());
    for (const partition of redisKeys(prefix).searchPartitions) {
      const groups = (await client.xinfo('GROUPS', partition.requested)) as unknown[][];
      expect(groups.map((group) => group[1])).toEqual([PROVIDER_GROUP]);
    }
    for (const app of [main, provider, supplier]) expect(app.child.exitCode).toBeNull();
  });

  it('Redis restarted from its AOF (appendfsync always) under load: no acknowledged journey update is lost, the searches in flight resume', async () => {
    const server = await startRedisServer({ appendfsync: 'always' });
    let current = server;
    defer(() => current.stop());
    const { prefix, main } = await deployment(server, 1_500, { CLAIM_IDLE_MS: '1000', PROVIDER_CONCURRENCY: '16' });
    const keys = redisKeys(prefix);
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    defer(async () => void client.disconnect());
    await client.connect();
    const JOURNEY = 'JRN-AOF';
    expect((await createJourney(main, JOURNEY)).status).toBe(201);

    // Journey writers run throughout; each 200 is an acknowledged update with its version.
    const acknowledged = new Map<number, { segmentId: string; status: string }>();
    let writing = true;
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let round = 0; writing; round += 1) {
        const segmentId = `SEG-00${(writer % 4) + 1}`;
        const status = SEGMENT_STATUSES[(writer + round) % SEGMENT_STATUSES.length] as string;
        try {
          const response = await setSegment(main, JOURNEY, segmentId, status, AbortSignal.timeout(5_000));
          if (response.status === 200) acknowledged.set(((await response.json()) as { version: number }).version, { segmentId, status });
          else {
            // 503 while Redis is down: not acknowledged, so it may or may not have been applied.
            await response.arrayBuffer();
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        } catch {
          // No answer at all: not acknowledged either.
        }
      }
    });
    const acknowledgedAtLeast = (count: number) => eventually(`${count} acknowledged journey updates`, () => acknowledged.size >= count, { timeoutMs: 20_000 });

    await acknowledgedAtLeast(50);
    const searchIds: string[] = [];
    for (let index = 0; index < 8; index += 1) searchIds.push(await submitted(main));
    // Each waits 1.5 s on the supplier: kill Redis while all 8 are read but not acked.
    await eventually('every search in flight at the provider', async () => (await pendingSearchRequests(client, keys, PROVIDER_GROUP)) === 8);

    await server.kill();
    const beforeRestart = acknowledged.size;
    // Restarted empty, the searches would be gone (404) and the journey too: both must come back from the AOF.
    current = await startRedisServer({ appendfsync: 'always', dir: server.dir, port: server.port });
    await acknowledgedAtLeast(beforeRestart + 50);
    writing = false;
    await Promise.all(writers);

    // Every acknowledged update is in the journey: its version reached, its change event in the outbox.
    const stored = (await (await fetch(`${main.url}/api/journeys/${JOURNEY}`)).json()) as { version: number };
    const events = new Map<number, unknown>();
    for (const [, fields] of await client.xrange(keys.journeyChanges(JOURNEY), '-', '+')) {
      const decoded = journeyChangeCodec.decode(fields);
      if (decoded.ok) events.set(decoded.value.version, decoded.value.changes);
    }
    const versions = [...acknowledged.keys()].sort((a, b) => a - b);
    expect(stored.version).toBeGreaterThanOrEqual(versions.at(-1) ?? 0);
    expect(versions.filter((version) => !events.has(version))).toEqual([]);
    for (const [version, { segmentId, status }] of acknowledged) expect(events.get(version)).toEqual([{ type: 'segmentStatus', segmentId, status }]);
    // Versions are gap-free: nothing committed went missing, acknowledged or not.
    expect([...events.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: stored.version }, (_, index) => index + 1));

    await eventually(
      'every search completed',
      async () => {
        const snapshots = await Promise.all(searchIds.map((searchId) => fetch(`${main.url}/api/flights/search/${searchId}`).then((response) => response.json())));
        return snapshots.every((snapshot) => (snapshot as { data?: { status: string } }).data?.status === 'completed');
      },
      { timeoutMs: 20_000 },
    );
    const completions = new Map<string, number>();
    for (const [, fields] of await searchStreamEntries(client, keys, 'results')) {
      const decoded = searchResultCodec.decode(fields);
      if (decoded.ok && decoded.value.status !== 'processing') completions.set(decoded.value.search_id, (completions.get(decoded.value.search_id) ?? 0) + 1);
    }
    expect(searchIds.map((searchId) => completions.get(searchId))).toEqual(searchIds.map(() => 1));
    await eventually('the pending list to drain', async () => (await pendingSearchRequests(client, keys, PROVIDER_GROUP)) === 0);
  }, 60_000);
});
