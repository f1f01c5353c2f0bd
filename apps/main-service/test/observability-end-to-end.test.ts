import { redisKeys } from '@skyway/contracts';
import { searchRequestCodec, searchResultCodec } from '@skyway/search-state';
import {
  eventually,
  isolatedRedis,
  jsonLogLines,
  openSse,
  OTLP_SPAN_KIND,
  startApp,
  startOtlpCollector,
  type AppProcess,
  type IsolatedRedis,
  type OtlpCollector,
} from '@skyway/testkit';

const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const STREAM_TRACE_ID = '5c0a3f6e9d1b4a7f8e2d6c4b3a291807';
const STREAM_TRACEPARENT = `00-${STREAM_TRACE_ID}-1f2e3d4c5b6a7988-01`;

/**
 * One trace from the HTTP request to the supplier calls, across real processes: main-service,
 * provider-service (exporting its spans to a stand-in OTLP collector) and mock-supplier.
 */
describe('a search traced end to end (real processes)', () => {
  const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
  let redis: IsolatedRedis;
  let collector: OtlpCollector;
  const processes: AppProcess[] = [];

  beforeAll(async () => {
    redis = await isolatedRedis('trace-e2e');
    collector = await startOtlpCollector();
  });
  afterAll(async () => {
    await Promise.all(processes.map((app) => app.stop()));
    await collector.close();
    await redis.cleanup();
  });

  async function start(name: Parameters<typeof startApp>[0], env: Record<string, string>): Promise<AppProcess> {
    const app = await startApp(name, { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, ...env }, readyPath: '/health/ready' });
    processes.push(app);
    return app;
  }

  it('carries the caller’s trace id into the request entry, the provider’s consumer span, its supplier calls and log lines, and the results', async () => {
    const supplier = await start('mock-supplier', { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: '0' });
    const provider = await start('provider-service', {
      SUPPLIER_URLS: supplier.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const main = await start('main-service', {});

    const response = await fetch(`${main.url}/api/flights/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
      body: JSON.stringify({ from: 'CGK', to: 'DPS', date, passengers: 1 }),
    });
    expect(response.status).toBe(202);
    const searchId = ((await response.json()) as { data: { search_id: string } }).data.search_id;
    await eventually('the search to complete', async () => {
      const snapshot = (await (await fetch(`${main.url}/api/flights/search/${searchId}`)).json()) as { data: { status: string } };
      return snapshot.data.status === 'completed';
    });
    // Stopping the provider flushes its spans to the collector.
    expect(await provider.stop()).toBe(0);

    const keys = redisKeys(redis.prefix);
    // The request entry: the caller's trace, with the XADD's producer span as the parent to be.
    const [[, requestFields] = ['', []]] = await redis.client.xrange(keys.searchPartitionOf(searchId).requested, '-', '+');
    const request = searchRequestCodec.decode(requestFields);
    expect(request).toMatchObject({ ok: true, value: { search_id: searchId, traceparent: expect.stringMatching(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`) } });
    const producerSpanId = (request.ok ? request.value.traceparent : '')?.split('-')[2];
    expect(producerSpanId).not.toBe(CALLER_SPAN_ID);

    // The provider's spans: CONSUMER span child of that producer span; supplier call and result publishes inside it.
    const spans = collector.spans().filter((span) => span.traceId === CALLER_TRACE_ID);
    const consumer = spans.find((span) => span.kind === OTLP_SPAN_KIND.consumer);
    expect(consumer).toMatchObject({ name: 'process flight.search.requested', parentSpanId: producerSpanId, service: 'provider-service' });
    const children = spans.filter((span) => span.parentSpanId === consumer?.spanId);
    expect(children).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: OTLP_SPAN_KIND.client, name: 'GET' }),
        expect.objectContaining({ kind: OTLP_SPAN_KIND.producer, name: 'send flight.search.results' }),
      ]),
    );

    // Its Redis commands are traced too (ioredis is instrumented only if loaded after tracing starts):
    // the state change's WATCH, under the publish span.
    expect(spans).toContainEqual(expect.objectContaining({ kind: OTLP_SPAN_KIND.client, name: 'watch', service: 'provider-service' }));

    // The results the provider published continue the same trace.
    const results = (await redis.client.xrange(keys.searchPartitionOf(searchId).results, '-', '+')).map(([, fields]) => searchResultCodec.decode(fields));
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) expect(result).toMatchObject({ ok: true, value: { search_id: searchId, traceparent: expect.stringContaining(CALLER_TRACE_ID) } });

    // Every provider log line about the search carries its trace id; main-service's submit line too.
    const providerLines = jsonLogLines(provider.output()).filter((line) => line.search_id === searchId);
    expect(providerLines.map((line) => line.msg)).toContain('search processed');
    for (const line of providerLines) expect(line).toMatchObject({ trace_id: CALLER_TRACE_ID });
    // A request without a body (the stream, a GET) keeps its trace in the handler's own lines too.
    const stream = await openSse(`${main.url}/api/flights/search/${searchId}/stream`, { headers: { traceparent: STREAM_TRACEPARENT } });
    await stream.ended;
    const mainLines = jsonLogLines(main.output());
    for (const msg of ['search submitted', 'request completed']) {
      expect(mainLines).toContainEqual(expect.objectContaining({ msg, search_id: searchId, trace_id: CALLER_TRACE_ID }));
    }
    expect(mainLines).toContainEqual(expect.objectContaining({ msg: 'search stream opened', search_id: searchId, trace_id: STREAM_TRACE_ID }));
  }, 60_000);
});
