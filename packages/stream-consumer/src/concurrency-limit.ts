/**
 * At most `max` tasks at once, shared by every consumer that is given it (the partitions of one
 * queue): a task started when the limit is reached waits its turn. Readers ask {@link free} how
 * many entries to fetch, so entries waiting here stay few (at most one read's worth per reader).
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private readonly freeWaiters = new Set<() => void>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be a positive integer (got ${max})`);
  }

  /** Slots neither running nor promised to a waiting task: how many entries a reader may fetch now. */
  get free(): number {
    return Math.max(0, this.max - this.active - this.queue.length);
  }

  /** Runs `task` once a slot is free, holding the slot until it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      this.releaseSlot();
    }
  }

  /** Resolves once {@link free} is above 0 (or {@link wakeWaiters} is called). */
  whenFree(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((resolve) => this.freeWaiters.add(resolve));
  }

  /** Lets every {@link whenFree} waiter go on at once (a stopping reader re-checks why it waited). */
  wakeWaiters(): void {
    for (const wake of this.freeWaiters) wake();
    this.freeWaiters.clear();
  }

  private releaseSlot(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiting task; otherwise it becomes free.
    if (next) next();
    else this.active--;
    if (this.free > 0) this.wakeWaiters();
  }
}
