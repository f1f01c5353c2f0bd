import type { Registry } from 'prom-client';

/**
 * Makes a metric-set factory return one set per registry: prom-client refuses a second metric
 * of the same name, and several plugins of one app may ask for the same set.
 */
export function perRegistry<T>(create: (registry: Registry) => T): (registry: Registry) => T {
  const sets = new WeakMap<Registry, T>();
  return (registry) => {
    let set = sets.get(registry);
    if (set === undefined) {
      set = create(registry);
      sets.set(registry, set);
    }
    return set;
  };
}
