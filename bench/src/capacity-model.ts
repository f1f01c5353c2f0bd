/**
 * The arithmetic of `bench:cluster-spread`: how evenly work spreads over masters, and how many
 * masters a target rate needs from the Redis CPU one operation costs.
 */

/** Each value's deviation from the mean of all of them, in % of that mean (0 for an all-zero list). */
export function deviationsFromMean(values: readonly number[]): number[] {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return values.map((value) => (mean === 0 ? 0 : ((value - mean) / mean) * 100));
}

/** The largest deviation from the mean, either way, in % of the mean. */
export function largestDeviation(values: readonly number[]): number {
  return Math.max(...deviationsFromMean(values).map(Math.abs));
}

/** How many of `items` land on each owner, in the order of `owners` (owners without any count 0). */
export function countPerOwner<T>(items: readonly T[], owners: readonly string[], ownerOf: (item: T) => string): number[] {
  const counts = new Map(owners.map((owner) => [owner, 0]));
  for (const item of items) {
    const owner = ownerOf(item);
    if (!counts.has(owner)) throw new Error(`${owner} is not one of ${owners.join(', ')}`);
    counts.set(owner, (counts.get(owner) as number) + 1);
  }
  return owners.map((owner) => counts.get(owner) as number);
}

export interface MasterBudget {
  /** CPU one master may spend, in ms per second (700 = 70 % of a core: Redis runs commands on one thread). */
  readonly cpuMsPerSecond: number;
  /** What a master spends with no traffic (cluster bus, expiring blocking reads), in ms per second. */
  readonly backgroundMsPerSecond: number;
}

/** Operations per second one master carries when the whole cost of an operation lands on it. */
export function operationsPerMaster(cpuMsPerOperation: number, budget: MasterBudget): number {
  return (budget.cpuMsPerSecond - budget.backgroundMsPerSecond) / cpuMsPerOperation;
}

/**
 * Masters needed for `perSecond` operations that cost `cpuMsPerOperation` summed over the masters,
 * when the busiest master gets `largestDeviationPercent` more than the mean.
 */
export function mastersNeeded(perSecond: number, cpuMsPerOperation: number, budget: MasterBudget, largestDeviationPercent: number): number {
  return Math.max(1, Math.ceil((perSecond * (1 + largestDeviationPercent / 100)) / operationsPerMaster(cpuMsPerOperation, budget)));
}
