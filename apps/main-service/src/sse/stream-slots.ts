export interface StreamLimits {
  /** Open streams this process serves at once. */
  readonly perProcess: number;
  /** Open streams one client (address) holds at once. */
  readonly perClient: number;
}

export type SlotRefusal = 'process-full' | 'client-full';

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * Counts open SSE streams per process and per client, so one client (or a reconnect storm) cannot
 * take every socket and file descriptor of a replica. Plain bookkeeping: the caller releases each
 * slot exactly when its response closes.
 */
export class StreamSlots {
  private open = 0;
  private readonly byClient = new Map<string, number>();

  constructor(readonly limits: StreamLimits) {}

  acquire(client: string): ReleaseSlot | SlotRefusal {
    if (this.open >= this.limits.perProcess) return 'process-full';
    const held = this.byClient.get(client) ?? 0;
    if (held >= this.limits.perClient) return 'client-full';
    this.open += 1;
    this.byClient.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open -= 1;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    };
  }

  /** What is held right now: for leak checks and capacity alerts. */
  stats(): { open: number; clients: number } {
    return { open: this.open, clients: this.byClient.size };
  }
}
