import { eventually, isolatedRedis, runToExit, startApp, type IsolatedRedis } from '@skyway/testkit';

describe('provider-service as a process', () => {
  it.each([
    ['PORT', 'abc'],
    ['SUPPLIER_URLS', 'ftp://x'],
  ])('exits 1 with one line naming %s when it is %s', async (variable, value) => {
    const { exit, output } = await runToExit('provider-service', { [variable]: value });
    expect(exit).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^provider-service: invalid configuration: ${variable} `))]);
  });

  describe('with valid configuration', () => {
    let redis: IsolatedRedis;
    beforeAll(async () => {
      redis = await isolatedRedis();
    });
    afterAll(() => redis.cleanup());

    it('is live and ready, and exits 0 on SIGTERM', async () => {
      const app = await startApp('provider-service', { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } });
      try {
        expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
        // Ready once Redis answers and the consumer group is joined, shortly after listening.
        const ready = await eventually('ready', async () => {
          const response = await fetch(`${app.url}/health/ready`);
          return response.status === 200 ? response.json() : undefined;
        });
        expect(ready).toMatchObject({ status: 'ready', checks: { redis: 'ok', consumerGroup: 'ok' } });
      } finally {
        expect(await app.stop('SIGTERM')).toBe(0);
      }
      expect(app.output()).toContain('shutting down');
    });
  });
});
