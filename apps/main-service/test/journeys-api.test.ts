import { JourneyStore } from '@skyway/journey-store';
import { singleRedisTopology, waitForReady } from '@skyway/redis-connection';
import { ConfigError } from '@skyway/service-runtime';
import { STATUS_CYCLE, isolatedRedis, sampleJourney, segmentId, type IsolatedRedis } from '@skyway/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type MainServiceDeps } from '../src/app';
import { parseConfig } from '../src/config';

const TOKEN = 'journey-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
describe('journeys API (in process, real Redis)', () => {
  let redis: IsolatedRedis;
  const apps: FastifyInstance[] = [];

  beforeEach(async () => {
    redis = await isolatedRedis('journeys-api');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis.cleanup();
  });

  /** Builds and readies the app; an env value of `undefined` leaves that variable unset. */
  async function start(env: Record<string, string | undefined> = {}, deps: MainServiceDeps = {}): Promise<FastifyInstance> {
    const variables = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', JOURNEY_API_TOKEN: TOKEN, SEED_JOURNEYS: 'none', ...env };
    const app = await buildApp(parseConfig(Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined))), deps);
    apps.push(app);
    await app.ready();
    return app;
  }

  const create = (app: FastifyInstance, body: unknown): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: '/api/journeys', headers: auth, payload: body as object });
  const setSegment = (app: FastifyInstance, journeyId: string, segment: string, status: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PUT', url: `/api/journeys/${journeyId}/segments/${segment}/status`, headers: { ...auth, ...headers }, payload: { status } });
  const setJourney = (app: FastifyInstance, journeyId: string, status: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'PUT', url: `/api/journeys/${journeyId}/status`, headers: { ...auth, ...headers }, payload: { status } });

  describe('reads and creates', () => {
    it('creates a journey (201, version 1, Location, ETag), lists it and serves it with its ETag', async () => {
      const app = await start();
      expect((await app.inject('/api/journeys')).json()).toEqual({ journeyIds: [], count: 0 });

      const created = await create(app, sampleJourney('JRN-A', 2));
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({ ...sampleJourney('JRN-A', 2), version: 1 });
      expect(created.headers).toMatchObject({ location: '/api/journeys/JRN-A', etag: '"1"' });

      expect((await app.inject('/api/journeys')).json()).toEqual({ journeyIds: ['JRN-A'], count: 1 });
      const fetched = await app.inject('/api/journeys/JRN-A');
      expect(fetched.statusCode).toBe(200);
      expect(fetched.headers.etag).toBe('"1"');
      expect(fetched.json()).toEqual({ ...sampleJourney('JRN-A', 2), version: 1 });
      expect((await app.inject({ url: '/api/journeys/JRN-A', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    });

    it('answers 409 to a second create of the same id and keeps the first', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      const again = await create(app, { ...sampleJourney('JRN-A', 2), passengerName: 'Someone Else' });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toEqual({ message: 'Journey JRN-A already exists', code: 'JOURNEY_EXISTS' });
      expect((await app.inject('/api/journeys/JRN-A')).json()).toMatchObject({ passengerName: 'Test Passenger' });
    });

    it('answers 404 with {message} for an unknown journey', async () => {
      const app = await start();
      const response = await app.inject('/api/journeys/JRN-NOPE');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ message: 'Journey JRN-NOPE not found' });
    });
  });

  describe('validation (400)', () => {
    it.each([
      ['an unknown segment status', 'Landed'],
      ['a lowercase status', 'departed'],
      ['a journey status on a segment', 'InProgress'],
    ])('rejects %s in a segment update', async (_case, status) => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      const response = await setSegment(app, 'JRN-A', 'SEG-001', status);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        message: 'Invalid request',
        errors: [{ field: 'status', message: 'must be one of: Scheduled, CheckInOpen, Boarding, Departed, Arrived, Delayed, Cancelled, Diverted' }],
      });
    });

    it('rejects an unknown journey status, a missing status and unknown fields', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      expect((await setJourney(app, 'JRN-A', 'Departed')).statusCode).toBe(400);
      const missing = await app.inject({ method: 'PUT', url: '/api/journeys/JRN-A/status', headers: auth, payload: {} });
      expect(missing.json()).toMatchObject({ errors: [{ field: 'status', message: 'is required' }] });
      const extra = await app.inject({ method: 'PUT', url: '/api/journeys/JRN-A/status', headers: auth, payload: { status: 'InProgress', by: 'x' } });
      expect(extra.statusCode).toBe(400);
      expect((await app.inject('/api/journeys/JRN-A')).json()).toMatchObject({ version: 1, status: 'Confirmed' });
    });

    it('rejects an invalid journey body field by field', async () => {
      const app = await start();
      const response = await create(app, { ...sampleJourney('JRN-A', 2), status: 'Boarded', loyalty: 'Gold' });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(['status', 'loyalty']));
    });

    it.each(['JRN:1', 'JRN%7B1%7D', 'J'.repeat(65)])('rejects the id %s before Redis is touched', async (id) => {
      // Redis is unreachable here: a 400 (not a 503) shows the id was refused before any Redis call.
      const app = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
      for (const response of [
        await app.inject(`/api/journeys/${id}`),
        await app.inject(`/api/journeys/${id}/stream`),
        await setSegment(app, id, 'SEG-001', 'Boarding'),
        await setSegment(app, 'JRN-A', id, 'Boarding'),
        await setJourney(app, id, 'InProgress'),
      ]) {
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ message: 'Invalid request' });
      }
    });
  });

  describe('bearer token (401)', () => {
    it.each([
      ['no Authorization header', {}, /required/],
      ['another token', { authorization: 'Bearer journey-test-token-0123456788' }, /not valid/],
      ['a token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, /not valid/],
      ['basic auth', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, /required/],
    ])('refuses a write with %s, before validating the body, and writes nothing', async (_case, headers, message) => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      for (const response of [
        await app.inject({ method: 'POST', url: '/api/journeys', headers, payload: { not: 'a journey' } }),
        await app.inject({ method: 'PUT', url: '/api/journeys/JRN-A/segments/SEG-001/status', headers, payload: { status: 'Boarding' } }),
        await app.inject({ method: 'PUT', url: '/api/journeys/JRN-A/status', headers, payload: { status: 'Nope' } }),
      ]) {
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
        expect(response.json()).toEqual({ message: expect.stringMatching(message) });
      }
      expect((await app.inject('/api/journeys/JRN-A')).json()).toMatchObject({ version: 1 });
    });

    it('refuses every write with a clear message when JOURNEY_API_TOKEN is not set, while reads work', async () => {
      const app = await start({ JOURNEY_API_TOKEN: undefined });
      const response = await create(app, sampleJourney('JRN-A', 2));
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ message: expect.stringContaining('JOURNEY_API_TOKEN') });
      expect((await app.inject('/api/journeys')).statusCode).toBe(200);
    });
  });

  describe('updates', () => {
    it('updates a segment and the journey status (200, the original bodies, ETag = new version)', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      const segment = await setSegment(app, 'JRN-A', 'SEG-002', 'Boarding');
      expect(segment.statusCode).toBe(200);
      expect(segment.headers.etag).toBe('"2"');
      expect(segment.json()).toEqual({ message: 'Segment status updated successfully', journeyId: 'JRN-A', segmentId: 'SEG-002', newStatus: 'Boarding', version: 2 });
      const status = await setJourney(app, 'JRN-A', 'InProgress');
      expect(status.json()).toEqual({ message: 'Journey status updated successfully', journeyId: 'JRN-A', newStatus: 'InProgress', version: 3 });
      expect((await app.inject('/api/journeys/JRN-A')).json()).toMatchObject({
        version: 3,
        status: 'InProgress',
        segments: [{ status: 'Scheduled' }, { status: 'Boarding' }],
      });
    });

    it('answers 404 for an unknown journey or segment', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      const noJourney = await setSegment(app, 'JRN-NOPE', 'SEG-001', 'Boarding');
      expect(noJourney.statusCode).toBe(404);
      expect(noJourney.json()).toEqual({ message: 'Journey JRN-NOPE not found' });
      const noSegment = await setSegment(app, 'JRN-A', 'SEG-404', 'Boarding');
      expect(noSegment.statusCode).toBe(404);
      expect(noSegment.json()).toEqual({ message: 'Segment SEG-404 not found in journey JRN-A' });
      expect((await setJourney(app, 'JRN-NOPE', 'InProgress')).statusCode).toBe(404);
    });

    it('honours If-Match: the current version applies, a stale one is 412 with the current ETag, a malformed one is 400', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-A', 2));
      expect((await setSegment(app, 'JRN-A', 'SEG-001', 'Boarding', { 'if-match': '"1"' })).statusCode).toBe(200);
      const stale = await setSegment(app, 'JRN-A', 'SEG-001', 'Departed', { 'if-match': '"1"' });
      expect(stale.statusCode).toBe(412);
      expect(stale.headers.etag).toBe('"2"');
      expect(stale.json()).toEqual({ message: expect.stringContaining('version 2'), code: 'PRECONDITION_FAILED' });
      expect((await setJourney(app, 'JRN-A', 'InProgress', { 'if-match': 'W/"1"' })).statusCode).toBe(412);
      expect((await setJourney(app, 'JRN-A', 'InProgress', { 'if-match': 'banana' })).statusCode).toBe(400);
      expect((await setJourney(app, 'JRN-A', 'InProgress', { 'if-match': '*' })).statusCode).toBe(200);
      expect((await app.inject('/api/journeys/JRN-A')).json()).toMatchObject({ version: 3, segments: [{ status: 'Boarding' }, {}] });
    });

    it('applies 20 concurrent segment updates and 1 journey status update of JRN-TEST-001 (the challenge, over HTTP)', async () => {
      const app = await start();
      await create(app, sampleJourney('JRN-TEST-001', 20));
      const responses = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => setSegment(app, 'JRN-TEST-001', segmentId(i + 1), STATUS_CYCLE[i % 4] as string)),
        setJourney(app, 'JRN-TEST-001', 'InProgress'),
      ]);
      expect(responses.map((response) => response.statusCode)).toEqual(Array(21).fill(200));
      const stored = (await app.inject('/api/journeys/JRN-TEST-001')).json();
      expect(stored.version).toBe(22);
      expect(stored.status).toBe('InProgress');
      expect(stored.segments.map((segment: { status: string }) => segment.status)).toEqual(Array.from({ length: 20 }, (_, i) => STATUS_CYCLE[i % 4]));
    });

    it('answers 409 JOURNEY_CONFLICT with Retry-After when retries run out (maxAttempts 1 under contention), and applies every 200', async () => {
      const app = await start({}, { journeyStoreOptions: { maxAttempts: 1 } });
      await create(app, sampleJourney('JRN-HOT', 20));
      // Other processes' writers, each with its own transaction connections.
      const topology = singleRedisTopology(redis.url, { connectionName: 'journeys-test:rivals' });
      const commands = topology.commands;
      await waitForReady(commands, 5_000);
      const rivals = Array.from({ length: 4 }, () => new JourneyStore(topology, { keyPrefix: redis.prefix, maxAttempts: 1_000, deadlineMs: 30_000 }));
      let rivalCommits = 0;
      const statuses: number[] = [];
      let conflict: LightMyRequestResponse | undefined;
      try {
        for (let round = 0; round < 30 && conflict === undefined; round++) {
          const [responses, rivalOutcomes] = await Promise.all([
            Promise.all(Array.from({ length: 16 }, (_, i) => setSegment(app, 'JRN-HOT', segmentId((i % 20) + 1), 'Delayed'))),
            Promise.all(rivals.flatMap((rival) => Array.from({ length: 8 }, (_, i) => rival.updateSegmentStatus('JRN-HOT', segmentId(i + 1), 'Boarding')))),
          ]);
          statuses.push(...responses.map((response) => response.statusCode));
          rivalCommits += rivalOutcomes.filter((outcome) => outcome.kind === 'committed').length;
          conflict = responses.find((response) => response.statusCode === 409);
        }
      } finally {
        await Promise.all(rivals.map((rival) => rival.close()));
        commands.disconnect();
      }

      expect(conflict?.json()).toEqual({ message: expect.any(String), code: 'JOURNEY_CONFLICT' });
      expect(Number(conflict?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
      const applied = statuses.filter((status) => status === 200).length;
      expect((await app.inject('/api/journeys/JRN-HOT')).json().version).toBe(1 + applied + rivalCommits);
    });
  });

  describe('Redis unreachable', () => {
    it('answers 503 {message} with Retry-After, never a 500 or a hang', async () => {
      const app = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
      for (const response of [
        await app.inject('/api/journeys'),
        await app.inject('/api/journeys/JRN-A'),
        await app.inject('/api/journeys/JRN-A/stream'),
        await create(app, sampleJourney('JRN-A', 2)),
        await setSegment(app, 'JRN-A', 'SEG-001', 'Boarding'),
        await setJourney(app, 'JRN-A', 'InProgress'),
      ]) {
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBe('2');
        expect(response.json()).toEqual({ message: expect.stringContaining('unavailable') });
      }
    });
  });

  describe('seed journeys (SEED_JOURNEYS)', () => {
    it('loads the bundled JRN-001…003 at start without overwriting an existing journey', async () => {
      const topology = singleRedisTopology(redis.url, { connectionName: 'journeys-test:seed' });
      const commands = topology.commands;
      await waitForReady(commands, 5_000);
      const existing = new JourneyStore(topology, { keyPrefix: redis.prefix });
      await existing.create({ ...sampleJourney('JRN-002', 2), passengerName: 'Already Here' });
      await existing.close();
      commands.disconnect();

      const app = await start({ SEED_JOURNEYS: 'bundled' });
      expect((await app.inject('/api/journeys')).json()).toEqual({ journeyIds: ['JRN-001', 'JRN-002', 'JRN-003'], count: 3 });
      const first = (await app.inject('/api/journeys/JRN-001')).json();
      expect(first).toMatchObject({ passengerName: 'John Smith', version: 1, metadata: { source: 'web', loyaltyTier: 'Gold' } });
      expect(first.segments.map((segment: { segmentId: string }) => segment.segmentId)).toEqual(['SEG-001', 'SEG-002']);
      expect((await app.inject('/api/journeys/JRN-002')).json()).toMatchObject({ passengerName: 'Already Here' });
    });

    it('loads a journeys file given by path, and refuses an invalid one naming SEED_JOURNEYS', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skyway-seed-'));
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify([sampleJourney('JRN-FILE', 2)]));
      const app = await start({ SEED_JOURNEYS: good });
      expect((await app.inject('/api/journeys')).json()).toEqual({ journeyIds: ['JRN-FILE'], count: 1 });

      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify([{ ...sampleJourney('JRN-BAD', 2), status: 'Boarded' }]));
      const config = (path: string) => parseConfig({ REDIS_URL: redis.url, LOG_LEVEL: 'silent', SEED_JOURNEYS: path });
      await expect(buildApp(config(bad))).rejects.toThrow(ConfigError);
      await expect(buildApp(config(bad))).rejects.toThrow(/^SEED_JOURNEYS: .*bad\.json: 0\.status /);
      await expect(buildApp(config(join(dir, 'missing.json')))).rejects.toThrow(/^SEED_JOURNEYS: cannot read .*ENOENT/);
      writeFileSync(bad, '[{');
      await expect(buildApp(config(bad))).rejects.toThrow(/^SEED_JOURNEYS: .* is not valid JSON/);
    });
  });
});
