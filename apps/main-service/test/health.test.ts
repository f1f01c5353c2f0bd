import { isolatedRedis, type IsolatedRedis } from '@skyway/testkit';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

describe('main-service health', () => {
  let redis: IsolatedRedis;
  beforeAll(async () => {
    redis = await isolatedRedis();
  });
  afterAll(() => redis.cleanup());

  it('reports not ready with the reason while Redis is unreachable, yet stays live', async () => {
    const app = await buildApp(parseConfig({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' }));
    try {
      expect((await app.inject('/health/live')).statusCode).toBe(200);
      const ready = await app.inject('/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({
        status: 'not ready',
        checks: { redis: expect.stringMatching(/^redis /), searchResults: 'results stream reader not started' },
      });
    } finally {
      await app.close();
    }
  });

  it('answers unknown routes with the JSON error envelope', async () => {
    const app = await buildApp(parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent' }));
    try {
      const response = await app.inject('/nope');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ success: false, message: 'Route GET /nope not found' });
    } finally {
      await app.close();
    }
  });
});
