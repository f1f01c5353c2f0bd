import { Type, type Static, type TObject } from '@sinclair/typebox';
import { DEFAULT_SEARCH_PARTITIONS, MAX_SEARCH_PARTITIONS } from '@skyway/contracts';
import { parseClusterNodes, type RedisTopologyConfig } from '@skyway/redis-connection';
import Ajv from 'ajv';

/** A configuration value that failed validation; its message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The `OTEL_TRACES_SAMPLER` values the OpenTelemetry SDK for Node builds. */
export const OTEL_TRACES_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every Skyway process reads (SPEC §2). Apps spread these into their own schema. */
export function commonEnv(defaultPort: number) {
  return {
    REDIS_URL: Type.String({
      pattern: '^rediss?://\\S+$',
      default: 'redis://127.0.0.1:6379',
      description: 'A single Redis; with REDIS_CLUSTER_NODES, only its credentials and TLS (rediss://) are used',
    }),
    REDIS_CLUSTER_NODES: Type.Optional(
      Type.String({ description: 'Comma-separated host:port seeds of a Redis Cluster; set = run against that cluster' }),
    ),
    REDIS_KEY_PREFIX: Type.String({
      pattern: '^[A-Za-z0-9:._-]{0,64}$',
      default: '',
      description: 'Namespace for every key and stream (empty in production; tests isolate by it)',
    }),
    HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
    PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: defaultPort }),
    LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info' }),
    LOG_PRETTY: Type.Boolean({ default: false, description: 'Human-readable logs via pino-pretty (development)' }),
    // Read by the OpenTelemetry SDK itself (started before the configuration is parsed); checked
    // here so a typo stops the process instead of silently exporting nothing.
    OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^(https?://\\S+)?$', description: 'OTLP collector; unset or empty = no trace export' })),
    OTEL_TRACES_SAMPLER: Type.Optional(
      Type.Union([Type.Literal(''), ...OTEL_TRACES_SAMPLERS.map((sampler) => Type.Literal(sampler))], {
        description: 'unset or empty = parent-based, recording OTEL_TRACES_SAMPLER_ARG (default 0.1) of new traces',
      }),
    ),
    OTEL_TRACES_SAMPLER_ARG: Type.Optional(
      Type.String({ pattern: '^\\s*((0|1)(\\.0*)?|0?\\.[0-9]+)?\\s*$', description: 'the share of new traces recorded, 0 to 1' }),
    ),
  };
}

function clusterNodesOf(list: string | undefined): string[] {
  if (list === undefined || list.trim() === '') return [];
  try {
    return parseClusterNodes(list);
  } catch (error) {
    throw new ConfigError(`REDIS_CLUSTER_NODES must be comma-separated host:port seeds: ${(error as Error).message}`);
  }
}

/** `SEARCH_PARTITIONS` for the services of the search pipeline (SPEC §4): identical across them, checked at start. */
export function searchPartitionsEnv() {
  return {
    SEARCH_PARTITIONS: Type.Integer({
      minimum: 1,
      maximum: MAX_SEARCH_PARTITIONS,
      default: DEFAULT_SEARCH_PARTITIONS,
      description: 'Partitions of the search streams; every main-service and provider-service on one Redis must agree',
    }),
  };
}

/** The common settings, in the shape the code uses. */
export interface CommonConfig {
  /** REDIS_URL alone (a single Redis), or with REDIS_CLUSTER_NODES (a cluster, with REDIS_URL's credentials and TLS). */
  readonly redis: RedisTopologyConfig;
  readonly redisKeyPrefix: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly logPretty: boolean;
}

export function commonConfig(env: Static<TObject<ReturnType<typeof commonEnv>>>): CommonConfig {
  return {
    redis: { url: env.REDIS_URL, clusterNodes: clusterNodesOf(env.REDIS_CLUSTER_NODES) },
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    logPretty: env.LOG_PRETTY,
  };
}

/** Environment values are strings: coerce them to the declared types and fill in defaults. */
const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });

/**
 * Validates `env` against `schema` once, at start-up, with defaults applied and numbers and
 * booleans coerced. Reads only the variables the schema names, and only from `env`. Throws
 * {@link ConfigError} naming the first offending variable.
 */
export function parseEnv<S extends TObject>(schema: S, env: NodeJS.ProcessEnv): Static<S> {
  const data: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined) data[name] = value;
  }
  const given = { ...data };
  const validate = ajv.compile<Static<S>>(schema);
  if (validate(data)) return data;
  const [first] = validate.errors ?? [];
  const name = first?.instancePath.replace(/^\//, '') || String(first?.params.missingProperty ?? 'configuration');
  const got = given[name] === undefined ? '' : ` (got ${JSON.stringify(given[name])})`;
  throw new ConfigError(`${name} ${first?.message ?? 'is invalid'}${got}`);
}
