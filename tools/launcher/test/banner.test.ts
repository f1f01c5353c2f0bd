import { banner } from '../src/banner';
import { DEV_JOURNEY_API_TOKEN, parseConfig } from '../src/config';
import { planServices } from '../src/services';

describe('planServices', () => {
  it('wires provider-service to the mock supplier and main-service to the token, all on one Redis', () => {
    const plans = planServices(parseConfig({ MOCK_SUPPLIER_PORT: '4100' }), { url: 'redis://127.0.0.1:7000' });
    expect(plans.map((plan) => [plan.name, plan.url])).toEqual([
      ['mock-supplier', 'http://127.0.0.1:4100'],
      ['provider-service', 'http://127.0.0.1:3200'],
      ['main-service', 'http://127.0.0.1:3000'],
    ]);
    expect(plans.every((plan) => plan.env.REDIS_URL === 'redis://127.0.0.1:7000')).toBe(true);
    expect(plans[1]?.env.SUPPLIER_URLS).toBe('http://127.0.0.1:4100');
    expect(plans[2]?.env.JOURNEY_API_TOKEN).toBe(DEV_JOURNEY_API_TOKEN);
    expect(plans.some((plan) => 'REDIS_CLUSTER_NODES' in plan.env)).toBe(false);
  });

  it('hands every service the cluster seeds when the Redis is a cluster', () => {
    const plans = planServices(parseConfig({}), { url: 'redis://127.0.0.1:7000', clusterNodes: '127.0.0.1:7000,127.0.0.1:7001' });
    expect(plans.map((plan) => plan.env.REDIS_CLUSTER_NODES)).toEqual(Array(3).fill('127.0.0.1:7000,127.0.0.1:7001'));
  });
});

describe('banner', () => {
  const facts = (env: NodeJS.ProcessEnv) => {
    const config = parseConfig(env);
    return { services: planServices(config, { url: 'redis://x:1' }), redis: { url: 'redis://x:1', private: true }, token: config.journeyApiToken, today: new Date('2026-03-31T23:00:00Z') };
  };

  it('prints the development token and example searches dated tomorrow (UTC)', () => {
    const text = banner(facts({})).join('\n');
    expect(text).toContain(`Development JOURNEY_API_TOKEN (journey writes): ${DEV_JOURNEY_API_TOKEN}`);
    expect(text).toContain(`'authorization: Bearer ${DEV_JOURNEY_API_TOKEN}'`);
    expect(text).toContain('"date":"2026-04-01"');
    expect(text).toContain('demo page http://127.0.0.1:3000/ (live search and journey board), API reference http://127.0.0.1:3000/docs');
  });

  it('never prints a token that came from the environment', () => {
    const text = banner(facts({ JOURNEY_API_TOKEN: 'a-secret-of-my-own-123' })).join('\n');
    expect(text).not.toContain('a-secret-of-my-own-123');
    expect(text).toContain("'authorization: Bearer $JOURNEY_API_TOKEN'");
  });
});
