import type { Journey, JourneyChangeEvent } from '@skyway/contracts';
import { eventually, sampleJourney } from '@skyway/testkit';
import { journeyStreamFixture } from './journey-stream-fixture';

describe('GET /api/journeys/{id}/stream (SSE over a real socket)', () => {
  const { app, open, put } = journeyStreamFixture('journeys-stream', ['JRN-S']);

  it('sends the journey now, then one `change` event per committed change, in version order', async () => {
    const stream = await open('/api/journeys/JRN-S/stream');
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = await stream.event(0);
    expect(first.event).toBe('journey');
    expect(first.id).toBe('1');
    expect(JSON.parse(first.data) as Journey).toEqual({ ...sampleJourney('JRN-S', 2), version: 1 });

    await Promise.all([
      put('/api/journeys/JRN-S/segments/SEG-001/status', 'Boarding'),
      put('/api/journeys/JRN-S/segments/SEG-002/status', 'Delayed'),
      put('/api/journeys/JRN-S/status', 'InProgress'),
    ]);
    await stream.event(3);
    const changes = stream.events.slice(1).map((event) => ({ event: event.event, id: event.id, data: JSON.parse(event.data) as JourneyChangeEvent }));
    expect(changes.map(({ event, id, data }) => [event, id, data.version, data.journeyId, data.actor])).toEqual([
      ['change', '2', 2, 'JRN-S', 'service'],
      ['change', '3', 3, 'JRN-S', 'service'],
      ['change', '4', 4, 'JRN-S', 'service'],
    ]);
    expect(changes.flatMap(({ data }) => data.changes)).toEqual(
      expect.arrayContaining([
        { type: 'segmentStatus', segmentId: 'SEG-001', status: 'Boarding', previousStatus: 'Scheduled' },
        { type: 'segmentStatus', segmentId: 'SEG-002', status: 'Delayed', previousStatus: 'Scheduled' },
        { type: 'journeyStatus', status: 'InProgress', previousStatus: 'Confirmed' },
      ]),
    );
  });

  it('answers 404 and 400 as JSON, not as a stream', async () => {
    const missing = await open('/api/journeys/JRN-NOPE/stream');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text ?? '')).toEqual({ message: 'Journey JRN-NOPE not found' });
    const invalid = await open('/api/journeys/JRN:1/stream');
    expect(invalid.status).toBe(400);
  });

  it('releases the subscription when the client disconnects', async () => {
    const stream = await open('/api/journeys/JRN-S/stream');
    await stream.event(0);
    await eventually('the feed to watch the journey', () => app().journeyFeed.watchedJourneys === 1);
    stream.close();
    // The feed drops a journey when its read comes back; a change makes it come back now.
    await eventually('the feed to drop the journey', async () => {
      await put('/api/journeys/JRN-S/status', 'Pending');
      return app().journeyFeed.watchedJourneys === 0;
    });
  });

  it('ends open streams when the server closes, so shutdown does not wait for clients', async () => {
    const stream = await open('/api/journeys/JRN-S/stream');
    await stream.event(0);
    await app().close();
    await stream.ended;
    expect(stream.events).toHaveLength(1);
  });
});
