import { forEachConcurrently } from '../src';

describe('forEachConcurrently', () => {
  it('runs every item once, in order of start, never more than `limit` at a time', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    await forEachConcurrently(Array.from({ length: 25 }, (_, i) => i), 4, async (item) => {
      started.push(item);
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
    });
    expect(started).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(mostInFlight).toBe(4);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const run = forEachConcurrently([1, 2, 3, 4, 5], 1, async (item) => {
      started.push(item);
      if (item === 2) throw new Error('task 2 failed');
    });
    await expect(run).rejects.toThrow('task 2 failed');
    expect(started).toEqual([1, 2]);
  });

  it('does nothing for no items', async () => {
    const task = jest.fn(async () => undefined);
    await forEachConcurrently([], 3, task);
    expect(task).not.toHaveBeenCalled();
  });
});
