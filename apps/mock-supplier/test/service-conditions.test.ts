import fc from 'fast-check';
import { isInjectedFailure, pickLatencyMs } from '../src/domain/service-conditions';

describe('pickLatencyMs', () => {
  it('stays an integer within [min, max] for any draw in [0, 1), reaching both bounds', () => {
    const ranges = fc
      .tuple(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 999_999 }))
      .map(([a, b]) => ({ minMs: Math.min(a, b), maxMs: Math.max(a, b) }));
    fc.assert(
      fc.property(ranges, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (range, draw) => {
        const latency = pickLatencyMs(range, () => draw);
        expect(Number.isInteger(latency)).toBe(true);
        expect(latency).toBeGreaterThanOrEqual(range.minMs);
        expect(latency).toBeLessThanOrEqual(range.maxMs);
        expect(pickLatencyMs(range, () => 0)).toBe(range.minMs);
        expect(pickLatencyMs(range, () => 1 - Number.EPSILON)).toBe(range.maxMs);
      }),
    );
  });
});

describe('isInjectedFailure', () => {
  it('never fails at rate 0 and always fails at rate 1, whatever the draw', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (draw) => {
        expect(isInjectedFailure(0, () => draw)).toBe(false);
        expect(isInjectedFailure(1, () => draw)).toBe(true);
      }),
    );
  });
});
