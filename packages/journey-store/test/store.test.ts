import { journeyChangeCodec, redisKeys, slotOf, type JourneyChangeEvent } from '@skyway/contracts';
import { isolatedRedis, sampleJourney, segmentId, type IsolatedRedis } from '@skyway/testkit';
import type { JourneyStore, StrategyName } from '../src';
import { StoreFixture } from './support';

const STRATEGIES: StrategyName[] = ['optimistic', 'naive', 'lua', 'lock'];

describe('JourneyStore', () => {
  let redis: IsolatedRedis;
  let fixture: StoreFixture;
  beforeEach(async () => {
    redis = await isolatedRedis('journey-store');
    fixture = await StoreFixture.connect(redis);
  });
  afterEach(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  async function changeEvents(store: JourneyStore, journeyId: string): Promise<JourneyChangeEvent[]> {
    const entries = await redis.client.xrange(store.keys.journeyChanges(journeyId), '-', '+');
    return entries.map(([, fields]) => {
      const decoded = journeyChangeCodec.decode(fields);
      if (!decoded.ok) throw new Error(`undecodable change event: ${decoded.error.reason}`);
      return decoded.value;
    });
  }

  describe('create, get, list', () => {
    it('stores a new journey at version 1 with a created event, and never overwrites it', async () => {
      const store = fixture.store();
      const journey = sampleJourney('JRN-A', 2);
      expect(await store.create(journey)).toEqual({ kind: 'created', journey: { ...journey, version: 1 } });
      expect(await store.create({ ...journey, passengerName: 'Someone Else' })).toEqual({ kind: 'already-exists', journeyId: 'JRN-A' });
      expect(await store.get('JRN-A')).toEqual({ ...journey, version: 1 });
      expect(await changeEvents(store, 'JRN-A')).toEqual([
        { journeyId: 'JRN-A', version: 1, changes: [{ type: 'created' }], committedAt: expect.any(String) },
      ]);
    });

    it('lists every id, sorted, and answers null for an unknown journey', async () => {
      const store = fixture.store();
      for (const id of ['JRN-C', 'JRN-A', 'JRN-B']) await store.create(sampleJourney(id, 1));
      expect(await store.list()).toEqual(['JRN-A', 'JRN-B', 'JRN-C']);
      expect(await store.get('JRN-NOPE')).toBeNull();
      expect(await store.snapshot('JRN-NOPE')).toBeNull();
      expect(await store.history('JRN-NOPE')).toBeNull();
    });

    it('repairs a missing index entry when the journey is created again', async () => {
      const store = fixture.store();
      await store.create(sampleJourney('JRN-A', 1));
      await redis.client.srem(store.keys.journeyIndex, 'JRN-A');
      expect(await store.create(sampleJourney('JRN-A', 1))).toMatchObject({ kind: 'already-exists' });
      expect(await store.list()).toEqual(['JRN-A']);
    });

    it('keys the document, its change stream, its lock and its partition\'s change feed in one Cluster slot', () => {
      const store = { keys: redisKeys('prefix:') };
      const keys = [store.keys.journey('JRN-A'), store.keys.journeyChanges('JRN-A'), store.keys.journeyLock('JRN-A'), store.keys.journeyPartitionOf('JRN-A').changeFeed];
      expect(new Set(keys.map(slotOf)).size).toBe(1);
      expect(keys.every((key) => key.includes(`{${store.keys.journeyPartitionOf('JRN-A').tag}}`))).toBe(true);
    });
  });

  describe.each(STRATEGIES)('%s strategy', (strategy) => {
    it('commits a segment and a journey status update, one change event per update, each naming its author and what it replaced', async () => {
      const store = fixture.store({ strategy });
      await store.create(sampleJourney('JRN-A', 2), { actor: 'seed' });
      expect(await store.updateSegmentStatus('JRN-A', 'SEG-002', 'Boarding', { author: { actor: 'alice', requestId: 'req-1' } })).toMatchObject({
        kind: 'committed',
        version: 2,
        attempts: 1,
      });
      expect(await store.updateJourneyStatus('JRN-A', 'InProgress', { author: { actor: 'service' } })).toMatchObject({ kind: 'committed', version: 3 });

      const journey = await store.get('JRN-A');
      expect(journey).toMatchObject({ status: 'InProgress', version: 3 });
      expect(journey?.segments.map((segment) => segment.status)).toEqual(['Scheduled', 'Boarding']);
      const events = [
        { version: 1, changes: [{ type: 'created' }], actor: 'seed' },
        { version: 2, changes: [{ type: 'segmentStatus', segmentId: 'SEG-002', status: 'Boarding', previousStatus: 'Scheduled' }], actor: 'alice', requestId: 'req-1' },
        { version: 3, changes: [{ type: 'journeyStatus', status: 'InProgress', previousStatus: 'Confirmed' }], actor: 'service' },
      ];
      expect((await changeEvents(store, 'JRN-A')).map(({ journeyId: _journeyId, committedAt: _committedAt, ...event }) => event)).toEqual(events);
      const history = await store.history('JRN-A');
      expect(history).toEqual({ complete: true, changes: events.map((event) => ({ journeyId: 'JRN-A', committedAt: expect.any(String), ...event })) });
      expect(await store.snapshot('JRN-A')).toEqual({
        journey,
        // The position is the partition's change feed's (what a live reader resumes from), not the journey's own stream's.
        streamPosition: (await redis.client.xrevrange(store.keys.journeyPartitionOf('JRN-A').changeFeed, '+', '-', 'COUNT', 1))[0]?.[0],
      });
    });

    it('answers journey-not-found and segment-not-found without writing', async () => {
      const store = fixture.store({ strategy });
      await store.create(sampleJourney('JRN-A', 2));
      expect(await store.updateSegmentStatus('JRN-NOPE', 'SEG-001', 'Boarding')).toEqual({ kind: 'journey-not-found', journeyId: 'JRN-NOPE' });
      expect(await store.updateSegmentStatus('JRN-A', 'SEG-999', 'Boarding')).toEqual({
        kind: 'segment-not-found',
        journeyId: 'JRN-A',
        segmentId: 'SEG-999',
      });
      expect(await store.get('JRN-A')).toMatchObject({ version: 1 });
      expect(await redis.keys()).not.toContain(store.keys.journey('JRN-NOPE'));
      expect(await changeEvents(store, 'JRN-A')).toHaveLength(1);
    });

    it('applies an update only at the expected version (If-Match), else precondition-failed with the current version', async () => {
      const store = fixture.store({ strategy });
      await store.create(sampleJourney('JRN-A', 2));
      expect(await store.updateSegmentStatus('JRN-A', 'SEG-001', 'Boarding', { expectedVersion: 1 })).toMatchObject({ kind: 'committed', version: 2 });
      expect(await store.updateSegmentStatus('JRN-A', 'SEG-001', 'Departed', { expectedVersion: 1 })).toEqual({
        kind: 'precondition-failed',
        journeyId: 'JRN-A',
        currentVersion: 2,
      });
      expect(await store.updateJourneyStatus('JRN-A', 'Completed', { expectedVersion: 7 })).toMatchObject({ kind: 'precondition-failed' });
      expect(await store.get('JRN-A')).toMatchObject({ version: 2, status: 'Confirmed', segments: [{ status: 'Boarding' }, { status: 'Scheduled' }] });
    });

    it('keeps a journey with no segments valid when its status changes', async () => {
      const store = fixture.store({ strategy });
      await store.create(sampleJourney('JRN-EMPTY', 0));
      expect(await store.updateJourneyStatus('JRN-EMPTY', 'Cancelled')).toMatchObject({ kind: 'committed', version: 2 });
      expect(await store.get('JRN-EMPTY')).toMatchObject({ segments: [], metadata: { source: 'test' }, status: 'Cancelled' });
    });
  });

  it('same segment updated concurrently: every update commits, in version order, and the last one wins (documented)', async () => {
    const store = fixture.store();
    await store.create(sampleJourney('JRN-A', 1));
    const statuses = ['Boarding', 'Departed', 'Delayed', 'Arrived', 'Diverted', 'CheckInOpen'] as const;
    const outcomes = await Promise.all(statuses.map((status) => store.updateSegmentStatus('JRN-A', 'SEG-001', status)));

    const statusByVersion = new Map(outcomes.map((outcome, i) => [outcome.kind === 'committed' ? outcome.version : -1, statuses[i]]));
    expect([...statusByVersion.keys()].sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7]);
    expect((await store.get('JRN-A'))?.segments[0]?.status).toBe(statusByVersion.get(7));
    // The change stream records every one of them in version order, so none vanished without a trace.
    const events = (await changeEvents(store, 'JRN-A')).slice(1);
    expect(events.map((event) => [event.version, event.changes])).toEqual(
      [2, 3, 4, 5, 6, 7].map((version) => [
        version,
        [{ type: 'segmentStatus', segmentId: 'SEG-001', status: statusByVersion.get(version), previousStatus: statusByVersion.get(version - 1) ?? 'Scheduled' }],
      ]),
    );
  });

  it('combines concurrent updates of one journey into few transactions (group commit), each with its own version', async () => {
    const batches: number[] = [];
    const store = fixture.store({ observer: { onBatch: (_journeyId, size) => batches.push(size) } });
    await store.create(sampleJourney('JRN-A', 20));
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => store.updateSegmentStatus('JRN-A', segmentId((i % 20) + 1), 'Boarding')));

    expect(new Set(outcomes.map((outcome) => (outcome.kind === 'committed' ? outcome.version : 0)))).toEqual(
      new Set(Array.from({ length: 40 }, (_, i) => i + 2)),
    );
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(40);
    expect(batches.length).toBeLessThan(40);
  });

  it('trims each change stream to about changeStreamMaxLen entries', async () => {
    const store = fixture.store({ changeStreamMaxLen: 10 });
    await store.create(sampleJourney('JRN-A', 1));
    for (let i = 0; i < 300; i++) await store.updateJourneyStatus('JRN-A', i % 2 === 0 ? 'InProgress' : 'Confirmed');
    const length = await redis.client.xlen(store.keys.journeyChanges('JRN-A'));
    expect(length).toBeLessThan(300);
    expect(length).toBeGreaterThanOrEqual(10);
    // The history then says it no longer reaches back to version 1.
    const history = await store.history('JRN-A');
    expect(history?.complete).toBe(false);
    expect(history?.changes).toHaveLength(length);
    expect(history?.changes.at(-1)?.version).toBe(301);
  });
});
