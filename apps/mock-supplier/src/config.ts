import { Type } from '@sinclair/typebox';
import { ConfigError, commonConfig, commonEnv, parseEnv, type CommonConfig } from '@skyway/service-runtime';
import type { LatencyRange } from './domain/service-conditions';

export const MockSupplierEnv = Type.Object({
  ...commonEnv(3100),
  SUPPLIER_LATENCY_MS: Type.String({ pattern: '^\\d{1,6}(-\\d{1,6})?$', default: '50-300', description: 'A fixed latency or a min-max range, in ms' }),
  SUPPLIER_FAILURE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Share of requests answered 503' }),
  SUPPLIER_NAME: Type.String({ pattern: '^[a-z0-9-]{1,32}$', default: 'skyway-mock', description: 'Provider name stamped on results' }),
});

export interface MockSupplierConfig extends CommonConfig {
  readonly latency: LatencyRange;
  readonly failureRate: number;
  readonly supplierName: string;
}

function parseLatency(text: string): LatencyRange {
  const [min, max = min] = text.split('-').map(Number) as [number, number?];
  if (max < min) throw new ConfigError(`SUPPLIER_LATENCY_MS range must be min-max with min <= max (got "${text}")`);
  return { minMs: min, maxMs: max };
}

export function parseConfig(env: NodeJS.ProcessEnv): MockSupplierConfig {
  const parsed = parseEnv(MockSupplierEnv, env);
  return {
    ...commonConfig(parsed),
    latency: parseLatency(parsed.SUPPLIER_LATENCY_MS),
    failureRate: parsed.SUPPLIER_FAILURE_RATE,
    supplierName: parsed.SUPPLIER_NAME,
  };
}
