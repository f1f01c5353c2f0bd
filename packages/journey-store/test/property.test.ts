import { JOURNEY_STATUSES, SEGMENT_STATUSES } from '@skyway/contracts';
import { isolatedRedis, sampleJourney, segmentId, type IsolatedRedis } from '@skyway/testkit';
import fc from 'fast-check';
import type { JourneyStore, UpdateOutcome } from '../src';
import { StoreFixture } from './support';

/** Any mix of concurrent updates, from two stores (like two processes), keeps the books exact. */
describe('property: concurrent updates', () => {
  let redis: IsolatedRedis;
  let fixture: StoreFixture;
  let stores: JourneyStore[];
  beforeAll(async () => {
    redis = await isolatedRedis('journey-property');
    fixture = await StoreFixture.connect(redis);
    stores = [fixture.store(), fixture.store()];
  });
  afterAll(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  const SEGMENTS = 4;
  const operation = fc.record({
    store: fc.integer({ min: 0, max: 1 }),
    // Segment SEG-005 does not exist: those updates must be refused without a write.
    target: fc.oneof(fc.constant('journey' as const), fc.integer({ min: 1, max: SEGMENTS + 1 })),
    segmentStatus: fc.constantFrom(...SEGMENT_STATUSES),
    journeyStatus: fc.constantFrom(...JOURNEY_STATUSES),
    // Sometimes conditional on a version that may or may not be current when it runs.
    expectedVersion: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  });

  it('version - 1 equals the number of committed updates, and their versions are exactly 2…N+1', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
        const journeyId = `JRN-P${run++}`;
        await stores[0]?.create(sampleJourney(journeyId, SEGMENTS));
        const outcomes: UpdateOutcome[] = await Promise.all(
          operations.map((op) => {
            const store = stores[op.store] as JourneyStore;
            const conditions = op.expectedVersion === undefined ? {} : { expectedVersion: op.expectedVersion };
            return op.target === 'journey'
              ? store.updateJourneyStatus(journeyId, op.journeyStatus, conditions)
              : store.updateSegmentStatus(journeyId, segmentId(op.target), op.segmentStatus, conditions);
          }),
        );

        const versions = outcomes.flatMap((outcome) => (outcome.kind === 'committed' ? [outcome.version] : []));
        const journey = await stores[0]?.get(journeyId);
        expect(journey?.version).toBe(versions.length + 1);
        expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 2));
        outcomes.forEach((outcome, i) => {
          const op = operations[i];
          if (outcome.kind === 'segment-not-found') expect(op?.target).toBe(SEGMENTS + 1);
          if (outcome.kind === 'precondition-failed') expect(op?.expectedVersion).toBeDefined();
          expect(outcome.kind).not.toBe('conflict-exhausted');
        });
        expect(await redis.client.xlen(stores[0]?.keys.journeyChanges(journeyId) ?? '')).toBe(versions.length + 1);
      }),
      { numRuns: 40 },
    );
  });
});
