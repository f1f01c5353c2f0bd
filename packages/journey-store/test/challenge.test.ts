import { STATUS_CYCLE, isolatedTopology, sampleJourney, segmentId, testTopologies, type IsolatedTopology, type TestTopology } from '@skyway/testkit';
import type { StrategyName } from '../src';
import { StoreFixture } from './support';

/**
 * The original challenge's tests (JourneyRaceConditionTests), ported: 20 concurrent segment
 * updates of JRN-TEST-001 must all be applied.
 */
describe.each(testTopologies().map((topology) => [topology.name, topology] as [string, TestTopology]))('the original race-condition challenge on a %s', (_name, topology) => {
  let redis: IsolatedTopology;
  let fixture: StoreFixture;
  beforeEach(async () => {
    redis = await isolatedTopology(topology, 'journey-challenge');
    fixture = await StoreFixture.connect({ url: topology.url, prefix: redis.prefix }, topology.clusterNodes);
  });
  afterEach(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  const expectedStatus = (i: number) => STATUS_CYCLE[i % STATUS_CYCLE.length];
  // A busy lock is retried within the same bounds as a conflict; these tests check that nothing is
  // lost, so the lock strategy gets room to wait its turn on a loaded machine.
  const options = (strategy: StrategyName) => (strategy === 'lock' ? { strategy, maxAttempts: 1_000, deadlineMs: 30_000 } : { strategy });

  it.each<StrategyName>(['optimistic', 'lua', 'lock'])('%s: 20 concurrent updates of SEG-001…SEG-020 are all applied', async (strategy) => {
    const store = fixture.store(options(strategy));
    await store.create(sampleJourney('JRN-TEST-001'));

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.updateSegmentStatus('JRN-TEST-001', segmentId(i + 1), expectedStatus(i) as never)),
    );

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(20).fill('committed'));
    const journey = await store.get('JRN-TEST-001');
    expect(journey?.segments.map((segment) => segment.status)).toEqual(Array.from({ length: 20 }, (_, i) => expectedStatus(i)));
    expect(journey?.version).toBe(21);
  });

  it('naive (the original algorithm): the same test observes lost updates', async () => {
    const store = fixture.store({ strategy: 'naive', naiveDelayMs: 20 });
    await store.create(sampleJourney('JRN-TEST-001'));

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.updateSegmentStatus('JRN-TEST-001', segmentId(i + 1), expectedStatus(i) as never)),
    );

    // Every caller is told it succeeded…
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(20).fill('committed'));
    // …but most segments kept their old status and the version moved far less than 20.
    const journey = await store.get('JRN-TEST-001');
    const applied = journey?.segments.filter((segment, i) => segment.status === expectedStatus(i)).length ?? 0;
    expect(applied).toBeLessThan(20);
    expect(journey?.version).toBeLessThan(21);
  });

  it('sequential updates are all applied', async () => {
    const store = fixture.store();
    await store.create(sampleJourney('JRN-TEST-001'));
    for (let i = 0; i < 20; i++) {
      expect(await store.updateSegmentStatus('JRN-TEST-001', segmentId(i + 1), expectedStatus(i) as never)).toMatchObject({
        kind: 'committed',
        version: i + 2,
        attempts: 1,
      });
    }
    const journey = await store.get('JRN-TEST-001');
    expect(journey?.segments.map((segment) => segment.status)).toEqual(Array.from({ length: 20 }, (_, i) => expectedStatus(i)));
  });

  it.each<StrategyName>(['optimistic', 'lua', 'lock'])(
    '%s: 20 segment updates and 1 journey status update at once are all applied',
    async (strategy) => {
      const store = fixture.store(options(strategy));
      await store.create(sampleJourney('JRN-TEST-001'));

      const outcomes = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.updateSegmentStatus('JRN-TEST-001', segmentId(i + 1), expectedStatus(i) as never)),
        store.updateJourneyStatus('JRN-TEST-001', 'InProgress'),
      ]);

      expect(outcomes.every((outcome) => outcome.kind === 'committed')).toBe(true);
      const journey = await store.get('JRN-TEST-001');
      expect(journey?.status).toBe('InProgress');
      expect(journey?.segments.map((segment) => segment.status)).toEqual(Array.from({ length: 20 }, (_, i) => expectedStatus(i)));
      expect(journey?.version).toBe(22);
    },
  );
});
