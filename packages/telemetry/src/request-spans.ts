import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Probe and scrape endpoints: hit every few seconds by orchestrators and Prometheus, they would
 * drown the traces that matter. They are still counted in the HTTP metrics.
 */
export function isOperationalPath(url: string): boolean {
  return url === '/metrics' || url.startsWith('/metrics?') || url.startsWith('/health/');
}

const TRACER_NAME = '@skyway/telemetry';

const requestSpans = new WeakMap<FastifyRequest, Span>();
const requestContexts = new WeakMap<FastifyRequest, Context>();

/**
 * One SERVER span per request, continuing an incoming `traceparent`, named `METHOD /route`, ended
 * when the response closes (an SSE stream's span lasts as long as the stream). Its context is the
 * active one for every later hook, the handler and the `onResponse` hooks, so log lines and child
 * spans (Redis, stream producers) join it. (Entering it again after the body is read and when the
 * response finishes costs less than binding the request's and response's event emitters to it.)
 * The span's ids go back to the caller in a `traceresponse` header.
 *
 * Why not @fastify/otel and the HTTP server instrumentation: they opened a span per Fastify hook
 * and a second one per request (18 spans per search in main-service); this is one, measured in
 * bench:search's floor. Only the path is recorded, never the query, which may carry credentials.
 */
export function traceRequests(app: FastifyInstance): void {
  const tracer = trace.getTracer(TRACER_NAME);
  app.addHook('onRequest', (request, reply, done) => {
    if (isOperationalPath(request.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url;
    const queryAt = request.url.indexOf('?');
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
          ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
        },
      },
      parent,
    );
    // Tracing off (no SDK) and no caller trace: nothing to carry.
    if (!isSpanContextValid(span.spanContext())) return done();
    requestSpans.set(request, span);
    const { traceId, spanId, traceFlags } = span.spanContext();
    // W3C Trace Context level 2: a caller can quote the trace id of its request.
    reply.header('traceresponse', `00-${traceId}-${spanId}-0${traceFlags.toString(16)}`);
    const active = trace.setSpan(parent, span);
    requestContexts.set(request, active);
    // A span the sampler did not record has nothing to finish.
    if (span.isRecording()) {
      reply.raw.once('close', () => {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.raw.statusCode);
        if (reply.raw.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    }
    context.with(active, done);
  });
  // Reading a body and the response's `finish` run outside the request's async context: the first
  // hook after each enters it again, for the hooks, the handler and the log lines after it. A request
  // without a body reaches preValidation synchronously from onRequest, still inside it.
  const reenter = (request: FastifyRequest, _reply: unknown, done: () => void): void => {
    const active = requestContexts.get(request);
    if (active === undefined) return done();
    context.with(active, done);
  };
  app.addHook('preValidation', (request, reply, done) => (request.body === undefined ? done() : reenter(request, reply, done)));
  app.addHook('onResponse', reenter);
  app.addHook('onError', (request, _reply, error, done) => {
    requestSpans.get(request)?.recordException(error);
    done();
  });
}
