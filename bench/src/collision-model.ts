/**
 * The lost-update model of the original read-modify-write (`naive` strategy), derived in
 * ANALYSIS.md §1.1 and checked by `pnpm bench:collisions`.
 *
 * Assumptions: writer i reads the whole journey at r_i and writes it back (whole) at w_i; GET and
 * SET are atomic; every writer changes a different segment. A written copy holds its writer's
 * change plus whatever the copy it read held, and the copy it read is the last one written before
 * r_i. So the changes in the final document are a chain: the last writer, the last writer whose
 * write landed before that one's read, and so on back. Everyone off the chain is lost, although
 * every caller was told its update succeeded.
 */

/** When one writer read the journey and when its whole-document write landed (any clock, ms). */
export interface ReadWriteTiming {
  readonly readAt: number;
  readonly writtenAt: number;
}

/** How many writers' changes are missing from the final document (exact, for any timings). */
export function lostWritersOfTimings(timings: readonly ReadWriteTiming[]): number {
  const byWrite = [...timings].sort((a, b) => a.writtenAt - b.writtenAt);
  let survivors = 0;
  let current = byWrite.length - 1;
  while (current >= 0) {
    survivors++;
    const readAt = (byWrite[current] as ReadWriteTiming).readAt;
    // The copy this writer read: the last write that landed before its read (a read at the very
    // moment of a write sees it).
    let previous = current - 1;
    while (previous >= 0 && (byWrite[previous] as ReadWriteTiming).writtenAt > readAt) previous--;
    current = previous;
  }
  return timings.length - survivors;
}

/** Lost writers when every writer holds the same read-modify-write window `windowMs`. */
export function lostWriters(startsMs: readonly number[], windowMs: number): number {
  return lostWritersOfTimings(startsMs.map((start) => ({ readAt: start, writtenAt: start + windowMs })));
}

/** P(Binomial(n, q) ≥ k). */
function binomialAtLeast(n: number, q: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n || q <= 0) return 0;
  if (q >= 1) return 1;
  let logChoose = 0; // log C(n, j), built up from j = 0
  let tail = 0;
  for (let j = 0; j <= n; j++) {
    if (j > 0) logChoose += Math.log(n - j + 1) - Math.log(j);
    if (j >= k) tail += Math.exp(logChoose + j * Math.log(q) + (n - j) * Math.log1p(-q));
  }
  return Math.min(1, tail);
}

/**
 * Expected number of writers whose change survives when n writers start uniformly at random over
 * `periodMs`, each with window w (p = w/T): E[S] = Σ_{k≥1} P(Binomial(n, 1 − (k−1)·p) ≥ k).
 * Read backwards in time, the chain is a non-paralysable dead-time counter (each survivor hides
 * the writers that started in the w before it); the formula is that counter's count for n uniform
 * events (the Poisson-process result, de-Poissonised). T ≤ w (all together) gives exactly 1.
 */
export function expectedSurvivors(n: number, windowMs: number, periodMs: number): number {
  const p = windowMs / periodMs;
  let survivors = 0;
  for (let k = 1; k <= n && (k - 1) * p < 1; k++) survivors += binomialAtLeast(n, 1 - (k - 1) * p, k);
  return survivors;
}

/** Expected share of n writers lost (see {@link expectedSurvivors}); all together: 1 − 1/n. */
export function expectedLostShare(n: number, windowMs: number, periodMs: number): number {
  return n < 1 ? 0 : 1 - expectedSurvivors(n, windowMs, periodMs) / n;
}

/**
 * Share of writers whose change is overwritten by a stale copy at least once (another writer
 * starts within w after it): (1 − 1/n)(1 − (1 − p)^n). An upper bound on the final loss — a later
 * writer that read between the two writes puts the change back — and what a reader polling the
 * journey may transiently miss. (A paralysable dead-time counter, read backwards.)
 */
export function overwrittenShare(n: number, windowMs: number, periodMs: number): number {
  if (n < 2) return 0;
  const p = Math.min(1, windowMs / periodMs);
  return (1 - 1 / n) * (1 - (1 - p) ** n);
}

/**
 * Probability that at least one of n writers is lost: 1 − (1 − (n − 1)·p)^n, the chance that two
 * of n uniform starts fall closer than w; 1 once (n − 1)·w ≥ T.
 */
export function probabilityOfAnyLoss(n: number, windowMs: number, periodMs: number): number {
  if (n < 2) return 0;
  const free = 1 - ((n - 1) * windowMs) / periodMs;
  return free <= 0 ? 1 : 1 - free ** n;
}

/** Steady state for a production rate: share of updates lost at λ updates/s on one journey, λw / (1 + λw). */
export function lostShareAtRate(updatesPerSecond: number, windowMs: number): number {
  const load = (updatesPerSecond * windowMs) / 1_000;
  return load / (1 + load);
}
