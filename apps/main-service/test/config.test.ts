import { ConfigError } from '@skyway/service-runtime';
import { parseConfig } from '../src/config';

describe('main-service configuration', () => {
  it('applies the SPEC §2 defaults to an empty environment', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      searchTimeoutMs: 30_000,
      journeyApiToken: undefined,
      seedJourneys: 'bundled',
    });
  });

  it('reads every variable it knows', () => {
    const config = parseConfig({
      REDIS_URL: 'redis://redis:6379',
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'debug',
      SEARCH_TIMEOUT_MS: '5000',
      JOURNEY_API_TOKEN: 'a-long-development-token',
      SEED_JOURNEYS: '/data/journeys.json',
    });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', searchTimeoutMs: 5000, seedJourneys: { path: '/data/journeys.json' } });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://nope'],
    ['LOG_LEVEL', 'loud'],
    ['SEARCH_TIMEOUT_MS', '-1'],
    ['JOURNEY_API_TOKEN', 'short'],
    ['SEARCH_TTL_MS', '1000'],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name} `));
  });
});
