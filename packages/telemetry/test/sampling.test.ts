import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { PROVIDER_GROUP, STREAMS } from '@skyway/contracts';
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { DEFAULT_TRACE_SAMPLE_RATIO, defaultSampler, startTracing, telemetryPlugin, traceLogFields, withConsumerSpan, withProducerSpan, type Tracing } from '../src';

const NEW_TRACES = 2_000;

/** The share of `NEW_TRACES` random root trace ids a sampler records. */
function recordedShare(env: NodeJS.ProcessEnv): number {
  const sampler = defaultSampler(env);
  if (sampler === undefined) throw new Error('no default sampler');
  let recorded = 0;
  for (let i = 0; i < NEW_TRACES; i++) {
    const decision = sampler.shouldSample(ROOT_CONTEXT, randomBytes(16).toString('hex'), 'root', SpanKind.SERVER, {}, []).decision;
    if (decision === SamplingDecision.RECORD_AND_SAMPLED) recorded++;
  }
  return recorded / NEW_TRACES;
}

describe('defaultSampler', () => {
  it('records DEFAULT_TRACE_SAMPLE_RATIO of new traces, or OTEL_TRACES_SAMPLER_ARG of them', () => {
    // 2 000 draws at 0.1: the standard deviation of the share is 0.0067, so ±0.03 is 4.5 of them.
    expect(recordedShare({})).toBeGreaterThan(DEFAULT_TRACE_SAMPLE_RATIO - 0.03);
    expect(recordedShare({})).toBeLessThan(DEFAULT_TRACE_SAMPLE_RATIO + 0.03);
    expect(recordedShare({ OTEL_TRACES_SAMPLER_ARG: '1' })).toBe(1);
    expect(recordedShare({ OTEL_TRACES_SAMPLER_ARG: '0' })).toBe(0);
  });

  it('follows the caller’s decision, whatever the ratio', () => {
    const sampler = defaultSampler({ OTEL_TRACES_SAMPLER_ARG: '0' });
    const parent = (traceFlags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags, isRemote: true });
    const decide = (traceFlags: TraceFlags) => sampler?.shouldSample(parent(traceFlags), randomBytes(16).toString('hex'), 'child', SpanKind.CONSUMER, {}, []).decision;
    expect(decide(TraceFlags.SAMPLED)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(defaultSampler({ OTEL_TRACES_SAMPLER_ARG: '1' })?.shouldSample(parent(TraceFlags.NONE), 'a'.repeat(32), 'child', SpanKind.CONSUMER, {}, []).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
  });

  it('leaves the sampler to the SDK when OTEL_TRACES_SAMPLER names one', () => {
    expect(defaultSampler({ OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(defaultSampler({ OTEL_TRACES_SAMPLER: '' })).toBeDefined();
  });
});

describe('a trace the sampler did not record', () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  let tracing: Tracing;

  beforeAll(() => {
    tracing = startTracing({ serviceName: 'telemetry-test', env: {}, spanProcessors: [processor] });
  });
  afterAll(() => tracing.shutdown());

  it('still gives every request a trace id in traceresponse, flagged recorded exactly when its span was', async () => {
    const app = Fastify({ logger: false });
    await app.register(telemetryPlugin);
    app.get('/items/:id', async () => ({ ok: true }));
    try {
      const flags = new Map<string, string>();
      for (let i = 0; i < 200; i++) {
        const header = String((await app.inject(`/items/${i}`)).headers.traceresponse);
        const [, traceId = '', , flag = ''] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(header) ?? [];
        expect(traceId).not.toBe('');
        flags.set(traceId, flag);
      }
      await processor.forceFlush();
      const recorded = new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId));
      expect(flags.size).toBe(200);
      expect([...flags].filter(([, flag]) => flag === '01').map(([traceId]) => traceId).sort()).toEqual([...recorded].sort());
      // About one in ten: more than none and fewer than half (200 draws at 0.1: 20 ± 4.2).
      expect(recorded.size).toBeGreaterThan(0);
      expect(recorded.size).toBeLessThan(100);
    } finally {
      await app.close();
      exporter.reset();
    }
  });

  it('carries an unrecorded new trace’s id across a stream entry, not sampled, into the consumer’s log fields', async () => {
    // A new trace, as a request without a caller trace starts one; 1 in 10 is recorded, so try until one is not.
    const tracer = trace.getTracer('test');
    const newTraces = Array.from({ length: 200 }, () => tracer.startSpan('POST /api/flights/search', { kind: SpanKind.SERVER }, ROOT_CONTEXT));
    const unrecorded = newTraces.find((span) => !span.isRecording());
    for (const span of newTraces) span.end();
    if (unrecorded === undefined) throw new Error('every one of 200 new traces was recorded: the default sampler is not in place');
    const { traceId } = unrecorded.spanContext();
    const entry = await context.with(trace.setSpan(ROOT_CONTEXT, unrecorded), () => withProducerSpan(STREAMS.searchRequested, async (traceContext) => traceContext));
    expect(entry.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));

    const logFields = await withConsumerSpan(
      { stream: STREAMS.searchRequested, group: PROVIDER_GROUP, messageId: '1-0', consumer: 'replica-1', traceContext: entry },
      async (span) => ({ recording: span.isRecording(), ...traceLogFields() }),
    );
    expect(logFields).toEqual({ recording: false, trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/), trace_flags: '00' });
    await processor.forceFlush();
    expect(exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId)).toEqual([]);
    exporter.reset();
  });
});
