/** Response latency bounds in ms; equal bounds mean a fixed latency. */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** A response latency within the configured range, drawn from `random` (a value in [0, 1)); a fixed one draws nothing. */
export function pickLatencyMs(range: LatencyRange, random: () => number): number {
  const span = range.maxMs - range.minMs;
  if (span === 0) return range.minMs;
  return Math.min(range.maxMs, range.minMs + Math.floor(random() * (span + 1)));
}

/** Whether this request is one of the `failureRate` share answered 503: never at 0, always at 1. */
export function isInjectedFailure(failureRate: number, random: () => number): boolean {
  return random() < failureRate;
}
