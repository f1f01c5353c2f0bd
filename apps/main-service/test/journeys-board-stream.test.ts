import type { Journey, JourneyChangeEvent } from '@skyway/contracts';
import { eventually } from '@skyway/testkit';
import { MAX_JOURNEYS_PER_STREAM } from '../src/routes/api/journeys/journeys-stream';
import { journeyStreamFixture } from './journey-stream-fixture';

describe('GET /api/journeys-stream?ids=… (several journeys on one SSE stream, real socket)', () => {
  const { app, open, put } = journeyStreamFixture('journeys-board-stream', ['JRN-A', 'JRN-B', 'JRN-C']);

  it('sends each journey now, then the changes of all of them, each journey in version order, on one stream (one SSE slot)', async () => {
    const stream = await open('/api/journeys-stream?ids=JRN-A,JRN-B,JRN-C');
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.event(2);
    expect(stream.events.slice(0, 3).map((event) => [event.event, (JSON.parse(event.data) as Journey).id, (JSON.parse(event.data) as Journey).version])).toEqual([
      ['journey', 'JRN-A', 1],
      ['journey', 'JRN-B', 1],
      ['journey', 'JRN-C', 1],
    ]);
    expect(app().sseStreams.stats().open).toBe(1);

    await Promise.all([
      put('/api/journeys/JRN-A/segments/SEG-001/status', 'Boarding'),
      put('/api/journeys/JRN-C/status', 'InProgress'),
      put('/api/journeys/JRN-A/segments/SEG-002/status', 'Delayed'),
    ]);
    await stream.event(5);
    const changes = stream.events.slice(3).map((event) => ({ event: event.event, data: JSON.parse(event.data) as JourneyChangeEvent }));
    expect(changes.every((change) => change.event === 'change')).toBe(true);
    expect(changes.filter(({ data }) => data.journeyId === 'JRN-A').map(({ data }) => data.version)).toEqual([2, 3]);
    expect(changes.filter(({ data }) => data.journeyId === 'JRN-C').map(({ data }) => [data.version, data.changes])).toEqual([
      [2, [{ type: 'journeyStatus', status: 'InProgress', previousStatus: 'Confirmed' }]],
    ]);
    expect(changes.some(({ data }) => data.journeyId === 'JRN-B')).toBe(false);
  });

  it('refuses bad id lists with a 400 naming the problem, and unknown journeys with a 404 naming them, as JSON', async () => {
    const tooMany = Array.from({ length: MAX_JOURNEYS_PER_STREAM + 1 }, (_, i) => `JRN-${i}`).join(',');
    for (const [query, message] of [
      ['ids=JRN-A,JRN:1', '"JRN:1" is not a journey id (letters, digits, _ and -, at most 64)'],
      ['ids=JRN-A,,JRN-B', '"" is not a journey id (letters, digits, _ and -, at most 64)'],
      [`ids=${tooMany}`, `at most ${MAX_JOURNEYS_PER_STREAM} journeys per stream (got ${MAX_JOURNEYS_PER_STREAM + 1})`],
    ] as const) {
      const refused = await open(`/api/journeys-stream?${query}`);
      expect([query, refused.status, JSON.parse(refused.text ?? '')]).toEqual([query, 400, { message: 'Invalid request', errors: [{ field: 'ids', message }] }]);
    }
    const missingParameter = await open('/api/journeys-stream');
    expect([missingParameter.status, (JSON.parse(missingParameter.text ?? '') as { message: string }).message]).toEqual([400, 'Invalid request']);

    const unknown = await open('/api/journeys-stream?ids=JRN-A,JRN-NOPE,JRN-GONE');
    expect([unknown.status, JSON.parse(unknown.text ?? '')]).toEqual([404, { message: 'Journeys not found: JRN-NOPE, JRN-GONE' }]);
    expect(app().journeyFeed.watchedJourneys).toBe(0);
  });

  it('lists a journey named twice once', async () => {
    const stream = await open('/api/journeys-stream?ids=JRN-B,JRN-B');
    await stream.event(0);
    await put('/api/journeys/JRN-B/status', 'InProgress');
    await stream.event(1);
    expect(stream.events.map((event) => [event.event, (JSON.parse(event.data) as { version: number }).version])).toEqual([
      ['journey', 1],
      ['change', 2],
    ]);
  });

  it('releases every subscription and its SSE slot when the client disconnects', async () => {
    const stream = await open('/api/journeys-stream?ids=JRN-A,JRN-B');
    await stream.event(1);
    await eventually('the feed to watch both journeys', () => app().journeyFeed.watchedJourneys === 2);
    stream.close();
    await eventually('the slot back', () => app().sseStreams.stats().open === 0);
    // The feed drops a journey when its read comes back; changes make it come back now.
    await put('/api/journeys/JRN-A/status', 'InProgress');
    await put('/api/journeys/JRN-B/status', 'InProgress');
    await eventually('the feed to drop both journeys', () => app().journeyFeed.watchedJourneys === 0);
  });
});
