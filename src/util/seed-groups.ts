/**
 * Configurations of a sweep: points that differ only in their seed (the sweep parameter `seed`,
 * which `seeds: N` adds) are repetitions of one configuration. Index files, `compare` and the
 * sweep charts report a configuration's mean and 95% confidence interval over its seeds
 * (src/util/stats.ts; README.md, "Seeds and confidence intervals"). In util/ so that both
 * experiment/ and charts/ can use it (docs/design.md, "Layers and the import rule").
 */
/** The sweep parameter that names a run's seed; points that differ only in it are one configuration. */
export const SEED_KEY = 'seed';

/** A point's parameters without its seed: what makes its configuration. */
export function configParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (k !== SEED_KEY) out[k] = v;
  return out;
}

/** A configuration's name: its parameters as a point id has them ("workload.rate=200,scheduler.type=fifo"); "" when only the seed varies. */
export function configId(params: Record<string, unknown>): string {
  return Object.entries(configParams(params))
    .map(([k, v]) => `${k}=${(typeof v === 'string' ? v : JSON.stringify(v)).replace(/[^A-Za-z0-9._-]+/g, '_')}`)
    .join(',');
}

/** Does this sweep have a seed dimension (some point's parameters name a seed)? */
export function hasSeedDimension(points: ReadonlyArray<{ params: Record<string, unknown> }>): boolean {
  return points.some((p) => SEED_KEY in p.params);
}

export interface ConfigGroup<T> {
  /** configId of the members' parameters. */
  id: string;
  /** The parameters without the seed. */
  params: Record<string, unknown>;
  /** In the order given (sweep order). */
  members: T[];
}

/**
 * Group items by configuration (`key` of each; default: its parameters without the seed), in
 * the order each configuration first appears.
 */
export function groupConfigs<T>(items: readonly T[], paramsOf: (t: T) => Record<string, unknown>, key: (t: T) => string = (t) => configId(paramsOf(t))): Array<ConfigGroup<T>> {
  const groups = new Map<string, ConfigGroup<T>>();
  for (const t of items) {
    const id = key(t);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, params: configParams(paramsOf(t)), members: [] }));
    g.members.push(t);
  }
  return [...groups.values()];
}
