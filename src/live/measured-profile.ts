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

/** Durations measured per profile model (ns): exec per padded batch, LOAD. */
export type MeasuredDurations = ReadonlyMap<string, { exec: ReadonlyMap<number, readonly number[]>; load: readonly number[] }>;

type ProfileJson = Record<string, any>;

/** What was replaced: "model exec batch b (n)" / "model load (n)", in model, batch order. */
export interface MeasuredProfile {
  json: ProfileJson;
  replaced: string[];
}

const toMs = (ns: readonly number[]): number[] => ns.map((x) => x / 1e6);

/**
 * A copy of the profile file at `profilePath` with the distributions that have enough measurements
 * replaced (`measured` in ns). Relative ONNX paths of model sources become absolute, so the copy
 * can live anywhere.
 */
export function measuredProfile(profilePath: string, measured: MeasuredDurations, from: string): MeasuredProfile {
  const json = JSON.parse(readFileSync(profilePath, 'utf8')) as ProfileJson;
  const replaced: string[] = [];
  for (const name of [...measured.keys()].sort()) {
    const m = measured.get(name)!;
    const model = json.models?.[name];
    if (!model) continue;
    for (const b of [...m.exec.keys()].sort((x, y) => x - y)) {
      const xs = m.exec.get(b)!;
      if (xs.length < MIN_MEASURED_EXECS || model.exec?.[String(b)] === undefined) continue;
      model.exec[String(b)] = summarize(toMs(xs));
      replaced.push(`${name} exec batch ${b} (${xs.length})`);
    }
    if (m.load.length >= MIN_MEASURED_LOADS) {
      model.load = summarize(toMs(m.load));
      replaced.push(`${name} load (${m.load.length})`);
    }
  }
  absoluteSources(json, profilePath);
  json.provenance = {
    ...(json.provenance ?? {}),
    measuredWhileServing: {
      from,
      replaced,
      rule: `exec distributions with at least ${MIN_MEASURED_EXECS} measured executions and load distributions with at least ${MIN_MEASURED_LOADS} measured LOADs replaced by the measured durations; the rest as profiled`,
    },
  };
  return { json, replaced };
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
  const pooled = new Map<string, number[]>();
  const key = (model: string, what: string) => `${model}\u0000${what}`;
  for (const p of profiles) {
    const mp = p.json.provenance?.measuredWhileServing as { replaced?: string[] } | undefined;
    for (const entry of mp?.replaced ?? []) {
      const m = /^(.*) (exec batch (\d+)|load) \(\d+\)$/.exec(entry);
      if (!m) continue;
      const [, model, what, batch] = m;
      const d = batch !== undefined ? p.json.models[model].exec[batch] : p.json.models[model].load;
      const k = key(model, what);
      pooled.set(k, [...(pooled.get(k) ?? []), ...values(d)]);
    }
  }
  const replaced: string[] = [];
  for (const [k, xs] of [...pooled].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [model, what] = k.split('\u0000');
    const batch = /^exec batch (\d+)$/.exec(what)?.[1];
    const d = summarize(xs, 1000);
    if (batch !== undefined) json.models[model].exec[batch] = d;
    else json.models[model].load = d;
    replaced.push(`${model} ${what} (${xs.length} samples)`);
  }
  json.provenance = {
    ...(json.provenance ?? {}),
    measuredWhileServing: { from, replaced, rule: `pooled from ${profiles.length} live runs: the union of each run's measured sample` },
  };
  return { json, replaced };
}
