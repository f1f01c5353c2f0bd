import { createRedisClient } from '@skyway/redis-connection';
import { eventually, isolatedRedis, parsePrometheusText, sampleValue, startRedisServer, type IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import {
  consumerGroupSampler,
  journeyStoreMetrics,
  redisConnectionMetrics,
  searchLatencyMetrics,
  sseConnectionMetrics,
  streamConsumerMetrics,
  supplierCallMetrics,
} from '../src';

async function scrape(registry: Registry) {
  return parsePrometheusText(await registry.metrics());
}

describe('metric sets', () => {
  it('count journey attempts, conflicts, exhausted retries, batch sizes and commit latency', async () => {
    const registry = new Registry();
    const observer = journeyStoreMetrics(registry);
    observer.onAttempt('J1', 1);
    observer.onBatch('J1', 3);
    observer.onConflict('J1', 1);
    observer.onAttempt('J1', 2);
    observer.onBatch('J1', 3);
    for (let i = 0; i < 3; i += 1) observer.onCommit('J1', 20);
    observer.onExhausted('J2', 8);
    observer.onConnectionError(new Error('ECONNRESET'));

    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_journey_update_attempts_total')).toBe(2);
    expect(sampleValue(families, 'skyway_journey_update_conflicts_total')).toBe(1);
    expect(sampleValue(families, 'skyway_journey_update_retries_exhausted_total')).toBe(1);
    expect(sampleValue(families, 'skyway_journey_commit_batch_size_count')).toBe(2);
    expect(sampleValue(families, 'skyway_journey_commit_batch_size_bucket', { le: '2' })).toBe(0);
    expect(sampleValue(families, 'skyway_journey_commit_batch_size_bucket', { le: '4' })).toBe(2);
    expect(sampleValue(families, 'skyway_journey_commit_duration_seconds_count')).toBe(3);
    expect(sampleValue(families, 'skyway_journey_commit_duration_seconds_sum')).toBeCloseTo(0.06);
    expect(sampleValue(families, 'skyway_journey_store_connection_errors_total')).toBe(1);
  });

  it('are created once per registry, however often they are asked for', () => {
    const registry = new Registry();
    expect(journeyStoreMetrics(registry)).toBe(journeyStoreMetrics(registry));
    expect(journeyStoreMetrics(new Registry())).not.toBe(journeyStoreMetrics(registry));
  });

  it('export the consumer series at 0 before the first event, then count deliveries, handling and dead letters', async () => {
    const registry = new Registry();
    const labels = { stream: 'flight.search.requested', group: 'provider-service' };
    const observer = streamConsumerMetrics(registry, labels);
    let families = await scrape(registry);
    expect(sampleValue(families, 'skyway_dead_lettered_total', labels)).toBe(0);
    expect(sampleValue(families, 'skyway_consumer_delivered_total', { ...labels, source: 'claimed' })).toBe(0);

    observer.onDelivered(2, 'new');
    observer.onDelivered(1, 'claimed');
    observer.onHandled('1-0', 150, 'ok');
    observer.onHandled('1-1', 30, 'error');
    observer.onDeadLettered('1-1', 'delivered 6 times (MAX_DELIVERIES 5)');
    observer.onReadError(new Error('Connection is closed'));

    families = await scrape(registry);
    expect(sampleValue(families, 'skyway_consumer_delivered_total', { ...labels, source: 'new' })).toBe(2);
    expect(sampleValue(families, 'skyway_consumer_delivered_total', { ...labels, source: 'claimed' })).toBe(1);
    expect(sampleValue(families, 'skyway_consumer_processing_duration_seconds_count', { ...labels, outcome: 'ok' })).toBe(1);
    expect(sampleValue(families, 'skyway_consumer_processing_duration_seconds_sum', { ...labels, outcome: 'ok' })).toBeCloseTo(0.15);
    expect(sampleValue(families, 'skyway_dead_lettered_total', labels)).toBe(1);
    expect(sampleValue(families, 'skyway_consumer_read_errors_total', labels)).toBe(1);
  });

  it('time supplier calls by supplier and outcome, and count the failed ones as errors', async () => {
    const registry = new Registry();
    const observer = supplierCallMetrics(registry);
    observer.onSupplierCall('http://127.0.0.1:3100', 'ok', 120);
    observer.onSupplierCall('http://127.0.0.1:3100', 'timeout', 2000);
    observer.onSupplierCall('http://127.0.0.1:3101', 'http_error', 5);

    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_supplier_call_duration_seconds_count', { supplier: 'http://127.0.0.1:3100', outcome: 'ok' })).toBe(1);
    expect(sampleValue(families, 'skyway_supplier_call_errors_total', { supplier: 'http://127.0.0.1:3100', outcome: 'timeout' })).toBe(1);
    expect(sampleValue(families, 'skyway_supplier_call_errors_total', { supplier: 'http://127.0.0.1:3101', outcome: 'http_error' })).toBe(1);
    expect(sampleValue(families, 'skyway_supplier_call_errors_total', { outcome: 'ok' })).toBeUndefined();
  });

  it('observe search end-to-end latency by outcome', async () => {
    const registry = new Registry();
    const observer = searchLatencyMetrics(registry);
    observer.onSearchFinished('completed', 800);
    observer.onSearchFinished('failed', 30_000);

    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_search_duration_seconds_bucket', { outcome: 'completed', le: '1' })).toBe(1);
    expect(sampleValue(families, 'skyway_search_duration_seconds_bucket', { outcome: 'failed', le: '20' })).toBe(0);
    expect(sampleValue(families, 'skyway_search_duration_seconds_count', { outcome: 'failed' })).toBe(1);
  });

  it('count open SSE streams, a close counting once however often it is called', async () => {
    const registry = new Registry();
    const search = sseConnectionMetrics(registry).stream('search');
    const journey = sseConnectionMetrics(registry).stream('journey');
    const closeFirst = search.onOpen();
    search.onOpen();
    journey.onOpen();
    closeFirst();
    closeFirst();

    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_sse_connections', { stream: 'search' })).toBe(1);
    expect(sampleValue(families, 'skyway_sse_connections', { stream: 'journey' })).toBe(1);
  });
});

describe('consumer group sampling', () => {
  let redis: IsolatedRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await isolatedRedis('telemetry');
    client = createRedisClient(redis.url, { connectionName: 'telemetry-test:commands' });
    await eventually('the client to be ready', () => client.status === 'ready');
  });
  afterAll(async () => {
    client.disconnect();
    await redis.cleanup();
  });

  it('reports lag, pending entries, the oldest pending age and consumers of a group', async () => {
    const key = `${redis.prefix}requests`;
    const target = { key, stream: 'requests', group: 'workers', partition: '0' };
    await client.xgroup('CREATE', key, 'workers', '0', 'MKSTREAM');
    for (let i = 0; i < 3; i += 1) await client.xadd(key, '*', 'n', String(i));
    const delivered = (await client.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 2, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    const registry = new Registry();
    const sampler = consumerGroupSampler({ registry, redis: client, targets: [target] });

    await sampler.sample();
    let families = await scrape(registry);
    const labels = { stream: 'requests', group: 'workers', partition: '0' };
    expect(sampleValue(families, 'skyway_consumer_group_pending', labels)).toBe(2);
    expect(sampleValue(families, 'skyway_consumer_group_lag', labels)).toBe(1);
    expect(sampleValue(families, 'skyway_consumer_group_consumers', labels)).toBe(1);
    expect(sampleValue(families, 'skyway_consumer_group_oldest_pending_age_seconds', labels)).toBeGreaterThanOrEqual(0);

    await client.xack(key, 'workers', ...(delivered[0]?.[1] ?? []).map(([id]) => id));
    await sampler.sample();
    families = await scrape(registry);
    expect(sampleValue(families, 'skyway_consumer_group_pending', labels)).toBe(0);
    expect(sampleValue(families, 'skyway_consumer_group_oldest_pending_age_seconds', labels)).toBe(0);
    expect(sampleValue(families, 'skyway_metrics_sample_failures_total', { sampler: 'consumer_group' })).toBe(0);
  });

  it('leaves a stream or group that does not exist yet absent, without counting a failure', async () => {
    const registry = new Registry();
    const errors: Error[] = [];
    const sampler = consumerGroupSampler({
      registry,
      redis: client,
      targets: [{ key: `${redis.prefix}missing`, stream: 'missing', group: 'workers', partition: '0' }],
      onError: (error) => errors.push(error),
    });

    await sampler.sample();
    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_consumer_group_pending', { stream: 'missing' })).toBeUndefined();
    expect(sampleValue(families, 'skyway_metrics_sample_failures_total', { sampler: 'consumer_group' })).toBe(0);
    expect(errors).toEqual([]);
  });

  it('counts a failing sample, reports it, and drops the series rather than keep stale values', async () => {
    const key = `${redis.prefix}flaky`;
    const registry = new Registry();
    const errors: Error[] = [];
    const sampler = consumerGroupSampler({ registry, redis: client, targets: [{ key, stream: 'flaky', group: 'workers', partition: '0' }], onError: (error) => errors.push(error) });
    await client.xgroup('CREATE', key, 'workers', '0', 'MKSTREAM');
    await sampler.sample();
    expect(sampleValue(await scrape(registry), 'skyway_consumer_group_pending', { stream: 'flaky' })).toBe(0);

    await client.del(key);
    await client.set(key, 'no longer a stream');
    await sampler.sample();

    const families = await scrape(registry);
    expect(sampleValue(families, 'skyway_consumer_group_pending', { stream: 'flaky' })).toBeUndefined();
    expect(sampleValue(families, 'skyway_metrics_sample_failures_total', { sampler: 'consumer_group' })).toBe(1);
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/WRONGTYPE/)]);
  });
});

describe('Redis connection state', () => {
  it('reports connections and ready ones by name, drops the ready count while Redis is down, and forgets a closed client', async () => {
    let server = await startRedisServer();
    const client = createRedisClient(server.url, { connectionName: 'telemetry-test:pool' });
    client.on('error', () => undefined);
    const registry = new Registry();
    const metrics = redisConnectionMetrics(registry);
    metrics.watch(client);
    metrics.watch(client);
    const connection = { connection: 'telemetry-test:pool' };
    try {
      await eventually('the client to be ready', () => client.status === 'ready');
      let families = await scrape(registry);
      expect(sampleValue(families, 'skyway_redis_connections', connection)).toBe(1);
      expect(sampleValue(families, 'skyway_redis_connections_ready', connection)).toBe(1);

      await server.kill();
      await eventually('the client to notice', () => client.status !== 'ready');
      families = await scrape(registry);
      expect(sampleValue(families, 'skyway_redis_connections', connection)).toBe(1);
      expect(sampleValue(families, 'skyway_redis_connections_ready', connection)).toBe(0);
      await eventually('a reconnection attempt to be counted', async () => (sampleValue(await scrape(registry), 'skyway_redis_reconnects_total', connection) ?? 0) > 0);

      server = await startRedisServer({ port: server.port, dir: server.dir });
      await eventually('the client to reconnect', () => client.status === 'ready');
      expect(sampleValue(await scrape(registry), 'skyway_redis_connections_ready', connection)).toBe(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
    await eventually('the closed client to be forgotten', async () => sampleValue(await scrape(registry), 'skyway_redis_connections', connection) === undefined);
  });
});
