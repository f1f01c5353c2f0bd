import { context, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** `service.name` of the spans, unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  /**
   * The process environment: the standard `OTEL_*` variables configure the SDK. Pass `process.env`
   * outside tests: the SDK itself reads `process.env` for what it builds (a sampler that
   * `OTEL_TRACES_SAMPLER` names, the exporter); this module reads `env` for the rest.
   */
  readonly env: NodeJS.ProcessEnv;
  /** Where finished spans go instead of the OTLP exporter (tests pass an in-memory exporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
}

export interface Tracing {
  /**
   * Flushes finished spans (at most {@link TRACING_SHUTDOWN_TIMEOUT_MS}), then unregisters
   * tracing. Never rejects: an unreachable collector must not hold up or fail a shutdown.
   */
  shutdown(): Promise<void>;
}

export const TRACING_SHUTDOWN_TIMEOUT_MS = 2_000;

/**
 * The share of new traces recorded when `OTEL_TRACES_SAMPLER` is unset (`OTEL_TRACES_SAMPLER_ARG`
 * overrides it). A request or message whose caller already decided (a `traceparent`, or a stream
 * entry's) follows that decision, so a recorded trace is whole across services and the stream hop.
 */
export const DEFAULT_TRACE_SAMPLE_RATIO = 0.1;

/** `OTEL_TRACES_SAMPLER_ARG` as a ratio, if it is one; the app's configuration check refuses anything else. */
function sampleRatioOf(env: NodeJS.ProcessEnv): number {
  const ratio = env.OTEL_TRACES_SAMPLER_ARG?.trim() ? Number(env.OTEL_TRACES_SAMPLER_ARG) : Number.NaN;
  return ratio >= 0 && ratio <= 1 ? ratio : DEFAULT_TRACE_SAMPLE_RATIO;
}

/**
 * Skyway's default sampler: parent-based, recording {@link DEFAULT_TRACE_SAMPLE_RATIO} of new
 * traces (by trace id, so every service that starts one agrees). An unrecorded request still has
 * a trace id and span ids: they reach its log lines, its `traceresponse` and the stream entries it
 * writes, where the not-sampled flag tells the next service not to record either. Undefined when
 * `OTEL_TRACES_SAMPLER` names another: the SDK builds that one.
 */
export function defaultSampler(env: NodeJS.ProcessEnv): Sampler | undefined {
  if (env.OTEL_TRACES_SAMPLER?.trim()) return undefined;
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatioOf(env)) });
}

/**
 * The OTLP endpoint for traces, when one is set to an http(s) URL. Any other value leaves
 * export off here; the app's configuration check then stops the process naming the variable.
 */
export function otlpTracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return endpoint && /^https?:\/\/\S+$/.test(endpoint) ? endpoint : undefined;
}

/**
 * Starts the OpenTelemetry SDK: W3C trace context propagation, HTTP clients (node:http and
 * undici/fetch) and ioredis instrumentation; request spans come from the telemetry plugin
 * (`traceRequests`). Call it before any other module is loaded (each app's `instrument.ts`,
 * imported first by `main.ts`): ioredis is instrumented when it is required.
 *
 * Spans are exported by OTLP (protocol, headers, sampler: the standard `OTEL_*` variables) only
 * when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set. Otherwise spans are still
 * created, so trace ids reach logs and stream entries, but go nowhere and nothing reports
 * errors. Metrics are Prometheus (prom-client) and logs are pino, so the SDK exports neither.
 * Which traces are recorded: {@link defaultSampler}. `OTEL_SDK_DISABLED=true` starts nothing, not
 * even the instrumentations' patches (they would wrap every Redis command and HTTP call for no span).
 */
export function startTracing(options: TracingOptions): Tracing {
  if (options.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { shutdown: () => Promise.resolve() };
  const exporting = otlpTracesEndpoint(options.env) !== undefined;
  const sampler = defaultSampler(options.env);
  // The HTTP instrumentation first: the first one constructed installs the require hook.
  const instrumentations: Instrumentation[] = [
    // Outgoing calls only: the telemetry plugin makes one span per incoming request.
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    new UndiciInstrumentation(),
    new IORedisInstrumentation({
      // Only inside a request or message span: the consumer loops' idle blocking reads would
      // otherwise each start a trace of their own.
      requireParentSpan: true,
      // The command name only: arguments carry searches and journeys, and serialising them costs.
      dbStatementSerializer: (command) => command,
    }),
  ];
  const spanProcessors = options.spanProcessors ?? (exporting ? undefined : [new NoopSpanProcessor()]);
  const sdk = new NodeSDK({
    serviceName: options.env.OTEL_SERVICE_NAME || options.serviceName,
    instrumentations,
    metricReaders: [],
    logRecordProcessors: [],
    // Undefined: the SDK builds the sampler and the OTLP exporter from the OTEL_* variables.
    ...(sampler === undefined ? {} : { sampler }),
    ...(spanProcessors === undefined ? {} : { spanProcessors: [...spanProcessors] }),
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  return {
    shutdown() {
      stopped ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, TRACING_SHUTDOWN_TIMEOUT_MS);
        });
        // A flush that fails (collector down) only loses the last spans.
        await Promise.race([sdk.shutdown().catch(() => undefined), deadline]);
        clearTimeout(timer);
        for (const instrumentation of instrumentations) instrumentation.disable();
        trace.disable();
        context.disable();
        propagation.disable();
      })();
      return stopped;
    },
  };
}
