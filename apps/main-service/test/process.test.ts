import { eventually, isolatedRedis, runToExit, startApp, type IsolatedRedis } from '@skyway/testkit';

describe('main-service as a process', () => {
  it.each([
    ['PORT', 'abc'],
    ['SEARCH_TIMEOUT_MS', 'soon'],
  ])('exits 1 with one line naming %s when it is %s', async (variable, value) => {
    const { exit, output } = await runToExit('main-service', { [variable]: value });
    expect(exit).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^main-service: invalid configuration: ${variable} `))]);
  });

  describe('with valid configuration', () => {
    let redis: IsolatedRedis;
    beforeAll(async () => {
      redis = await isolatedRedis();
    });
    afterAll(() => redis.cleanup());

    it('is live and ready, and exits 0 on SIGTERM', async () => {
      const app = await startApp('main-service', { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } });
      try {
        expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
        // Ready once Redis answers and the results reader has started, shortly after listening.
        const ready = await eventually('ready', async () => {
          const response = await fetch(`${app.url}/health/ready`);
          return response.status === 200 ? response.json() : undefined;
        });
        expect(ready).toMatchObject({ status: 'ready' });
      } finally {
        expect(await app.stop('SIGTERM')).toBe(0);
      }
      expect(app.output()).toContain('shutting down');
    });
  });
});
