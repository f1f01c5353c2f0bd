import { JOURNEY_PARTITIONS } from '@skyway/contracts';
import { eventually, isolatedTopology, sampleJourney, segmentId, testTopologies, type IsolatedTopology, type TestTopology } from '@skyway/testkit';
import { JourneyChangeFeed, type FeedEvent, type JourneyStore } from '../src';
import { StoreFixture } from './support';

describe.each(testTopologies().map((topology) => [topology.name, topology] as [string, TestTopology]))('JourneyChangeFeed on a %s', (_name, topology) => {
  let redis: IsolatedTopology;
  let fixture: StoreFixture;
  let store: JourneyStore;
  let feed: JourneyChangeFeed;
  const readerName = (): string => `feed-${redis.prefix.replace(/:/g, '')}`;

  beforeEach(async () => {
    redis = await isolatedTopology(topology, 'journey-feed');
    fixture = await StoreFixture.connect({ url: topology.url, prefix: redis.prefix }, topology.clusterNodes);
    // Bursts of 100 writes on a busy machine may queue past the pool's 1 s bound (a 503 in service):
    // the feed is under test here, not that bound.
    store = fixture.store({ poolAcquireTimeoutMs: 10_000 });
    feed = new JourneyChangeFeed({ keys: store.keys, topology: fixture.topology, connectionName: readerName() });
  });
  afterEach(async () => {
    await feed.close();
    await fixture.close();
    await redis.cleanup();
  });

  /** Journey ids in one partition (`same`) or in as many partitions as there are ids. */
  function journeyIds(count: number, same: boolean): string[] {
    const ids: string[] = [];
    const partitions = new Set<number>();
    for (let n = 0; ids.length < count; n++) {
      const id = `JRN-${n}`;
      const partition = store.keys.journeyPartitionOf(id).index;
      const first = ids[0] === undefined ? undefined : store.keys.journeyPartitionOf(ids[0]).index;
      if (same ? first === undefined || partition === first : !partitions.has(partition)) {
        ids.push(id);
        partitions.add(partition);
      }
    }
    return ids;
  }

  /** Subscribes from a fresh snapshot and collects what arrives. */
  async function listen(journeyId: string): Promise<{ events: FeedEvent[]; stop: () => void }> {
    const snapshot = await store.snapshot(journeyId);
    if (!snapshot) throw new Error(`no journey ${journeyId}`);
    const events: FeedEvent[] = [];
    const stop = feed.subscribe(journeyId, { version: snapshot.journey.version, streamPosition: snapshot.streamPosition }, (event) => events.push(event));
    return { events, stop };
  }

  const versionsOf = (events: FeedEvent[]) => events.map((event) => (event.kind === 'change' ? event.event.version : event.kind));

  it('delivers every later change once, in version order, to every subscriber, over one blocking connection per partition', async () => {
    const [a = '', b = ''] = journeyIds(2, true);
    await store.create(sampleJourney(a, 20));
    await store.create(sampleJourney(b, 20));
    const listeners = await Promise.all([a, a, a, b, b].map(listen));

    await Promise.all(
      [a, b].flatMap((journeyId) => Array.from({ length: 30 }, (_, i) => store.updateSegmentStatus(journeyId, segmentId((i % 20) + 1), 'Boarding'))),
    );

    const expected = Array.from({ length: 30 }, (_, i) => i + 2);
    for (const { events } of listeners) await eventually('all 30 changes', () => events.length >= 30);
    for (const { events } of listeners) expect(versionsOf(events)).toEqual(expected);
    expect(listeners[0]?.events[0]).toEqual({
      kind: 'change',
      event: { journeyId: a, version: 2, changes: [{ type: 'segmentStatus', segmentId: 'SEG-001', status: 'Boarding', previousStatus: 'Scheduled' }], committedAt: expect.any(String) },
    });
    expect(feed.readingPartitions).toBe(1);
  });

  it('follows 1,000 journeys at once with at most one blocking read per partition, none spanning two slots', async () => {
    const ids = Array.from({ length: 1_000 }, (_, n) => `JRN-MANY-${n}`);
    for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => store.create(sampleJourney(id, 1))));
    const listeners = await Promise.all(ids.map(listen));
    expect(feed.watchedJourneys).toBe(1_000);
    expect(feed.readingPartitions).toBe(JOURNEY_PARTITIONS);
    for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => store.updateJourneyStatus(id, 'InProgress')));
    await eventually('every journey\'s change delivered', () => listeners.every(({ events }) => events.length === 1), { timeoutMs: 60_000 });
    for (const { events } of listeners) expect(versionsOf(events)).toEqual([2]);
  }, 120_000);

  it('delivers the changes of a journey subscribed while its partition\'s read is already blocked', async () => {
    const [a = '', b = ''] = journeyIds(2, true);
    await store.create(sampleJourney(a, 2));
    await store.create(sampleJourney(b, 2));
    await listen(a);
    const late = await listen(b);
    await store.updateJourneyStatus(b, 'InProgress');
    await eventually('the change on the second journey', () => late.events.length === 1);
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
    listener.stop();
    await store.updateJourneyStatus('JRN-A', 'InProgress');
    await store.updateJourneyStatus('JRN-A', 'Completed');
    // Trim away version 2, then subscribe from version 1 as a client that lagged behind would.
    const feedKey = store.keys.journeyPartitionOf('JRN-A').changeFeed;
    const version3Id = (await redis.client.xrange(feedKey, '-', '+'))[1]?.[0] ?? '';
    await redis.client.xtrim(feedKey, 'MINID', version3Id);
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
    await eventually('the feed to drop the journey and stop reading its partition', () => feed.watchedJourneys === 0 && feed.readingPartitions === 0);
    expect(second.events).toHaveLength(1);
  });
});
