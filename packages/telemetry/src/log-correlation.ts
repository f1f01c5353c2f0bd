import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/** The trace fields pino adds to a log line (the names the OpenTelemetry pino instrumentation uses). */
export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * A pino `mixin`: every line written while a span is active carries its `trace_id` and `span_id`,
 * so a log search by trace id finds every line of a request or a stream message. Explicit rather
 * than the pino instrumentation, which only works when pino is loaded after tracing starts.
 */
export function traceLogFields(): TraceLogFields {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}
