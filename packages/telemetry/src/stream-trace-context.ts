import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_MESSAGING_CLIENT_ID,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
} from '@opentelemetry/semantic-conventions/incubating';

/** The W3C trace context fields a stream entry carries (see `SearchRequestedMessage` in contracts). */
export interface StreamTraceContext {
  traceparent?: string;
  tracestate?: string;
}

/** `messaging.system` of our spans: Redis Streams has no registered value, so the product name. */
export const MESSAGING_SYSTEM = 'redis';

const TRACER_NAME = '@skyway/telemetry';

// Stream fields are W3C trace context whatever OTEL_PROPAGATORS says about HTTP headers.
const w3c = new W3CTraceContextPropagator();

/** `traceparent`/`tracestate` for an entry written in `ctx` (the active one by default); empty outside a trace. */
export function injectTraceContext(ctx: Context = context.active()): StreamTraceContext {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  const fields: StreamTraceContext = {};
  if (carrier.traceparent !== undefined) fields.traceparent = carrier.traceparent;
  if (carrier.tracestate !== undefined) fields.tracestate = carrier.tracestate;
  return fields;
}

/**
 * The context an entry's fields carry, on top of `base` (the root by default: a consumer loop's
 * own context must not become the parent). Missing or malformed fields give `base` unchanged,
 * so processing starts a new trace instead of failing.
 */
export function extractTraceContext(fields: StreamTraceContext, base: Context = ROOT_CONTEXT): Context {
  const carrier: Record<string, string> = {};
  if (typeof fields.traceparent === 'string') carrier.traceparent = fields.traceparent;
  if (typeof fields.tracestate === 'string') carrier.tracestate = fields.tracestate;
  return w3c.extract(base, carrier, defaultTextMapGetter);
}

/** The trace id an entry's trace context names (for log lines about it), or undefined when it has none valid. */
export function traceIdOf(fields: StreamTraceContext): string | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(fields));
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The trace context fields of a raw `[field, value, …]` entry, for entries that do not decode. */
export function traceContextOfEntry(fields: readonly string[]): StreamTraceContext {
  const found: StreamTraceContext = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'traceparent' || name === 'tracestate') found[name] = fields[i + 1];
  }
  return found;
}

async function inSpan<T>(span: Span, ctx: Context, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(ctx, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `send` (the XADD, or the MULTI holding it) in a PRODUCER span `send <stream>`, a child of
 * the active span. `send` gets the fields to write into the entry, which make the consumer's
 * span part of this trace. When `send` resolves to the entry id (XADD's reply) the span records
 * it as `messaging.message.id`. A rejection marks the span as failed and is rethrown.
 *
 * `stream` is the logical stream name (`STREAMS.*`), never a prefixed key.
 */
export function withProducerSpan<T>(stream: string, send: (traceContext: StreamTraceContext, span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
    [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    [ATTR_MESSAGING_DESTINATION_NAME]: stream,
  };
  const parent = context.active();
  const span = tracer.startSpan(`send ${stream}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  return inSpan(span, parent, async (active) => {
    const result = await send(injectTraceContext(trace.setSpan(parent, active)), active);
    if (typeof result === 'string') active.setAttribute(ATTR_MESSAGING_MESSAGE_ID, result);
    return result;
  });
}

export interface ConsumerSpanOptions {
  /** Logical stream name (`STREAMS.*`). */
  readonly stream: string;
  readonly group: string;
  /** The entry id. */
  readonly messageId: string;
  /** This replica's consumer name. */
  readonly consumer?: string;
  /** The entry's `traceparent`/`tracestate` (decoded, or from {@link traceContextOfEntry}). */
  readonly traceContext: StreamTraceContext;
}

/**
 * Runs `process` in a CONSUMER span `process <stream>` whose parent is the producer span the
 * entry's trace context names, so the HTTP request, the XADD and this processing share one
 * trace id. Everything `process` does (supplier calls, Redis commands, log lines) is inside it.
 * A rejection marks the span as failed and is rethrown.
 */
export function withConsumerSpan<T>(options: ConsumerSpanOptions, process: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [ATTR_MESSAGING_DESTINATION_NAME]: options.stream,
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: options.group,
    [ATTR_MESSAGING_MESSAGE_ID]: options.messageId,
  };
  if (options.consumer !== undefined) attributes[ATTR_MESSAGING_CLIENT_ID] = options.consumer;
  const parent = extractTraceContext(options.traceContext);
  const span = tracer.startSpan(`process ${options.stream}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  return inSpan(span, parent, process);
}
