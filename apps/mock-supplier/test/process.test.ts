import { describeServiceProcess, startApp } from '@skyway/testkit';

describeServiceProcess('mock-supplier', {
  invalidEnv: [
    ['PORT', 'abc'],
    ['SUPPLIER_FAILURE_RATE', '1.5'],
  ],
  readyBody: { status: 'ready' },
  readyWhenLive: true,
});

describe('mock-supplier as a process', () => {
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
