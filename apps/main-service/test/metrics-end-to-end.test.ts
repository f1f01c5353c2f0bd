import { PROVIDER_GROUP, redisKeys, STREAMS, type RedisKeys } from '@skyway/contracts';
import { newSearch } from '@skyway/search-state';
import {
  eventually,
  freePort,
  isolatedRedis,
  openSse,
  parsePrometheusText,
  sampleValue,
  startApp,
  type AppProcess,
  type IsolatedRedis,
  type MetricFamily,
} from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

type Families = Map<string, MetricFamily>;

const TOKEN = 'metrics-test-token-0123456789';
const SEED_JOURNEY = 'JRN-001';
const SEED_SEGMENTS = ['SEG-001', 'SEG-002'];
const SEGMENT_STATUSES = ['Boarding', 'Delayed', 'Departed', 'Arrived'];

/**
 * What `/metrics` reports once the features are wired: a real search through a provider process
 * and a mock-supplier process (plus a supplier nobody listens on), a poison request entry, and
 * journey updates from two main-service replicas racing with `maxAttempts: 1`. Each assertion is
 * a delta between scrapes taken before and after the driven event.
 */
describe('metrics of searches, dead letters and journey updates (real Redis; provider and supplier as processes)', () => {
  const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  let redis: IsolatedRedis;
  let keys: RedisKeys;
  let supplier: AppProcess;
  let provider: AppProcess;
  let unreachableSupplier: string;
  let mains: [FastifyInstance, FastifyInstance];
  let mainUrl: string;

  beforeAll(async () => {
    redis = await isolatedRedis('metrics-e2e');
    keys = redisKeys(redis.prefix);
    const common = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'warn' };
    unreachableSupplier = `http://127.0.0.1:${await freePort()}`;
    supplier = await startApp('mock-supplier', { env: { ...common, SUPPLIER_LATENCY_MS: '0' } });
    provider = await startApp('provider-service', {
      env: { ...common, SUPPLIER_URLS: `${supplier.url},${unreachableSupplier}`, SUPPLIER_RETRIES: '0' },
      readyPath: '/health/ready',
    });
    const main = () =>
      buildApp(parseConfig({ ...common, LOG_LEVEL: 'silent', JOURNEY_API_TOKEN: TOKEN }), { journeyStoreOptions: { maxAttempts: 1 } });
    mains = [await main(), await main()];
    await mains[1].ready();
    await mains[0].listen({ host: '127.0.0.1', port: 0 });
    const address = mains[0].server.address();
    mainUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await Promise.all(mains.map((app) => app.close()));
    await Promise.all([provider.stop(), supplier.stop()]);
    await redis.cleanup();
  });

  const scrapeMain = async (app: FastifyInstance): Promise<Families> => parsePrometheusText((await app.inject('/metrics')).body);
  const scrapeProvider = async (): Promise<Families> => parsePrometheusText(await (await fetch(`${provider.url}/metrics`)).text());
  /** A counter or histogram count; a series that does not exist yet counts as 0. */
  const value = (families: Families, name: string, labels: Record<string, string> = {}): number => sampleValue(families, name, labels) ?? 0;
  const delta = (before: Families, after: Families, name: string, labels: Record<string, string> = {}): number =>
    value(after, name, labels) - value(before, name, labels);

  it('reports a search end to end: supplier calls, provider processing, consumer group, search latency on every replica, open streams', async () => {
    const [providerBefore, mainBefore, otherMainBefore] = [await scrapeProvider(), await scrapeMain(mains[0]), await scrapeMain(mains[1])];
    const response = await fetch(`${mainUrl}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'CGK', to: 'DPS', date, passengers: 2 }),
    });
    expect(response.status).toBe(202);
    const searchId = ((await response.json()) as { data: { search_id: string } }).data.search_id;
    const stream = await openSse(`${mainUrl}/api/flights/search/${searchId}/stream`);
    await stream.ended;
    expect(JSON.parse(stream.events.at(-1)?.data ?? '{}')).toMatchObject({ status: 'completed' });

    const group = { stream: STREAMS.searchRequested, group: PROVIDER_GROUP };
    const partition = { ...group, partition: String(keys.searchPartitionOf(searchId).index) };
    const providerAfter = await eventually('the search handled and the consumer group sampled with nothing pending', async () => {
      const scraped = await scrapeProvider();
      const handled = delta(providerBefore, scraped, 'skyway_consumer_processing_duration_seconds_count', { ...group, outcome: 'ok' }) === 1;
      return handled && sampleValue(scraped, 'skyway_consumer_group_pending', partition) === 0 && scraped;
    });
    expect(sampleValue(providerAfter, 'skyway_consumer_group_lag', partition)).toBe(0);
    expect(delta(providerBefore, providerAfter, 'skyway_consumer_delivered_total', { ...group, source: 'new' })).toBe(1);
    expect(delta(providerBefore, providerAfter, 'skyway_consumer_processing_duration_seconds_count', { ...group, outcome: 'ok' })).toBe(1);
    const reached = { supplier: new URL(supplier.url).origin, outcome: 'ok' };
    const unreachable = { supplier: new URL(unreachableSupplier).origin, outcome: 'network_error' };
    expect(delta(providerBefore, providerAfter, 'skyway_supplier_call_duration_seconds_count', reached)).toBe(1);
    expect(delta(providerBefore, providerAfter, 'skyway_supplier_call_duration_seconds_count', unreachable)).toBe(1);
    expect(delta(providerBefore, providerAfter, 'skyway_supplier_call_errors_total', unreachable)).toBe(1);
    expect(sampleValue(providerAfter, 'skyway_supplier_call_errors_total', reached)).toBeUndefined();
    // One blocking reader per partition of the request stream.
    expect(sampleValue(providerAfter, 'skyway_redis_connections_ready', { connection: 'provider-service:requests-reader' })).toBe(keys.searchPartitions.length);
    expect(sampleValue(providerAfter, 'skyway_redis_connections_ready', { connection: 'provider-service:search-transactions' })).toBeGreaterThanOrEqual(1);

    // Every replica reads every result, so both measure the search, not only the one streaming it.
    for (const [app, before] of [[mains[0], mainBefore], [mains[1], otherMainBefore]] as const) {
      const after = await eventually('the search latency observed', async () => {
        const scraped = await scrapeMain(app);
        return delta(before, scraped, 'skyway_search_duration_seconds_count', { outcome: 'completed' }) === 1 && scraped;
      });
      expect(delta(before, after, 'skyway_search_duration_seconds_count', { outcome: 'failed' })).toBe(0);
      // One blocking reader per partition of the result stream.
      expect(sampleValue(after, 'skyway_redis_connections_ready', { connection: 'main-service:results-reader' })).toBe(keys.searchPartitions.length);
    }
    // The gauge drops when the socket closes; the request duration is recorded when the response completes.
    const streamRequest = { route: '/api/flights/search/:search_id/stream', status_code: '200' };
    await eventually('the finished stream closed and measured', async () => {
      const scraped = await scrapeMain(mains[0]);
      return sampleValue(scraped, 'skyway_sse_connections', { stream: 'search' }) === 0 && delta(mainBefore, scraped, 'http_request_duration_seconds_count', streamRequest) === 1;
    });
  });

  it('counts a poison request entry as dead-lettered, and the failure it causes, while its viewer’s stream is open', async () => {
    // A search nobody requested from a provider (no request entry): its viewer waits, its stream open.
    const searchId = randomUUID();
    const state = newSearch({ from: 'CGK', to: 'DPS', date, passengers: 1 }, { searchId, now: new Date(), timeoutMs: 60_000, ttlMs: 120_000 });
    await redis.client.set(keys.search(searchId), JSON.stringify(state), 'PX', 120_000);
    const [providerBefore, mainBefore] = [await scrapeProvider(), await scrapeMain(mains[0])];
    const stream = await openSse(`${mainUrl}/api/flights/search/${searchId}/stream`);
    await stream.event(0);
    expect(sampleValue(await scrapeMain(mains[0]), 'skyway_sse_connections', { stream: 'search' })).toBe(1);

    await redis.client.xadd(keys.searchPartitionOf(searchId).requested, '*', 'search_id', searchId, 'from', 'not an airport');
    await stream.ended;
    expect(JSON.parse(stream.events.at(-1)?.data ?? '{}')).toMatchObject({ status: 'failed', error: { code: 'INVALID_REQUEST' } });

    const group = { stream: STREAMS.searchRequested, group: PROVIDER_GROUP };
    const providerAfter = await eventually('the dead letter counted', async () => {
      const scraped = await scrapeProvider();
      return delta(providerBefore, scraped, 'skyway_dead_lettered_total', group) === 1 && scraped;
    });
    expect(delta(providerBefore, providerAfter, 'skyway_consumer_delivered_total', { ...group, source: 'new' })).toBe(1);
    expect(delta(providerBefore, providerAfter, 'skyway_consumer_processing_duration_seconds_count', { ...group, outcome: 'ok' })).toBe(0);
    expect(await redis.client.xlen(keys.searchPartitionOf(searchId).deadLetter)).toBe(1);
    const mainAfter = await eventually('the failure measured and the stream closed', async () => {
      const scraped = await scrapeMain(mains[0]);
      return sampleValue(scraped, 'skyway_sse_connections', { stream: 'search' }) === 0 && scraped;
    });
    expect(delta(mainBefore, mainAfter, 'skyway_search_duration_seconds_count', { outcome: 'failed' })).toBe(1);
  });

  it('counts journey update attempts, and the conflicts and exhausted retries of two replicas racing with maxAttempts 1', async () => {
    const before = await Promise.all(mains.map(scrapeMain));
    const statuses: number[] = [];
    let round = 0;
    // A conflict needs transactions of the two replicas to overlap; a few rounds make that certain in practice.
    while (round < 40 && !statuses.includes(409)) {
      const responses = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 === 0 ? mains[0] : mains[1]).inject({
            method: 'PUT',
            url: `/api/journeys/${SEED_JOURNEY}/segments/${SEED_SEGMENTS[i % SEED_SEGMENTS.length]}/status`,
            headers: { authorization: `Bearer ${TOKEN}` },
            payload: { status: SEGMENT_STATUSES[(round + i) % SEGMENT_STATUSES.length] },
          }),
        ),
      );
      statuses.push(...responses.map((response) => response.statusCode));
      round += 1;
    }
    const after = await Promise.all(mains.map(scrapeMain));
    const total = (name: string): number => after.reduce((sum, scraped, index) => sum + value(scraped, name) - value(before[index] ?? new Map(), name), 0);
    const committed = statuses.filter((status) => status === 200).length;
    const exhausted = statuses.filter((status) => status === 409).length;

    expect(committed + exhausted).toBe(statuses.length);
    expect(exhausted).toBeGreaterThan(0);
    expect(total('skyway_journey_update_retries_exhausted_total')).toBe(exhausted);
    // With one attempt allowed, every conflict gives up: a conflicting batch exhausts each update in it.
    expect(total('skyway_journey_update_conflicts_total')).toBeGreaterThan(0);
    expect(total('skyway_journey_update_conflicts_total')).toBeLessThanOrEqual(exhausted);
    expect(total('skyway_journey_commit_duration_seconds_count')).toBe(committed);
    // One attempt per group-commit batch: at most one per update, at least one per conflict.
    expect(total('skyway_journey_update_attempts_total')).toBe(total('skyway_journey_commit_batch_size_count'));
    expect(total('skyway_journey_update_attempts_total')).toBeLessThanOrEqual(statuses.length);
    expect(total('skyway_journey_update_attempts_total')).toBeGreaterThan(total('skyway_journey_update_conflicts_total'));
    expect(sampleValue(await scrapeMain(mains[0]), 'skyway_redis_connections_ready', { connection: 'main-service:journey-tx' })).toBeGreaterThanOrEqual(1);
  });
});
