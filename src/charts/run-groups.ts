/**
 * Result runs grouped by configuration (runs that differ only in their seed), for `compare` and
 * the sweep charts: points of one sweep directory whose parameters other than `seed` are equal,
 * or run directories whose config.json files are equal but for `seed` (and `output`).
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { configId, configParams, groupConfigs } from '../util/seed-groups.js';
import { meanCI, type MeanCI } from '../util/stats.js';
import { paramsLabel, type RunResult } from './results.js';

export interface RunGroup {
  /** Unique among the groups returned together. */
  label: string;
  /** Sweep parameters without the seed ({} for plain runs). */
  params: Record<string, unknown>;
  runs: RunResult[];
}

/** What identifies a run's configuration: its sweep and parameters without the seed, or its config.json without seed and output. */
export function runConfigKey(r: RunResult): string {
  if (r.sweep !== undefined) return `sweep ${resolve(r.sweep)}\n${configId(r.params)}`;
  let cfg: Record<string, unknown> | undefined;
  try {
    cfg = JSON.parse(readFileSync(join(r.dir, 'config.json'), 'utf8'));
  } catch {
    cfg = undefined;
  }
  if (!cfg || typeof cfg !== 'object') return `run ${resolve(r.dir)}`; // no config.json: a group of its own
  const rest = { ...cfg };
  delete rest.seed;
  delete rest.output;
  return `config ${JSON.stringify(rest)}`;
}

/** Group runs by configuration (runConfigKey), in first-appearance order, with unique labels. */
export function groupRuns(runs: readonly RunResult[]): RunGroup[] {
  const groups = groupConfigs(runs, (r) => r.params, runConfigKey).map((g): RunGroup => {
    const s = g.members[0].summary;
    // The scheduler leads the label; scheduler.type is not repeated after it.
    const p = paramsLabel(configParams(g.members[0].params), ['scheduler.type']);
    return { label: p ? `${s.scheduler}: ${p}` : `${s.name} (${s.scheduler})`, params: g.params, runs: g.members };
  });
  const seen = new Map<string, number>();
  for (const g of groups) seen.set(g.label, (seen.get(g.label) ?? 0) + 1);
  for (const g of groups) if ((seen.get(g.label) ?? 0) > 1) g.label = `${g.label} [${basename(resolve(g.runs[0].sweep ?? g.runs[0].dir))}]`;
  return groups;
}

/** Mean and 95% confidence interval of a number taken from each run of a group (non-numbers are left out). */
export function groupCI(g: RunGroup, get: (r: RunResult) => unknown): MeanCI {
  return meanCI(g.runs.map((r) => {
    const v = get(r);
    return typeof v === 'number' ? v : NaN;
  }));
}
