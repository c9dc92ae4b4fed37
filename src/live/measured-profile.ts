/**
 * The profile "as served" (docs/fidelity.md, "The profile as served"): the run's hardware profile
 * with each model's exec distribution per padded batch, and its LOAD distribution, replaced by the
 * durations the live executors measured while serving, where there are enough of them. A profile
 * measures each model alone, run after run; an executor serving several models alternates between
 * them and idles between requests, and can run slower (or faster) than that. Simulating with this
 * profile separates the profile's error from the simulator's: `servesim fidelity` does it
 * (sim-measured/), and a user can simulate with it like any profile.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { summarize } from '../models/harness/stats.js';

/** Fewest measured executions of one (model, padded batch) that replace the profile's distribution. */
export const MIN_MEASURED_EXECS = 20;
/** Fewest measured LOADs of a model that replace the profile's load distribution. */
export const MIN_MEASURED_LOADS = 5;
/** Fewest measured first runs of one (model, padded batch) that set the profile's firstExec for it. */
export const MIN_MEASURED_FIRST = 5;

/** Durations measured per profile model (ns): exec and first-run exec per padded batch, LOAD. */
export type MeasuredDurations = ReadonlyMap<
  string,
  { exec: ReadonlyMap<number, readonly number[]>; firstExec: ReadonlyMap<number, readonly number[]>; load: readonly number[] }
>;

type ProfileJson = Record<string, any>;

/** One replaced distribution: a model's exec or firstExec at a padded batch, or its load. */
export interface ReplacedDistribution {
  readonly model: string;
  readonly field: 'exec' | 'firstExec' | 'load';
  readonly batch?: number;
  /** Measurements (or pooled samples) it was made from. */
  readonly count: number;
}

/** What was replaced: "model exec batch b (n)" / "model first exec batch b (n)" / "model load (n)", in model, batch order. */
export interface MeasuredProfile {
  json: ProfileJson;
  replaced: string[];
}

const toMs = (ns: readonly number[]): number[] => ns.map((x) => x / 1e6);

const FIELD_WORDS = { exec: 'exec', firstExec: 'first exec', load: 'load' } as const;
const describe = (d: ReplacedDistribution, unit = ''): string =>
  `${d.model} ${FIELD_WORDS[d.field]}${d.batch !== undefined ? ` batch ${d.batch}` : ''} (${d.count}${unit})`;

/** Set a replaced distribution in a profile's JSON, and say so in its provenance's list. */
function replace(json: ProfileJson, d: ReplacedDistribution, dist: unknown, list: ReplacedDistribution[]): void {
  const model = json.models[d.model];
  if (d.field === 'load') model.load = dist;
  else model[d.field] = { ...(model[d.field] ?? {}), [String(d.batch)]: dist };
  list.push(d);
}

function stamp(json: ProfileJson, from: string, list: readonly ReplacedDistribution[], rule: string, unit = ''): MeasuredProfile {
  const replaced = list.map((d) => describe(d, unit));
  json.provenance = { ...(json.provenance ?? {}), measuredWhileServing: { from, replaced, distributions: list, rule } };
  return { json, replaced };
}

/**
 * A copy of the profile file at `profilePath` with the distributions that have enough measurements
 * replaced (`measured` in ns). Relative ONNX paths of model sources become absolute, so the copy
 * can live anywhere.
 */
export function measuredProfile(profilePath: string, measured: MeasuredDurations, from: string): MeasuredProfile {
  const json = JSON.parse(readFileSync(profilePath, 'utf8')) as ProfileJson;
  const list: ReplacedDistribution[] = [];
  for (const name of [...measured.keys()].sort()) {
    const m = measured.get(name)!;
    const model = json.models?.[name];
    if (!model) continue;
    const batches = [...new Set([...m.exec.keys(), ...m.firstExec.keys()])].sort((x, y) => x - y);
    for (const b of batches) {
      if (model.exec?.[String(b)] === undefined) continue;
      const firsts = m.firstExec.get(b) ?? [];
      let execs = m.exec.get(b) ?? [];
      // Too few first runs to stand for themselves: where the profile has no first-run figure, the
      // simulation runs them as `exec`, so they count there (as before first runs were told apart).
      const firstOwn = firsts.length >= MIN_MEASURED_FIRST;
      if (!firstOwn && firsts.length > 0 && model.firstExec?.[String(b)] === undefined) execs = [...execs, ...firsts];
      if (execs.length >= MIN_MEASURED_EXECS) replace(json, { model: name, field: 'exec', batch: b, count: execs.length }, summarize(toMs(execs)), list);
      if (firstOwn) replace(json, { model: name, field: 'firstExec', batch: b, count: firsts.length }, summarize(toMs(firsts)), list);
    }
    if (m.load.length >= MIN_MEASURED_LOADS) replace(json, { model: name, field: 'load', count: m.load.length }, summarize(toMs(m.load)), list);
  }
  absoluteSources(json, profilePath);
  return stamp(
    json,
    from,
    list,
    `exec distributions with at least ${MIN_MEASURED_EXECS} measured executions (a session's first run at a batch size after its LOAD apart, unless there are fewer than ${MIN_MEASURED_FIRST} and the profile has no firstExec for it), firstExec distributions with at least ${MIN_MEASURED_FIRST} measured first runs and load distributions with at least ${MIN_MEASURED_LOADS} measured LOADs replaced by the measured durations; the rest as profiled`,
  );
}

function absoluteSources(json: ProfileJson, profilePath: string): void {
  for (const model of Object.values<Record<string, any>>(json.models ?? {})) {
    const onnx = model.source?.onnx;
    if (typeof onnx === 'string' && !isAbsolute(onnx)) model.source = { ...model.source, onnx: resolve(dirname(profilePath), onnx) };
  }
}

/** All the values of a profile distribution: its samples, else its percentiles' values. */
function values(d: { samples?: number[]; percentiles?: Record<string, number> }): number[] {
  return d.samples?.length ? d.samples : Object.values(d.percentiles ?? {});
}

/**
 * Pool the as-served profiles of several live runs: a distribution measured in any of them is the
 * union of their samples (each run's stratified sample, so runs weigh alike); the rest comes from
 * the first. Null when none replaced anything.
 */
export function poolMeasuredProfiles(profiles: readonly MeasuredProfile[], from: string): MeasuredProfile | null {
  if (profiles.length === 0 || profiles.every((p) => p.replaced.length === 0)) return null;
  const json = structuredClone(profiles[0].json);
  const pooled = new Map<string, { d: ReplacedDistribution; xs: number[] }>();
  for (const p of profiles) {
    const list = (p.json.provenance?.measuredWhileServing?.distributions ?? []) as ReplacedDistribution[];
    for (const d of list) {
      const model = p.json.models[d.model];
      const dist = d.field === 'load' ? model.load : model[d.field][String(d.batch)];
      const k = `${d.model}\u0000${d.field}\u0000${d.batch ?? ''}`;
      const entry = pooled.get(k) ?? { d, xs: [] };
      entry.xs.push(...values(dist));
      pooled.set(k, entry);
    }
  }
  const order = { exec: 0, firstExec: 1, load: 2 } as const;
  const sorted = [...pooled.values()].sort(
    (a, b) => (a.d.model < b.d.model ? -1 : a.d.model > b.d.model ? 1 : order[a.d.field] - order[b.d.field] || (a.d.batch ?? 0) - (b.d.batch ?? 0)),
  );
  // Profiles written before the structured list existed pool nothing: better none than run 1's alone.
  if (sorted.length === 0) return null;
  const list: ReplacedDistribution[] = [];
  for (const { d, xs } of sorted) replace(json, { model: d.model, field: d.field, ...(d.batch !== undefined ? { batch: d.batch } : {}), count: xs.length }, summarize(xs, 1000), list);
  return stamp(json, from, list, `pooled from ${profiles.length} live runs: the union of each run's measured sample`, ' samples');
}
