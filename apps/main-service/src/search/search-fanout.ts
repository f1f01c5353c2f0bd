import { searchEvents, type SearchStreamEvent, type SearchView } from '@skyway/search-state';

/** Where one viewer's SSE frames go. */
export interface SseSink {
  /** Writes one encoded frame; returns false when the client is gone (the write is dropped). */
  write(frame: Buffer): boolean;
  /** Ends the response (after the final event). */
  end(): void;
}

/** An SSE event encoded once, written as is to every viewer that still needs it. */
export interface EncodedEvent {
  readonly id: number;
  readonly final: boolean;
  readonly frame: Buffer;
}

/** Hook points for metrics (open streams, fan-out size); every method is optional. */
export interface SearchFanoutObserver {
  onSubscribed?(searchId: string, viewers: number): void;
  onUnsubscribed?(searchId: string, viewers: number): void;
  onPublished?(searchId: string, seq: number, viewers: number): void;
}

export interface SearchFanoutOptions {
  readonly now: () => Date;
  /** Called once per search whose deadline passes while it has viewers here. */
  readonly onDeadline: (searchId: string) => void;
  readonly observer?: SearchFanoutObserver;
}

export function encodeEvent(event: SearchStreamEvent): EncodedEvent {
  return { id: event.id, final: event.final, frame: Buffer.from(`id: ${event.id}\ndata: ${JSON.stringify(event.data)}\n\n`) };
}

export function encodeEvents(view: SearchView): EncodedEvent[] {
  return searchEvents(view).map(encodeEvent);
}

interface Channel {
  readonly viewers: Set<SearchSubscription>;
  deadlineTimer: NodeJS.Timeout | undefined;
}

/**
 * One viewer of one search. It exists from before the search's state is read, buffering what
 * arrives meanwhile, so a result landing while a client connects is neither lost nor doubled:
 * `start` sends the stored state's events after the client's last id, then the buffered ones,
 * each only if its id is newer than the last one sent.
 */
export class SearchSubscription {
  private lastSentId = 0;
  private backlog: EncodedEvent[][] | undefined = [];
  private closed = false;

  constructor(
    readonly searchId: string,
    private readonly sink: SseSink,
    private readonly release: (subscription: SearchSubscription) => void,
  ) {}

  /** The id of the last event this viewer has, after {@link start}. */
  get lastEventId(): number {
    return this.lastSentId;
  }

  start(snapshot: readonly EncodedEvent[], lastEventId: number): void {
    this.lastSentId = lastEventId;
    const buffered = this.backlog ?? [];
    this.backlog = undefined;
    this.write(snapshot);
    for (const events of buffered) this.write(events);
  }

  deliver(events: readonly EncodedEvent[]): void {
    if (this.closed) return;
    if (this.backlog) this.backlog.push([...events]);
    else this.write(events);
  }

  /** Ends the stream without a final event. */
  end(): void {
    if (this.closed) return;
    this.close();
    this.sink.end();
  }

  /** Releases everything this viewer holds; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog = undefined;
    this.release(this);
  }

  private write(events: readonly EncodedEvent[]): void {
    for (const event of events) {
      if (this.closed) return;
      if (event.id <= this.lastSentId) continue;
      if (!this.sink.write(event.frame)) {
        this.close();
        return;
      }
      this.lastSentId = event.id;
      if (event.final) {
        this.close();
        this.sink.end();
      }
    }
  }
}

/**
 * The in-process registry of SSE viewers per search (Map<searchId, viewers>), fed by the one
 * results reader of this process. Each result is encoded once for all viewers of its search.
 * Also keeps one deadline timer per watched search (not per viewer), cleared with its last viewer.
 */
export class SearchFanout {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly options: SearchFanoutOptions) {}

  has(searchId: string): boolean {
    return this.channels.has(searchId);
  }

  subscribe(searchId: string, sink: SseSink): SearchSubscription {
    let channel = this.channels.get(searchId);
    if (channel === undefined) {
      channel = { viewers: new Set(), deadlineTimer: undefined };
      this.channels.set(searchId, channel);
    }
    const subscription = new SearchSubscription(searchId, sink, (released) => this.unsubscribe(released));
    channel.viewers.add(subscription);
    this.options.observer?.onSubscribed?.(searchId, channel.viewers.size);
    return subscription;
  }

  publish(view: SearchView): void {
    const channel = this.channels.get(view.search_id);
    if (channel === undefined) return;
    const events = encodeEvents(view);
    this.options.observer?.onPublished?.(view.search_id, view.seq, channel.viewers.size);
    for (const viewer of [...channel.viewers]) viewer.deliver(events);
  }

  /** Arms the search's deadline timer unless one is armed already. */
  watchDeadline(searchId: string, deadlineAt: number): void {
    const channel = this.channels.get(searchId);
    if (channel === undefined || channel.deadlineTimer !== undefined) return;
    const delay = Math.max(0, deadlineAt - this.options.now().getTime());
    channel.deadlineTimer = setTimeout(() => {
      channel.deadlineTimer = undefined;
      this.options.onDeadline(searchId);
    }, delay);
  }

  /**
   * Ends every viewer of a search whose state is gone (expired, or lost with a Redis restart):
   * a `failed` event right after each viewer's last id, then the end of the stream.
   */
  endLost(searchId: string): void {
    const channel = this.channels.get(searchId);
    if (channel === undefined) return;
    for (const viewer of [...channel.viewers]) {
      viewer.deliver([
        encodeEvent({
          id: viewer.lastEventId + 1,
          final: true,
          data: { search_id: searchId, status: 'failed', error: { code: 'SEARCH_TIMEOUT', message: 'The search is no longer known' } },
        }),
      ]);
    }
  }

  /** Ends every open stream (shutdown); clients reconnect, to any replica, with their Last-Event-ID. */
  endAll(): void {
    for (const channel of [...this.channels.values()]) for (const viewer of [...channel.viewers]) viewer.end();
  }

  /** What the registry holds right now: for leak checks and metrics. */
  stats(): { searches: number; viewers: number; deadlineTimers: number } {
    let viewers = 0;
    let deadlineTimers = 0;
    for (const channel of this.channels.values()) {
      viewers += channel.viewers.size;
      if (channel.deadlineTimer !== undefined) deadlineTimers += 1;
    }
    return { searches: this.channels.size, viewers, deadlineTimers };
  }

  private unsubscribe(subscription: SearchSubscription): void {
    const channel = this.channels.get(subscription.searchId);
    if (channel === undefined || !channel.viewers.delete(subscription)) return;
    this.options.observer?.onUnsubscribed?.(subscription.searchId, channel.viewers.size);
    if (channel.viewers.size > 0) return;
    clearTimeout(channel.deadlineTimer);
    this.channels.delete(subscription.searchId);
  }
}
