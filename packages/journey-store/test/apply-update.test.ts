import { sampleJourney } from '@skyway/testkit';
import { applyUpdate, fullJitterDelayMs } from '../src';

describe('applyUpdate (pure)', () => {
  const journey = { ...sampleJourney('JRN-A', 2), version: 4 };

  it('changes one segment, bumps the version and leaves the input and other segments untouched', () => {
    const before = structuredClone(journey);
    const result = applyUpdate(journey, { type: 'segmentStatus', segmentId: 'SEG-002', status: 'Arrived' });
    expect(result.ok && result.journey.segments.map((segment) => segment.status)).toEqual(['Scheduled', 'Arrived']);
    expect(result.ok && result.journey.version).toBe(5);
    expect(result.ok && result.journey.segments[0]).toBe(journey.segments[0]);
    expect(result.ok && result.change).toEqual({ type: 'segmentStatus', segmentId: 'SEG-002', status: 'Arrived', previousStatus: 'Scheduled' });
    expect(journey).toEqual(before);
  });

  it('changes the journey status', () => {
    expect(applyUpdate(journey, { type: 'journeyStatus', status: 'Completed' })).toEqual({
      ok: true,
      journey: { ...journey, status: 'Completed', version: 5 },
      change: { type: 'journeyStatus', status: 'Completed', previousStatus: 'Confirmed' },
    });
  });

  it('refuses an unknown segment and a stale expected version', () => {
    expect(applyUpdate(journey, { type: 'segmentStatus', segmentId: 'SEG-404', status: 'Arrived' })).toEqual({
      ok: false,
      rejection: { kind: 'segment-not-found', segmentId: 'SEG-404' },
    });
    expect(applyUpdate(journey, { type: 'journeyStatus', status: 'Completed' }, 3)).toEqual({
      ok: false,
      rejection: { kind: 'precondition-failed', currentVersion: 4 },
    });
    expect(applyUpdate(journey, { type: 'journeyStatus', status: 'Completed' }, 4).ok).toBe(true);
  });
});

describe('fullJitterDelayMs', () => {
  it('draws from [0, min(cap, base·2^(attempt-1)))', () => {
    expect(fullJitterDelayMs(1, 2, 50, () => 0.999)).toBeCloseTo(2 * 0.999);
    expect(fullJitterDelayMs(3, 2, 50, () => 0.5)).toBe(4);
    expect(fullJitterDelayMs(10, 2, 50, () => 0.5)).toBe(25);
    expect(fullJitterDelayMs(4, 2, 50, () => 0)).toBe(0);
  });
});
