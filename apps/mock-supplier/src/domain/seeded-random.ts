import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A reproducible stream of random draws: the same seed text always yields the same sequence. */
export interface SeededRandom {
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  float(min: number, max: number): number;
  /** `true` with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seedText: string): SeededRandom {
  const seed = createHash('sha256').update(seedText).digest().readInt32BE(0);
  const rng = xoroshiro128plus(seed);
  return {
    int: (min, max) => uniformInt(rng, min, max),
    float: (min, max) => min + uniformFloat64(rng) * (max - min),
    chance: (p) => uniformFloat64(rng) < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[uniformInt(rng, 0, items.length - 1)] as T;
    },
  };
}
