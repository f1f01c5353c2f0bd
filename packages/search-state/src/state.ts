import type { FlightResult, SearchError, SearchResultMessage, SearchStatus, SupplierFlightsQuery } from '@skyway/contracts';

/** What was asked: the normalised request, as published to `flight.search.requested`. */
export type SearchQuery = SupplierFlightsQuery;

/** The stored state of one search (one JSON document per search, see {@link SearchStore}). */
export interface SearchState {
  readonly search_id: string;
  readonly query: SearchQuery;
  readonly status: SearchStatus;
  /**
   * Grows with every applied change: +1 for a creation, a partial result or a failure, +2 for a
   * completion (which shows as two SSE events). SSE event ids derive from it (see `events.ts`).
   */
  readonly seq: number;
  /** Cumulative, unique by `id`, in the order they arrived. */
  readonly results: readonly FlightResult[];
  readonly error?: SearchError;
  readonly created_at: string;
  /** Epoch ms after which a search still processing ends as failed with SEARCH_TIMEOUT. */
  readonly deadline_at: number;
  /** Epoch ms at which Redis drops the key (every write keeps this absolute expiry). */
  readonly expires_at: number;
}

/** The public part of a state: what a `flight.search.results` entry carries besides when it was requested and trace context. */
export type SearchView = Omit<SearchResultMessage, 'requested_at' | 'traceparent' | 'tracestate'>;

export type SearchChange =
  /** Some suppliers answered: merge their results, stay processing. */
  | { readonly kind: 'partial'; readonly results: readonly FlightResult[] }
  /** Every supplier is done: merge the last results and complete. */
  | { readonly kind: 'completed'; readonly results: readonly FlightResult[] }
  | { readonly kind: 'failed'; readonly error: SearchError }
  /** Someone noticed the deadline: fail with SEARCH_TIMEOUT if still processing past it. */
  | { readonly kind: 'deadline' };

export interface Transition {
  /** False when the change was a no-op (the state is returned unchanged and nothing is published). */
  readonly applied: boolean;
  readonly state: SearchState;
}

export interface NewSearchOptions {
  readonly searchId: string;
  readonly now: Date;
  readonly timeoutMs: number;
  readonly ttlMs: number;
}

export const SEARCH_TIMEOUT_ERROR: SearchError = {
  code: 'SEARCH_TIMEOUT',
  message: 'The search did not complete in time',
};

export function newSearch(query: SearchQuery, options: NewSearchOptions): SearchState {
  const now = options.now.getTime();
  return {
    search_id: options.searchId,
    query,
    status: 'processing',
    seq: 1,
    results: [],
    created_at: options.now.toISOString(),
    deadline_at: now + options.timeoutMs,
    expires_at: now + options.ttlMs,
  };
}

export function isTerminal(state: Pick<SearchState, 'status'>): boolean {
  return state.status !== 'processing';
}

export function isOverdue(state: SearchState, now: Date): boolean {
  return state.status === 'processing' && now.getTime() >= state.deadline_at;
}

function mergeResults(current: readonly FlightResult[], incoming: readonly FlightResult[]): readonly FlightResult[] {
  if (incoming.length === 0) return current;
  const known = new Set(current.map((result) => result.id));
  const added = incoming.filter((result) => !known.has(result.id) && known.add(result.id));
  return added.length === 0 ? current : [...current, ...added];
}

/**
 * The search state machine: processing → processing (partial) → completed | failed. Pure and
 * idempotent, so an at-least-once redelivery or a race between replicas cannot show a client two
 * completions: a terminal state ignores every change, a partial that adds no new result is a
 * no-op, and a change arriving after the deadline turns into the SEARCH_TIMEOUT failure instead.
 */
export function applyChange(state: SearchState, change: SearchChange, now: Date): Transition {
  const unchanged = { applied: false, state };
  if (isTerminal(state)) return unchanged;
  if (isOverdue(state, now)) {
    return { applied: true, state: { ...state, status: 'failed', error: SEARCH_TIMEOUT_ERROR, seq: state.seq + 1 } };
  }
  switch (change.kind) {
    case 'partial': {
      const results = mergeResults(state.results, change.results);
      return results === state.results ? unchanged : { applied: true, state: { ...state, results, seq: state.seq + 1 } };
    }
    case 'completed':
      return {
        applied: true,
        state: { ...state, status: 'completed', results: mergeResults(state.results, change.results), seq: state.seq + 2 },
      };
    case 'failed':
      return { applied: true, state: { ...state, status: 'failed', error: change.error, seq: state.seq + 1 } };
    case 'deadline':
      return unchanged;
  }
}

export function searchView(state: SearchState): SearchView {
  const view: SearchView = { search_id: state.search_id, seq: state.seq, status: state.status, results: [...state.results] };
  return state.error ? { ...view, error: state.error } : view;
}
