import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createStreamCodec, PROVIDER_GROUP, SearchRequestedMessage, STREAMS } from '@skyway/contracts';
import { isolatedRedis, type IsolatedRedis } from '@skyway/testkit';
import {
  extractTraceContext,
  injectTraceContext,
  otlpTracesEndpoint,
  startTracing,
  traceContextOfEntry,
  traceIdOf,
  traceLogFields,
  withConsumerSpan,
  withProducerSpan,
  type Tracing,
} from '../src';

const codec = createStreamCodec(SearchRequestedMessage);
const request = {
  search_id: '7b0b5b43-4c3a-4f59-9d4e-0d5b8a2c1e11',
  from: 'CGK',
  to: 'DPS',
  date: '2030-07-10',
  passengers: 2,
  requested_at: '2030-01-01T00:00:00.000Z',
};

describe('trace context across a stream entry', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  let tracing: Tracing;
  let redis: IsolatedRedis;

  beforeAll(async () => {
    // Every new trace recorded (the default records 1 in 10: sampling.test.ts), so each test finds its spans.
    tracing = startTracing({ serviceName: 'telemetry-test', env: { OTEL_TRACES_SAMPLER_ARG: '1' }, spanProcessors: [processor] });
    redis = await isolatedRedis('telemetry');
  });
  afterAll(async () => {
    await redis.cleanup();
    await tracing.shutdown();
  });
  beforeEach(() => exporter.reset());

  /** Exports wait for the resource's detected attributes: flush before reading them. */
  const finished = async (name: string): Promise<ReadableSpan> => {
    await processor.forceFlush();
    const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
    if (span === undefined) throw new Error(`no finished span ${name}`);
    return span;
  };

  it('puts the XADD in the request trace and processes the entry read back from Redis in the same trace', async () => {
    const key = redis.prefix + STREAMS.searchRequested;
    await redis.client.xgroup('CREATE', key, PROVIDER_GROUP, '0', 'MKSTREAM');

    const requestSpan = trace.getTracer('test').startSpan('POST /api/flights/search');
    const entryId = await context.with(trace.setSpan(context.active(), requestSpan), () =>
      withProducerSpan(STREAMS.searchRequested, async (traceContext) => {
        const id = await redis.client.xadd(key, '*', ...codec.encode({ ...request, ...traceContext }));
        if (id === null) throw new Error('XADD returned no id');
        return id;
      }),
    );
    requestSpan.end();

    const reply = (await redis.client.xreadgroup('GROUP', PROVIDER_GROUP, 'replica-1', 'COUNT', 1, 'STREAMS', key, '>')) as [string, [string, string[]][]][];
    const [id, fields] = reply[0]?.[1][0] ?? [];
    expect(id).toBe(entryId);
    const decoded = codec.decode(fields ?? []);
    if (!decoded.ok) throw new Error(decoded.error.reason);

    let logFields = {};
    await withConsumerSpan(
      { stream: STREAMS.searchRequested, group: PROVIDER_GROUP, messageId: entryId, consumer: 'replica-1', traceContext: decoded.value },
      async () => {
        logFields = traceLogFields();
      },
    );

    const traceId = requestSpan.spanContext().traceId;
    const producer = await finished(`send ${STREAMS.searchRequested}`);
    const consumer = await finished(`process ${STREAMS.searchRequested}`);
    expect(decoded.value.traceparent).toBe(`00-${traceId}-${producer.spanContext().spanId}-01`);
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.spanContext().traceId).toBe(traceId);
    expect(producer.parentSpanContext?.spanId).toBe(requestSpan.spanContext().spanId);
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.operation.type': 'send',
      'messaging.destination.name': STREAMS.searchRequested,
      'messaging.message.id': entryId,
    });
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.operation.type': 'process',
      'messaging.destination.name': STREAMS.searchRequested,
      'messaging.consumer.group.name': PROVIDER_GROUP,
      'messaging.message.id': entryId,
      'messaging.client.id': 'replica-1',
    });
    expect(logFields).toEqual({ trace_id: traceId, span_id: consumer.spanContext().spanId, trace_flags: '01' });
  });

  it('round-trips traceparent and tracestate unchanged', () => {
    const fields = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=abc,other=1' };
    expect(injectTraceContext(extractTraceContext(fields))).toEqual(fields);
  });

  it('reads the trace context of a raw entry that does not decode', () => {
    expect(traceContextOfEntry(['search_id', 'nope', 'traceparent', '00-a-b-01', 'tracestate', 'x=1'])).toEqual({ traceparent: '00-a-b-01', tracestate: 'x=1' });
    expect(traceContextOfEntry(['search_id', 'nope', 'traceparent'])).toEqual({});
  });

  it('names the trace id of an entry’s trace context for log lines, and none for a missing or malformed one', () => {
    expect(traceIdOf({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf({ traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' })).toBeUndefined();
    expect(traceIdOf({ traceparent: 'not-a-traceparent' })).toBeUndefined();
    expect(traceIdOf({})).toBeUndefined();
  });

  it('writes no trace fields outside a trace', () => {
    expect(injectTraceContext()).toEqual({});
    expect(traceLogFields()).toEqual({});
  });

  it('starts a new trace when the entry carries a malformed traceparent, instead of failing', async () => {
    await withConsumerSpan(
      { stream: STREAMS.searchRequested, group: PROVIDER_GROUP, messageId: '1-0', traceContext: { traceparent: 'not-a-traceparent' } },
      async () => undefined,
    );
    const consumer = await finished(`process ${STREAMS.searchRequested}`);
    expect(consumer.parentSpanContext).toBeUndefined();
    expect(consumer.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('marks the producer span failed and rethrows when Redis refuses the XADD', async () => {
    const key = `${redis.prefix}not-a-stream`;
    await redis.client.set(key, 'a string');
    await expect(withProducerSpan(STREAMS.searchRequested, () => redis.client.xadd(key, '*', 'field', 'value'))).rejects.toThrow(/WRONGTYPE/);
    const producer = await finished(`send ${STREAMS.searchRequested}`);
    expect(producer.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/WRONGTYPE/) });
    expect(producer.events.map((event) => event.name)).toContain('exception');
  });
});

describe('otlpTracesEndpoint', () => {
  it.each([
    [{}, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' }, undefined],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }, 'http://otel-collector:4318'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/v1/traces' }, 'https://b/v1/traces'],
  ])('turns export on only for an http(s) endpoint: %j', (env, expected) => {
    expect(otlpTracesEndpoint(env)).toBe(expected);
  });
});
