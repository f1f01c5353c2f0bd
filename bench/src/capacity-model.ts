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
 * The share of the operations the busiest master gets when operations spread evenly over
 * `partitions` and the partitions as evenly as whole ones can over `masters` (16 over 3: 6/16).
 */
export function busiestMasterShare(partitions: number, masters: number): number {
  return Math.ceil(partitions / masters) / partitions;
}

/**
 * The fewest masters whose busiest one stays within its budget at `perSecond` operations costing
 * `cpuMsPerOperation` each; undefined when even one master per partition is not enough (more
 * masters than partitions leave some without work).
 */
export function mastersNeeded(perSecond: number, cpuMsPerOperation: number, budget: MasterBudget, partitions: number): number | undefined {
  for (let masters = 1; masters <= partitions; masters++) {
    if (perSecond * busiestMasterShare(partitions, masters) <= operationsPerMaster(cpuMsPerOperation, budget)) return masters;
  }
  return undefined;
}
