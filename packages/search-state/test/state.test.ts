import { randomUUID } from 'node:crypto';
import { exampleFlightSearchRequest } from '@skyway/contracts';
import { sampleFlight } from '@skyway/testkit';
import { applyChange, newSearch, parseLastEventId, searchEvents, searchView, type SearchState } from '../src';

const start = new Date('2025-07-01T10:00:00.000Z');
const later = (ms: number): Date => new Date(start.getTime() + ms);

function fresh(): SearchState {
  return newSearch(exampleFlightSearchRequest, { searchId: randomUUID(), now: start, timeoutMs: 30_000, ttlMs: 3_600_000 });
}

describe('search state machine', () => {
  it('starts processing at seq 1 with no results, a deadline and an absolute expiry', () => {
    const state = fresh();
    expect(state).toMatchObject({ status: 'processing', seq: 1, results: [], deadline_at: start.getTime() + 30_000 });
    expect(state.expires_at).toBe(start.getTime() + 3_600_000);
  });

  it('merges partial results cumulatively, unique by id, one seq per applied change', () => {
    const first = applyChange(fresh(), { kind: 'partial', results: [sampleFlight('a'), sampleFlight('b')] }, later(10));
    expect(first).toMatchObject({ applied: true, state: { seq: 2, status: 'processing' } });
    const second = applyChange(first.state, { kind: 'partial', results: [sampleFlight('b'), sampleFlight('c', 'beta')] }, later(20));
    expect(second.state.results.map((result) => result.id)).toEqual(['alpha:a', 'alpha:b', 'beta:c']);
    expect(second.state.seq).toBe(3);
  });

  it('treats a partial that adds nothing new as a no-op (a redelivered request re-publishing)', () => {
    const first = applyChange(fresh(), { kind: 'partial', results: [sampleFlight('a')] }, later(10)).state;
    expect(applyChange(first, { kind: 'partial', results: [sampleFlight('a')] }, later(20))).toEqual({ applied: false, state: first });
  });

  it('completes with two seqs (the results event and the summary event)', () => {
    const partial = applyChange(fresh(), { kind: 'partial', results: [sampleFlight('a')] }, later(10)).state;
    const done = applyChange(partial, { kind: 'completed', results: [sampleFlight('z', 'beta')] }, later(20));
    expect(done).toMatchObject({ applied: true, state: { status: 'completed', seq: 4 } });
    expect(done.state.results).toHaveLength(2);
  });

  it('ignores every change once terminal: a second completion is a no-op', () => {
    const done = applyChange(fresh(), { kind: 'completed', results: [sampleFlight('a')] }, later(10)).state;
    for (const change of [
      { kind: 'completed', results: [sampleFlight('b')] },
      { kind: 'partial', results: [sampleFlight('c')] },
      { kind: 'failed', error: { code: 'SUPPLIERS_UNAVAILABLE', message: 'down' } },
      { kind: 'deadline' },
    ] as const) {
      expect(applyChange(done, change, later(40_000))).toEqual({ applied: false, state: done });
    }
  });

  it('turns any change after the deadline into the SEARCH_TIMEOUT failure', () => {
    const state = fresh();
    expect(applyChange(state, { kind: 'deadline' }, later(29_999))).toEqual({ applied: false, state });
    const timedOut = applyChange(state, { kind: 'completed', results: [sampleFlight('a')] }, later(30_000));
    expect(timedOut).toMatchObject({ applied: true, state: { status: 'failed', seq: 2, error: { code: 'SEARCH_TIMEOUT' } } });
    expect(applyChange(state, { kind: 'deadline' }, later(31_000)).state.error?.code).toBe('SEARCH_TIMEOUT');
  });
});

describe('SSE events of a search', () => {
  it('derive ids from seq so late joiners and resumed clients agree', () => {
    const state = fresh();
    const partial = applyChange(state, { kind: 'partial', results: [sampleFlight('a')] }, later(10)).state;
    expect(searchEvents(searchView(partial)).map((event) => [event.id, event.data.status, event.final])).toEqual([
      [2, 'processing', false],
    ]);
    const done = applyChange(partial, { kind: 'completed', results: [sampleFlight('b')] }, later(20)).state;
    const events = searchEvents(searchView(done));
    expect(events.map((event) => event.id)).toEqual([2, 3, 4]);
    expect(events.map((event) => event.data)).toEqual([
      { search_id: state.search_id, status: 'processing', results: done.results },
      { search_id: state.search_id, status: 'completed', results: done.results },
      { search_id: state.search_id, status: 'completed', total_results: 2 },
    ]);
    expect(events.map((event) => event.final)).toEqual([false, false, true]);
  });

  it('end a failed search with the failure after the processing event', () => {
    const failed = applyChange(fresh(), { kind: 'failed', error: { code: 'DEAD_LETTERED', message: 'poison' } }, later(5)).state;
    const events = searchEvents(searchView(failed));
    expect(events.map((event) => [event.id, event.data.status])).toEqual([
      [1, 'processing'],
      [2, 'failed'],
    ]);
    expect(events[1]?.data).toMatchObject({ error: { code: 'DEAD_LETTERED', message: 'poison' } });
  });

  it.each([
    ['7', 7],
    [' 12 ', 12],
    [['3', '9'], 3],
    [undefined, 0],
    ['', 0],
    ['-1', 0],
    ['abc', 0],
    ['1e3', 0],
  ] as const)('parse Last-Event-ID %p as %p', (header, expected) => {
    expect(parseLastEventId(header as string | string[] | undefined)).toBe(expected);
  });
});
