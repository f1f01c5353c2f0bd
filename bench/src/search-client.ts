import { createParser } from 'eventsource-parser';
import { Agent, request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A lean HTTP client for load: node:http (lighter than fetch, so thousands of streams fit in one
 * benchmark process), SSE parsed with eventsource-parser. One keep-alive pool for POSTs and
 * streams, as a browser has per origin: a stream the server has ended leaves its connection free
 * for the next request, as an HTTP/1.1 `EventSource` does (over HTTP/2 they all share one).
 */
// An idle pooled socket is dropped after 30 s: bench:search's pipelines take turns, one idles about a
// minute between its runs, and requests sent on sockets the server was closing failed ("socket hang up").
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1_024, timeout: 30_000 });

const SEARCH_DATE = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const SEARCH_BODY = JSON.stringify({ from: 'CGK', to: 'DPS', date: SEARCH_DATE, passengers: 2 });

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    response.on('end', () => resolve(body));
    response.on('error', reject);
  });
}

/** POST /api/flights/search; resolves to the search id (any answer but 202 is an error). */
export function submitSearch(baseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const post = request(
      `${baseUrl}/api/flights/search`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(SEARCH_BODY) } },
      (response) => {
        readBody(response).then((body) => {
          if (response.statusCode !== 202) return reject(new Error(`POST answered ${response.statusCode}: ${body.slice(0, 200)}`));
          resolve((JSON.parse(body) as { data: { search_id: string } }).data.search_id);
        }, reject);
      },
    );
    post.on('error', reject);
    post.end(SEARCH_BODY);
  });
}

export type SearchStatus = 'processing' | 'completed' | 'failed';

/** One open SSE stream of a search. */
export interface SearchStream {
  /** Resolves with performance.now() when the first event with `status` arrives; rejects on `failed` or an early end. */
  readonly reached: Promise<number>;
  /** Resolves once the stream is open (headers received), with performance.now(). */
  readonly opened: Promise<number>;
  close(): void;
}

/** Opens GET /api/flights/search/:id/stream and watches for the first event with `status`. */
export function followSearch(baseUrl: string, searchId: string, status: SearchStatus, timeoutMs: number): SearchStream {
  let resolveOpened: (at: number) => void = () => undefined;
  let rejectOpened: (error: Error) => void = () => undefined;
  const opened = new Promise<number>((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  opened.catch(() => undefined);
  let close: () => void = () => undefined;
  const reached = new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (outcome: number | Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Reached: the server ends the stream after its final event, and the connection goes back to the pool.
      if (typeof outcome === 'number') return resolve(outcome);
      get.destroy();
      rejectOpened(outcome);
      reject(outcome);
    };
    const timer = setTimeout(() => finish(new Error(`no ${status} event within ${timeoutMs} ms`)), timeoutMs);
    const get = request(`${baseUrl}/api/flights/search/${searchId}/stream`, { agent, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        readBody(response).then((body) => finish(new Error(`stream answered ${response.statusCode}: ${body.slice(0, 200)}`)), finish);
        return;
      }
      resolveOpened(performance.now());
      const parser = createParser({
        onEvent: (event) => {
          const data = JSON.parse(event.data) as { status: SearchStatus; error?: { code: string } };
          if (data.status === status) finish(performance.now());
          else if (data.status === 'failed') finish(new Error(`search failed: ${data.error?.code ?? 'unknown'}`));
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('end', () => finish(new Error(`stream ended before a ${status} event`)));
      response.on('error', (error) => finish(error));
    });
    get.on('error', (error) => finish(error));
    get.end();
    close = () => {
      finish(new Error('closed'));
      get.destroy();
    };
  });
  reached.catch(() => undefined);
  return { reached, opened, close: () => close() };
}

/** POST → `completed` on the stream: milliseconds from `startedAt` (performance.now()) to the event. */
export async function searchToCompletion(baseUrl: string, startedAt: number, timeoutMs: number): Promise<number> {
  const searchId = await submitSearch(baseUrl);
  const completedAt = await followSearch(baseUrl, searchId, 'completed', timeoutMs).reached;
  return completedAt - startedAt;
}
