import { createParser } from 'eventsource-parser';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** One SSE response read over a real socket (fetch), parsed with eventsource-parser. */
export interface SseConnection {
  readonly status: number;
  readonly headers: Headers;
  /** Every event received so far, in order. */
  readonly events: readonly SseEvent[];
  /** Every comment line received so far (heartbeats are comments). */
  readonly comments: readonly string[];
  /** The body, for a response that is not an event stream (e.g. a 404 JSON envelope). */
  readonly text: string | undefined;
  /** Resolves when the server has ended the response (or the client closed it). */
  readonly ended: Promise<void>;
  /** Resolves with events[index] once it has arrived; rejects if the stream ends first. */
  event(index: number): Promise<SseEvent>;
  /** Resolves once a comment has arrived after `after` comments. */
  comment(after: number): Promise<string>;
  /** Disconnects, as a browser tab closing would. */
  close(): void;
}

export interface OpenSseOptions {
  readonly lastEventId?: string;
  readonly headers?: Record<string, string>;
}

/** Opens `url` as an SSE client would (Accept: text/event-stream) and parses events as they arrive. */
export async function openSse(url: string, options: OpenSseOptions = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    signal: controller.signal,
    headers: {
      accept: 'text/event-stream',
      ...(options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId }),
      ...options.headers,
    },
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let finished = false;
  let notify: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (notify = resolve));
  const signalChange = (): void => {
    const resolve = notify;
    changed = new Promise<void>((next) => (notify = next));
    resolve();
  };

  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  const text = isStream ? undefined : await response.text();
  const ended = isStream
    ? (async () => {
        const parser = createParser({
          onEvent: (message) => {
            events.push({ id: message.id, event: message.event, data: message.data });
            signalChange();
          },
          onComment: (comment) => {
            comments.push(comment);
            signalChange();
          },
        });
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
        } catch {
          // aborted by close(), or the connection dropped: the stream has ended either way
        } finally {
          finished = true;
          signalChange();
        }
      })()
    : Promise.resolve();

  async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (finished || !isStream) throw new Error(`SSE stream ended before ${what} (got ${events.length} events)`);
      await changed;
    }
  }

  return {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    text,
    ended,
    event: (index) => waitFor(() => events[index], `event #${index}`),
    comment: (after) => waitFor(() => comments[after], `comment #${after}`),
    close: () => controller.abort(),
  };
}
