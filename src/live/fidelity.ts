/**
 * `servesim fidelity`: how well the simulation predicts a live run of the same config and seed on
 * this machine (docs/fidelity.md). It runs the simulation once and the live mode N times into one
 * output directory (sim/, live-1/ ... live-N/, each a normal run directory), then compares them:
 * per metric the relative error of the sim against the live mean, judged against the goal and
 * against the live runs' own spread (the noise floor: a difference smaller than the live-vs-live
 * spread is not an error); prediction errors side by side; the executors' measured durations
 * against the profile's (profile drift); the machine against the profile's device.
 *
 * The comparison (compareFidelity) is a pure function of the runs' files; the report
 * (fidelity.json, fidelity.md, charts/) is a pure function of the directories, so rebuilding it
 * from them (`servesim fidelity --from DIR`) gives the same bytes.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { loadRuns, tryReadJson } from '../charts/results.js';
import { render } from '../util/text-table.js';
import type { ResolvedExperiment } from '../experiment/config.js';
import { runToDirectory } from '../experiment/runner.js';
import { cudaDevice } from '../models/harness/device.js';
import type { Provider } from '../models/harness/runtime.js';
import { median } from '../models/harness/stats.js';
import { parseCsv } from '../util/csv.js';
import { UserError } from '../util/errors.js';
import { beginDir, jsonText, OutputDir, outputKind, writeFileAtomic } from '../util/output.js';
import { roundMetric, roundTo } from '../util/round.js';
import { meanCI } from '../util/stats.js';
import { VERSION } from '../version.js';
import { chooseSpin } from './clock.js';
import { poolMeasuredProfiles, type MeasuredProfile } from './measured-profile.js';
import { MEASURED_PROFILE, runLiveToDirectory } from './runner.js';

/** Default goal: |relative error| of goodput and p99 at most 10%. */
export const DEFAULT_GOAL = 0.1;
/** A measured median further than this from the profile's (relatively) is profile drift. */
export const DRIFT_LIMIT = 0.15;
/** Profile drift is judged only on at least this many measured samples (over all live runs). */
export const DRIFT_MIN_SAMPLES = 3;
/** Fewest first runs after a LOAD (over all live runs) on which their drift is judged: they vary several-fold. */
export const DRIFT_MIN_FIRST_SAMPLES = 10;

export const DEFINITIONS = {
  relativeError: '(sim - live mean) / live mean; null when the live mean is 0 (then absoluteDifference = sim - live mean says it)',
  noiseFloor: 'the largest relative deviation of one live run from the live mean, max_i |live_i - mean| / |mean|: a difference smaller than the live-vs-live spread is not an error (0 with one live run: no spread measured)',
  halfWidth95: "half-width of the 95% confidence interval of the live mean (Student t, n - 1 degrees of freedom); null with fewer than 2 live runs",
  verdict:
    '"ok": |relative error| <= goal; "noise": above the goal but within the noise floor; "differs": beyond both; with a live mean of 0: "ok" if the sim is 0 too, else "differs"; "n/a": a value is missing',
  goal: 'the largest |relative error| accepted; the headline applies it to goodput and p99 latency, every metric shows it',
  profileDrift: `measured median (the median over live runs of each run's p50) / the profile's median; flagged when it is more than ${DRIFT_LIMIT * 100}% away from 1, on at least ${DRIFT_MIN_SAMPLES} samples (${DRIFT_MIN_FIRST_SAMPLES} for first runs after a LOAD)`,
} as const;

export type Verdict = 'ok' | 'noise' | 'differs' | 'n/a';

/** One run's files, as the comparison reads them. */
export interface FidelityRun {
  summary: Record<string, any>;
  /** per-model.csv rows (numbers parsed, `model` a string). */
  perModel: Array<Record<string, number | string>>;
}

export interface MetricComparison {
  metric: string;
  sim: number | null;
  live: Array<number | null>;
  liveMean: number | null;
  liveMin: number | null;
  liveMax: number | null;
  halfWidth95: number | null;
  noiseFloor: number | null;
  relativeError: number | null;
  absoluteDifference: number | null;
  withinGoal: boolean | null;
  verdict: Verdict;
}

/** The metrics compared, each with where it is read from in summary.json. */
export const METRICS: ReadonlyArray<{ metric: string; read: (s: Record<string, any>) => unknown; unit: string }> = [
  { metric: 'goodput', read: (s) => s.goodput, unit: 'requests/s' },
  { metric: 'sloAttainment', read: (s) => s.sloAttainment, unit: 'fraction' },
  { metric: 'throughput', read: (s) => s.throughput, unit: 'requests/s' },
  { metric: 'p50Ms', read: (s) => s.latencyMs?.p50, unit: 'ms' },
  { metric: 'p90Ms', read: (s) => s.latencyMs?.p90, unit: 'ms' },
  { metric: 'p99Ms', read: (s) => s.latencyMs?.p99, unit: 'ms' },
  { metric: 'p999Ms', read: (s) => s.latencyMs?.p999, unit: 'ms' },
  { metric: 'meanMs', read: (s) => s.latencyMs?.mean, unit: 'ms' },
  { metric: 'ok', read: (s) => s.requests?.ok, unit: 'requests' },
  { metric: 'late', read: (s) => s.requests?.late, unit: 'requests' },
  { metric: 'timeout', read: (s) => s.requests?.timeout, unit: 'requests' },
  { metric: 'rejected', read: (s) => s.requests?.rejected, unit: 'requests' },
  { metric: 'failed', read: (s) => s.requests?.failed, unit: 'requests' },
];

/** Per-model metrics, columns of per-model.csv. */
export const MODEL_METRICS = ['goodput', 'sloAttainment', 'p50Ms', 'p99Ms'] as const;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Relative figures (errors, noise floors, ratios): 8 decimals. */
const rel = (x: number): number => roundTo(x, 8);

/** Compare one metric: the sim's value against the live values (see DEFINITIONS). */
export function compareMetric(metric: string, sim: number | null, live: ReadonlyArray<number | null>, goal: number): MetricComparison {
  const r = (x: number): number => roundMetric(metric, x);
  const values = live.filter((x): x is number => x !== null && Number.isFinite(x));
  const base = { metric, sim: sim === null ? null : r(sim), live: live.map((x) => (x === null ? null : r(x))) };
  if (sim === null || values.length === 0 || values.length !== live.length) {
    const m = values.length ? meanCI(values) : undefined;
    return {
      ...base,
      liveMean: m ? r(m.mean) : null,
      liveMin: values.length ? r(Math.min(...values)) : null,
      liveMax: values.length ? r(Math.max(...values)) : null,
      halfWidth95: m && Number.isFinite(m.half) ? r(m.half) : null,
      noiseFloor: null,
      relativeError: null,
      absoluteDifference: null,
      withinGoal: null,
      verdict: 'n/a',
    };
  }
  const ci = meanCI(values);
  const mean = ci.mean;
  const diff = sim - mean;
  const relErr = mean === 0 ? null : diff / Math.abs(mean);
  const noise = mean === 0 ? null : Math.max(...values.map((x) => Math.abs(x - mean) / Math.abs(mean)));
  // Judged on the rounded figures, as written: the verdict agrees with the numbers in the report.
  const relR = relErr === null ? null : rel(relErr);
  const noiseR = noise === null ? null : rel(noise);
  let verdict: Verdict;
  if (relR === null) verdict = r(diff) === 0 ? 'ok' : 'differs';
  else if (Math.abs(relR) <= goal) verdict = 'ok';
  else if (Math.abs(relR) <= noiseR!) verdict = 'noise';
  else verdict = 'differs';
  return {
    ...base,
    liveMean: r(mean),
    liveMin: r(Math.min(...values)),
    liveMax: r(Math.max(...values)),
    halfWidth95: Number.isFinite(ci.half) ? r(ci.half) : null,
    noiseFloor: noiseR,
    relativeError: relR,
    absoluteDifference: r(diff),
    withinGoal: relR === null ? r(diff) === 0 : Math.abs(relR) <= goal,
    verdict,
  };
}

export interface PredictionErrorRow {
  run: string;
  kind: 'INFER' | 'LOAD';
  count: number | null;
  absP50Ms: number | null;
  absP90Ms: number | null;
  absP99Ms: number | null;
  meanSignedErrorMs: number | null;
  earlyFraction: number | null;
}

export interface DriftRow {
  model: string;
  /** "exec batch B", "first exec batch B" or "load". */
  what: string;
  profileP50Ms: number | null;
  /** Per live run: samples and measured p50 / p99 (ms); null where that run measured none. */
  runs: Array<{ count: number; p50Ms: number; p99Ms: number } | null>;
  count: number;
  measuredP50Ms: number | null;
  ratio: number | null;
  judged: boolean;
  drift: boolean;
}

export interface FidelityComparison {
  goal: number;
  runs: string[];
  headline: {
    goodput: { relativeError: number | null; verdict: Verdict };
    p99Ms: { relativeError: number | null; verdict: Verdict };
    meetsGoal: boolean;
  };
  metrics: MetricComparison[];
  perModel: Array<{ model: string; metrics: MetricComparison[] }>;
  predictionError: PredictionErrorRow[];
  profileDrift: DriftRow[];
  timerLatenessUs: Array<{ run: string; controller: Record<string, number | null>; executors: Record<string, number | null> }>;
  warnings: string[];
}

/** Run labels: "sim", "live 1", ... */
export const runLabels = (n: number): string[] => ['sim', ...Array.from({ length: n }, (_, i) => `live ${i + 1}`)];

/** Profile drift: the live runs' measured exec (per padded batch) and LOAD durations against the profile's medians. */
export function profileDrift(live: ReadonlyArray<Record<string, any>>): DriftRow[] {
  type Stat = { count: number; p50Ms: number; p99Ms: number; profileP50Ms: number | null };
  const rows = new Map<string, { model: string; what: string; order: number; minSamples: number; profile: number | null; runs: Array<Stat | null> }>();
  live.forEach((s, i) => {
    const measured = (s.live?.measured ?? {}) as Record<string, { exec?: Record<string, Stat>; firstExec?: Record<string, Stat>; load?: Stat }>;
    for (const [model, m] of Object.entries(measured)) {
      // [what, order, samples needed to judge drift, stat]
      const entries: Array<[string, number, number, Stat]> = [
        ...Object.entries(m.exec ?? {}).map(([b, st]): [string, number, number, Stat] => [`exec batch ${b}`, Number(b), DRIFT_MIN_SAMPLES, st]),
        ...Object.entries(m.firstExec ?? {}).map(([b, st]): [string, number, number, Stat] => [`first exec batch ${b}`, Number(b) + 0.5, DRIFT_MIN_FIRST_SAMPLES, st]),
      ];
      if (m.load) entries.push(['load', Infinity, DRIFT_MIN_SAMPLES, m.load]);
      for (const [what, order, minSamples, st] of entries) {
        const key = `${model}\u0000${what}`;
        const row = rows.get(key) ?? { model, what, order, minSamples, profile: num(st.profileP50Ms), runs: live.map(() => null) };
        row.runs[i] = st;
        rows.set(key, row);
      }
    }
  });
  return [...rows.values()]
    .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.order - b.order))
    .map((row) => {
      const present = row.runs.filter((x): x is Stat => x !== null && x.count > 0);
      const count = present.reduce((a, x) => a + x.count, 0);
      const measured = present.length ? median(present.map((x) => x.p50Ms)) : null;
      const ratio = measured !== null && row.profile ? rel(measured / row.profile) : null;
      const judged = ratio !== null && count >= row.minSamples;
      return {
        model: row.model,
        what: row.what,
        profileP50Ms: row.profile,
        runs: row.runs.map((x) => (x ? { count: x.count, p50Ms: x.p50Ms, p99Ms: x.p99Ms } : null)),
        count,
        measuredP50Ms: measured === null ? null : roundTo(measured, 6),
        ratio,
        judged,
        drift: judged && rel(Math.abs(ratio! - 1)) > DRIFT_LIMIT, // on the ratio as written: 0.85 is 15% off, not 15.000000000000002%
      };
    });
}

function predictionRows(label: string, s: Record<string, any>): PredictionErrorRow[] {
  return (['INFER', 'LOAD'] as const).map((kind) => {
    const p = s.predictionError?.[kind];
    return {
      run: label,
      kind,
      count: num(p?.count),
      absP50Ms: num(p?.absErrorMs?.p50),
      absP90Ms: num(p?.absErrorMs?.p90),
      absP99Ms: num(p?.absErrorMs?.p99),
      meanSignedErrorMs: num(p?.meanSignedErrorMs),
      earlyFraction: num(p?.earlyFraction),
    };
  });
}

function lateness(x: Record<string, unknown> | undefined): Record<string, number | null> {
  return { count: num(x?.count), p50: num(x?.p50), p99: num(x?.p99), max: num(x?.max) };
}

/**
 * The comparison of a simulated run with N live runs of the same config and seed (pure: the
 * figures come from the runs' summary.json and per-model.csv alone). `goal` is a fraction (0.1).
 */
export function compareFidelity(sim: FidelityRun, live: readonly FidelityRun[], goal = DEFAULT_GOAL): FidelityComparison {
  if (live.length === 0) throw new UserError('fidelity: no live runs to compare with');
  if (!(goal >= 0) || !Number.isFinite(goal)) throw new UserError(`--goal: expected a percentage >= 0, found ${goal * 100}`);
  const labels = runLabels(live.length);
  const metrics = METRICS.map((m) => compareMetric(m.metric, num(m.read(sim.summary)), live.map((l) => num(m.read(l.summary))), goal));
  const models = [...new Set([sim, ...live].flatMap((r) => r.perModel.map((row) => String(row.model))))].sort();
  const rowOf = (r: FidelityRun, model: string) => r.perModel.find((row) => String(row.model) === model);
  const perModel = models.map((model) => ({
    model,
    metrics: MODEL_METRICS.map((k) => compareMetric(k, num(rowOf(sim, model)?.[k]), live.map((l) => num(rowOf(l, model)?.[k])), goal)),
  }));
  const byName = (n: string) => metrics.find((m) => m.metric === n)!;
  const g = byName('goodput');
  const p99 = byName('p99Ms');
  const drift = profileDrift(live.map((l) => l.summary));
  const warnings: string[] = [];
  for (const d of drift) {
    if (d.drift) {
      warnings.push(
        `profile drift: ${d.model} ${d.what}: measured median ${d.measuredP50Ms} ms is ${d.ratio}x the profile's ${d.profileP50Ms} ms ` +
          `(more than ${DRIFT_LIMIT * 100}% off): the profile was not measured on this machine in this state, and the sim cannot match the live runs`,
      );
    }
  }
  return {
    goal,
    runs: labels,
    headline: {
      goodput: { relativeError: g.relativeError, verdict: g.verdict },
      p99Ms: { relativeError: p99.relativeError, verdict: p99.verdict },
      meetsGoal: g.withinGoal === true && p99.withinGoal === true,
    },
    metrics,
    perModel,
    predictionError: [sim, ...live].flatMap((r, i) => predictionRows(labels[i], r.summary)),
    profileDrift: drift,
    timerLatenessUs: live.map((l, i) => ({
      run: labels[i + 1],
      controller: lateness(l.summary.live?.timerLatenessUs?.controller),
      executors: lateness(l.summary.live?.timerLatenessUs?.executors),
    })),
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// The machine

export interface MachineCheck {
  provider: Provider;
  profile: { path: string; device: string; kind: string; cpuModel: string | null; logicalCores: number | null };
  machine: { cpuModel: string; logicalCores: number; gpu: string | null };
  differences: string[];
}

/** The profile's device (its JSON `device` section) against this machine; differences are warnings, not errors. */
export function checkMachine(
  profilePath: string,
  device: { name?: unknown; kind?: unknown; details?: Record<string, unknown> },
  provider: Provider,
  machine: { cpuModel: string; logicalCores: number; gpu: string | null },
): MachineCheck {
  const cpuModel = typeof device.details?.cpuModel === 'string' ? device.details.cpuModel : null;
  const cores = typeof device.details?.logicalCores === 'number' ? device.details.logicalCores : null;
  const name = String(device.name ?? '');
  const differences: string[] = [];
  if (provider === 'cuda') {
    if (machine.gpu === null) differences.push(`the profile was measured on ${name}, and no CUDA device name could be read here (nvidia-smi)`);
    else if (machine.gpu !== name) differences.push(`the profile was measured on ${name}, this machine's GPU 0 is ${machine.gpu}`);
  } else {
    if (cpuModel === null) differences.push(`the profile does not record its CPU (device.details.cpuModel): it cannot be checked against this machine's ${machine.cpuModel}`);
    else if (cpuModel.trim() !== machine.cpuModel.trim()) differences.push(`the profile was measured on ${cpuModel}, this machine has ${machine.cpuModel}`);
    if (cores !== null && cores !== machine.logicalCores) differences.push(`the profile was measured with ${cores} logical cores, this process may use ${machine.logicalCores}`);
  }
  return { provider, profile: { path: profilePath, device: name, kind: String(device.kind ?? ''), cpuModel, logicalCores: cores }, machine, differences };
}

/** This machine as checkMachine compares it. */
export function thisMachine(provider: Provider): { cpuModel: string; logicalCores: number; gpu: string | null } {
  return { cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU', logicalCores: availableParallelism(), gpu: provider === 'cuda' ? (cudaDevice(0)?.name ?? null) : null };
}

// ---------------------------------------------------------------------------------------------
// The report

/** The setup of a fidelity run (setup.json): what was run where; an input of the report like the run directories. */
export interface FidelitySetup {
  servesim: string;
  config: string;
  name: string;
  seed: number;
  repeat: number;
  goal: number;
  live: { provider: Provider; threads: number; pin: boolean; spinUs: number; spinChoice?: string };
  machine: MachineCheck;
  /**
   * The simulation with the durations the live runs measured (sim-measured/, its profile
   * measured-profile.json), when they measured enough to replace any of the profile's.
   */
  asServed?: { directory: string; profile: string; replaced: string[] };
  /** What in the config makes the simulation describe something else than the live runs (warnings). */
  configDifferences?: string[];
}

/**
 * Config fields whose simulation differs from what live mode does by construction: live executors
 * do one thing at a time (docs/live.md), which the sim models only with cluster.executor "serial".
 */
export function configDifferences(c: ResolvedExperiment['config']): string[] {
  return c.cluster.executor === 'serial'
    ? []
    : [
        'cluster.executor is "lanes": the simulated GPUs overlap LOADs, copies and executions, and live executors do one thing at a time; set cluster.executor to "serial" to simulate what the live runs do',
      ];
}

const SETUP = 'setup.json';
export const liveDirName = (i: number): string => `live-${i + 1}`;
/** The simulation with the as-served profile (src/live/measured-profile.ts). */
export const AS_SERVED_DIR = 'sim-measured';
const AS_SERVED_LABEL = 'sim, measured durations';

/** per-model.csv rows: the model name a string, every other cell a number (null when empty). */
function readPerModel(dir: string): Array<Record<string, number | string>> {
  const f = join(dir, 'per-model.csv');
  let records: string[][];
  try {
    records = parseCsv(readFileSync(f, 'utf8'));
  } catch (e) {
    throw new UserError(`${f}: cannot read a servesim per-model.csv (${(e as Error).message})`);
  }
  const [head, ...rows] = records;
  if (!head?.includes('model')) throw new UserError(`${f}: not a servesim per-model.csv (no "model" column)`);
  return rows.map((cells) => Object.fromEntries(head.map((h, j) => [h, h === 'model' ? cells[j] : cells[j] === '' || cells[j] === undefined ? NaN : Number(cells[j])])));
}

/** Read a fidelity directory's setup.json. */
export function readSetup(dir: string): FidelitySetup {
  const f = join(dir, SETUP);
  const s = tryReadJson(f) as FidelitySetup | undefined;
  if (!s || typeof s !== 'object' || typeof s.repeat !== 'number' || !Number.isInteger(s.repeat) || s.repeat < 1 || typeof s.goal !== 'number') {
    throw new UserError(`${f}: ${s === undefined ? 'no such file: ' : ''}not a servesim fidelity setup (a directory "servesim fidelity" wrote holds it, with "repeat" and "goal")`);
  }
  return s;
}

export interface FidelityReport {
  /** The comparison; its `warnings` are the profile drift ones (the machine's are in setup.machine.differences). */
  comparison: FidelityComparison;
  /** The as-served simulation against the same live runs (null when there is none). */
  asServed: FidelityComparison | null;
  json: string;
  markdown: string;
}

/** The comparison of the run directories in `dir` (sim/, live-1/ ...), and its JSON and markdown texts. */
export function buildReport(dir: string, setup: FidelitySetup, goal = setup.goal): FidelityReport {
  const load = (name: string): FidelityRun => {
    const d = join(dir, name);
    const [run] = loadRuns([d]);
    return { summary: run.summary, perModel: readPerModel(d) };
  };
  const sim = load('sim');
  const live = Array.from({ length: setup.repeat }, (_, i) => load(liveDirName(i)));
  const comparison = compareFidelity(sim, live, goal);
  const asServed = setup.asServed ? compareFidelity(load(setup.asServed.directory), live, goal) : null;
  const asServedJson = asServed && setup.asServed ? { ...setup.asServed, headline: asServed.headline, metrics: asServed.metrics, perModel: asServed.perModel } : null;
  const warnings = [...setup.machine.differences.map((d) => `machine: ${d}`), ...(setup.configDifferences ?? []).map((d) => `config: ${d}`), ...comparison.warnings];
  const json = {
    servesim: setup.servesim,
    name: setup.name,
    config: setup.config,
    seed: setup.seed,
    repeat: setup.repeat,
    directories: { sim: 'sim', live: live.map((_, i) => liveDirName(i)) },
    live: setup.live,
    machine: setup.machine,
    definitions: DEFINITIONS,
    ...comparison,
    ...(asServedJson ? { asServed: asServedJson } : {}),
    warnings,
  };
  return { comparison, asServed, json: jsonText(json), markdown: markdownReport(setup, { ...comparison, warnings }, asServed) };
}

const cell = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
const pctCell = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);
const md = (rows: string[][], header: string[]): string => render(rows, header, 'markdown');

function metricRows(ms: readonly MetricComparison[], n: number): string[][] {
  return ms.map((m) => [
    m.metric,
    cell(m.sim),
    m.liveMean === null ? '-' : n >= 2 && m.halfWidth95 !== null ? `${m.liveMean} ± ${m.halfWidth95}` : String(m.liveMean),
    m.liveMin === null ? '-' : `${m.liveMin} – ${m.liveMax}`,
    m.relativeError === null ? (m.absoluteDifference === null ? '-' : `abs. ${m.absoluteDifference}`) : pctCell(m.relativeError),
    pctCell(m.noiseFloor),
    m.verdict,
  ]);
}

/** The readable report (fidelity.md). */
export function markdownReport(setup: FidelitySetup, c: FidelityComparison, asServed: FidelityComparison | null = null): string {
  const n = setup.repeat;
  const out: string[] = [];
  const goal = `${roundTo(c.goal * 100, 6)}%`;
  out.push(`# Fidelity: ${setup.name}\n`);
  out.push(`The simulation and ${n} live run${n === 1 ? '' : 's'} of \`${setup.config}\` (seed ${setup.seed}) on this machine, compared (docs/fidelity.md).\n`);
  out.push('## Setup\n');
  const m = setup.machine;
  out.push(
    md(
      [
        ['config', setup.config],
        ['seed', String(setup.seed)],
        ['live runs', String(n)],
        ['goal', `|relative error| <= ${goal}`],
        ['executors', `${setup.live.provider}, ${setup.live.threads} intra-op thread${setup.live.threads === 1 ? '' : 's'}, ${setup.live.pin ? 'pinned' : 'not pinned'}, timer spin ${setup.live.spinUs} us${setup.live.spinChoice ? ` (${setup.live.spinChoice})` : ''}`],
        ['profile', `${m.profile.path}: ${m.profile.device} (${m.profile.kind})`],
        ['profile CPU', m.profile.cpuModel === null ? '-' : `${m.profile.cpuModel}, ${cell(m.profile.logicalCores)} logical cores`],
        ['this machine', `${m.machine.cpuModel}, ${m.machine.logicalCores} logical cores${m.machine.gpu ? `, GPU ${m.machine.gpu}` : ''}`],
        ['servesim', setup.servesim],
      ],
      ['setting', 'value'],
    ),
  );
  out.push(m.differences.length ? `\n**Machine differs from the profile's:** ${m.differences.join('; ')}.\n` : '\nThe machine matches the profile\'s device.\n');
  out.push('## Headline\n');
  const h = c.headline;
  out.push(
    `- goodput: relative error ${pctCell(h.goodput.relativeError)} (${h.goodput.verdict})\n` +
      `- p99 latency: relative error ${pctCell(h.p99Ms.relativeError)} (${h.p99Ms.verdict})\n` +
      `- **${h.meetsGoal ? 'both within' : 'not both within'} the goal of ${goal}**\n`,
  );
  if (c.warnings.length) {
    out.push('## Warnings\n');
    out.push(c.warnings.map((w) => `- ${w}`).join('\n') + '\n');
  }
  out.push('## Metrics\n');
  const header = ['metric', 'sim', n >= 2 ? 'live mean ± 95% half-width' : 'live', 'live min – max', 'rel. error', 'noise floor', 'verdict'];
  out.push(md(metricRows(c.metrics, n), header));
  out.push(
    `\nrel. error = (sim − live mean) / live mean (where the live mean is 0: "abs." the difference); noise floor = max over live runs of |live − mean| / mean; ` +
      `verdict: ok ≤ goal (${goal}) < noise ≤ noise floor < differs. Latencies in ms, rates in requests/s, outcome counts in requests.\n`,
  );
  if (asServed && setup.asServed) {
    const a = asServed.headline;
    out.push('\n## The simulation with the durations measured live\n');
    out.push(
      `\`${setup.asServed.directory}/\`: the same config simulated with \`${setup.asServed.profile}\`, the profile with the exec and LOAD durations the live runs measured while serving ` +
        `(${setup.asServed.replaced.join('; ')}), the rest as profiled. What error remains is the simulator's, not the profile's (docs/fidelity.md, "The profile as served").\n`,
    );
    out.push(
      `- goodput: relative error ${pctCell(a.goodput.relativeError)} (${a.goodput.verdict})\n- p99 latency: relative error ${pctCell(a.p99Ms.relativeError)} (${a.p99Ms.verdict})\n`,
    );
    out.push(md(metricRows(asServed.metrics, n), header));
  }
  out.push('\nPer run:\n');
  out.push(md(c.metrics.map((x) => [x.metric, cell(x.sim), ...x.live.map(cell)]), ['metric', ...c.runs]));
  out.push('\n## Per model\n');
  for (const pm of c.perModel) {
    out.push(`### ${pm.model}\n`);
    out.push(md(metricRows(pm.metrics, n), header));
    out.push('');
  }
  out.push('## Prediction errors\n');
  out.push('Absolute error of the scheduler\'s predicted completion times (ms), per run; signed mean: positive when actions finish earlier than predicted.\n');
  out.push(
    md(
      c.predictionError.map((p) => [p.run, p.kind, cell(p.count), cell(p.absP50Ms), cell(p.absP90Ms), cell(p.absP99Ms), cell(p.meanSignedErrorMs), cell(p.earlyFraction)]),
      ['run', 'action', 'count', 'abs p50', 'abs p90', 'abs p99', 'mean signed', 'early fraction'],
    ),
  );
  out.push('\n## Profile drift\n');
  out.push(
    `Executors' measured durations (ms) against the profile's medians; the measured median is the median over live runs of each run's p50. ` +
      `Flagged when more than ${DRIFT_LIMIT * 100}% away from the profile's, on at least ${DRIFT_MIN_SAMPLES} samples (${DRIFT_MIN_FIRST_SAMPLES} for first runs after a LOAD, which vary several-fold).\n`,
  );
  out.push(
    c.profileDrift.length
      ? md(
          c.profileDrift.map((d) => [
            d.model,
            d.what,
            cell(d.profileP50Ms),
            ...d.runs.map((r) => (r ? `${r.p50Ms} / ${r.p99Ms} (n=${r.count})` : '-')),
            cell(d.measuredP50Ms),
            cell(d.ratio),
            d.profileP50Ms === null ? 'no profile figure' : !d.judged ? `too few samples (${d.count})` : d.drift ? 'DRIFT' : 'ok',
          ]),
          ['model', 'duration', 'profile p50', ...c.runs.slice(1).map((r) => `${r} p50 / p99`), 'measured median', 'ratio', 'drift'],
        )
      : 'No measured durations in the live runs.\n',
  );
  out.push('\n## Timer lateness of the live runs\n');
  out.push('How late timers fired (µs): the controller\'s (arrivals, releases) and the executors\'.\n');
  out.push(
    md(
      c.timerLatenessUs.map((t) => [t.run, cell(t.controller.count), cell(t.controller.p50), cell(t.controller.p99), cell(t.controller.max), cell(t.executors.count), cell(t.executors.p50), cell(t.executors.p99), cell(t.executors.max)]),
      ['run', 'controller n', 'p50', 'p99', 'max', 'executors n', 'p50', 'p99', 'max'],
    ),
  );
  out.push('\n## Charts\n');
  out.push('- [latency CDF](charts/latency-cdf.png) ([data](charts/latency-cdf.csv)): sim and every live run overlaid\n- [goodput over time](charts/goodput.png) ([data](charts/goodput.csv))\n');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** The terminal summary: headline, then the metrics table. */
export function summaryText(c: FidelityComparison, asServed: FidelityComparison | null = null): string {
  const n = c.runs.length - 1;
  const h = c.headline;
  const goal = `${roundTo(c.goal * 100, 6)}%`;
  const header = ['metric', 'sim', n >= 2 ? 'live mean ± 95% half-width' : 'live', 'live min – max', 'rel. error', 'noise floor', 'verdict'];
  return (
    render(metricRows(c.metrics, n), header, 'table') +
    `\ngoodput error ${pctCell(h.goodput.relativeError)} (${h.goodput.verdict}), p99 error ${pctCell(h.p99Ms.relativeError)} (${h.p99Ms.verdict}): ` +
    `${h.meetsGoal ? 'both within' : 'NOT both within'} the goal of ${goal}\n` +
    (asServed
      ? `with the durations measured live (sim-measured/): goodput error ${pctCell(asServed.headline.goodput.relativeError)} (${asServed.headline.goodput.verdict}), ` +
        `p99 error ${pctCell(asServed.headline.p99Ms.relativeError)} (${asServed.headline.p99Ms.verdict})\n`
      : '')
  );
}

/** The charts of a fidelity directory: latency CDF and goodput over time, sim and live runs overlaid. */
export const FIDELITY_CHARTS = ['latency-cdf', 'goodput'] as const;

/** Write fidelity.json, fidelity.md and charts/ of the run directories in `dir` (`write` puts a file into `dir`). */
async function writeReport(dir: string, setup: FidelitySetup, goal: number, write: (name: string, text: string) => void): Promise<FidelityReport> {
  const report = buildReport(dir, setup, goal);
  write('fidelity.json', report.json);
  write('fidelity.md', report.markdown);
  const { plotRunCharts } = await import('../charts/plot.js');
  const dirs = ['sim', ...(setup.asServed ? [setup.asServed.directory] : []), ...Array.from({ length: setup.repeat }, (_, i) => liveDirName(i))];
  const labels = runLabels(setup.repeat);
  if (setup.asServed) labels.splice(1, 0, AS_SERVED_LABEL);
  await plotRunCharts(dirs.map((d) => join(dir, d)), join(dir, 'charts'), [...FIDELITY_CHARTS], { labels });
  return report;
}

/** A live run directory's as-served profile, or null when it has none. */
function readMeasuredProfile(dir: string): MeasuredProfile | null {
  const json = tryReadJson(join(dir, MEASURED_PROFILE)) as Record<string, any> | undefined;
  if (!json) return null;
  return { json, replaced: json.provenance?.measuredWhileServing?.replaced ?? [] };
}

/** Rebuild the report of an existing fidelity directory from its run directories (nothing is run). */
export async function rebuildReport(dir: string, o: { goal?: number } = {}): Promise<FidelityReport> {
  if (outputKind(dir) !== 'fidelity') throw new UserError(`--from ${dir}: not a directory "servesim fidelity" wrote (no fidelity marker)`);
  const setup = readSetup(dir);
  const out = new OutputDir(dir, 'fidelity', { flag: '--from' });
  try {
    return await writeReport(out.dir, setup, o.goal ?? setup.goal, (name, text) => out.write(name, text));
  } finally {
    out.close();
  }
}

export interface FidelityOptions {
  config: string;
  outDir: string;
  flag?: string;
  force?: boolean;
  repeat: number;
  goal: number;
  provider: Provider;
  threads: number;
  /** Timer spin, ns; undefined: autoSpin's choice (src/live/clock.ts). */
  spin?: number;
  pin: boolean;
  progress: boolean;
  /** Progress and warning lines (default: stderr). */
  log?: (line: string) => void;
  /** The same config resolved with another hardware profile (for the as-served simulation; none without it). */
  resolveWithProfile?: (profilePath: string) => Promise<ResolvedExperiment>;
}

/**
 * Run the simulation and `repeat` live runs of `r` into `outDir` (sim/, live-1/ ...), then the
 * report. The whole directory is built under a temporary name and moved into place when complete
 * (src/util/output.ts): an interrupted run leaves the old results or none, never a mixture; only a
 * directory servesim wrote is replaced, and only with `force`.
 */
export async function runFidelity(r: ResolvedExperiment, o: FidelityOptions): Promise<FidelityReport & { setup: FidelitySetup; dir: string }> {
  const log = o.log ?? ((line: string) => process.stderr.write(line));
  const c = r.config;
  const profileJson = JSON.parse(readFileSync(r.profile.path, 'utf8')) as { device?: Record<string, any> };
  const machine = checkMachine(c.cluster.profile, profileJson.device ?? {}, o.provider, thisMachine(o.provider));
  for (const d of machine.differences) log(`${c.name}: warning: ${d}: the sim describes other hardware than the live runs use\n`);
  const spin = chooseSpin(o.spin, c.cluster.workers * c.cluster.gpusPerWorker, o.threads, availableParallelism());
  const configWarnings = configDifferences(c);
  for (const d of configWarnings) log(`${c.name}: warning: ${d}\n`);
  const setup: FidelitySetup = {
    servesim: VERSION,
    config: o.config,
    name: c.name,
    seed: c.seed,
    repeat: o.repeat,
    goal: o.goal,
    live: { provider: o.provider, threads: o.threads, pin: o.pin, spinUs: roundTo(spin.spin / 1000, 3), spinChoice: spin.why },
    machine,
    ...(configWarnings.length ? { configDifferences: configWarnings } : {}),
  };
  const pending = beginDir(o.outDir, 'fidelity', { force: o.force, flag: o.flag });
  try {
    const tmp = pending.tmp;
    if (o.progress) log(`sim: simulating ${c.name} (seed ${c.seed})\n`);
    await runToDirectory(r, join(tmp, 'sim'), false, { lock: false, label: 'sim', progress: o.progress });
    for (let i = 0; i < o.repeat; i++) {
      if (o.progress) log(`live ${i + 1}/${o.repeat}: running ${c.name} in real time\n`);
      await runLiveToDirectory(r, join(tmp, liveDirName(i)), false, {
        lock: false,
        label: `live ${i + 1}/${o.repeat}`,
        progress: o.progress,
        provider: o.provider,
        threads: o.threads,
        spin: o.spin, // undefined: the runner makes the same autoSpin choice, and records it as such
        pin: o.pin,
      });
    }
    const asServed = poolMeasuredProfiles(
      Array.from({ length: o.repeat }, (_, i) => readMeasuredProfile(join(tmp, liveDirName(i)))).filter((p): p is MeasuredProfile => p !== null),
      `servesim fidelity of ${c.name} (seed ${c.seed}): ${o.repeat} live run${o.repeat === 1 ? '' : 's'}`,
    );
    if (asServed && o.resolveWithProfile) {
      const file = join(tmp, MEASURED_PROFILE);
      writeFileAtomic(file, jsonText(asServed.json));
      const ref = `../${MEASURED_PROFILE}`;
      const r2 = await o.resolveWithProfile(file);
      // Outputs name the profile where it will be, beside the run directory, not in the temporary directory.
      const named = { ...r2, profileRef: ref, config: { ...r2.config, cluster: { ...r2.config.cluster, profile: ref } } };
      if (o.progress) log(`${AS_SERVED_DIR}: simulating ${c.name} with the durations the live runs measured (${MEASURED_PROFILE})\n`);
      await runToDirectory(named, join(tmp, AS_SERVED_DIR), false, { lock: false, label: AS_SERVED_DIR, progress: o.progress });
      setup.asServed = { directory: AS_SERVED_DIR, profile: MEASURED_PROFILE, replaced: asServed.replaced };
    }
    writeFileAtomic(join(tmp, SETUP), jsonText(setup));
    const report = await writeReport(tmp, setup, o.goal, (name, text) => writeFileAtomic(join(tmp, name), text));
    pending.commit();
    for (const w of report.comparison.warnings) log(`${c.name}: warning: ${w}\n`);
    return { ...report, setup, dir: pending.target };
  } catch (e) {
    return pending.fail(e);
  }
}
