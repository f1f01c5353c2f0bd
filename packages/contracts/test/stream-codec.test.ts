import { SearchRequestedMessage, SearchResultMessage, createStreamCodec, exampleFlightResult } from '../src';

const requested = createStreamCodec(SearchRequestedMessage);
const results = createStreamCodec(SearchResultMessage, { maxEntryBytes: 4096 });
const message: SearchRequestedMessage = {
  search_id: '3f1c2a9e-7b4d-4c1e-9a7f-2d5b8e6c4a10',
  from: 'CGK',
  to: 'DPS',
  date: '2025-07-10',
  passengers: 2,
  requested_at: '2025-07-01T10:00:00.000Z',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('stream codecs', () => {
  it('round-trip a request entry through flat string fields', () => {
    const fields = requested.encode(message);
    expect(fields).toEqual(expect.arrayContaining(['passengers', '2', 'from', 'CGK']));
    expect(fields.every((item) => typeof item === 'string')).toBe(true);
    expect(requested.decode(fields)).toEqual({ ok: true, value: message });
  });

  it('round-trip a result entry with results as JSON and omit absent optionals', () => {
    const result: SearchResultMessage = { search_id: message.search_id, seq: 3, status: 'completed', results: [exampleFlightResult] };
    const fields = results.encode(result);
    expect(fields).not.toContain('error');
    expect(results.decode(fields)).toEqual({ ok: true, value: result });
  });

  it('ignores fields it does not know (tolerant reader)', () => {
    expect(requested.decode([...requested.encode(message), 'priority', 'high'])).toEqual({ ok: true, value: message });
  });

  const requestFields = (): string[] => requested.encode(message);
  const resultFields = (value: string): string[] => ['search_id', message.search_id, 'seq', '3', 'status', 'completed', 'results', value];

  it.each([
    ['a missing field', requested, requestFields().slice(2), 'search_id'],
    ['a non-numeric passengers', requested, replace(requestFields(), 'passengers', 'two'), 'passengers'],
    ['an empty passengers', requested, replace(requestFields(), 'passengers', ''), 'passengers'],
    ['out-of-range passengers', requested, replace(requestFields(), 'passengers', '12'), 'passengers'],
    ['a lowercase code', requested, replace(requestFields(), 'from', 'cgk'), 'from'],
    ['a duplicated field', requested, [...requestFields(), 'from', 'DPS'], 'from'],
    ['results that are not JSON', results, resultFields('[{'), 'results'],
    ['results of the wrong shape', results, resultFields('[{"id":1}]'), 'results.0'],
  ] as const)('decode %s to an error value naming the field', (_case, codec, fields, field) => {
    const decoded = (codec as typeof results).decode(fields);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.error).toMatchObject({ kind: 'malformed-entry', field: expect.stringContaining(field) });
  });

  it('decode an odd-length or oversized entry to an error value without parsing it', () => {
    expect(requested.decode(['search_id'])).toMatchObject({ ok: false, error: { reason: expect.stringContaining('odd') } });
    const huge = results.decode(['search_id', message.search_id, 'status', 'completed', 'results', 'x'.repeat(5000)]);
    expect(huge).toMatchObject({ ok: false, error: { reason: expect.stringContaining('exceeds') } });
  });
});

function replace(fields: string[], name: string, value: string): string[] {
  const copy = [...fields];
  copy[copy.indexOf(name) + 1] = value;
  return copy;
}
