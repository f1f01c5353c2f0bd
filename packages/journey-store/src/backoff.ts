/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a uniform delay in [0, min(cap, base · 2^(attempt-1))). Spreading retries over the whole window
 * keeps competing writers from colliding again in lockstep.
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const window = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return random() * window;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
