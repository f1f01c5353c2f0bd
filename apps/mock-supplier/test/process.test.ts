import { isolatedRedis, runToExit, startApp, type IsolatedRedis } from '@skyway/testkit';

describe('mock-supplier as a process', () => {
  it.each([
    ['PORT', 'abc'],
    ['SUPPLIER_FAILURE_RATE', '1.5'],
  ])('exits 1 with one line naming %s when it is %s', async (variable, value) => {
    const { exit, output } = await runToExit('mock-supplier', { [variable]: value });
    expect(exit).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^mock-supplier: invalid configuration: ${variable} `))]);
  });

  describe('with valid configuration', () => {
    let redis: IsolatedRedis;
    beforeAll(async () => {
      redis = await isolatedRedis();
    });
    afterAll(() => redis.cleanup());

    it('is live and ready, and exits 0 on SIGTERM', async () => {
      const app = await startApp('mock-supplier', { env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } });
      try {
        expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
        const ready = await fetch(`${app.url}/health/ready`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready' });
      } finally {
        expect(await app.stop('SIGTERM')).toBe(0);
      }
      expect(app.output()).toContain('shutting down');
    });

    it('serves offers over a real socket, and takes its failure knob from the environment', async () => {
      const healthy = await startApp('mock-supplier', { env: { SUPPLIER_LATENCY_MS: '0', SUPPLIER_NAME: 'process-test' } });
      const failing = await startApp('mock-supplier', { env: { SUPPLIER_LATENCY_MS: '0', SUPPLIER_FAILURE_RATE: '1' } });
      try {
        const offers = await fetch(`${healthy.url}/v1/flights?from=CGK&to=DPS&date=2025-07-10&passengers=2`);
        expect(offers.status).toBe(200);
        expect(await offers.json()).toMatchObject({ supplier: 'process-test', offers: expect.arrayContaining([expect.objectContaining({ origin: 'CGK' })]) });
        expect((await fetch(`${failing.url}/v1/flights?from=CGK&to=DPS&date=2025-07-10&passengers=2`)).status).toBe(503);
      } finally {
        await Promise.all([healthy.stop(), failing.stop()]);
      }
    });
  });
});
