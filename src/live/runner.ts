/**
 * `servesim live`: one resolved experiment run on the real clock with real executors, its outputs
 * written by the same code as `servesim run` (src/experiment/runner.ts: describeRun,
 * writeRunDirectory), so a live result directory has the same files as a simulated one, plus
 * `mode: "live"` and a `live` section in summary.json (docs/live.md).
 */
import { availableParallelism } from 'node:os';
import type { ResolvedExperiment } from '../experiment/config.js';
import { buildRunParts, describeRun, traceEndedEarly, writeRunDirectory, type RunOptions, type RunOutputs } from '../experiment/runner.js';
import { RequestLog } from '../metrics/request-log.js';
import { TraceEventRecorder } from '../metrics/trace-events.js';
import { checkProvider, onnxruntimeVersion, type Provider } from '../models/harness/runtime.js';
import type { SimObserver } from '../sim/observer.js';
import { SEC, formatDuration } from '../sim/time.js';
import { VERSION } from '../version.js';
import { RealClock, chooseSpin, latenessSummary } from './clock.js';
import type { Empirical } from '../sim/random.js';
import { LiveEngine } from './engine.js';
import { ExecutorPool } from './executors.js';
import { measuredProfile } from './measured-profile.js';
import { liveModel, type LiveModel } from './models.js';
import { jsonText } from '../util/output.js';

export interface LiveOptions {
  /** onnxruntime execution provider (default cpu). */
  provider?: Provider;
  /** Intra-op threads per executor (default 1). */
  threads?: number;
  /** Timer spin window, ns (default: autoSpin's choice for this machine and the config's executors). */
  spin?: number;
  /** Pin executors to CPUs of their own when there are enough (default false: docs/live.md). */
  pin?: boolean;
  /** More observers of the run, after the metrics collector and the output's (tests). */
  observers?: readonly SimObserver[];
}

/** The profile as served, written beside a live run's results. */
export const MEASURED_PROFILE = 'measured-profile.json';

/** Real runs longer than this get a warning before they start. */
export const LONG_LIVE_RUN = 60 * SEC;

export interface LiveOutcome extends RunOutputs {
  engine: LiveEngine;
}

/** The distinct profile models of an experiment, built for the executors, and each instance's index among them. */
export function liveModels(r: ResolvedExperiment): { models: LiveModel[]; instanceModel: number[] } {
  const index = new Map<string, number>();
  const models: LiveModel[] = [];
  const instanceModel = r.models.map((m) => {
    let i = index.get(m.profile.name);
    if (i === undefined) {
      i = models.length;
      index.set(m.profile.name, i);
      models.push(liveModel(r.profile, m.profile.name));
    }
    return i;
  });
  return { models, instanceModel };
}

function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Per profile model: count, p50, p99 (ms) of the measured exec and first-run exec (per padded batch)
 * and LOAD durations, and the profile's median (null: the profile has no first-run figure).
 */
export function measuredSummary(engine: LiveEngine, r: ResolvedExperiment): Record<string, unknown> {
  const ms = (ns: number): number => Number((ns / 1e6).toFixed(4));
  const stats = (xs: number[], profileMedian: number | undefined) => {
    const s = [...xs].sort((a, b) => a - b);
    return { count: s.length, p50Ms: ms(quantile(s, 0.5)), p99Ms: ms(quantile(s, 0.99)), profileP50Ms: profileMedian === undefined ? null : ms(profileMedian) };
  };
  const byBatch = (m: ReadonlyMap<number, number[]>, profile: ReadonlyMap<number, Empirical> | undefined) =>
    Object.fromEntries([...m].sort(([a], [b]) => a - b).map(([b, xs]) => [String(b), stats(xs, profile?.get(b)?.median())]));
  const out: Record<string, unknown> = {};
  for (const [name, m] of [...engine.measured].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = r.profile.models.get(name)!;
    out[name] = {
      exec: byBatch(m.exec, p.exec),
      ...(m.firstExec.size > 0 ? { firstExec: byBatch(m.firstExec, p.firstExec) } : {}),
      ...(m.load.length > 0 ? { load: stats(m.load, p.load.median()) } : {}),
    };
  }
  return out;
}

/** Run one resolved experiment live, in memory (the files are written by runLiveToDirectory). */
export async function runLive(r: ResolvedExperiment, opts: RunOptions & LiveOptions = {}): Promise<LiveOutcome> {
  const c = r.config;
  const label = opts.label ?? c.name;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(line));
  const log = opts.progress ? (line: string) => process.stderr.write(line) : undefined;
  const provider: Provider = opts.provider ?? 'cpu';
  const threads = opts.threads ?? 1;
  const gpus = c.cluster.workers * c.cluster.gpusPerWorker;
  const { spin, why: spinWhy } = chooseSpin(opts.spin, gpus, threads, availableParallelism());
  if (c.duration + c.drain > LONG_LIVE_RUN) {
    warn(`${label}: warning: a live run takes real time: up to ${formatDuration(c.duration + c.drain)} (duration + drain)\n`);
  }
  await checkProvider({ provider, deviceId: 0, threads });
  const kind = r.profile.device.kind;
  if ((kind === 'gpu') !== (provider === 'cuda')) {
    warn(
      `${label}: warning: the profile describes a ${kind} (${r.profile.device.name}) and the executors run on the ${provider} provider: ` +
        `the simulated and live runs describe different hardware\n`,
    );
  }
  const { models, instanceModel } = liveModels(r);
  const parts = await buildRunParts(r, log);
  if (parts.execConcurrency > 1) {
    const cap = parts.execConcurrency >= 2 ** 31 ? 'no cap' : `up to ${parts.execConcurrency}`;
    warn(
      `${label}: note: scheduler ${r.scheduler.type.name} may overlap executions on a GPU (${cap}); ` +
        `live executors run them one at a time (docs/live.md)\n`,
    );
  }
  const traceEndedAt = traceEndedEarly({ workloads: parts.workloads }, r, label, warn);
  const modelNames = r.models.map((m) => m.name);
  const groupNames = r.workloads.map((w) => w.name);
  const observers: SimObserver[] = [parts.metrics];
  const requestLog = opts.requestsCsv ? new RequestLog(opts.requestsCsv, modelNames, groupNames, c.warmup, c.duration) : undefined;
  if (requestLog) observers.push(requestLog);
  const gpuInfos = Array.from({ length: gpus }, (_, id) => ({
    id,
    worker: Math.floor(id / c.cluster.gpusPerWorker),
    local: id % c.cluster.gpusPerWorker,
    maxConcurrentExec: 1,
  }));
  const trace = opts.traceEvents ? new TraceEventRecorder(opts.traceEvents.from, opts.traceEvents.to, gpuInfos, modelNames, groupNames) : undefined;
  if (trace) observers.push(trace);
  observers.push(...(opts.observers ?? []));

  const t0 = performance.now();
  log?.(`${label}: starting ${gpus} executor${gpus === 1 ? '' : 's'} (${provider}, ${threads} intra-op thread${threads === 1 ? '' : 's'} each)...\n`);
  const pool = await ExecutorPool.start({
    gpus,
    profileModels: models,
    instanceModel,
    instances: r.models,
    pagesPerGpu: r.pagesPerGpu,
    inputLead: c.cluster.inputLead,
    spin,
    runtime: { provider, deviceId: 0, threads },
    deviceIds: Array.from({ length: gpus }, (_, g) => g % c.cluster.gpusPerWorker),
    seed: String(c.seed),
    pin: opts.pin,
  });
  const setupSeconds = (performance.now() - t0) / 1000;
  log?.(`${label}: executors ready in ${setupSeconds.toFixed(1)} s; running for ${formatDuration(c.duration)} of real time\n`);

  const cpu0 = process.cpuUsage();
  const origin = process.hrtime.bigint();
  const clock = new RealClock(origin);
  pool.begin(origin);
  const engine = new LiveEngine(
    {
      seed: c.seed,
      duration: c.duration,
      warmup: c.warmup,
      drain: c.drain,
      models: r.models,
      workers: c.cluster.workers,
      gpusPerWorker: c.cluster.gpusPerWorker,
      pagesPerGpu: r.pagesPerGpu,
      execConcurrency: 1,
      network: c.cluster.network,
      measureAt: c.metrics.measureAt,
      spin,
    },
    parts.scheduler,
    parts.workloads,
    observers,
    pool,
    clock,
  );
  pool.connect(
    (g, res) => engine.onExecutorResult(g, res),
    (e) => engine.fail(e),
  );
  let peakRss = process.memoryUsage.rss();
  let endedAt: number;
  const pinned = [...pool.pinned];
  const controllerCpus = [...pool.controllerCpus];
  let executorTimers: Array<{ lateness: Float64Array; fired: number }> = [];
  try {
    endedAt = await engine.run((now) => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (opts.progress) {
        process.stderr.write(
          `${label}: live ${formatDuration(now)} of ${formatDuration(c.duration)}, ${parts.metrics.overall.counts.total.toLocaleString('en-US')} requests measured, ${engine.unanswered} unanswered\n`,
        );
      }
    });
  } finally {
    requestLog?.close();
    executorTimers = await pool.stop();
  }
  const wallS = Number(process.hrtime.bigint() - origin) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  let fired = 0;
  const all: number[] = [];
  for (const e of executorTimers) {
    fired += e.fired;
    for (const x of e.lateness) all.push(x);
  }
  const live = {
    executors: gpus,
    executor: 'worker thread per GPU (onnxruntime-node sessions; one action at a time)',
    provider,
    intraOpThreads: threads,
    // Per executor: the CPU it was pinned to, or why not.
    pinned,
    controllerCpus,
    onnxruntime: onnxruntimeVersion(),
    inputs: 'generated on the executor (seeded), copied per request; no input bytes sent',
    timerSpinUs: spin / 1000,
    timerSpinChoice: spinWhy,
    timerLatenessUs: { controller: engine.timers.summary(), executors: latenessSummary(all, fired) },
    actions: { ...engine.counters },
    models: Object.fromEntries(models.map((m) => [m.name, m.origin])),
    // What the executors measured, next to the profile's medians (ms): exec per padded batch, LOAD.
    measured: measuredSummary(engine, r),
    // measured-profile.json: the profile with these durations where there are enough (src/live/measured-profile.ts).
    measuredProfile: { file: MEASURED_PROFILE, replaced: [] as string[] },
    setupSeconds: Number(setupSeconds.toFixed(3)),
    endedAtSeconds: Number((endedAt / SEC).toFixed(6)),
    unanswered: engine.unanswered,
  };
  const asServed = measuredProfile(r.profile.path, engine.measured, `servesim live of ${c.name} (seed ${c.seed})`);
  live.measuredProfile.replaced = asServed.replaced;
  const { summary, resolvedConfig, manifest, files } = describeRun(r, {
    metrics: parts.metrics,
    scheduler: parts.scheduler,
    workloads: parts.workloads,
    gpus,
    traceEndedAt,
    trace,
    extraSummary: { mode: 'live', live },
    extraManifest: { mode: 'live' },
  });
  const measured = parts.metrics.overall.counts.total;
  const run = {
    mode: 'live',
    wallSeconds: Number(wallS.toFixed(3)),
    setupSeconds: live.setupSeconds,
    peakRssMB: Number((peakRss / 2 ** 20).toFixed(1)),
    measuredRequests: measured,
    realSeconds: Number((endedAt / SEC).toFixed(3)),
    speedupOverRealTime: 1,
    simulatedRequestsPerWallSecond: Math.round(measured / wallS),
    timerLatenessP99Us: live.timerLatenessUs.controller.p99,
    // CPU time of the whole process (controller, timers' polling and executors) during the run.
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
    cpus: availableParallelism(),
    servesim: VERSION,
    node: process.version,
  };
  files[MEASURED_PROFILE] = jsonText(asServed.json);
  return { summary, resolvedConfig, manifest, run, files, engine };
}

/** Run live and write the output directory, through the same writer as `servesim run`. */
export function runLiveToDirectory(
  r: ResolvedExperiment,
  dir: string,
  force: boolean,
  opts: RunOptions & LiveOptions & { flag?: string; lock?: boolean } = {},
): Promise<LiveOutcome> {
  return writeRunDirectory(r, dir, force, opts, (rr, o) => runLive(rr, { ...opts, ...o }));
}

