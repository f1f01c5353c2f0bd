import { banner } from '../src/banner';
import { DEV_AUTH_AUDIENCE, DEV_JOURNEY_API_TOKEN, parseConfig } from '../src/config';
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
    expect(plans[2]?.env).toMatchObject({
      JOURNEY_API_TOKEN: DEV_JOURNEY_API_TOKEN,
      AUTH_DEV_ISSUER: 'true',
      AUTH_JWKS_URL: 'http://127.0.0.1:3000/dev/jwks.json',
      AUTH_ISSUER: 'http://127.0.0.1:3000/dev',
      AUTH_AUDIENCE: DEV_AUTH_AUDIENCE,
    });
  });

  it('leaves the development issuer off when the environment names a real one (main-service inherits its AUTH_*)', () => {
    const [, , main] = planServices(parseConfig({ AUTH_JWKS_URL: 'https://login.example.com/jwks.json' }), { url: 'redis://127.0.0.1:7000' });
    expect(Object.keys(main?.env ?? {}).filter((name) => name.startsWith('AUTH_'))).toEqual([]);
  });

  it('hands every service the cluster seeds when the Redis is a cluster', () => {
    const plans = planServices(parseConfig({}), { url: 'redis://127.0.0.1:7000', clusterNodes: '127.0.0.1:7000,127.0.0.1:7001' });
    expect(plans.map((plan) => plan.env.REDIS_CLUSTER_NODES)).toEqual(Array(3).fill('127.0.0.1:7000,127.0.0.1:7001'));
  });
});

describe('banner', () => {
  const ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJkZXZlbG9wZXIifQ.c2lnbmF0dXJl';
  const facts = (env: NodeJS.ProcessEnv, accessToken: string | undefined) => {
    const config = parseConfig(env);
    return {
      services: planServices(config, { url: 'redis://x:1' }),
      redis: { url: 'redis://x:1', private: true },
      token: config.journeyApiToken,
      accessToken,
      today: new Date('2026-03-31T23:00:00Z'),
    };
  };

  it('prints the development access token to export, curl commands that use it, and searches dated tomorrow (UTC)', () => {
    const text = banner(facts({}, ACCESS_TOKEN)).join('\n');
    expect(text).toContain(`  export TOKEN=${ACCESS_TOKEN}`);
    expect(text).toContain('curl -s http://127.0.0.1:3000/api/journeys -H "authorization: Bearer $TOKEN"');
    expect(text).toContain('curl -N http://127.0.0.1:3000/api/journeys/<journeyId>/stream -H "authorization: Bearer $TOKEN"');
    expect(text).toContain(`Service token JOURNEY_API_TOKEN (machine-to-machine, recorded as actor "service"): ${DEV_JOURNEY_API_TOKEN}`);
    expect(text).toContain('"date":"2026-04-01"');
    expect(text).toContain('demo page http://127.0.0.1:3000/ (live search and journey board), API reference http://127.0.0.1:3000/docs');
  });

  it('never prints a token that came from the environment', () => {
    const text = banner(facts({ JOURNEY_API_TOKEN: 'a-secret-of-my-own-123', AUTH_JWKS_URL: 'https://login.example.com/jwks.json' }, undefined)).join('\n');
    expect(text).not.toContain('a-secret-of-my-own-123');
    expect(text).not.toContain('export TOKEN=');
    expect(text).toContain('an access token from your AUTH_ISSUER');
  });
});
