import { RepeatedFailureFilter } from '../src';

describe('RepeatedFailureFilter', () => {
  it('reports the first of a run of identical failures, and a different one as new', () => {
    const failures = new RepeatedFailureFilter();
    expect(failures.isNew(new Error('ECONNREFUSED'))).toBe(true);
    expect(failures.isNew(new Error('ECONNREFUSED'))).toBe(false);
    expect(failures.isNew(new Error('Command timed out'))).toBe(true);
    expect(failures.isNew(new Error('ECONNREFUSED'))).toBe(true);
  });

  it('reports a repeat as new after a reset (a recovery in between)', () => {
    const failures = new RepeatedFailureFilter();
    expect(failures.isNew(new Error('ECONNREFUSED'))).toBe(true);
    failures.reset();
    expect(failures.isNew(new Error('ECONNREFUSED'))).toBe(true);
  });
});
