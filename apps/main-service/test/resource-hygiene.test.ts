import { redisKeys, type RedisKeys } from '@skyway/contracts';
import { singleRedisTopology, waitForReady, type RedisTopology } from '@skyway/redis-connection';
import { SearchStore } from '@skyway/search-state';
import { eventually, forEachConcurrently, openSse, sampleFlight, startRedisServer, uniqueKeyPrefix, type RedisServer } from '@skyway/testkit';
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { buildApp, type MainServiceDeps } from '../src/app';
import { parseConfig } from '../src/config';

const DAY_MS = 86_400_000;
const search = { from: 'CGK', to: 'DPS', date: new Date(Date.now() + 10 * DAY_MS).toISOString().slice(0, 10), passengers: 1 };
const flight = sampleFlight('GA404');

/**
 * Nothing a search or a stream holds outlives it: after many of them, the counts the app exposes
 * (SSE slots, fan-out viewers, deadline timers), its Redis connections, timers and listeners are
 * back where they started (stream trimming: `packages/search-state/test/store.test.ts`). A private
 * redis-server, so CLIENT LIST shows this app's connections only.
 */
describe('resource hygiene (in process, a private Redis)', () => {
  let server: RedisServer;
  let prefix: string;
  let keys: RedisKeys;
  let topology: RedisTopology & { readonly commands: Redis };
  let commands: Redis;
  let app: FastifyInstance | undefined;
  const stores: SearchStore[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());
  beforeEach(async () => {
    prefix = uniqueKeyPrefix('hygiene');
    keys = redisKeys(prefix);
    topology = singleRedisTopology(server.url, { connectionName: 'test:commands' });
    commands = topology.commands;
    await waitForReady(commands, 5_000);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await Promise.all(stores.splice(0).map((store) => store.close()));
    topology.close();
  });

  function providerStore(): SearchStore {
    const store = new SearchStore({ topology, keys, service: 'test-provider' });
    stores.push(store);
    return store;
  }

  async function startMain(env: Record<string, string> = {}, deps: MainServiceDeps = {}): Promise<FastifyInstance> {
    app = await buildApp(
      parseConfig({
        REDIS_URL: server.url,
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        SEED_JOURNEYS: 'none',
        SEARCH_RATE_LIMIT_MAX: '1000000',
        ...env,
      }),
      deps,
    );
    const started = app;
    await eventually('main-service ready', async () => (await started.inject('/health/ready')).statusCode === 200);
    return started;
  }

  const submit = async (main: FastifyInstance): Promise<string> => {
    const response = await main.inject({ method: 'POST', url: '/api/flights/search', payload: search });
    expect(response.statusCode).toBe(202);
    return (response.json() as { data: { search_id: string } }).data.search_id;
  };

  /** Connections this app holds, by name, as Redis sees them. */
  async function appConnections(): Promise<Record<string, number>> {
    const list = (await commands.client('LIST')) as string;
    const counts: Record<string, number> = {};
    for (const line of list.split('\n')) {
      const name = /\bname=(main-service:\S+)/.exec(line)?.[1];
      if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  function snapshot(main: FastifyInstance) {
    const listeners = (emitter: NodeJS.EventEmitter): number =>
      emitter.eventNames().reduce((sum, event) => sum + emitter.listenerCount(event), 0);
    return {
      sseSlots: main.sseStreams.stats(),
      fanout: main.searchFanout.stats(),
      serverListeners: listeners(main.server),
      redisListeners: listeners(main.redis),
      processListeners: listeners(process),
      watchedJourneys: main.journeyFeed.watchedJourneys,
    };
  }
  const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
  const openSockets = (main: FastifyInstance): Promise<number> =>
    new Promise((resolve, reject) => main.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

  it('after 1,000 searches followed over SSE to completion, every count is back to its baseline', async () => {
    const provider = providerStore();
    const main = await startMain();
    const url = await main.listen({ host: '127.0.0.1', port: 0 });
    const follow = async (searchId: string): Promise<void> => {
      const stream = await openSse(`${url}/api/flights/search/${searchId}/stream`);
      await stream.event(0);
      await provider.change(searchId, { kind: 'partial', results: [flight] }, { now: new Date() });
      await provider.change(searchId, { kind: 'completed', results: [flight] }, { now: new Date() });
      await stream.ended;
      expect(stream.events.map((event) => JSON.parse(event.data).status as string)).toEqual(['processing', 'processing', 'completed', 'completed']);
    };
    // Warm up: the transaction pools and the HTTP agent reach their steady size.
    await forEachConcurrently(await Promise.all(Array.from({ length: 20 }, () => submit(main))), 20, follow);
    await eventually('warm-up streams released', async () => main.sseStreams.stats().open === 0 && (await openSockets(main)) === 0);
    const baseline = { ...snapshot(main), connections: await appConnections(), timers: timers() };
    expect(baseline.sseSlots).toEqual({ open: 0, clients: 0 });
    expect(baseline.fanout).toEqual({ searches: 0, viewers: 0, deadlineTimers: 0 });

    const searchIds: string[] = [];
    for (let index = 0; index < 1_000; index += 1) searchIds.push(await submit(main));
    await forEachConcurrently(searchIds, 50, follow);

    await eventually('every stream released', async () => main.sseStreams.stats().open === 0 && (await openSockets(main)) === 0);
    expect(snapshot(main)).toEqual({
      sseSlots: baseline.sseSlots,
      fanout: baseline.fanout,
      serverListeners: baseline.serverListeners,
      redisListeners: baseline.redisListeners,
      processListeners: baseline.processListeners,
      watchedJourneys: 0,
    });
    expect(await appConnections()).toEqual(baseline.connections);
    await eventually('timers back to the baseline', () => timers() <= baseline.timers);
  }, 120_000);

  it('after 1,000 journey stream connect/abort cycles, with updates streaming to them, every count is back to its baseline', async () => {
    const TOKEN = 'hygiene-test-token-0123456789';
    // Pooled transaction connections idle for a second are closed, so the pool, too, returns to its baseline.
    const main = await startMain({ SEED_JOURNEYS: 'bundled', JOURNEY_API_TOKEN: TOKEN }, { journeyStoreOptions: { poolIdleTimeoutMs: 1_000 } });
    await eventually('the seed journeys loaded', async () => (await main.inject('/api/journeys/JRN-001')).statusCode === 200);
    const url = await main.listen({ host: '127.0.0.1', port: 0 });
    const statuses = ['Boarding', 'Departed', 'Arrived', 'Delayed'];
    const cycle = async (index: number): Promise<void> => {
      const stream = await openSse(`${url}/api/journeys/JRN-00${(index % 3) + 1}/stream`);
      expect((await stream.event(0)).event).toBe('journey');
      if (index % 2 === 0) {
        const update = await main.inject({
          method: 'PUT',
          url: `/api/journeys/JRN-00${(index % 3) + 1}/segments/SEG-001/status`,
          headers: { authorization: `Bearer ${TOKEN}` },
          payload: { status: statuses[index % statuses.length] },
        });
        expect(update.statusCode).toBe(200);
        expect((await stream.event(1)).event).toBe('change');
      }
      stream.close();
    };
    for (let index = 0; index < 12; index += 1) await cycle(index);
    await eventually('warm-up streams released', async () => main.sseStreams.stats().open === 0 && (await openSockets(main)) === 0);
    await eventually('warm-up journeys unwatched', () => main.journeyFeed.watchedJourneys === 0);
    await eventually('idle pooled connections closed', async () => (await appConnections())['main-service:journey-tx'] === undefined);
    const baseline = { ...snapshot(main), connections: await appConnections(), timers: timers() };
    expect(baseline.sseSlots).toEqual({ open: 0, clients: 0 });

    await forEachConcurrently(Array.from({ length: 1_000 }, (_, index) => index), 10, cycle);

    await eventually('every stream released', async () => main.sseStreams.stats().open === 0 && (await openSockets(main)) === 0);
    await eventually('every journey unwatched', () => main.journeyFeed.watchedJourneys === 0);
    const { connections, timers: baselineTimers, ...counts } = baseline;
    expect(snapshot(main)).toEqual(counts);
    await eventually('idle pooled connections closed', async () => (await appConnections())['main-service:journey-tx'] === undefined);
    expect(await appConnections()).toEqual(connections);
    await eventually('timers back to the baseline', () => timers() <= baselineTimers);
  }, 120_000);
});
