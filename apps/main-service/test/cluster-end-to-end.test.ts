import { PROVIDER_GROUP, redisKeys, slotOf } from '@skyway/contracts';
import { searchResultCodec } from '@skyway/search-state';
import {
  clusterTestTopology,
  eventually,
  isolatedTopology,
  openSse,
  pendingSearchRequests,
  sampleJourney,
  searchStreamEntries,
  segmentId,
  startApp,
  type AppProcess,
  type IsolatedTopology,
  type SseConnection,
} from '@skyway/testkit';
import type { Cluster } from 'ioredis';

const TOKEN = 'cluster-test-token-0123456789';

/**
 * The whole product on the test kit's private Redis Cluster (3 masters + 3 replicas), as real
 * processes, with nothing but `REDIS_CLUSTER_NODES` changed: searches through 2 main-service
 * replicas and 2 providers, resume, a provider SIGKILLed mid-search, a poison entry, and journeys.
 */
describe('Skyway on a Redis Cluster (real processes)', () => {
  const topology = clusterTestTopology();
  const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  let redis: IsolatedTopology;
  let supplier: AppProcess;
  const processes: AppProcess[] = [];
  const streams: SseConnection[] = [];

  beforeAll(async () => {
    redis = await isolatedTopology(topology, 'cluster-e2e');
    supplier = await startApp('mock-supplier', { env: { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: '200' } });
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await Promise.all(processes.splice(0).map((app) => app.stop('SIGKILL')));
  });
  afterAll(async () => {
    await supplier.stop();
    await redis.cleanup();
  });

  let deploymentNumber = 0;
  async function deployment(env: Record<string, string> = {}) {
    deploymentNumber += 1;
    const prefix = `${redis.prefix}${deploymentNumber}:`;
    const common = { ...topology.env, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', ...env };
    const start = async (name: 'main-service' | 'provider-service', extra: Record<string, string>) => {
      const app = await startApp(name, { env: { ...common, ...extra }, readyPath: '/health/ready', timeoutMs: 30_000 });
      processes.push(app);
      return app;
    };
    const providers = await Promise.all(
      ['p1', 'p2'].map((name) => start('provider-service', { SUPPLIER_URLS: supplier.url, CONSUMER_NAME: name, CLAIM_IDLE_MS: '1000' })),
    );
    const mains = await Promise.all([1, 2].map(() => start('main-service', { JOURNEY_API_TOKEN: TOKEN, SEED_JOURNEYS: 'none' })));
    return { prefix, keys: redisKeys(prefix), providers, mains: mains as [AppProcess, AppProcess] };
  }

  async function submit(main: AppProcess): Promise<string> {
    const response = await fetch(`${main.url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'CGK', to: 'DPS', date, passengers: 1 }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { data: { search_id: string } }).data.search_id;
  }

  async function follow(main: AppProcess, searchId: string, lastEventId?: string): Promise<Array<{ id: string | undefined; status: unknown }>> {
    const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`, lastEventId === undefined ? {} : { lastEventId });
    streams.push(stream);
    await stream.ended;
    return stream.events.map((event) => ({ id: event.id, status: (JSON.parse(event.data) as { status: unknown }).status }));
  }

  /** Terminal result entries per search, over every partition: each search must end exactly once. */
  async function endingsPerSearch(keys: ReturnType<typeof redisKeys>): Promise<Map<string, number>> {
    const endings = new Map<string, number>();
    for (const [, fields] of await searchStreamEntries(redis.client, keys, 'results')) {
      const decoded = searchResultCodec.decode(fields);
      if (decoded.ok && decoded.value.status !== 'processing') endings.set(decoded.value.search_id, (endings.get(decoded.value.search_id) ?? 0) + 1);
    }
    return endings;
  }

  it('serves 24 searches spread over partitions on every master: POST on one replica, SSE on the other, each ends exactly once, nothing left pending', async () => {
    const { keys, mains } = await deployment();
    const searchIds = await Promise.all(Array.from({ length: 24 }, (_, n) => submit(mains[n % 2] as AppProcess)));
    const masters = (redis.client as Cluster).nodes('master').length;
    const partitionsUsed = new Set(searchIds.map((searchId) => keys.searchPartitionOf(searchId).index));
    expect(partitionsUsed.size).toBeGreaterThan(masters);

    const followed = await Promise.all(searchIds.map((searchId, n) => follow(mains[(n + 1) % 2] as AppProcess, searchId)));
    for (const events of followed) expect(events.map((event) => event.status).slice(-2)).toEqual(['completed', 'completed']);
    expect([...(await endingsPerSearch(keys)).values()]).toEqual(searchIds.map(() => 1));
    await eventually('the pending lists to drain', async () => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP)) === 0);

    // Resume: a viewer reconnecting with the id of the first event gets the rest, without duplicates.
    const [searchId = ''] = searchIds;
    const all = await follow(mains[0], searchId);
    const resumed = await follow(mains[1], searchId, all[0]?.id);
    expect(resumed.map((event) => event.id)).toEqual(all.slice(1).map((event) => event.id));
  });

  it('completes every search exactly once when a provider is SIGKILLed mid-search (its entries reclaimed on the cluster)', async () => {
    const { keys, providers, mains } = await deployment({ SUPPLIER_RETRIES: '0' });
    const searchIds = await Promise.all(Array.from({ length: 16 }, () => submit(mains[0])));
    await eventually('searches in flight at the providers', async () => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP)) > 0);
    await providers[0]?.stop('SIGKILL');

    await eventually(
      'every search ended',
      async () => {
        const endings = await endingsPerSearch(keys);
        return searchIds.every((searchId) => endings.has(searchId));
      },
      { timeoutMs: 30_000 },
    );
    expect([...(await endingsPerSearch(keys)).values()]).toEqual(searchIds.map(() => 1));
    await eventually('the pending lists to drain', async () => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP)) === 0, { timeoutMs: 20_000 });
  }, 90_000);

  it('dead-letters a poison entry in its partition\'s DLQ and fails its search there', async () => {
    const { keys, mains } = await deployment();
    const searchId = await submit(mains[0]);
    await follow(mains[0], searchId);
    const partition = keys.searchPartitionOf(searchId);
    await redis.client.xadd(partition.requested, '*', 'search_id', searchId, 'from', 'not an airport');
    const [[, dead = []] = ['', []]] = await eventually('the DLQ entry', async () => {
      const entries = await redis.client.xrange(partition.deadLetter, '-', '+');
      return entries.length === 1 ? entries : undefined;
    });
    expect(dead).toEqual(expect.arrayContaining(['dlq_reason', expect.stringContaining('malformed entry')]));
    expect(slotOf(partition.deadLetter)).toBe(slotOf(partition.requested));
    await eventually('the pending lists to drain', async () => (await pendingSearchRequests(redis.client, keys, PROVIDER_GROUP)) === 0);
  });

  it('keeps journeys on every master correct under concurrent writers on both replicas, and streams their changes', async () => {
    const { keys, mains } = await deployment();
    const journeyIds = keys.journeyPartitions.map((_, n) => `JRN-C${n}`);
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    for (const journeyId of journeyIds) {
      const created = await fetch(`${mains[0].url}/api/journeys`, { method: 'POST', headers: auth, body: JSON.stringify(sampleJourney(journeyId, 20)) });
      expect(created.status).toBe(201);
    }
    const viewers = await Promise.all(journeyIds.map((journeyId) => openSse(`${mains[1].url}/api/journeys/${journeyId}/stream`, { headers: auth })));
    streams.push(...viewers);
    await Promise.all(viewers.map((viewer) => viewer.event(0)));

    const statuses = await Promise.all(
      journeyIds.flatMap((journeyId) =>
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${mains[i % 2]?.url}/api/journeys/${journeyId}/segments/${segmentId(i + 1)}/status`, {
            method: 'PUT',
            headers: auth,
            body: JSON.stringify({ status: 'Boarding' }),
          }).then((response) => response.status),
        ),
      ),
    );

    expect(statuses.every((status) => status === 200)).toBe(true);
    for (const journeyId of journeyIds) {
      const journey = (await (await fetch(`${mains[0].url}/api/journeys/${journeyId}`, { headers: auth })).json()) as { version: number; segments: Array<{ status: string }> };
      expect(journey.version).toBe(21);
      expect(journey.segments.every((segment) => segment.status === 'Boarding')).toBe(true);
    }
    // Every viewer saw every version, 2…21, whichever replica wrote it.
    await eventually('every change streamed', () => viewers.every((viewer) => viewer.events.length >= 21), { timeoutMs: 20_000 });
  }, 90_000);
});
