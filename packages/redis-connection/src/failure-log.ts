/**
 * Retry loops against Redis (reconnects, blocking reads, samplers) fail the same way many times
 * in a row during an outage. This tells a failure that is new from a repeat of the last one, so a
 * loop logs one line per distinct failure instead of one per retry.
 */
export class RepeatedFailureFilter {
  private lastMessage: string | undefined;

  /** True for the first failure of a run of identical ones. */
  isNew(error: Error): boolean {
    const isNew = error.message !== this.lastMessage;
    this.lastMessage = error.message;
    return isNew;
  }

  /** Call on success: the next failure is new again, even if it repeats the one before the recovery. */
  reset(): void {
    this.lastMessage = undefined;
  }
}
