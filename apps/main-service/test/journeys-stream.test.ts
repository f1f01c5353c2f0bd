import type { Journey, JourneyChangeEvent } from '@skyway/contracts';
import { eventually, isolatedRedis, openSse, sampleJourney, type IsolatedRedis, type SseConnection } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

const TOKEN = 'journey-test-token-0123456789';

describe('GET /api/journeys/{id}/stream (SSE over a real socket)', () => {
  let redis: IsolatedRedis;
  let app: FastifyInstance;
  let url: string;
  const streams: SseConnection[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('journeys-stream');
    app = await buildApp(
      parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', JOURNEY_API_TOKEN: TOKEN, SEED_JOURNEYS: 'none' }),
    );
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    await app.inject({ method: 'POST', url: '/api/journeys', headers: { authorization: `Bearer ${TOKEN}` }, payload: sampleJourney('JRN-S', 2) });
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await app.close();
    await redis.cleanup();
  });

  async function open(path: string): Promise<SseConnection> {
    const stream = await openSse(url + path, { headers: { authorization: `Bearer ${TOKEN}` } });
    streams.push(stream);
    return stream;
  }
  const put = (path: string, status: string) =>
    app.inject({ method: 'PUT', url: path, headers: { authorization: `Bearer ${TOKEN}` }, payload: { status } });

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
    await eventually('the feed to watch the journey', () => app.journeyFeed.watchedJourneys === 1);
    stream.close();
    // The feed drops a journey when its read comes back; a change makes it come back now.
    await eventually('the feed to drop the journey', async () => {
      await put('/api/journeys/JRN-S/status', 'Pending');
      return app.journeyFeed.watchedJourneys === 0;
    });
  });

  it('ends open streams when the server closes, so shutdown does not wait for clients', async () => {
    const stream = await open('/api/journeys/JRN-S/stream');
    await stream.event(0);
    await app.close();
    await stream.ended;
    expect(stream.events).toHaveLength(1);
  });
});
