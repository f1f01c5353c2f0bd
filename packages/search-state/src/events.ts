import type { SearchEvent } from '@skyway/contracts';
import type { SearchView } from './state';

/** One SSE event of a search stream: `id:` is {@link id}, `data:` is {@link data} as JSON. */
export interface SearchStreamEvent {
  readonly id: number;
  readonly data: SearchEvent;
  /** The last event of the stream: the server ends it after sending this one. */
  readonly final: boolean;
}

/**
 * Every SSE event a viewer of a search in state `view` should have seen, oldest first. The ids
 * are derived from the state's `seq`, so every replica, a late joiner and a resumed client agree:
 *
 * - processing at seq s: `processing` (cumulative results) with id s
 * - completed at seq s:  `processing` id s-2, `completed` + results id s-1, `completed` + total id s
 * - failed at seq s:     `processing` id s-1, `failed` id s
 *
 * Because `processing` payloads are cumulative, a client that skipped earlier ids loses nothing.
 */
export function searchEvents(view: SearchView): SearchStreamEvent[] {
  const { search_id, seq } = view;
  const results = view.results ?? [];
  switch (view.status) {
    case 'processing':
      return [{ id: seq, final: false, data: { search_id, status: 'processing', results } }];
    case 'completed':
      return [
        { id: seq - 2, final: false, data: { search_id, status: 'processing', results } },
        { id: seq - 1, final: false, data: { search_id, status: 'completed', results } },
        { id: seq, final: true, data: { search_id, status: 'completed', total_results: results.length } },
      ];
    case 'failed':
      return [
        { id: seq - 1, final: false, data: { search_id, status: 'processing', results } },
        {
          id: seq,
          final: true,
          data: { search_id, status: 'failed', error: view.error ?? { code: 'SUPPLIERS_UNAVAILABLE', message: 'The search failed' } },
        },
      ];
  }
}

/**
 * Parses a `Last-Event-ID` header. Anything but a non-negative integer is ignored (the client gets
 * the whole stream again, which is safe because payloads are cumulative).
 */
export function parseLastEventId(header: string | string[] | undefined | null): number {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text === null || !/^\d{1,15}$/.test(text.trim())) return 0;
  return Number(text.trim());
}
