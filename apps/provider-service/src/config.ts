import { Type } from '@sinclair/typebox';
import { ConfigError, commonConfig, commonEnv, parseEnv, searchPartitionsEnv, type CommonConfig } from '@skyway/service-runtime';
import { hostname } from 'node:os';

export const ProviderServiceEnv = Type.Object({
  ...commonEnv(3200),
  ...searchPartitionsEnv(),
  SUPPLIER_URLS: Type.String({ minLength: 1, default: 'http://127.0.0.1:3100', description: 'Comma-separated supplier base URLs' }),
  PROVIDER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  CLAIM_IDLE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  MAX_DELIVERIES: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  SUPPLIER_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 2_000, description: 'Per supplier request attempt' }),
  SUPPLIER_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 2, description: 'Extra attempts after a 5xx or a timeout' }),
  CONSUMER_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'Defaults to <hostname>-<pid>' })),
});

export interface ProviderServiceConfig extends CommonConfig {
  /** Partitions of the search streams (SEARCH_PARTITIONS): the same in every service; a replica consumes all of them. */
  readonly searchPartitions: number;
  readonly supplierUrls: readonly URL[];
  /** Searches processed at once by this replica. */
  readonly concurrency: number;
  /** Pending entries idle this long are reclaimed from (presumably dead) consumers. */
  readonly claimIdleMs: number;
  /** Deliveries after which an entry is dead-lettered. */
  readonly maxDeliveries: number;
  /** Unique per replica within the consumer group. */
  readonly consumerName: string;
  /** Per attempt of one supplier request. */
  readonly supplierTimeoutMs: number;
  /** Extra attempts (with backoff and jitter) after a 5xx, a timeout or a network error. */
  readonly supplierRetries: number;
}

function parseSupplierUrls(list: string): URL[] {
  return list.split(',').map((raw) => {
    const text = raw.trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`SUPPLIER_URLS has an invalid URL ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`SUPPLIER_URLS must list http(s) URLs (got ${JSON.stringify(text)})`);
    }
    return url;
  });
}

export function parseConfig(env: NodeJS.ProcessEnv): ProviderServiceConfig {
  const parsed = parseEnv(ProviderServiceEnv, env);
  return {
    ...commonConfig(parsed),
    searchPartitions: parsed.SEARCH_PARTITIONS,
    supplierUrls: parseSupplierUrls(parsed.SUPPLIER_URLS),
    concurrency: parsed.PROVIDER_CONCURRENCY,
    claimIdleMs: parsed.CLAIM_IDLE_MS,
    maxDeliveries: parsed.MAX_DELIVERIES,
    consumerName: parsed.CONSUMER_NAME ?? `${hostname()}-${process.pid}`,
    supplierTimeoutMs: parsed.SUPPLIER_TIMEOUT_MS,
    supplierRetries: parsed.SUPPLIER_RETRIES,
  };
}
