/**
 * Runs `task` over `items`, starting them in order with at most `limit` in flight (load for tests
 * and benchmarks that would exhaust sockets or file descriptors all at once). Rejects with the
 * first failure; tasks already started run on.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
