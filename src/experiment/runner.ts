/**
 * Runs experiments: one config point -> one simulation -> an output directory holding
 * summary.json, config.json (the effective input), config.resolved.json, manifest.json (all a
 * function of config and seed alone: byte-identical on rerun) and run.json (wall-clock facts).
 */
import { join } from 'node:path';
import { RUN_CHARTS } from '../charts/names.js';
import { MetricsCollector } from '../metrics/collector.js';
import { RequestLog } from '../metrics/request-log.js';
import { TraceEventRecorder } from '../metrics/trace-events.js';
import { Simulation, type SimulationSetup, type WorkloadSpec } from '../sim/simulation.js';
import { SEC, formatDuration } from '../sim/time.js';
import type { Scheduler } from '../sim/types.js';
import { VERSION } from '../version.js';
import type { ResolvedExperiment, SweepPoint } from './config.js';
import { blamePlugin } from './plugins.js';
import { recordsCsv } from '../util/csv.js';
import { sha256 } from '../util/hash.js';
import { beginDir, jsonText, writeFileAtomic, type OutputDir } from '../util/output.js';
import { meanCI, type MeanCI } from '../util/stats.js';
import { openProgress, type ProgressDisplay, type ProgressJob } from '../util/progress.js';
import { roundMetric } from '../util/round.js';
import { configId, groupConfigs, hasSeedDimension, SEED_KEY } from '../util/seed-groups.js';

export interface RunOptions {
  /**
   * Progress on stderr: true opens a display for this run (src/util/progress.ts: bars on a
   * terminal, plain lines otherwise, per SERVESIM_PROGRESS); a job of the caller's display reports
   * there; false or absent: none (warnings are still printed).
   */
  progress?: boolean | ProgressJob;
  /** Label for progress lines. */
  label?: string;
  /** Write requests.csv to this path while running (default: none). */
  requestsCsv?: string;
  /** Record a trace-event timeline of this window of simulated time. */
  traceEvents?: { from: number; to: number };
  /** Where warning lines go (default: stderr). */
  warn?: (line: string) => void;
}

export interface RunOutcome {
  summary: Record<string, unknown>;
  resolvedConfig: Record<string, unknown>;
  manifest: Record<string, unknown>;
  run: Record<string, unknown>;
  sim: MeasuredSimulation;
  /** timeseries.csv, per-model.csv and latency-histogram.json texts. */
  files: Record<string, string>;
}

/** A simulation with its metrics collector registered as its first observer (before any other). */
export class MeasuredSimulation extends Simulation {
  constructor(
    setup: SimulationSetup,
    scheduler: Scheduler,
    workloads: readonly WorkloadSpec[],
    readonly metrics: MetricsCollector,
  ) {
    super(setup, scheduler, workloads, [metrics]);
  }
}

/** The parts of a run every engine needs: the scheduler, its engine requirements, the metrics collector and the workloads. */
export interface RunParts {
  scheduler: Scheduler;
  execConcurrency: number;
  sendConcurrency: number;
  metrics: MetricsCollector;
  workloads: WorkloadSpec[];
}

/** Create the scheduler, metrics collector and workloads of a resolved experiment (workloads prepared). */
export async function buildRunParts(r: ResolvedExperiment, log?: (line: string) => void): Promise<RunParts> {
  const c = r.config;
  const gpus = c.cluster.workers * c.cluster.gpusPerWorker;
  const scheduler = r.scheduler.type.create(r.scheduler.options);
  const req = r.scheduler.type.engine?.(r.scheduler.options) ?? {};
  const metrics = new MetricsCollector(c.warmup, c.duration, r.workloads.length, gpus, {
    window: c.metrics.window,
    modelNames: r.models.map((m) => m.name),
    groupNames: r.workloads.map((w) => w.name),
  });
  const workloads: WorkloadSpec[] = [];
  for (const w of r.workloads) {
    const workload = w.type.create(w.options, {
      configDir: join(r.file, '..'),
      models: r.models,
      profile: r.profile,
      duration: c.duration,
      gpus,
      workers: c.cluster.workers,
    });
    if (workload.prepare) {
      const t0 = Date.now();
      log?.(`${c.name}: preparing workload ${w.name} (${w.type.name})...\n`);
      await workload.prepare();
      log?.(`${c.name}: workload ${w.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    workloads.push({ workload, group: w.group, name: w.name, targets: w.targets, slo: w.slo, sloFactor: w.sloFactor });
  }
  return { scheduler, execConcurrency: req.execConcurrency ?? 1, sendConcurrency: req.sendConcurrency ?? 0, metrics, workloads };
}

/** Build the simulation of a resolved experiment (async: workloads may read trace files first). */
export async function buildSimulation(r: ResolvedExperiment, log?: (line: string) => void): Promise<MeasuredSimulation> {
  const c = r.config;
  const p = await buildRunParts(r, log);
  return new MeasuredSimulation(
    {
      seed: c.seed,
      duration: c.duration,
      warmup: c.warmup,
      drain: c.drain,
      profile: r.profile,
      models: r.models,
      workers: c.cluster.workers,
      gpusPerWorker: c.cluster.gpusPerWorker,
      pagesPerGpu: r.pagesPerGpu,
      network: c.cluster.network,
      inputLead: c.cluster.inputLead,
      execConcurrency: p.execConcurrency,
      executor: c.cluster.executor,
      sendConcurrency: p.sendConcurrency,
      measureAt: c.metrics.measureAt,
    },
    p.scheduler,
    p.workloads,
    p.metrics,
  );
}

/**
 * Trace replays that run out before the run's duration (docs/traces.md, "When a trace ends before
 * the run"): a warning line each, and their end times by workload name for summary.json.
 */
export function traceEndedEarly(sim: { readonly workloads: readonly WorkloadSpec[] }, r: ResolvedExperiment, label: string, warn: (line: string) => void): Record<string, string> {
  const ended: Record<string, string> = {};
  const duration = r.config.duration;
  sim.workloads.forEach((spec, i) => {
    const end = spec.workload.traceEnd?.();
    if (!end || end.at >= duration) return;
    const w = r.workloads[i];
    ended[w.name] = formatDuration(end.at);
    warn(
      `${label}: warning: workload "${w.name}" (${w.type.name}): ${end.what} ends at ${formatDuration(end.at)} of simulated time, ` +
        `before the run's duration ${formatDuration(duration)}; no requests after that\n`,
    );
  });
  return ended;
}

/** What describeRun reads of a finished run, simulated or live (src/live/runner.ts). */
export interface RunFacts {
  metrics: MetricsCollector;
  scheduler: Scheduler;
  workloads: readonly WorkloadSpec[];
  gpus: number;
  traceEndedAt: Record<string, string>;
  trace?: TraceEventRecorder;
  /** Extra top-level fields of summary.json (live runs: mode and live measurements). */
  extraSummary?: Record<string, unknown>;
  /** Extra fields of manifest.json (live runs: mode). */
  extraManifest?: Record<string, unknown>;
}

/** The output files of a finished run, from its metrics: one code path for `run` and `live`. */
export function describeRun(
  r: ResolvedExperiment,
  m: RunFacts,
): { summary: Record<string, unknown>; resolvedConfig: Record<string, unknown>; manifest: Record<string, unknown>; files: Record<string, string> } {
  const c = r.config;
  const groupNames = r.workloads.map((w) => w.name);
  const names = groupNames;
  const metrics = m.metrics.summary(names);
  const summary: Record<string, unknown> = {
    name: c.name,
    scheduler: r.scheduler.type.name,
    seed: c.seed,
    durationSeconds: c.duration / SEC,
    warmupSeconds: c.warmup / SEC,
    gpus: m.gpus,
    models: r.models.length,
    // Where completions were measured (ok/late, latency): README.md, "Top level".
    measureAt: c.metrics.measureAt,
    ...metrics,
  };
  const sched = m.scheduler.summary?.();
  if (sched) summary.schedulerStats = sched;
  if (m.extraSummary) Object.assign(summary, m.extraSummary);
  if (Object.keys(m.traceEndedAt).length > 0) summary.traceEndedAt = m.traceEndedAt;
  const described = m.workloads.map((w, i) => ({ name: names[i], ...(w.workload.describe?.() ?? {}) }));

  const inputText = jsonText(r.input);
  const resolvedConfig: Record<string, unknown> = {
    units: { durations: 'ns', sizes: 'bytes', rates: 'per second', bandwidths: 'bytes per second' },
    ...r.config,
    derived: {
      profile: r.profileRef,
      device: r.profile.device.name,
      // The interference the executions got: the profile's ("measured" or "assumed") or cluster.interference's ("config").
      interference: { ...r.profile.device.interference, source: r.profile.device.interferenceSource },
      pageSize: r.pageSize,
      pagesPerGpu: r.pagesPerGpu,
      gpus: m.gpus,
      modelInstances: r.models.length,
      schedulerOptions: r.scheduler.options,
      workloads: r.workloads.map((w, i) => ({
        name: w.name,
        type: w.type.name,
        slo: w.slo,
        sloFactor: w.sloFactor ?? null,
        targets: w.targets.length,
        options: w.options,
        resolved: described[i],
      })),
      // Only with plugins, so built-in runs keep their bytes: each module, its hash and its options' JSON Schema.
      ...(r.plugins.length > 0 ? { plugins: r.plugins } : {}),
    },
  };
  const manifest = {
    servesim: VERSION,
    name: c.name,
    seed: c.seed,
    configHash: sha256(inputText),
    profile: r.profileRef,
    profileHash: r.profile.hash,
    ...(r.plugins.length > 0 ? { plugins: r.plugins.map((p) => ({ kind: p.kind, type: p.type, path: p.path, sha256: p.sha256 })) } : {}),
  };
  const files: Record<string, string> = {
    'timeseries.csv': m.metrics.timeseries.toCsv(),
    'per-model.csv': m.metrics.perModelCsv(),
    'latency-histogram.json': jsonText(m.metrics.histogramsJson(groupNames, r.workloads.map((w) => w.slo))),
  };
  if (m.trace) files['trace-events.json'] = m.trace.toJson();
  return { summary, resolvedConfig, manifest: { ...manifest, ...(m.extraManifest ?? {}) }, files };
}

/** Wall-clock milliseconds between two samples of the process's RSS during a run. */
const RSS_SAMPLE_MS = 50;

/** Run one resolved experiment in memory. */
export async function runExperiment(r: ResolvedExperiment, opts: RunOptions = {}): Promise<RunOutcome> {
  try {
    return await runResolved(r, opts);
  } catch (e) {
    // An exception from a plugin's code is the plugin author's to fix: a UserError naming the module.
    throw blamePlugin(e, r.plugins);
  }
}

/** Wall-clock milliseconds between two progress samples sent to a display (it draws less often). */
const PROGRESS_SAMPLE_MS = 100;

async function runResolved(r: ResolvedExperiment, opts: RunOptions): Promise<RunOutcome> {
  let own: ProgressDisplay | undefined;
  let job: ProgressJob | undefined;
  if (opts.progress === true) {
    own = openProgress();
    job = own.job(opts.label ?? r.config.name);
  } else if (opts.progress) job = opts.progress;
  try {
    return await runWith(r, opts, job);
  } finally {
    if (own) {
      job!.end();
      own.close();
    }
  }
}

async function runWith(r: ResolvedExperiment, opts: RunOptions, job: ProgressJob | undefined): Promise<RunOutcome> {
  const sim = await buildSimulation(r, job ? (line) => job.log(line) : undefined);
  const c = r.config;
  const traceEndedAt = traceEndedEarly(sim, r, opts.label ?? c.name, opts.warn ?? ((line) => process.stderr.write(line)));
  const modelNames = r.models.map((m) => m.name);
  const groupNames = r.workloads.map((w) => w.name);
  const requestLog = opts.requestsCsv ? new RequestLog(opts.requestsCsv, modelNames, groupNames, c.warmup, c.duration) : undefined;
  if (requestLog) sim.addObserver(requestLog);
  const trace = opts.traceEvents ? new TraceEventRecorder(opts.traceEvents.from, opts.traceEvents.to, sim.gpus, modelNames, groupNames) : undefined;
  if (trace) sim.addObserver(trace);
  const wallStart = process.hrtime.bigint();
  let lastSample = Date.now();
  // Peak RSS (run.json peakRssMB): sampled at the start, at the end, and between run steps at most
  // every RSS_SAMPLE_MS of wall time. Reading it costs tens of microseconds, too much for every
  // step of a long run; a peak that lasts less than that between two samples may be missed.
  let peakRss = process.memoryUsage.rss();
  let lastRssSample = lastSample;
  const total = c.duration + c.drain;
  const sample = (t: number): void => job?.update({ t, total: c.duration, requests: sim.metrics.overall.counts.total, events: sim.loop.eventsProcessed });
  sample(0);
  const progress = (t: number): void => {
    const nowWall = Date.now();
    if (nowWall - lastRssSample >= RSS_SAMPLE_MS) {
      lastRssSample = nowWall;
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
    }
    if (!job || nowWall - lastSample < PROGRESS_SAMPLE_MS) return;
    lastSample = nowWall;
    sample(t);
  };
  try {
    sim.run(progress, Math.min(SEC, Math.max(total / 1000, 1e6)));
  } finally {
    requestLog?.close();
  }
  sample(sim.loop.now());
  const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  const { summary, resolvedConfig, manifest, files } = describeRun(r, {
    metrics: sim.metrics,
    scheduler: sim.scheduler,
    workloads: sim.workloads,
    gpus: sim.gpus.length,
    traceEndedAt,
    trace,
  });
  const simulatedRequests = sim.metrics.overall.counts.total;
  const run = {
    wallSeconds: Number(wallS.toFixed(3)),
    peakRssMB: Number((peakRss / 2 ** 20).toFixed(1)),
    events: sim.loop.eventsProcessed,
    eventsPerSecond: Math.round(sim.loop.eventsProcessed / wallS),
    simulatedSeconds: sim.loop.now() / SEC,
    speedupOverRealTime: Number((sim.loop.now() / SEC / wallS).toFixed(2)),
    measuredRequests: simulatedRequests,
    simulatedRequestsPerWallSecond: Math.round(simulatedRequests / wallS),
    node: process.version,
  };
  return { summary, resolvedConfig, manifest, run, sim, files };
}

/**
 * Run one point and write its output directory: built under a temporary name and moved into place
 * when complete (src/util/output.ts has the rules: only a directory servesim wrote is replaced, and
 * only with `force`). `lock: false` when the caller holds a lock covering `dir` (a sweep).
 */
export async function runToDirectory(
  r: ResolvedExperiment,
  dir: string,
  force: boolean,
  opts: RunOptions & { lock?: boolean; forceHint?: string; flag?: string } = {},
): Promise<RunOutcome> {
  return writeRunDirectory(r, dir, force, opts, runExperiment);
}

/** The files every run writes, simulated or live (`execute`: src/live/runner.ts for `servesim live`). */
export type RunOutputs = Omit<RunOutcome, 'sim'>;

/** Run `execute` and write its output directory (see runToDirectory): the one writer of run directories. */
export async function writeRunDirectory<T extends RunOutputs>(
  r: ResolvedExperiment,
  dir: string,
  force: boolean,
  opts: RunOptions & { lock?: boolean; forceHint?: string; flag?: string },
  execute: (r: ResolvedExperiment, opts: RunOptions) => Promise<T>,
): Promise<T> {
  const pending = beginDir(dir, 'run', { force, lock: opts.lock, forceHint: opts.forceHint, flag: opts.flag });
  try {
    const tmp = pending.tmp;
    const c = r.config;
    const out = await execute(r, { ...opts, requestsCsv: c.output.requests ? join(tmp, 'requests.csv') : undefined });
    writeFileAtomic(join(tmp, 'summary.json'), jsonText(out.summary));
    for (const [name, text] of Object.entries(out.files)) writeFileAtomic(join(tmp, name), text);
    writeFileAtomic(join(tmp, 'config.json'), jsonText(r.input));
    writeFileAtomic(join(tmp, 'config.resolved.json'), jsonText(out.resolvedConfig));
    writeFileAtomic(join(tmp, 'manifest.json'), jsonText(out.manifest));
    writeFileAtomic(join(tmp, 'run.json'), jsonText(out.run));
    if (c.output.charts !== false) {
      // Loaded only when asked for: the renderer pulls in canvas.
      const { plotRunCharts } = await import('../charts/plot.js');
      const names = c.output.charts === true ? RUN_CHARTS : c.output.charts.filter((n) => RUN_CHARTS.includes(n));
      if (names.length > 0) await plotRunCharts([tmp], join(tmp, 'charts'), names, { labels: [opts.label ?? c.name], ...(c.output.chartOptions ?? {}) });
    }
    pending.commit();
    return out;
  } catch (e) {
    return pending.fail(e);
  }
}

/** Key metrics of a summary for index files and tables. */
export function keyMetrics(s: Record<string, any>): Record<string, number | string | null> {
  return {
    scheduler: s.scheduler,
    requests: s.requests?.total ?? null,
    ok: s.requests?.ok ?? null,
    late: s.requests?.late ?? null,
    timeout: s.requests?.timeout ?? null,
    rejected: s.requests?.rejected ?? null,
    failed: s.requests?.failed ?? null,
    goodput: s.goodput ?? null,
    throughput: s.throughput ?? null,
    offeredLoad: s.offeredLoad ?? null,
    sloAttainment: s.sloAttainment ?? null,
    p50Ms: s.latencyMs?.p50 ?? null,
    p99Ms: s.latencyMs?.p99 ?? null,
    p999Ms: s.latencyMs?.p999 ?? null,
    p9999Ms: s.latencyMs?.p9999 ?? null,
    p999999Ms: s.latencyMs?.p999999 ?? null,
    maxMs: s.latencyMs?.max ?? null,
    coldStarts: s.coldStarts ?? null,
  };
}


/** The key metrics that index-configs.* and `compare` average over seeds (every numeric one). */
export const STAT_METRICS = Object.keys(keyMetrics({})).filter((k) => k !== 'scheduler');

export interface ConfigStats {
  /** The configuration's name (src/experiment/groups.ts, configId). */
  config: string;
  /** Its sweep parameters, without the seed. */
  params: Record<string, unknown>;
  scheduler: unknown;
  /** Complete points (seeds) it has. */
  n: number;
  seeds: unknown[];
  /** Its points' directories, in sweep order. */
  points: string[];
  /** Per key metric: mean and 95% confidence interval over the seeds (n counts the seeds that have the metric). */
  metrics: Record<string, MeanCI>;
}

/** A metric's mean and interval rounded as its values are written (src/util/round.ts): no float noise in index-configs.* or --json. */
export function roundCI(metric: string, m: MeanCI): MeanCI {
  const r = (x: number): number => roundMetric(metric, x);
  return { n: m.n, mean: r(m.mean), sd: r(m.sd), half: r(m.half), lo: r(m.lo), hi: r(m.hi) };
}

/** Mean and 95% confidence interval of every key metric per configuration (points differing only in seed). */
export function configStats(rows: ReadonlyArray<{ point: SweepPoint; summary: Record<string, unknown> }>): ConfigStats[] {
  return groupConfigs(rows, (r) => r.point.params).map((g) => {
    const ms = g.members.map((r) => keyMetrics(r.summary));
    const metrics: Record<string, MeanCI> = {};
    for (const k of STAT_METRICS) metrics[k] = roundCI(k, meanCI(ms.map((m) => (typeof m[k] === 'number' ? (m[k] as number) : NaN))));
    return {
      config: g.id,
      params: g.params,
      scheduler: ms[0].scheduler,
      n: g.members.length,
      seeds: g.members.map((r) => r.point.params[SEED_KEY] ?? r.summary.seed ?? null),
      points: g.members.map((r) => r.point.id),
      metrics,
    };
  });
}

/** A number for index files: NaN (an interval of one seed) as null. */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * Write the sweep index (CSV and JSON) atomically: index.csv / index.json, one row per complete
 * point. A sweep with a seed dimension (`seeds`, or `seed` swept) also gets a `config` column
 * in those and index-configs.csv / index-configs.json: one row per configuration with n, the
 * seeds, and mean, 95% CI half-width, lo and hi of every key metric (README.md, "Seeds and
 * confidence intervals"). `seeded` defaults to whether some row's parameters name a seed.
 */
export function writeIndex(dir: OutputDir, rows: Array<{ point: SweepPoint; summary: Record<string, unknown> }>, seeded = hasSeedDimension(rows.map((r) => r.point))): void {
  const cfg = (point: SweepPoint): Record<string, string> => (seeded ? { config: configId(point.params) } : {});
  const flat = rows.map(({ point, summary }) => ({ point: point.id, ...cfg(point), ...point.params, ...keyMetrics(summary) }));
  dir.write('index.csv', recordsCsv(flat));
  dir.write(
    'index.json',
    jsonText(rows.map(({ point, summary }) => ({ point: point.id, dir: point.id, ...cfg(point), params: point.params, metrics: keyMetrics(summary) }))),
  );
  if (!seeded) return;
  const stats = configStats(rows);
  dir.write(
    'index-configs.csv',
    recordsCsv(
      stats.map((c) => {
        const row: Record<string, unknown> = { config: c.config, ...c.params, scheduler: c.scheduler, n: c.n, seeds: c.seeds.join(' ') };
        for (const k of STAT_METRICS) {
          const m = c.metrics[k];
          row[`${k}Mean`] = num(m.mean);
          row[`${k}Half`] = num(m.half);
          row[`${k}Lo`] = num(m.lo);
          row[`${k}Hi`] = num(m.hi);
        }
        return row;
      }),
    ),
  );
  dir.write(
    'index-configs.json',
    jsonText(
      stats.map((c) => ({
        ...c,
        metrics: Object.fromEntries(
          Object.entries(c.metrics).map(([k, m]) => [k, { n: m.n, mean: num(m.mean), sd: num(m.sd), half: num(m.half), lo: num(m.lo), hi: num(m.hi) }]),
        ),
      })),
    ),
  );
}
