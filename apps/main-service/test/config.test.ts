import { ConfigError } from '@skyway/service-runtime';
import { parseConfig } from '../src/config';

describe('main-service configuration', () => {
  it('applies the SPEC §2 defaults to an empty environment', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      redis: { url: 'redis://127.0.0.1:6379', clusterNodes: [] },
      searchPartitions: 16,
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

  it('reads the protection settings', () => {
    const config = parseConfig({
      SEARCH_RATE_LIMIT_MAX: '10',
      SEARCH_RATE_LIMIT_WINDOW_MS: '30000',
      SSE_MAX_STREAMS: '500',
      SSE_MAX_STREAMS_PER_CLIENT: '5',
      CORS_ORIGINS: ' https://app.example.com , http://localhost:5173 ',
      REQUEST_TIMEOUT_MS: '5000',
    });
    expect(config).toMatchObject({
      searchRateLimit: { max: 10, windowMs: 30_000 },
      sseLimits: { perProcess: 500, perClient: 5 },
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      requestTimeoutMs: 5_000,
    });
    expect(parseConfig({})).toMatchObject({ corsOrigins: [], searchRateLimit: { max: 60, windowMs: 60_000 }, sseLimits: { perProcess: 20_000, perClient: 64 } });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://nope'],
    ['LOG_LEVEL', 'loud'],
    ['SEARCH_TIMEOUT_MS', '-1'],
    ['JOURNEY_API_TOKEN', 'short'],
    ['SEARCH_TTL_MS', '1000'],
    ['SEARCH_RATE_LIMIT_MAX', '0'],
    ['SSE_MAX_STREAMS', '0'],
    ['SSE_MAX_STREAMS_PER_CLIENT', '100000'],
    ['CORS_ORIGINS', 'https://app.example.com/'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'https://ok.example.com,ftp://files.example.com'],
    ['REQUEST_TIMEOUT_MS', '10'],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name} `));
  });
});
