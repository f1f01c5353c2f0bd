/**
 * What the features report, as small interfaces with no metrics library in them. The journey
 * store (`JourneyStoreObserver`) and the stream consumer (`StreamConsumerObserver`) declare their
 * own hooks; the metric sets here implement them structurally, so an app passes
 * `journeyStoreMetrics(app.metricsRegistry)` straight in. The rest are declared here: a feature
 * imports the type only, and uses the `noop…` object when built without metrics.
 */

/** Structurally a `JourneyStoreObserver` of @skyway/journey-store (ids and numbers only). */
export interface JourneyStoreMetricsObserver {
  onAttempt(journeyId: string, attempt: number): void;
  onConflict(journeyId: string, attempt: number): void;
  onExhausted(journeyId: string, attempts: number): void;
  onBatch(journeyId: string, size: number): void;
  onCommit(journeyId: string, latencyMs: number): void;
  onConnectionError(error: Error): void;
}

/** Structurally a `StreamConsumerObserver` of @skyway/stream-consumer. */
export interface StreamConsumerMetricsObserver {
  onDelivered(count: number, source: 'new' | 'pending' | 'claimed'): void;
  onHandled(entryId: string, durationMs: number, outcome: 'ok' | 'error'): void;
  onDeadLettered(entryId: string, reason: string): void;
  onReadError(error: Error): void;
}

export type SupplierCallOutcome = 'ok' | 'http_error' | 'timeout' | 'network_error' | 'invalid_response';

export interface SupplierCallObserver {
  /**
   * One HTTP call to a supplier ended (every retry is a call of its own). `supplier` is a stable
   * name from configuration (the base URL's origin), never something a request chose.
   */
  onSupplierCall(supplier: string, outcome: SupplierCallOutcome, durationMs: number): void;
}

export type SearchOutcome = 'completed' | 'failed';

export interface SearchLatencyObserver {
  /** A search reached its terminal status `durationMs` after it was requested (`requested_at`). */
  onSearchFinished(outcome: SearchOutcome, durationMs: number): void;
}

export interface SseConnectionObserver {
  /** An SSE stream opened. Call the returned function when it closes; later calls do nothing. */
  onOpen(): () => void;
}

export const noopSupplierCallObserver: SupplierCallObserver = { onSupplierCall: () => undefined };

export const noopSearchLatencyObserver: SearchLatencyObserver = { onSearchFinished: () => undefined };

export const noopSseConnectionObserver: SseConnectionObserver = { onOpen: () => () => undefined };
