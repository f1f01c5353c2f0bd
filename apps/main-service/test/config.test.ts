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
      accessTokens: undefined,
      devIssuer: false,
      seedJourneys: 'bundled',
    });
  });

  it('reads the access-token settings, which go together, and the development issuer only with them', () => {
    const auth = { AUTH_JWKS_URL: 'https://login.example.com/.well-known/jwks.json', AUTH_ISSUER: 'https://login.example.com/', AUTH_AUDIENCE: 'skyway' };
    expect(parseConfig(auth)).toMatchObject({
      accessTokens: { jwksUrl: new URL(auth.AUTH_JWKS_URL), issuer: 'https://login.example.com/', audience: 'skyway' },
      devIssuer: false,
    });
    expect(parseConfig({ ...auth, AUTH_DEV_ISSUER: 'true' }).devIssuer).toBe(true);
    for (const missing of Object.keys(auth)) {
      const partial: Record<string, string> = { ...auth };
      delete partial[missing];
      expect(() => parseConfig(partial)).toThrow(new RegExp(`^${missing} is required when any of AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE is set`));
    }
    expect(() => parseConfig({ AUTH_DEV_ISSUER: 'true' })).toThrow(/^AUTH_DEV_ISSUER needs AUTH_JWKS_URL/);
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

  it.each([['OTEL_TRACES_SAMPLER', 'parentbased_always_on'], ['OTEL_TRACES_SAMPLER', ''], ['OTEL_TRACES_SAMPLER_ARG', '0.25'], ['OTEL_TRACES_SAMPLER_ARG', '1'], ['OTEL_TRACES_SAMPLER_ARG', '.5']])(
    'accepts %s=%s, which the OpenTelemetry SDK reads',
    (name, value) => {
      expect(() => parseConfig({ [name]: value })).not.toThrow();
    },
  );

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
    ['AUTH_JWKS_URL', 'login.example.com/jwks.json'],
    ['AUTH_JWKS_URL', 'http://[bad'],
    ['AUTH_DEV_ISSUER', 'maybe'],
    ['OTEL_TRACES_SAMPLER', 'always'],
    ['OTEL_TRACES_SAMPLER_ARG', '10%'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
  ])('rejects %s=%s with an error naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name} `));
  });
});
