import { createRedisClient } from '@skyway/redis-connection';
import { eventually, isolatedRedis, sampleJourney, segmentId, type IsolatedRedis } from '@skyway/testkit';
import type Redis from 'ioredis';
import { JourneyChangeFeed, type FeedEvent, type JourneyStore } from '../src';
import { StoreFixture } from './support';

describe('JourneyChangeFeed', () => {
  let redis: IsolatedRedis;
  let fixture: StoreFixture;
  let store: JourneyStore;
  let feed: JourneyChangeFeed;
  let readers: Redis[];
  const readerName = (): string => `feed-${redis.prefix.replace(/:/g, '')}`;

  beforeEach(async () => {
    redis = await isolatedRedis('journey-feed');
    fixture = await StoreFixture.connect(redis);
    store = fixture.store();
    readers = [];
    feed = new JourneyChangeFeed({
      keys: store.keys,
      commands: fixture.redis,
      createReader: () => {
        const reader = createRedisClient(redis.url, { connectionName: readerName(), blocking: true });
        readers.push(reader);
        return reader;
      },
      // Longer than any test: a read blocked on the old set of streams only returns if it is unblocked.
      blockMs: 600_000,
    });
  });
  afterEach(async () => {
    await feed.close();
    await fixture.close();
    await redis.cleanup();
  });

  /** Subscribes from a fresh snapshot and collects what arrives. */
  async function listen(journeyId: string): Promise<{ events: FeedEvent[]; stop: () => void }> {
    const snapshot = await store.snapshot(journeyId);
    if (!snapshot) throw new Error(`no journey ${journeyId}`);
    const events: FeedEvent[] = [];
    const stop = feed.subscribe(journeyId, { version: snapshot.journey.version, streamPosition: snapshot.streamPosition }, (event) => events.push(event));
    return { events, stop };
  }

  const versionsOf = (events: FeedEvent[]) => events.map((event) => (event.kind === 'change' ? event.event.version : event.kind));

  it('delivers every later change once, in version order, to every subscriber, over one blocking connection', async () => {
    await store.create(sampleJourney('JRN-A', 20));
    await store.create(sampleJourney('JRN-B', 20));
    const listeners = await Promise.all(['JRN-A', 'JRN-A', 'JRN-A', 'JRN-B', 'JRN-B'].map(listen));

    await Promise.all(
      ['JRN-A', 'JRN-B'].flatMap((journeyId) => Array.from({ length: 30 }, (_, i) => store.updateSegmentStatus(journeyId, segmentId((i % 20) + 1), 'Boarding'))),
    );

    const expected = Array.from({ length: 30 }, (_, i) => i + 2);
    for (const { events } of listeners) await eventually('all 30 changes', () => events.length >= 30);
    for (const { events } of listeners) expect(versionsOf(events)).toEqual(expected);
    expect(listeners[0]?.events[0]).toEqual({
      kind: 'change',
      event: { journeyId: 'JRN-A', version: 2, changes: [{ type: 'segmentStatus', segmentId: 'SEG-001', status: 'Boarding', previousStatus: 'Scheduled' }], committedAt: expect.any(String) },
    });
    const clients = String(await redis.client.client('LIST'));
    expect(clients.split('\n').filter((line) => line.includes(`name=${readerName()} `))).toHaveLength(1);
    expect(readers).toHaveLength(1);
  });

  it('adds a journey to a read that is already blocked (CLIENT UNBLOCK), without waiting for the block to time out', async () => {
    await store.create(sampleJourney('JRN-A', 2));
    await store.create(sampleJourney('JRN-B', 2));
    await listen('JRN-A');
    await eventually('the reader to block', async () => /cmd=xread/.test(String(await redis.client.client('LIST'))) || undefined);
    const late = await listen('JRN-B');
    await store.updateJourneyStatus('JRN-B', 'InProgress');
    await eventually('the change on JRN-B', () => late.events.length === 1);
    expect(versionsOf(late.events)).toEqual([2]);
  });

  it('catches up a subscriber whose snapshot is older than what the reader has already read', async () => {
    await store.create(sampleJourney('JRN-A', 2));
    const snapshot = await store.snapshot('JRN-A');
    const early = await listen('JRN-A');
    await store.updateJourneyStatus('JRN-A', 'CheckedIn');
    await store.updateJourneyStatus('JRN-A', 'InProgress');
    await eventually('the early subscriber to read both changes', () => early.events.length === 2);

    const late: FeedEvent[] = [];
    feed.subscribe('JRN-A', { version: snapshot?.journey.version ?? 0, streamPosition: snapshot?.streamPosition ?? '' }, (event) => late.push(event));
    await store.updateJourneyStatus('JRN-A', 'Completed');
    await eventually('all three changes for the late subscriber', () => late.length === 3);
    expect(versionsOf(late)).toEqual([2, 3, 4]);
    expect(versionsOf(early.events)).toEqual([2, 3, 4]);
  });

  it('reports a gap when the stream was trimmed past the subscriber, so it can start over', async () => {
    await store.create(sampleJourney('JRN-A', 2));
    const listener = await listen('JRN-A');
    await eventually('the reader to block', async () => /cmd=xread/.test(String(await redis.client.client('LIST'))) || undefined);
    listener.stop();
    await store.updateJourneyStatus('JRN-A', 'InProgress');
    await store.updateJourneyStatus('JRN-A', 'Completed');
    // Trim away versions 1 and 2, then subscribe from version 1 as a client that lagged behind would.
    const version3Id = (await redis.client.xrange(store.keys.journeyChanges('JRN-A'), '-', '+'))[2]?.[0] ?? '';
    await redis.client.xtrim(store.keys.journeyChanges('JRN-A'), 'MINID', version3Id);
    const events: FeedEvent[] = [];
    feed.subscribe('JRN-A', { version: 1, streamPosition: '0-0' }, (event) => events.push(event));
    await eventually('a gap', () => events.length > 0);
    expect(events).toEqual([{ kind: 'gap', reason: expect.stringContaining('from version 1 to 3') }]);
  });

  it('stops reading a journey once its last subscriber leaves', async () => {
    await store.create(sampleJourney('JRN-A', 2));
    const first = await listen('JRN-A');
    const second = await listen('JRN-A');
    first.stop();
    await store.updateJourneyStatus('JRN-A', 'InProgress');
    await eventually('the change for the remaining subscriber', () => second.events.length === 1);
    expect(first.events).toEqual([]);
    second.stop();
    await store.updateJourneyStatus('JRN-A', 'Completed');
    await eventually('the feed to drop the journey', () => feed.watchedJourneys === 0);
    expect(second.events).toHaveLength(1);
  });
});
