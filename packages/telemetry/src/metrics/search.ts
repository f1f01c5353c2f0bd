import { Gauge, Histogram } from 'prom-client';
import type { SearchLatencyObserver, SearchOutcome, SseConnectionObserver } from '../observers';
import { perRegistry } from './per-registry';

const OUTCOMES: readonly SearchOutcome[] = ['completed', 'failed'];

/**
 * Search end-to-end latency (main-service): `requested_at` to the terminal result. Every
 * main-service replica sees every result, so each replica observes every search: compare
 * replicas or take one, do not sum their counts.
 */
export const searchLatencyMetrics = perRegistry((registry): SearchLatencyObserver => {
  const duration = new Histogram({
    name: 'skyway_search_duration_seconds',
    help: 'Search end-to-end latency: requested (requested_at) to the terminal result seen by this main-service, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: [registry],
  });
  for (const outcome of OUTCOMES) duration.zero({ outcome });
  return { onSearchFinished: (outcome, durationMs) => duration.observe({ outcome }, Math.max(0, durationMs) / 1000) };
});

export interface SseConnectionMetrics {
  /** The observer for one kind of stream (`search`, `journey`): the `stream` label. */
  stream(name: string): SseConnectionObserver;
}

/** Open SSE connections by kind of stream (main-service). */
export const sseConnectionMetrics = perRegistry((registry): SseConnectionMetrics => {
  const open = new Gauge({
    name: 'skyway_sse_connections',
    help: 'Open SSE streams by kind of stream',
    labelNames: ['stream'] as const,
    registers: [registry],
  });
  return {
    stream(name) {
      open.inc({ stream: name }, 0);
      return {
        onOpen() {
          open.inc({ stream: name });
          let closed = false;
          return () => {
            if (closed) return;
            closed = true;
            open.dec({ stream: name });
          };
        },
      };
    },
  };
});
