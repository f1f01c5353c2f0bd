import { countPerOwner, deviationsFromMean, largestDeviation, mastersNeeded, operationsPerMaster } from '../src/capacity-model';

describe('the spread and capacity arithmetic of bench:cluster-spread', () => {
  it('gives each value\'s deviation from the mean in %: 16 partitions on 3 masters are 6/5/5, +12.5 % at most', () => {
    deviationsFromMean([6, 5, 5]).forEach((deviation, i) => expect(deviation).toBeCloseTo([12.5, -6.25, -6.25][i] as number, 9));
    expect(largestDeviation([6, 5, 5])).toBeCloseTo(12.5, 9);
    expect(largestDeviation([16, 16, 16])).toBe(0);
    expect(deviationsFromMean([0, 0])).toEqual([0, 0]);
  });

  it('counts items per owner in the owners\' order, with owners that got none, and refuses an unknown owner', () => {
    expect(countPerOwner(['a1', 'b1', 'a2'], ['a', 'b', 'c'], (item) => item.slice(0, 1))).toEqual([2, 1, 0]);
    expect(() => countPerOwner(['z1'], ['a'], (item) => item.slice(0, 1))).toThrow('z is not one of a');
  });

  it('sizes masters from the CPU an operation costs, less the idle background, allowing for the busiest master', () => {
    const budget = { cpuMsPerSecond: 700, backgroundMsPerSecond: 100 };
    expect(operationsPerMaster(0.5, budget)).toBe(1_200);
    expect(mastersNeeded(12_000, 0.5, budget, 0)).toBe(10);
    expect(mastersNeeded(12_000, 0.5, budget, 12.5)).toBe(12); // 13 500 / 1 200 = 11.25
    expect(mastersNeeded(10, 0.5, budget, 0)).toBe(1);
  });
});
