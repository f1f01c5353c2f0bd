import { busiestMasterShare, countPerOwner, deviationsFromMean, largestDeviation, mastersNeeded, operationsPerMaster } from '../src/capacity-model';

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

  it('gives the busiest master\'s share of whole partitions dealt as evenly as they go', () => {
    expect(busiestMasterShare(16, 3)).toBe(6 / 16);
    expect(busiestMasterShare(16, 4)).toBe(4 / 16);
    expect(busiestMasterShare(16, 7)).toBe(3 / 16);
    expect(busiestMasterShare(48, 3)).toBe(16 / 48);
  });

  it('sizes masters from the CPU an operation costs less the idle background, so that the busiest master stays within budget', () => {
    const budget = { cpuMsPerSecond: 700, backgroundMsPerSecond: 100 };
    expect(operationsPerMaster(0.5, budget)).toBe(1_200);
    expect(mastersNeeded(1_000, 0.5, budget, 16)).toBe(1);
    // 8 masters hold 2 partitions each: 9 600 × 2/16 = 1 200; 7 would give one of them 3/16.
    expect(mastersNeeded(9_600, 0.5, budget, 16)).toBe(8);
    expect(mastersNeeded(9_601, 0.5, budget, 16)).toBe(16);
    expect(mastersNeeded(19_201, 0.5, budget, 16)).toBeUndefined();
  });
});
