import { Counter, Histogram, type Registry } from 'prom-client';
import type { StreamConsumerMetricsObserver, SupplierCallObserver } from '../observers';
import { perRegistry } from './per-registry';

export interface ConsumerLabels {
  /** Logical stream name (`STREAMS.*`), not the prefixed key. */
  readonly stream: string;
  readonly group: string;
}

const consumerMetrics = perRegistry((registry) => {
  const registers = [registry];
  return {
    delivered: new Counter({
      name: 'skyway_consumer_delivered_total',
      help: 'Stream entries handed to this consumer, by source (new; pending: its own after a restart; claimed: taken over from an idle consumer)',
      labelNames: ['stream', 'group', 'source'] as const,
      registers,
    }),
    handled: new Histogram({
      name: 'skyway_consumer_processing_duration_seconds',
      help: 'Handling of one delivered entry (provider: supplier calls to result published and acked), by outcome',
      labelNames: ['stream', 'group', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    deadLettered: new Counter({
      name: 'skyway_dead_lettered_total',
      help: 'Entries copied to the dead-letter stream (too many deliveries, or malformed) and acked',
      labelNames: ['stream', 'group'] as const,
      registers,
    }),
    readErrors: new Counter({
      name: 'skyway_consumer_read_errors_total',
      help: 'Failed XREADGROUP/XAUTOCLAIM reads (the consumer retries)',
      labelNames: ['stream', 'group'] as const,
      registers,
    }),
  };
});

/**
 * Metrics of one stream consumer (provider-service): pass the result as its `observer`. Every
 * series exists from the start at 0, so rates and alerts work before the first event.
 */
export function streamConsumerMetrics(registry: Registry, labels: ConsumerLabels): StreamConsumerMetricsObserver {
  const metrics = consumerMetrics(registry);
  const base = { stream: labels.stream, group: labels.group };
  for (const source of ['new', 'pending', 'claimed'] as const) metrics.delivered.inc({ ...base, source }, 0);
  for (const outcome of ['ok', 'error'] as const) metrics.handled.zero({ ...base, outcome });
  metrics.deadLettered.inc(base, 0);
  metrics.readErrors.inc(base, 0);
  return {
    onDelivered: (count, source) => metrics.delivered.inc({ ...base, source }, count),
    onHandled: (_entryId, durationMs, outcome) => metrics.handled.observe({ ...base, outcome }, durationMs / 1000),
    onDeadLettered: () => metrics.deadLettered.inc(base),
    onReadError: () => metrics.readErrors.inc(base),
  };
}

/** Supplier call metrics (provider-service): duration and errors by supplier. */
export const supplierCallMetrics = perRegistry((registry): SupplierCallObserver => {
  const duration = new Histogram({
    name: 'skyway_supplier_call_duration_seconds',
    help: 'HTTP calls to a supplier (each retry is a call), by supplier and outcome',
    labelNames: ['supplier', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'skyway_supplier_call_errors_total',
    help: 'Failed supplier calls by supplier and outcome (http_error, timeout, network_error, invalid_response)',
    labelNames: ['supplier', 'outcome'] as const,
    registers: [registry],
  });
  return {
    onSupplierCall: (supplier, outcome, durationMs) => {
      duration.observe({ supplier, outcome }, durationMs / 1000);
      if (outcome !== 'ok') errors.inc({ supplier, outcome });
    },
  };
});
