import { compileValidator, SupplierFlightsResponse, type FlightResult, type SupplierFlightsQuery } from '@skyway/contracts';
import { backOff } from 'exponential-backoff';
import { toFlightResults } from './offer-mapping';

export interface SupplierClientOptions {
  readonly baseUrl: URL;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Extra attempts after a 5xx, a timeout or a network error (not after a 4xx or a malformed body). */
  readonly retries: number;
  /** First backoff delay; doubles per retry, capped at 1 s, with full jitter. */
  readonly backoffMs?: number;
}

export type SupplierAnswer =
  | { readonly ok: true; readonly supplier: string; readonly results: FlightResult[] }
  | { readonly ok: false; readonly supplier: string; readonly reason: string };

/** Queries one supplier; never throws: every failure is an answer with a reason. */
export type SupplierClient = (query: SupplierFlightsQuery, signal: AbortSignal) => Promise<SupplierAnswer>;

const responseValidator = compileValidator(SupplierFlightsResponse);

/** A failure worth another attempt: the supplier may answer next time. */
class TransientSupplierError extends Error {}

export function createSupplierClient(options: SupplierClientOptions): SupplierClient {
  const endpoint = new URL('v1/flights', options.baseUrl.href.endsWith('/') ? options.baseUrl : `${options.baseUrl.href}/`);
  const label = options.baseUrl.origin;

  async function attempt(query: SupplierFlightsQuery, signal: AbortSignal): Promise<SupplierAnswer> {
    const url = new URL(endpoint);
    url.search = new URLSearchParams({ from: query.from, to: query.to, date: query.date, passengers: String(query.passengers) }).toString();
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]) });
      body = await response.json().catch(() => undefined);
    } catch (error) {
      if (signal.aborted) throw error;
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new TransientSupplierError(timedOut ? `no answer within ${options.timeoutMs} ms` : `request failed: ${(error as Error).message}`);
    }
    if (response.status >= 500 || response.status === 429) throw new TransientSupplierError(`HTTP ${response.status}`);
    if (!response.ok) return { ok: false, supplier: label, reason: `HTTP ${response.status}` };
    if (!responseValidator.check(body)) {
      const [first] = responseValidator.errors(body);
      return { ok: false, supplier: label, reason: `malformed response: ${first ? `${first.field} ${first.message}` : 'not JSON'}` };
    }
    return { ok: true, supplier: body.supplier, results: toFlightResults(body.supplier, query, body.offers) };
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
