import { isRedisUnavailableError } from '@skyway/redis-connection';
import { eventually, sampleJourney, startRedisServer, type RedisServer } from '@skyway/testkit';
import { JourneyStore } from '../src';
import { StoreFixture } from './support';

/** A private Redis this test can kill: every store call then fails with an "unavailable" error. */
describe('JourneyStore while Redis is unreachable', () => {
  let server: RedisServer;
  let fixture: StoreFixture;
  let store: JourneyStore;
  beforeAll(async () => {
    server = await startRedisServer();
    fixture = await StoreFixture.connect({ url: server.url, prefix: '' });
    store = fixture.store();
  });
  afterAll(async () => {
    await fixture.close();
    await server.stop();
  });

  it('throws an error isRedisUnavailableError recognises — for create, get, list and every strategy — then recovers', async () => {
    await store.create(sampleJourney('JRN-A', 2));
    // A pooled transaction connection exists before the outage.
    expect(await store.updateSegmentStatus('JRN-A', 'SEG-001', 'Boarding')).toMatchObject({ kind: 'committed' });
    await server.kill();

    const failures = await Promise.allSettled([
      store.create(sampleJourney('JRN-B', 1)),
      store.get('JRN-A'),
      store.list(),
      store.snapshot('JRN-A'),
      store.updateSegmentStatus('JRN-A', 'SEG-001', 'Departed'),
      store.updateJourneyStatus('JRN-A', 'InProgress'),
      fixture.store({ strategy: 'lua' }).updateJourneyStatus('JRN-A', 'InProgress'),
      fixture.store({ strategy: 'lock' }).updateJourneyStatus('JRN-A', 'InProgress'),
      fixture.store({ strategy: 'naive' }).updateJourneyStatus('JRN-A', 'InProgress'),
    ]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      expect(failure.status === 'rejected' && isRedisUnavailableError(failure.reason)).toBe(true);
    }

    server = await startRedisServer({ port: server.port, dir: server.dir });
    await eventually('the shared client to reconnect', () => fixture.redis.status === 'ready');
    await store.create(sampleJourney('JRN-A', 2));
    expect(await store.updateSegmentStatus('JRN-A', 'SEG-001', 'Departed')).toMatchObject({ kind: 'committed', version: 2 });
  });
});
