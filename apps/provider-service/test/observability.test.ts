import { PROVIDER_GROUP, STREAMS, redisKeys } from '@skyway/contracts';
import { eventually, isolatedRedis, parsePrometheusText, sampleValue, type IsolatedRedis } from '@skyway/testkit';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

describe('provider-service metrics', () => {
  let redis: IsolatedRedis;
  beforeAll(async () => {
    redis = await isolatedRedis('observability');
  });
  afterAll(() => redis.cleanup());

  it('serves Prometheus text at /metrics with request durations and the request consumer group sampled from Redis', async () => {
    // The entries sit in the first partition of the request stream; every partition is sampled, by label.
    const [partition] = redisKeys(redis.prefix).searchPartitions;
    const key = partition?.requested ?? '';
    // Three entries another consumer took and never acked.
    await redis.client.xadd(key, '*', 'n', '1');
    await redis.client.xadd(key, '*', 'n', '2');
    await redis.client.xadd(key, '*', 'n', '3');
    await redis.client.xgroup('CREATE', key, PROVIDER_GROUP, '0');
    await redis.client.xgroup('CREATECONSUMER', key, PROVIDER_GROUP, 'elsewhere');
    await redis.client.xreadgroup('GROUP', PROVIDER_GROUP, 'elsewhere', 'COUNT', 3, 'STREAMS', key, '>');

    const app = await buildApp(parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', CONSUMER_NAME: 'observability-test' }));
    try {
      await app.ready();
      expect((await app.inject('/health/live')).statusCode).toBe(200);
      const group = { stream: STREAMS.searchRequested, group: PROVIDER_GROUP, partition: String(partition?.index) };
      const families = await eventually('the consumer group to be sampled', async () => {
        const scraped = parsePrometheusText((await app.inject('/metrics')).body);
        return sampleValue(scraped, 'skyway_consumer_group_pending', group) !== undefined && scraped;
      });

      expect(sampleValue(families, 'http_request_duration_seconds_count', { method: 'GET', route: '/health/live', status_code: '200' })).toBe(1);
      // The entries read by "elsewhere" stay pending (this replica only reclaims them after CLAIM_IDLE_MS).
      expect(sampleValue(families, 'skyway_consumer_group_pending', group)).toBe(3);
      expect(sampleValue(families, 'skyway_consumer_group_lag', group)).toBe(0);
      expect(sampleValue(families, 'skyway_consumer_group_oldest_pending_age_seconds', group)).toBeGreaterThanOrEqual(0);
      expect(sampleValue(families, 'skyway_metrics_sample_failures_total', { sampler: 'consumer_group' })).toBe(0);
      expect(sampleValue(families, 'skyway_redis_connections', { connection: 'provider-service:commands' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
