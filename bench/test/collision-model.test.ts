import {
  expectedLostShare,
  expectedSurvivors,
  lostShareAtRate,
  lostWriters,
  lostWritersOfTimings,
  overwrittenShare,
  probabilityOfAnyLoss,
} from '../src/collision-model';

/** mulberry32: a small seeded PRNG, so the simulation below is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('the lost-update model of the naive read-modify-write', () => {
  it('keeps exactly the chain of writers that read the previous survivor\'s write', () => {
    expect(lostWriters([0, 5, 20], 10)).toBe(1); // 0 is overwritten by 5's copy; 20 read after 5 wrote
    expect(lostWriters([20, 0, 5], 10)).toBe(1); // the order of the input does not matter
    expect(lostWriters([0, 10, 20], 10)).toBe(0); // a read at the moment of a write sees it
    expect(lostWriters([0, 0, 0, 0], 10)).toBe(3); // together: only the last write survives
    expect(lostWriters([7], 10)).toBe(0);
    // 5 overwrites 0 at 15, but 12 had read 0's write (at 10) and puts it back at 22: only 5 is lost.
    expect(lostWriters([0, 5, 12], 10)).toBe(1);
    // Windows of their own: 0 writes late (at 30), after 5 (at 15), so 5 is lost and 0 survives.
    expect(
      lostWritersOfTimings([
        { readAt: 0, writtenAt: 30 },
        { readAt: 5, writtenAt: 15 },
      ]),
    ).toBe(1);
  });

  it('all writers together: every one but one is lost', () => {
    for (const n of [2, 4, 20, 64]) {
      expect(expectedLostShare(n, 10, 10)).toBeCloseTo(1 - 1 / n, 12);
      expect(expectedLostShare(n, 10, 1)).toBeCloseTo(1 - 1 / n, 12);
      expect(probabilityOfAnyLoss(n, 10, 1)).toBe(1);
      expect(overwrittenShare(n, 10, 1)).toBeCloseTo(1 - 1 / n, 12);
    }
    expect(expectedSurvivors(5, 10, 10)).toBeCloseTo(1, 12);
    expect(expectedLostShare(1, 10, 1)).toBe(0);
  });

  it.each([
    [2, 1_000],
    [8, 1_000],
    [64, 1_000],
    [4, 100],
    [16, 100],
    [64, 100],
  ])('matches a simulation of its own assumptions: %i writers over %i ms', (n, periodMs) => {
    const random = seededRandom(n * 7919 + periodMs);
    const trials = 20_000;
    let lost = 0;
    let trialsWithLoss = 0;
    for (let trial = 0; trial < trials; trial++) {
      const lostHere = lostWriters(Array.from({ length: n }, () => random() * periodMs), 10);
      lost += lostHere;
      if (lostHere > 0) trialsWithLoss++;
    }
    const share = expectedLostShare(n, 10, periodMs);
    const anyLoss = probabilityOfAnyLoss(n, 10, periodMs);
    // Four standard errors of a proportion: a wrong closed form fails, sampling noise does not.
    const tolerance = (p: number, samples: number) => 4 * Math.sqrt((p * (1 - p)) / samples) + 1e-9;
    expect(Math.abs(lost / (trials * n) - share)).toBeLessThan(tolerance(share, trials));
    expect(Math.abs(trialsWithLoss / trials - anyLoss)).toBeLessThan(tolerance(anyLoss, trials));
  });

  it('two writers: lost only when they start less than one window apart, and then one of them', () => {
    const p = 10 / 1_000;
    expect(expectedLostShare(2, 10, 1_000)).toBeCloseTo((1 - (1 - p) ** 2) / 2, 12);
    expect(overwrittenShare(2, 10, 1_000)).toBeCloseTo(expectedLostShare(2, 10, 1_000), 12);
  });

  it('three or more writers: overwritten-once is an upper bound on the final loss', () => {
    for (const n of [3, 8, 64]) expect(overwrittenShare(n, 10, 100)).toBeGreaterThan(expectedLostShare(n, 10, 100));
  });

  it('steady rate: the finite-N model tends to λw / (1 + λw) as writers and period grow together', () => {
    expect(lostShareAtRate(0, 10)).toBe(0);
    expect(lostShareAtRate(100, 10)).toBeCloseTo(0.5, 12); // one update per window: half are lost
    // λ = 100/s: 50 writers over 0.5 s, then 500 over 5 s; the edges of the period matter less and less.
    const gap = (n: number) => Math.abs(expectedLostShare(n, 10, n * 10) - lostShareAtRate(100, 10));
    expect(gap(500)).toBeLessThan(gap(50));
    expect(gap(500)).toBeLessThan(0.01);
  });
});
