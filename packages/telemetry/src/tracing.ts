import { context, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** `service.name` of the spans, unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  /** The process environment: the standard `OTEL_*` variables configure the SDK. */
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
 */
export function startTracing(options: TracingOptions): Tracing {
  const exporting = otlpTracesEndpoint(options.env) !== undefined;
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
    // Undefined: the SDK builds the OTLP exporter from the OTEL_* variables.
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
