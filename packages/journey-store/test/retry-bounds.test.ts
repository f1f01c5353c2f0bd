import { isolatedRedis, sampleJourney, segmentId, type IsolatedRedis } from '@skyway/testkit';
import type { JourneyStore, JourneyStoreOptions, UpdateOutcome } from '../src';
import { StoreFixture } from './support';

/** Retries are bounded; running out is a typed outcome, and it never hides or loses an update. */
describe('bounded retries', () => {
  let redis: IsolatedRedis;
  let fixture: StoreFixture;
  beforeEach(async () => {
    redis = await isolatedRedis('journey-retry');
    fixture = await StoreFixture.connect(redis);
  });
  afterEach(async () => {
    await fixture.close();
    await redis.cleanup();
  });

  /** Several stores (each like a separate process with its own pool) update one journey at once. */
  async function contend(stores: JourneyStore[], writersPerStore: number): Promise<UpdateOutcome[]> {
    return Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: writersPerStore }, (_, i) => store.updateSegmentStatus('JRN-HOT', segmentId(((s * writersPerStore + i) % 20) + 1), 'Delayed')),
      ),
    );
  }

  it.each<[string, JourneyStoreOptions]>([
    ['maxAttempts 1', { maxAttempts: 1 }],
    ['a 1 ms deadline', { deadlineMs: 1, maxAttempts: 1_000 }],
  ])('with %s under cross-process contention some updates end conflict-exhausted, and the rest are all applied', async (_case, bounds) => {
    const exhaustedHook: number[] = [];
    const stores = Array.from({ length: 6 }, () => fixture.store({ ...bounds, observer: { onExhausted: (_id, attempts) => exhaustedHook.push(attempts) } }));
    await stores[0]?.create(sampleJourney('JRN-HOT', 20));

    const outcomes: UpdateOutcome[] = [];
    // Conflicts need transactions of two stores to overlap; a few rounds make that certain in practice.
    for (let round = 0; round < 20 && !outcomes.some((outcome) => outcome.kind === 'conflict-exhausted'); round++) {
      outcomes.push(...(await contend(stores, 8)));
    }

    const exhausted = outcomes.filter((outcome) => outcome.kind === 'conflict-exhausted');
    const committed = outcomes.filter((outcome) => outcome.kind === 'committed');
    expect(exhausted.length).toBeGreaterThan(0);
    expect(exhausted[0]).toEqual({ kind: 'conflict-exhausted', journeyId: 'JRN-HOT', attempts: expect.any(Number), retryAfterMs: expect.any(Number) });
    expect(exhaustedHook).toHaveLength(exhausted.length);
    expect(committed.length + exhausted.length).toBe(outcomes.length);
    expect((await stores[0]?.get('JRN-HOT'))?.version).toBe(committed.length + 1);
  });

  it('with maxAttempts 1 an exhausted update has made exactly one attempt', async () => {
    const stores = Array.from({ length: 6 }, () => fixture.store({ maxAttempts: 1 }));
    await stores[0]?.create(sampleJourney('JRN-HOT', 20));
    const exhausted: UpdateOutcome[] = [];
    for (let round = 0; round < 20 && exhausted.length === 0; round++) {
      exhausted.push(...(await contend(stores, 8)).filter((outcome) => outcome.kind === 'conflict-exhausted'));
    }
    expect(exhausted.length).toBeGreaterThan(0);
    for (const outcome of exhausted) expect(outcome).toMatchObject({ attempts: 1 });
  });
});
