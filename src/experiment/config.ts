/**
 * Experiment configs: JSON validated against a zod schema (exported as JSON Schema for editors),
 * then resolved against the hardware profile and the scheduler/workload registries.
 * Every error names the file, the field path, what was expected and what was found.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CHART_FORMATS, CHART_NAMES } from '../charts/names.js';
import { loadProfile, withInterference, zExtraCv, zSpeedup, type HardwareProfile } from '../models/profile.js';
import { getScheduler, schedulerNames } from '../schedulers/index.js';
import type { SchedulerType } from '../schedulers/registry.js';
import { formatDuration } from '../sim/time.js';
import { parseDuration } from '../util/units.js';
import type { ModelId, ModelInstance } from '../sim/types.js';
import { getWorkload, workloadNames } from '../traces/index.js';
import type { WorkloadType } from '../traces/registry.js';
import { describeValue, UserError } from '../util/errors.js';
import { readInputText } from '../util/io.js';
import { checkJsonValue, parseJsonInput, RESERVED_KEYS } from '../util/json-input.js';
import { segmentProblem } from '../util/paths.js';
import { formatZodIssues, parseOrThrow } from '../util/zod-errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { MAX_COUNT, MAX_FACTOR, zBandwidth, zDuration, zSize } from '../util/units-zod.js';
import { SEED_KEY } from '../util/seed-groups.js';
import { CONFIG_FIELD_DOCS, SCHEDULER_OPTION_DOCS, WORKLOAD_COMMON_DOCS, WORKLOAD_OPTION_DOCS } from './option-docs.js';
import { findPlugin, isPluginRef, loadPlugins, optionsJsonSchema, PLUGIN_REF_PATTERN, type PluginKind, type PluginRecord } from './plugins.js';

export const NetworkSchema = z.strictObject({
  /** One-way client <-> controller latency. */
  clientLatency: zDuration({ allowZero: true }).default(50_000),
  /** Client <-> controller bandwidth (inputs travel with requests). */
  clientBandwidth: zBandwidth().default(1.25e9),
  /** One-way controller <-> worker latency. */
  workerLatency: zDuration({ allowZero: true }).default(50_000),
  /** Controller <-> worker bandwidth (10 GbE by default). */
  workerBandwidth: zBandwidth().default(1.25e9),
  /**
   * Bytes an INFER carries controller -> worker: its requests' raw inputs, none (inputs generated
   * on the worker), or compressed to `ratio` x raw (README.md, "`cluster`").
   */
  inferInputs: z
    .union([
      z.enum(['raw', 'none']),
      z.strictObject({
        compressed: z
          .number({ error: 'expected a ratio of compressed to raw bytes in (0, 1]' })
          .refine((x) => x > 0 && x <= 1, 'expected a ratio of compressed to raw bytes in (0, 1]'),
      }),
    ], { error: 'expected "raw", "none" or { "compressed": ratio } with ratio in (0, 1]' })
    .default('raw'),
  /** The controller's concurrent sends share one NIC ("shared") or each get the full bandwidth ("perSend"). */
  nic: z.enum(['shared', 'perSend']).default('shared'),
});

/** Most worker hosts, GPUs per worker, model instances and points of a sweep (README.md, "Experiment configs"). */
export const LIMITS = {
  workers: 10_000,
  gpusPerWorker: 1_024,
  instances: 1_000_000,
  /** GPUs x model instances: the simulator keeps a few bytes of state per pair. */
  gpuInstancePairs: 100_000_000,
  sweepPoints: 100_000,
  /** Bytes of a sweep point's directory name (it gets a ".tmp-PID" suffix while written). */
  sweepPointId: 200,
  /** Most seeds of `seeds`. */
  seeds: 10_000,
} as const;

export const ClusterSchema = z.strictObject({
  /** Hardware profile path: relative to the working directory, the config's directory, or the package. */
  profile: z.string().min(1),
  workers: z.number().int().positive().max(LIMITS.workers).default(1),
  gpusPerWorker: z.number().int().positive().max(LIMITS.gpusPerWorker).default(1),
  /** Override the profile's page size. */
  pageSize: zSize().optional(),
  /** Override the profile's weight-cache size per GPU. */
  weightsMemory: zSize().optional(),
  network: NetworkSchema.default(NetworkSchema.parse({})),
  /** How far before its window an INFER's input copy may start (Clockwork's worker: 5 ms; docs/design.md, "Worker and lanes"). */
  inputLead: zDuration({ allowZero: true }).default(5_000_000),
  /**
   * "lanes" (when absent): a GPU's LOADs, input copies, executions and output copies use separate
   * lanes that work in parallel (Clockwork's worker); "serial": a GPU does one thing at a time, as
   * live mode's executors (docs/live.md, "What live mode does not model").
   */
  executor: z.enum(['lanes', 'serial'], { error: 'expected "lanes" or "serial"' }).optional(),
  /**
   * Override the profile's device.interference (each field given replaces the profile's), to run a
   * profile with another speed-up without editing it (README.md, "Hardware profiles").
   */
  interference: z
    .strictObject({ speedup: zSpeedup().optional(), extraCv: zExtraCv().optional() })
    .refine((i) => i.speedup !== undefined || i.extraCv !== undefined, { message: 'expected "speedup" and/or "extraCv"' })
    .optional(),
});

export const ModelEntrySchema = z.strictObject({
  /** A model name of the hardware profile, or "*" for every model in it. */
  profile: z.string().min(1),
  copies: z.number().int().positive().max(MAX_COUNT).default(1),
  /** Instance name prefix (default: the profile model's name). */
  name: z.string().min(1).optional(),
  /** With "*": profile model names or globs to leave out. */
  exclude: z.array(z.string().min(1)).min(1).optional(),
});

/** `type` of a workload: a missing or non-string type gets the list of valid ones. */
const workloadTypeField = z.string({ error: () => `expected one of ${workloadNames().join(', ')}` });
/** `type` of the scheduler, likewise. */
const schedulerTypeField = z.string({ error: () => `expected one of ${schedulerNames().join(', ')}` });

/** Fields every workload has; the rest are the type's own options. */
export const WorkloadCommonSchema = z.object({
  type: workloadTypeField,
  /** Group label in results (default: the type, or type#index when several). */
  name: z.string().min(1).optional(),
  slo: zDuration().default(100_000_000),
  /** SLO as a multiple of the model's batch-1 execution time (overrides slo). */
  sloFactor: z.number().positive().max(MAX_FACTOR).optional(),
  /** Instances this workload sends to: names, profile model names, or globs with "*". Default: all. */
  models: z.array(z.string().min(1)).min(1).optional(),
});
const COMMON_WORKLOAD_KEYS = ['type', 'name', 'slo', 'sloFactor', 'models'];

export const OutputSchema = z.strictObject({
  /** Output directory (relative to the working directory). Default: results/<name>. */
  dir: z.string().min(1).optional(),
  /** Also write requests.csv: one line per request (streamed while the run goes; large). */
  requests: z.boolean().default(false),
  /** Charts (PNG, in <dir>/charts) to draw at the end of the run: true for all that apply, or names. */
  charts: z.union([z.boolean(), z.array(z.enum(CHART_NAMES)).min(1)]).default(false),
  /** How those charts are drawn (the `servesim plot` options of the same names); absent: the defaults. */
  chartOptions: z
    .strictObject({
      formats: z.array(z.enum(CHART_FORMATS)).min(1).optional(),
      width: z.number().int().min(200).max(8000).optional(),
      height: z.number().int().min(150).max(8000).optional(),
      fontSize: z.number().int().min(6).max(72).optional(),
      xScale: z.enum(['auto', 'log', 'linear']).optional(),
      yScale: z.enum(['auto', 'log', 'linear']).optional(),
      excludeMissed: z.boolean().optional(),
    })
    .optional(),
});

export const MetricsSchema = z.strictObject({
  /** Window of timeseries.csv (offered load, goodput, latency percentiles, utilization per window). */
  window: zDuration().default(1_000_000_000),
  /**
   * Where a request's completion is measured (ok/late, latency): when its result is back at the
   * controller (Clockwork's metric) or when the response reaches the client (README.md, "Top level").
   */
  measureAt: z.enum(['controller', 'client']).default('controller'),
});

export const ExperimentSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Also the default output directory's name: one safe path segment (src/util/paths.ts). */
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/,
      'expected a name of letters, digits, ".", "_" and "-" (not starting with "." or "-", at most 100 characters)',
    ),
  description: z.string().optional(),
  seed: z.number().int().nonnegative().default(1),
  /**
   * Repeat every configuration with this many seeds: seed, seed + 1, ..., seed + seeds - 1 (a
   * `seed` dimension added to the sweep as its last, fastest key; README.md, "Seeds and confidence
   * intervals"). 1 (the default): one run per configuration, no seed dimension.
   */
  seeds: z.number().int().positive().max(LIMITS.seeds).optional(),
  /** Simulated time during which workloads send requests. */
  duration: zDuration(),
  /** Requests sent before this are excluded from the results. */
  warmup: zDuration({ allowZero: true }).default(0),
  /** Extra simulated time after `duration` for outstanding requests to finish. */
  drain: zDuration({ allowZero: true }).default(10_000_000_000),
  cluster: ClusterSchema,
  models: z.array(ModelEntrySchema).min(1),
  workload: z.union([z.looseObject({ type: workloadTypeField }), z.array(z.looseObject({ type: workloadTypeField })).min(1)]),
  scheduler: z.looseObject({ type: schedulerTypeField }),
  output: OutputSchema.default({ requests: false, charts: false }),
  metrics: MetricsSchema.default({ window: 1_000_000_000, measureAt: 'controller' }),
  /** Grid: dotted config path -> values; `servesim run` runs every combination. */
  sweep: z
    .union([z.record(z.string().min(1), z.array(z.unknown()).min(1)), z.array(z.record(z.string().min(1), z.unknown())).min(1)])
    .optional(),
});
export type Experiment = z.output<typeof ExperimentSchema>;

export interface ResolvedWorkload {
  type: WorkloadType;
  options: Record<string, unknown>;
  group: number;
  name: string;
  slo: number;
  sloFactor?: number;
  targets: ModelId[];
}

export interface ResolvedExperiment {
  file: string;
  /** The effective input config (after overrides and sweep point), as JSON. */
  input: Record<string, unknown>;
  config: Experiment;
  profile: HardwareProfile;
  /** The profile path as written in the config (kept relative for reproducible outputs). */
  profileRef: string;
  pagesPerGpu: number;
  pageSize: number;
  models: ModelInstance[];
  scheduler: { type: SchedulerType; options: Record<string, unknown> };
  workloads: ResolvedWorkload[];
  /** Plugins (user modules) the scheduler and workloads come from; empty with built-in types only. */
  plugins: PluginRecord[];
}

// ------------------------------------------------------------------ reading and overriding

/**
 * Read an experiment config: a regular file of bounded size (never a FIFO or device, which could
 * hang), JSON with line and column in errors, an object at the top level, no reserved field names
 * (src/util/json-input.ts).
 */
export function readConfigFile(file: string): Record<string, unknown> {
  const text = readInputText(file, 'config');
  return parseJsonInput(text, file, { topObject: true }) as Record<string, unknown>;
}

/**
 * Split "workload.slo", "workload[1].slo" or "models.0.copies" into keys; `where` starts messages.
 * Empty parts and reserved names (`__proto__`, `constructor`, `prototype`) are errors.
 */
export function splitPath(path: string, where = `config path "${path}"`): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') throw new UserError(`${where}: expected field names separated by "." (e.g. workload.slo or workload[1].slo), found "${path}"`);
    if (RESERVED_KEYS.has(part)) throw new UserError(`${where}: "${part}" is not allowed as a field name`);
    out.push(/^\d+$/.test(part) ? Number(part) : part);
  }
  return out;
}

/**
 * Set a dotted path in a JSON value (copy-on-write), creating missing objects and lists. Every
 * step must fit what is there: a list takes an index no larger than its length (its length
 * appends), an existing value that is not an object or list cannot take a field, so an override
 * can never be silently ignored. `where` starts messages ("--set PATH", "FILE: sweep key PATH").
 */
export function setPath(root: Record<string, unknown>, path: string, value: unknown, where = `config path "${path}"`): Record<string, unknown> {
  const keys = splitPath(path, where);
  const copy = structuredClone(root);
  let cur: any = copy;
  const at = (i: number) => (i === 0 ? 'the top level' : keys.slice(0, i).map((k, j) => (typeof k === 'number' ? `[${k}]` : j === 0 ? k : `.${k}`)).join(''));
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (Array.isArray(cur)) {
      if (typeof k !== 'number') throw new UserError(`${where}: ${at(i)} is a list, expected an index such as ${at(i)}[0], found "${k}"`);
      if (k > cur.length) {
        throw new UserError(`${where}: ${at(i)} has ${cur.length} ${cur.length === 1 ? 'entry' : 'entries'}, expected an index of at most ${cur.length}, found ${k}`);
      }
    }
    if (i === keys.length - 1) break;
    const next = cur[k];
    if (next === undefined) cur[k] = typeof keys[i + 1] === 'number' ? [] : {};
    else if (next === null || typeof next !== 'object') {
      throw new UserError(`${where}: ${at(i + 1)} is ${describeValue(next)}, not an object or list, so it has no field "${keys[i + 1]}"`);
    }
    cur = cur[k];
  }
  cur[keys[keys.length - 1]] = value;
  return copy;
}

/**
 * "--set path=value": the value is parsed as JSON when it can be ("8", "true", "[1,2]"), else taken
 * as a string. The path and the value are checked for reserved field names here, before anything
 * is merged.
 */
export function parseSetArg(arg: string): [string, unknown] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UserError(`--set expects path=value, found "${arg}"`);
  const path = arg.slice(0, eq).trim();
  const raw = arg.slice(eq + 1);
  splitPath(path, `--set ${path}`);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  checkJsonValue(value, `--set ${path}`);
  return [path, value];
}

// ------------------------------------------------------------------ sweeps

export interface SweepPoint {
  /** Directory name of the point, e.g. "workload.slo=10ms,scheduler.type=fifo". */
  id: string;
  params: Record<string, unknown>;
  input: Record<string, unknown>;
}

function slug(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** A point's directory name: "path=value,..." with each value slugged. */
function pointId(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${slug(v)}`)
    .join(',');
}

/**
 * A config's sweep with its seed dimension: `seeds: N` (N >= 2) adds `seed: [s, s + 1, ...,
 * s + N - 1]`, s the config's seed, as the grid's last (fastest) key, or to every point of a list
 * of points (each point repeated with each seed, seeds fastest). A `seed` already in the sweep
 * together with `seeds` is an error. Without `seeds` (or with 1), the sweep as written.
 */
export function effectiveSweep(input: Record<string, unknown>, file = 'config'): unknown {
  const sweep = input.sweep;
  const n = input.seeds;
  if (n === undefined) return sweep;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > LIMITS.seeds) {
    throw new UserError(`${file}: seeds: expected an integer from 1 to ${LIMITS.seeds} (runs per configuration), found ${describeValue(n)}`);
  }
  if (n === 1) return sweep;
  const s0 = input.seed === undefined ? 1 : input.seed;
  if (typeof s0 !== 'number' || !Number.isInteger(s0) || s0 < 0) return sweep; // the schema reports the seed
  const seeds = Array.from({ length: n }, (_, i) => s0 + i);
  const clash = `: "seed" is swept and "seeds" is given; use one of them (seeds: N runs seed, seed + 1, ..., seed + N - 1)`;
  if (sweep === undefined) return { [SEED_KEY]: seeds };
  if (Array.isArray(sweep)) {
    return sweep.flatMap((p, i) => {
      if (p !== null && typeof p === 'object' && SEED_KEY in p) throw new UserError(`${file}: sweep[${i}]${clash}`);
      return seeds.map((seed) => ({ ...(p as object), [SEED_KEY]: seed }));
    });
  }
  if (sweep !== null && typeof sweep === 'object') {
    if (SEED_KEY in sweep) throw new UserError(`${file}: sweep.seed${clash}`);
    return { ...sweep, [SEED_KEY]: seeds };
  }
  return sweep; // checkSweep reports it
}

/**
 * The points of a config's sweep; one point if none. A sweep is either a grid
 * (`{ path: [values] }`: every combination, in key order, last key fastest) or a list of explicit
 * points (`[{ path: value, ... }, ...]`, for parameters that vary together). `seeds` adds a seed
 * dimension (`effectiveSweep`); the points' configs carry neither `sweep` nor `seeds`.
 */
export function expandSweep(input: Record<string, unknown>, file = 'config'): SweepPoint[] {
  const sweep = effectiveSweep(input, file) as Record<string, unknown[]> | Array<Record<string, unknown>> | undefined;
  const base = { ...input };
  delete base.sweep;
  delete base.seeds;
  const point = (params: Record<string, unknown>): SweepPoint => {
    let cfg = base;
    for (const [k, v] of Object.entries(params)) cfg = setPath(cfg, k, v, `${file}: sweep key "${k}"`);
    return { id: pointId(params), params, input: cfg };
  };
  if (Array.isArray(sweep)) return sweep.map((p) => point(p));
  if (!sweep || Object.keys(sweep).length === 0) return [{ id: '', params: {}, input: base }];
  let combos: Array<Record<string, unknown>> = [{}];
  for (const k of Object.keys(sweep)) combos = combos.flatMap((c) => sweep[k].map((v) => ({ ...c, [k]: v })));
  return combos.map(point);
}

// ------------------------------------------------------------------ resolving

function findFile(ref: string, configDir: string): string | undefined {
  if (isAbsolute(ref)) return existsSync(ref) ? ref : undefined;
  for (const base of [process.cwd(), configDir, PACKAGE_ROOT]) {
    const p = join(base, ref);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * A glob with "*" (any run of characters) as a matcher. Matching is greedy with one backtrack
 * point, O(length of glob x length of name), so no glob ("*a*a*a...b") can make it take
 * exponential time as a regular expression could.
 */
function globToRegex(glob: string): { test(name: string): boolean } {
  return {
    test(name: string): boolean {
      let g = 0;
      let n = 0;
      let star = -1;
      let mark = 0;
      while (n < name.length) {
        if (g < glob.length && glob[g] !== '*' && glob[g] === name[n]) {
          g++;
          n++;
        } else if (g < glob.length && glob[g] === '*') {
          star = g++;
          mark = n;
        } else if (star >= 0) {
          g = star + 1;
          n = ++mark;
        } else return false;
      }
      while (g < glob.length && glob[g] === '*') g++;
      return g === glob.length;
    },
  };
}

/** Validate and resolve a config (one sweep point) into everything a run needs. */
export function resolveExperiment(input: Record<string, unknown>, file: string): ResolvedExperiment {
  checkJsonValue(input, file);
  const config = parseOrThrow(ExperimentSchema, input, file);
  // Every duration is at most MAX_DURATION (30 days, src/sim/time.ts), so duration + drain (the
  // simulated horizon) plus any SLO stays an exact integer of nanoseconds.
  if (config.warmup >= config.duration) {
    throw new UserError(
      `${file}: warmup: expected less than duration (${formatDuration(config.duration)}), found ${formatDuration(config.warmup)}`,
    );
  }
  const configDir = dirname(resolve(file));

  // Hardware profile
  const profilePath = findFile(config.cluster.profile, configDir);
  if (!profilePath) {
    throw new UserError(`${file}: cluster.profile: no hardware profile at "${config.cluster.profile}" (looked in the working directory, ${configDir} and ${PACKAGE_ROOT})`);
  }
  const profile = withInterference(loadProfile(profilePath), config.cluster.interference);
  const pageSize = config.cluster.pageSize ?? profile.device.pageSizeBytes;
  const weightsMemory = config.cluster.weightsMemory ?? profile.device.weightsMemoryBytes;
  const pagesPerGpu = Math.floor(weightsMemory / pageSize);
  if (pagesPerGpu < 1) {
    const fromProfile = (v: number | undefined, field: string) => (v === undefined ? `, device.${field} of ${config.cluster.profile}` : '');
    throw new UserError(
      config.cluster.pageSize !== undefined
        ? `${file}: cluster.pageSize: expected at most the weights memory of a GPU (${weightsMemory} bytes${fromProfile(config.cluster.weightsMemory, 'weightsMemory')}), found ${pageSize} bytes`
        : `${file}: cluster.weightsMemory: expected room for at least one page (${pageSize} bytes${fromProfile(config.cluster.pageSize, 'pageSize')}), found ${weightsMemory} bytes`,
    );
  }
  const gpus = config.cluster.workers * config.cluster.gpusPerWorker;

  // Model instances
  const models: ModelInstance[] = [];
  const seen = new Set<string>();
  config.models.forEach((entry, i) => {
    if (entry.exclude && entry.profile !== '*') {
      throw new UserError(`${file}: models[${i}].exclude: only allowed with "profile": "*", found it with "${entry.profile}"`);
    }
    const excluded = (entry.exclude ?? []).map((g, j) => {
      const re = globToRegex(g);
      if (![...profile.models.keys()].some((k) => re.test(k))) {
        throw new UserError(`${file}: models[${i}].exclude[${j}]: expected a model name or glob of ${config.cluster.profile}, found "${g}"`);
      }
      return re;
    });
    const names =
      entry.profile === '*' ? [...profile.models.keys()].sort().filter((k) => !excluded.some((re) => re.test(k))) : [entry.profile];
    if (names.length === 0) {
      throw new UserError(
        entry.exclude
          ? `${file}: models[${i}].exclude: expected to leave at least one of the ${profile.models.size} models of ${config.cluster.profile}, found it excludes them all`
          : `${file}: models[${i}].profile: expected "*" to match at least one model, found ${config.cluster.profile} has none`,
      );
    }
    for (const pname of names) {
      const mp = profile.models.get(pname);
      if (!mp) {
        const known = [...profile.models.keys()].sort();
        const hint = known.filter((k) => k.includes(pname.split('_')[0])).slice(0, 5);
        throw new UserError(
          `${file}: models[${i}].profile: expected a model of ${config.cluster.profile} (${known.length} models${hint.length ? `, e.g. ${hint.join(', ')}` : ''}), found "${pname}"`,
        );
      }
      const pages = Math.ceil((mp.weightsBytes + mp.extraMemoryBytes) / pageSize);
      if (pages > pagesPerGpu) {
        throw new UserError(
          `${file}: models[${i}].profile: model "${pname}" needs ${pages} pages of weights but a GPU holds ${pagesPerGpu} (cluster.weightsMemory ${weightsMemory} bytes)`,
        );
      }
      const prefix = entry.profile === '*' ? pname : (entry.name ?? pname);
      if (models.length + entry.copies > LIMITS.instances) {
        throw new UserError(`${file}: models[${i}]: expected at most ${LIMITS.instances} model instances in all, found more`);
      }
      if (gpus * (models.length + entry.copies) > LIMITS.gpuInstancePairs) {
        throw new UserError(
          `${file}: models[${i}]: expected GPUs x model instances of at most ${LIMITS.gpuInstancePairs}, found more (${gpus} GPUs: cluster.workers x cluster.gpusPerWorker)`,
        );
      }
      for (let c = 0; c < entry.copies; c++) {
        const name = entry.copies === 1 ? prefix : `${prefix}#${c}`;
        if (seen.has(name)) throw new UserError(`${file}: models[${i}]: instance name "${name}" is used twice (give the entry a distinct "name")`);
        seen.add(name);
        models.push({ id: models.length, name, profile: mp, pages });
      }
    }
  });

  // Plugins (docs/writing-a-scheduler.md): loaded by loadPlugins before this synchronous step.
  const plugins: PluginRecord[] = [];
  /** The plugin a `type` (or per-type block key) names; `used`: it runs, so the outputs record it. */
  const plugin = (kind: PluginKind, ref: string, field: string, used: boolean): SchedulerType & WorkloadType => {
    const p = findPlugin(kind, ref, file);
    if (!p) throw new UserError(`${file}: ${field}: ${kind} plugin "${ref}" was not loaded (loadPlugins() must run before resolveExperiment())`);
    if (used && !plugins.some((x) => x.kind === kind && x.path === p.path)) plugins.push({ kind, type: ref, name: p.entry.name, path: p.path, sha256: p.sha256, optionsSchema: optionsJsonSchema(p.entry.options) });
    return p.entry;
  };
  const schedulerOf = (name: string, field: string, used: boolean): SchedulerType | undefined =>
    isPluginRef(name) ? plugin('scheduler', name, field, used) : getScheduler(name);

  // Scheduler
  const sIn = config.scheduler as Record<string, unknown>;
  const stype = schedulerOf(String(sIn.type), 'scheduler.type', true);
  if (!stype) {
    throw new UserError(`${file}: scheduler.type: expected one of ${schedulerNames().join(', ')}, found ${describeValue(sIn.type)}`);
  }
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sIn)) {
    if (k === 'type') continue;
    const other = schedulerOf(k, `scheduler["${k}"]`, false);
    if (other && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      // Per-type option blocks: validated for their own type, used when that type is selected.
      parseSection(other.options, v, file, ['scheduler', k]);
      continue;
    }
    flat[k] = v;
  }
  const perType = sIn[isPluginRef(sIn.type) ? sIn.type : stype.name];
  const merged = { ...(perType && typeof perType === 'object' ? (perType as object) : {}), ...flat };
  const schedulerOptions = parseSection(stype.options, merged, file, ['scheduler']);

  // Workloads
  const wIn = Array.isArray(config.workload) ? config.workload : [config.workload];
  const wPath = (i: number): Array<string | number> => (Array.isArray(config.workload) ? ['workload', i] : ['workload']);
  const workloads: ResolvedWorkload[] = wIn.map((w, i) => {
    const wtype = isPluginRef(w.type) ? plugin('workload', w.type, `${pathStr(wPath(i))}.type`, true) : getWorkload(String(w.type));
    if (!wtype) {
      throw new UserError(`${file}: ${pathStr(wPath(i))}.type: expected one of ${workloadNames().join(', ')}, found ${describeValue(w.type)}`);
    }
    const common = parseSection(WorkloadCommonSchema, pick(w, COMMON_WORKLOAD_KEYS), file, wPath(i));
    const own = parseSection(wtype.options, omit(w, COMMON_WORKLOAD_KEYS), file, wPath(i));
    let targets: ModelId[] = models.map((m) => m.id);
    if (common.models) {
      const set = new Set<ModelId>();
      common.models.forEach((sel, j) => {
        const re = globToRegex(sel);
        const hit = models.filter((m) => m.name === sel || m.profile.name === sel || re.test(m.name));
        if (hit.length === 0) {
          throw new UserError(`${file}: ${pathStr([...wPath(i), 'models', j])}: expected a model instance name, profile model name or glob matching this experiment's models, found "${sel}"`);
        }
        for (const m of hit) set.add(m.id);
      });
      targets = [...set].sort((a, b) => a - b);
    }
    if (targets.length === 0) {
      throw new UserError(`${file}: ${pathStr([...wPath(i), 'models'])}: expected a selection of at least one model instance, found none`);
    }
    const problem = wtype.checkTargets?.(own, targets.length);
    if (problem) throw new UserError(`${file}: ${pathStr([...wPath(i), ...problem.path])}: ${problem.message}`);
    const name = common.name ?? (wIn.length > 1 ? `${wtype.name}#${i}` : wtype.name);
    return { type: wtype, options: own, group: i, name, slo: common.slo, sloFactor: common.sloFactor, targets };
  });
  const names = new Set<string>();
  workloads.forEach((w, i) => {
    if (names.has(w.name)) throw new UserError(`${file}: ${pathStr([...wPath(i), 'name'])}: expected a name no other workload has, found "${w.name}"`);
    names.add(w.name);
  });

  return {
    file,
    input,
    config,
    profile,
    profileRef: config.cluster.profile,
    pagesPerGpu,
    pageSize,
    models,
    scheduler: { type: stype, options: schedulerOptions },
    workloads,
    plugins,
  };
}

function pathStr(p: ReadonlyArray<string | number>): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));
}
function omit(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** Parse a section of the config with a schema, reporting paths relative to the whole file. */
function parseSection<S extends z.ZodType>(schema: S, value: unknown, file: string, prefix: Array<string | number>): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((iss) => ({ ...iss, path: [...prefix, ...iss.path] }));
  let root: unknown = value;
  for (let i = prefix.length - 1; i >= 0; i--) {
    const k = prefix[i];
    root = typeof k === 'number' ? Object.assign([], { [k]: root }) : { [k]: root };
  }
  throw new UserError(formatZodIssues(file, root, issues as z.core.$ZodIssue[]));
}

/**
 * Check a sweep before expanding it: its shape, its keys (config paths), its size, and its points'
 * directory names: each a safe single path segment (src/util/paths.ts) of at most
 * LIMITS.sweepPointId bytes, and no two alike (two points would otherwise share one directory).
 */
function checkSweep(sweep: unknown, file: string): void {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (sweep === undefined) return;
  const checkKey = (k: string, where: string) => {
    splitPath(k, `${file}: ${where} key "${k}"`);
    // eslint-disable-next-line no-control-regex
    if (/[/\\\u0000-\u001f\u007f=,]/.test(k)) {
      throw new UserError(`${file}: ${where} key ${describeValue(k)}: expected a config path such as workload.slo or workload[1].slo`);
    }
  };
  const checkId = (id: string, where: string, culprit: string) => {
    const problem = segmentProblem(id, LIMITS.sweepPointId);
    if (problem) {
      throw new UserError(
        `${file}: ${where}: expected values that make a point directory name of at most ${LIMITS.sweepPointId} bytes with no leading "." or "-", found ${culprit} (the name ${describeValue(id)}: ${problem})`,
      );
    }
  };
  if (Array.isArray(sweep)) {
    if (sweep.length === 0) throw new UserError(`${file}: sweep: expected a non-empty list of points, found an array of 0`);
    if (sweep.length > LIMITS.sweepPoints) throw new UserError(`${file}: sweep: expected at most ${LIMITS.sweepPoints} points, found ${sweep.length}`);
    const seen = new Map<string, number>();
    sweep.forEach((p, i) => {
      if (!isObj(p) || Object.keys(p).length === 0) {
        throw new UserError(`${file}: sweep[${i}]: expected an object of path -> value, found ${describeValue(p)}`);
      }
      for (const k of Object.keys(p)) checkKey(k, `sweep[${i}]`);
      const id = pointId(p);
      checkId(id, `sweep[${i}]`, 'this point');
      const j = seen.get(id);
      if (j !== undefined) throw new UserError(`${file}: sweep: two points have the same parameters (sweep[${j}] and sweep[${i}], both written to "${id}")`);
      seen.set(id, i);
    });
    return;
  }
  if (!isObj(sweep)) {
    throw new UserError(`${file}: sweep: expected an object of path -> list of values, or a list of points, found ${describeValue(sweep)}`);
  }
  let points = 1;
  let idBytes = Object.keys(sweep).length - 1; // the commas
  for (const [k, v] of Object.entries(sweep)) {
    if (!Array.isArray(v) || v.length === 0) throw new UserError(`${file}: sweep.${k}: expected a non-empty list of values, found ${describeValue(v)}`);
    checkKey(k, 'sweep');
    points *= v.length;
    if (points > LIMITS.sweepPoints) throw new UserError(`${file}: sweep: expected at most ${LIMITS.sweepPoints} points (the product of the list lengths), found more`);
    const seen = new Map<string, unknown>();
    let longest = 0;
    for (const value of v) {
      const part = `${k}=${slug(value)}`;
      checkId(part, `sweep.${k}`, `the value ${describeValue(value)}`);
      if (seen.has(part)) {
        const first = seen.get(part);
        const same = JSON.stringify(first) === JSON.stringify(value);
        throw new UserError(
          same
            ? `${file}: sweep.${k}: expected distinct values, found ${describeValue(value)} twice`
            : `${file}: sweep.${k}: expected values with distinct directory names, found ${describeValue(first)} and ${describeValue(value)}, both written to "${part}"`,
        );
      }
      seen.set(part, value);
      longest = Math.max(longest, Buffer.byteLength(part));
    }
    idBytes += longest;
  }
  if (idBytes > LIMITS.sweepPointId) {
    throw new UserError(`${file}: sweep: expected point directory names of at most ${LIMITS.sweepPointId} bytes, found one of ${idBytes} bytes (use shorter values, or a list of points)`);
  }
}

/** Read a config file and apply --set overrides and --seed; checks the sweep's shape. */
function readExperimentInput(file: string, opts: { sets?: Array<[string, unknown]>; seed?: number }): Record<string, unknown> {
  let input = readConfigFile(file);
  for (const [p, v] of opts.sets ?? []) {
    checkJsonValue(v, `--set ${p}`);
    input = setPath(input, p, v, `--set ${p}`);
  }
  if (opts.seed !== undefined) input = { ...input, seed: opts.seed };
  checkSweep(effectiveSweep(input, file), file);
  return input;
}

export interface LoadedExperiment {
  input: Record<string, unknown>;
  points: Array<SweepPoint & { resolved: ResolvedExperiment }>;
}

/**
 * Load, override and expand a config file; validates every sweep point. Configs that name plugins
 * (module paths as types) need `loadExperimentWithPlugins`.
 */
export function loadExperiment(file: string, opts: { sets?: Array<[string, unknown]>; seed?: number } = {}): LoadedExperiment {
  return resolvePoints(readExperimentInput(file, opts), file);
}

/** `loadExperiment` after importing the plugins any sweep point names (src/experiment/plugins.ts). */
export async function loadExperimentWithPlugins(file: string, opts: { sets?: Array<[string, unknown]>; seed?: number } = {}): Promise<LoadedExperiment> {
  const input = readExperimentInput(file, opts);
  await loadPlugins(expandSweep(input, file).map((p) => p.input), file);
  return resolvePoints(input, file);
}

function resolvePoints(input: Record<string, unknown>, file: string): LoadedExperiment {
  const points = expandSweep(input, file).map((p) => {
    try {
      return { ...p, resolved: resolveExperiment(p.input, file) };
    } catch (e) {
      if (e instanceof UserError && p.id) throw new UserError(`${e.message}\n(in sweep point ${p.id})`);
      throw e;
    }
  });
  return { input, points };
}

/** A zod schema as JSON Schema (input side), without the `$schema` that only the document's root may carry. */
function toJson(schema: z.ZodType): Record<string, any> {
  const j = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  delete j.$schema;
  return j;
}

/** Give each property of an object schema its description: the zod schema's own, else `docs[key]`. */
function describeProperties(schema: Record<string, any>, docs: Readonly<Record<string, string>> | undefined): Record<string, any> {
  for (const [k, p] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    const d = p.description ?? docs?.[k];
    if (d !== undefined) schema.properties[k] = { description: d, ...p };
  }
  return schema;
}

/**
 * The `if type is NAME then these fields and no others` branches that make `scheduler` and each
 * workload a union discriminated on `type`, so an editor flags an option the selected type does
 * not have. Options are referenced from `$defs.<defs>.<type>`; `fixed` are the fields every
 * object of the kind may carry whatever its type (`type`, per-type blocks, a workload's common
 * fields). The types' own `required` lists are left out: a sweep may supply those fields.
 */
function discriminated(
  names: readonly string[],
  defs: string,
  options: Record<string, Record<string, any>>,
  fixed: readonly string[],
  patternProperties?: Record<string, unknown>,
): unknown[] {
  return names.map((n) => ({
    if: { properties: { type: { const: n } }, required: ['type'] },
    then: {
      properties: {
        ...Object.fromEntries(fixed.map((k) => [k, true])),
        ...Object.fromEntries(Object.keys(options[n].properties ?? {}).map((k) => [k, { $ref: `#/$defs/${defs}/${n}/properties/${k}` }])),
      },
      ...(patternProperties ? { patternProperties } : {}),
      additionalProperties: false,
    },
  }));
}

/** A `type`: a registered name, or the path of a plugin module (docs/writing-a-scheduler.md). */
function typeSchema(kind: string, names: readonly string[], description: string): Record<string, unknown> {
  return {
    type: 'string',
    description,
    anyOf: [
      { enum: [...names], description: `A built-in ${kind}.` },
      { pattern: PLUGIN_REF_PATTERN, description: `A plugin: the path of a module whose default export is the ${kind} (relative to the config file's directory).` },
    ],
  };
}

/**
 * JSON Schema of experiment configs, for editors (docs/experiment.schema.json; README.md, "CLI
 * reference"). `scheduler` and `workload` are discriminated on `type`: the type is one of the
 * registered names, and each type admits exactly its own options (with descriptions from
 * option-docs.ts), so a misspelt type or option is flagged as the CLI would flag it.
 */
export function experimentJsonSchema(): unknown {
  const base = z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  const sNames = schedulerNames();
  const wNames = workloadNames();
  const schedulers: Record<string, Record<string, any>> = {};
  for (const n of sNames) schedulers[n] = describeProperties(toJson(getScheduler(n)!.options), SCHEDULER_OPTION_DOCS[n]);
  const workloads: Record<string, Record<string, any>> = {};
  for (const n of wNames) workloads[n] = describeProperties(toJson(getWorkload(n)!.options), WORKLOAD_OPTION_DOCS[n]);

  const scheduler = {
    type: 'object',
    description:
      'The scheduling policy: { "type": NAME, ...its options }. Options may also sit in per-type blocks ({ "type": "fifo", "clockwork": { "maxBatch": 8 } }), ' +
      'so a sweep over scheduler.type can carry each type\'s options; flat options apply to the selected type.',
    properties: {
      type: typeSchema('scheduler', sNames, `Scheduler: ${sNames.join(', ')} (servesim list --what schedulers), or a plugin module path such as "./edf.js".`),
      ...Object.fromEntries(
        sNames.map((n) => [n, { $ref: `#/$defs/schedulerOptions/${n}`, description: `Options of the ${n} scheduler, used when scheduler.type is "${n}" (e.g. in a sweep over scheduler.type).` }]),
      ),
    },
    required: ['type'],
    // Per-type blocks of plugins (keyed by their path) may sit beside any type's options.
    patternProperties: { [PLUGIN_REF_PATTERN]: { type: 'object', description: 'Options of a plugin scheduler, used when scheduler.type is this path.' } },
    allOf: discriminated(sNames, 'schedulerOptions', schedulers, ['type', ...sNames], { [PLUGIN_REF_PATTERN]: true }),
  };
  const common = describeProperties(toJson(WorkloadCommonSchema), WORKLOAD_COMMON_DOCS);
  const workload = {
    type: 'object',
    description: 'A workload: { "type": NAME, ...common fields, ...its options } (README.md, "workload"; docs/traces.md).',
    properties: {
      ...common.properties, // type first (its own entry replaces the common field's plain string)
      type: typeSchema('workload', wNames, `${WORKLOAD_COMMON_DOCS.type} One of ${wNames.join(', ')}, or a plugin module path such as "./diurnal.js".`),
    },
    required: ['type'],
    allOf: discriminated(wNames, 'workloadOptions', workloads, COMMON_WORKLOAD_KEYS),
  };
  // The config's own fields: descriptions by dotted path (models.profile: a field of each entry).
  const describeTree = (schema: Record<string, any> | undefined, path: string): void => {
    if (!schema?.properties) return;
    for (const [k, p] of Object.entries(schema.properties as Record<string, Record<string, any>>)) {
      const key = path ? `${path}.${k}` : k;
      const d = CONFIG_FIELD_DOCS[key];
      if (d !== undefined && p.description === undefined) schema.properties[k] = { description: d, ...p };
      describeTree(p.type === 'array' ? p.items : p, key);
    }
  };
  describeTree(base, '');
  base.properties.scheduler = { $ref: '#/$defs/scheduler' };
  base.properties.workload = {
    description: 'One workload, or a list of them (groups, each with its own SLO, reported separately).',
    anyOf: [{ $ref: '#/$defs/workload' }, { type: 'array', minItems: 1, items: { $ref: '#/$defs/workload' } }],
  };
  base.$defs = { ...(base.$defs ?? {}), scheduler, workload, schedulerOptions: schedulers, workloadOptions: workloads };
  return base;
}

/** Re-export for the CLI's `validate` summary. */
export { formatDuration, parseDuration };
