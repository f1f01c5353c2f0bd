import { isolatedRedis, openSse, sampleJourney, type IsolatedRedis, type SseConnection } from '@skyway/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

export const JOURNEY_TEST_TOKEN = 'journey-test-token-0123456789';

export interface JourneyStreamFixture {
  /** The app of the current test, listening on a real socket. */
  app(): FastifyInstance;
  /** Opens an SSE connection to a path of the app with the service credential; closed after the test. */
  open(path: string): Promise<SseConnection>;
  /** An authorised status PUT. */
  put(path: string, status: string): Promise<LightMyRequestResponse>;
}

/**
 * Inside a describe: before each test, main-service on a real socket and its own Redis namespace,
 * with `journeyIds` created (two segments each); after it, every stream closed and the app too.
 */
export function journeyStreamFixture(name: string, journeyIds: readonly string[]): JourneyStreamFixture {
  let redis: IsolatedRedis;
  let app: FastifyInstance;
  let url: string;
  const streams: SseConnection[] = [];
  beforeEach(async () => {
    redis = await isolatedRedis(name);
    app = await buildApp(
      parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', JOURNEY_API_TOKEN: JOURNEY_TEST_TOKEN, SEED_JOURNEYS: 'none' }),
    );
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const id of journeyIds) {
      await app.inject({ method: 'POST', url: '/api/journeys', headers: { authorization: `Bearer ${JOURNEY_TEST_TOKEN}` }, payload: sampleJourney(id, 2) });
    }
  });
  afterEach(async () => {
    streams.splice(0).forEach((stream) => stream.close());
    await app.close();
    await redis.cleanup();
  });
  return {
    app: () => app,
    async open(path) {
      const stream = await openSse(url + path, { headers: { authorization: `Bearer ${JOURNEY_TEST_TOKEN}` } });
      streams.push(stream);
      return stream;
    },
    put: (path, status) => app.inject({ method: 'PUT', url: path, headers: { authorization: `Bearer ${JOURNEY_TEST_TOKEN}` }, payload: { status } }),
  };
}
