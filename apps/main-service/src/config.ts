import { Type } from '@sinclair/typebox';
import type { ReplicaAcks } from '@skyway/redis-connection';
import { ConfigError, commonConfig, commonEnv, parseEnv, searchPartitionsEnv, type CommonConfig } from '@skyway/service-runtime';

export const MainServiceEnv = Type.Object({
  ...commonEnv(3000),
  ...searchPartitionsEnv(),
  SEARCH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  REDIS_WAIT_REPLICAS: Type.Integer({
    minimum: 0,
    maximum: 16,
    default: 0,
    description: 'Replicas that must hold a journey write or a new search (Redis WAIT) before the client gets its 2xx; 0 = answer once the master has it',
  }),
  REDIS_WAIT_TIMEOUT_MS: Type.Integer({
    minimum: 10,
    // WAIT blocks its connection: it must end before the 1.5 s command timeout would cut it off.
    maximum: 1_000,
    default: 1_000,
    description: 'How long a write waits for REDIS_WAIT_REPLICAS (at most 1000, under the Redis command timeout) before it is answered 503 (written, but not known to survive a failover)',
  }),
  SEARCH_TTL_MS: Type.Integer({
    minimum: 1_000,
    maximum: 604_800_000,
    default: 3_600_000,
    description: 'How long a search (state and results) stays readable after it was submitted',
  }),
  JOURNEY_API_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'Static service credential for the journeys API (reads and writes, actor `service`)' }),
  ),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://\\S+$', description: "The access-token issuer's JSON Web Key Set" })),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'The `iss` every access token must carry' })),
  AUTH_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'The `aud` every access token must carry' })),
  AUTH_DEV_ISSUER: Type.Boolean({
    default: false,
    description: 'Development only: this process issues access tokens itself (key pair made at start, JWKS at /dev/jwks.json, POST /dev/sign-in)',
  }),
  SEED_JOURNEYS: Type.String({ minLength: 1, default: 'bundled', description: '`bundled`, a path to a journeys JSON file, or `none`' }),
  SEARCH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 60, description: 'Searches one client may start per window' }),
  SEARCH_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 60_000 }),
  SSE_MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000, description: 'Open SSE streams per process' }),
  SSE_MAX_STREAMS_PER_CLIENT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 64, description: 'Open SSE streams per client address' }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    maximum: 300_000,
    default: 10_000,
    description: 'Time a client has to send a whole request (headers and body) before a 408',
  }),
  CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated origins of the frontends allowed to call the API; empty = same origin only' }),
  HSTS_MAX_AGE_S: Type.Integer({
    minimum: 0,
    maximum: 63_072_000,
    default: 0,
    description: 'Strict-Transport-Security max-age in seconds, for a deployment reached only over HTTPS whose TLS proxy does not add it; 0 = no header',
  }),
});

export interface MainServiceConfig extends CommonConfig {
  /** Partitions of the search streams (SEARCH_PARTITIONS): the same in every service. */
  readonly searchPartitions: number;
  /** Replicas that must acknowledge a client's write before its 2xx (WAIT); 0 replicas = no WAIT. */
  readonly replicaAcks: ReplicaAcks;
  /** A search not completed by then ends as `failed` with code SEARCH_TIMEOUT. */
  readonly searchTimeoutMs: number;
  /** How long a search's stored state lives; longer than the timeout. */
  readonly searchTtlMs: number;
  /** The static service credential (`Authorization: Bearer <token>`, actor `service`); undefined accepts none. */
  readonly journeyApiToken: string | undefined;
  /** JWT access-token verification; undefined accepts only the service token. */
  readonly accessTokens: AccessTokenSettings | undefined;
  /** Development only: serve a JWKS and sign tokens for anyone who asks (`POST /dev/sign-in`). */
  readonly devIssuer: boolean;
  readonly seedJourneys: 'bundled' | 'none' | { readonly path: string };
  /** Per client address, shared by every replica through Redis. */
  readonly searchRateLimit: { readonly max: number; readonly windowMs: number };
  /** Open SSE streams (searches and journeys together) allowed at once. */
  readonly sseLimits: { readonly perProcess: number; readonly perClient: number };
  /** Origins allowed by CORS, exactly as browsers send them (`https://app.example.com`). */
  readonly corsOrigins: readonly string[];
  /** A request not fully received by then (a stalled upload) is answered 408 and its socket closed. */
  readonly requestTimeoutMs: number;
  /** Strict-Transport-Security max-age in seconds; 0 sends no such header. */
  readonly hstsMaxAgeS: number;
}

export interface AccessTokenSettings {
  readonly jwksUrl: URL;
  readonly issuer: string;
  readonly audience: string;
}

/** The three AUTH_* variables go together: a verifier missing one would accept tokens meant for others. */
function parseAccessTokens(env: { AUTH_JWKS_URL?: string; AUTH_ISSUER?: string; AUTH_AUDIENCE?: string }): AccessTokenSettings | undefined {
  const { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience } = env;
  if (jwksUrl === undefined && issuer === undefined && audience === undefined) return undefined;
  if (jwksUrl !== undefined && !URL.canParse(jwksUrl)) throw new ConfigError(`AUTH_JWKS_URL must be a URL (got ${JSON.stringify(jwksUrl)})`);
  const missing = Object.entries({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience }).find(([, value]) => value === undefined);
  if (missing !== undefined) throw new ConfigError(`${missing[0]} is required when any of AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE is set`);
  return { jwksUrl: new URL(jwksUrl as string), issuer: issuer as string, audience: audience as string };
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/** `https://app.example.com, http://localhost:5173` → the origins, each exactly as a browser sends it. */
function parseCorsOrigins(list: string): string[] {
  const origins = list
    .split(',')
    .map((raw) => raw.trim())
    .filter((origin) => origin.length > 0);
  const invalid = origins.find((origin) => !isOrigin(origin));
  if (invalid !== undefined) {
    throw new ConfigError(`CORS_ORIGINS must list origins like https://app.example.com, without a path or trailing slash (got ${JSON.stringify(invalid)})`);
  }
  return origins;
}

export function parseConfig(env: NodeJS.ProcessEnv): MainServiceConfig {
  const parsed = parseEnv(MainServiceEnv, env);
  if (parsed.SEARCH_TTL_MS <= parsed.SEARCH_TIMEOUT_MS) {
    throw new ConfigError(`SEARCH_TTL_MS must be greater than SEARCH_TIMEOUT_MS (${parsed.SEARCH_TIMEOUT_MS})`);
  }
  if (parsed.SSE_MAX_STREAMS_PER_CLIENT > parsed.SSE_MAX_STREAMS) {
    throw new ConfigError(`SSE_MAX_STREAMS_PER_CLIENT must not exceed SSE_MAX_STREAMS (${parsed.SSE_MAX_STREAMS})`);
  }
  const seed = parsed.SEED_JOURNEYS;
  const accessTokens = parseAccessTokens(parsed);
  if (parsed.AUTH_DEV_ISSUER && accessTokens === undefined) {
    throw new ConfigError('AUTH_DEV_ISSUER needs AUTH_JWKS_URL (this service\'s /dev/jwks.json), AUTH_ISSUER and AUTH_AUDIENCE');
  }
  return {
    ...commonConfig(parsed),
    searchPartitions: parsed.SEARCH_PARTITIONS,
    replicaAcks: { replicas: parsed.REDIS_WAIT_REPLICAS, timeoutMs: parsed.REDIS_WAIT_TIMEOUT_MS },
    searchTimeoutMs: parsed.SEARCH_TIMEOUT_MS,
    searchTtlMs: parsed.SEARCH_TTL_MS,
    journeyApiToken: parsed.JOURNEY_API_TOKEN,
    accessTokens,
    devIssuer: parsed.AUTH_DEV_ISSUER,
    seedJourneys: seed === 'bundled' || seed === 'none' ? seed : { path: seed },
    searchRateLimit: { max: parsed.SEARCH_RATE_LIMIT_MAX, windowMs: parsed.SEARCH_RATE_LIMIT_WINDOW_MS },
    sseLimits: { perProcess: parsed.SSE_MAX_STREAMS, perClient: parsed.SSE_MAX_STREAMS_PER_CLIENT },
    corsOrigins: parseCorsOrigins(parsed.CORS_ORIGINS),
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
    hstsMaxAgeS: parsed.HSTS_MAX_AGE_S,
  };
}
