import { compileValidator, SupplierFlightsResponse, type FlightResult, type SupplierFlightsQuery } from '@skyway/contracts';
import { noopSupplierCallObserver, type SupplierCallObserver, type SupplierCallOutcome } from '@skyway/telemetry';
import { backOff } from 'exponential-backoff';
import { request, type Dispatcher } from 'undici';
import { toFlightResults } from './offer-mapping';

export interface SupplierClientOptions {
  readonly baseUrl: URL;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Extra attempts after a 5xx, a timeout or a network error (not after a 4xx or a malformed body). */
  readonly retries: number;
  /** First backoff delay; doubles per retry, capped at 1 s, with full jitter. */
  readonly backoffMs?: number;
  /** Told about every HTTP attempt (metrics), under the base URL's origin. */
  readonly observer?: SupplierCallObserver;
  /** A body larger than this is not read further and counts as a malformed answer. */
  readonly maxResponseBytes?: number;
  /** Keeps connections to the supplier alive between calls; undici's global keep-alive agent when unset. */
  readonly dispatcher?: Dispatcher;
}

/** Generous for a timetable (the mock supplier's largest answer is a few kB) yet bounded per call. */
export const SUPPLIER_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export type SupplierAnswer =
  | { readonly ok: true; readonly supplier: string; readonly results: FlightResult[] }
  | { readonly ok: false; readonly supplier: string; readonly reason: string };

/** Queries one supplier; never throws: every failure is an answer with a reason. */
export type SupplierClient = (query: SupplierFlightsQuery, signal: AbortSignal) => Promise<SupplierAnswer>;

const responseValidator = compileValidator(SupplierFlightsResponse);

/** A failure worth another attempt: the supplier may answer next time. */
class TransientSupplierError extends Error {}

class OversizedResponseError extends Error {}

/**
 * The body parsed as JSON (undefined when it is not JSON), read only up to `maxBytes`: a supplier
 * answering megabytes of garbage must not make this process buffer them. Stopping the read
 * destroys the body, which closes the connection.
 */
async function readJsonWithin(response: Dispatcher.ResponseData, maxBytes: number): Promise<unknown> {
  const oversized = (): OversizedResponseError => {
    response.body.destroy();
    return new OversizedResponseError(`response larger than ${maxBytes} bytes`);
  };
  if (Number(response.headers['content-length'] ?? 0) > maxBytes) throw oversized();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw oversized();
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What one attempt came to, for the observer; the answer (or a transient error) for the caller. */
type AttemptResult =
  | { readonly outcome: SupplierCallOutcome; readonly answer: SupplierAnswer }
  | { readonly outcome: SupplierCallOutcome; readonly retry: TransientSupplierError };

export function createSupplierClient(options: SupplierClientOptions): SupplierClient {
  const endpoint = new URL('v1/flights', options.baseUrl.href.endsWith('/') ? options.baseUrl : `${options.baseUrl.href}/`);
  const label = options.baseUrl.origin;
  const observer = options.observer ?? noopSupplierCallObserver;
  const maxResponseBytes = options.maxResponseBytes ?? SUPPLIER_MAX_RESPONSE_BYTES;

  async function call(url: URL, query: SupplierFlightsQuery, signal: AbortSignal): Promise<AttemptResult> {
    // One controller per attempt, aborted by its own timer or by the caller's signal; both links are
    // undone when the attempt ends (cheaper than AbortSignal.any + AbortSignal.timeout, and nothing
    // stays attached to the caller's signal).
    const attemptAbort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptAbort.abort();
    }, options.timeoutMs);
    const abortAttempt = (): void => attemptAbort.abort(signal.reason);
    signal.addEventListener('abort', abortAttempt, { once: true });
    let response: Dispatcher.ResponseData;
    let body: unknown;
    try {
      if (signal.aborted) throw signal.reason;
      response = await request(url, { signal: attemptAbort.signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) });
      body = await readJsonWithin(response, maxResponseBytes);
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof OversizedResponseError) {
        return { outcome: 'invalid_response', answer: { ok: false, supplier: label, reason: `malformed response: ${error.message}` } };
      }
      if (timedOut) return { outcome: 'timeout', retry: new TransientSupplierError(`no answer within ${options.timeoutMs} ms`) };
      return { outcome: 'network_error', retry: new TransientSupplierError(`request failed: ${(error as Error).message}`) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abortAttempt);
    }
    if (response.statusCode >= 500 || response.statusCode === 429) {
      return { outcome: 'http_error', retry: new TransientSupplierError(`HTTP ${response.statusCode}`) };
    }
    if (response.statusCode >= 300) return { outcome: 'http_error', answer: { ok: false, supplier: label, reason: `HTTP ${response.statusCode}` } };
    if (!responseValidator.check(body)) {
      const [first] = responseValidator.errors(body);
      const reason = `malformed response: ${first ? `${first.field} ${first.message}` : 'not JSON'}`;
      return { outcome: 'invalid_response', answer: { ok: false, supplier: label, reason } };
    }
    return { outcome: 'ok', answer: { ok: true, supplier: body.supplier, results: toFlightResults(body.supplier, query, body.offers) } };
  }

  async function attempt(query: SupplierFlightsQuery, signal: AbortSignal): Promise<SupplierAnswer> {
    const url = new URL(endpoint);
    url.search = new URLSearchParams({ from: query.from, to: query.to, date: query.date, passengers: String(query.passengers) }).toString();
    const started = performance.now();
    // An attempt cut short by our own shutdown rejects here and is not the supplier's outcome.
    const result = await call(url, query, signal);
    observer.onSupplierCall(label, result.outcome, performance.now() - started);
    if ('retry' in result) throw result.retry;
    return result.answer;
  }

  return async (query, signal) => {
    try {
      return await backOff(() => attempt(query, signal), {
        numOfAttempts: options.retries + 1,
        startingDelay: options.backoffMs ?? 50,
        timeMultiple: 2,
        maxDelay: 1_000,
        jitter: 'full',
        retry: (error) => error instanceof TransientSupplierError && !signal.aborted,
      });
    } catch (error) {
      return { ok: false, supplier: label, reason: (error as Error).message };
    }
  };
}
