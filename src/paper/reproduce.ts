/**
 * `servesim reproduce`: run the Clockwork paper's experiments (the fast set by default, the full
 * set with `full`), draw each figure's charts, check each claim against the results and write
 * report.md (plus verdicts.json) into the output directory.
 *
 * Layout of the output directory: <fig>/ (each experiment's results: a run or a sweep), charts/
 * (the figures' PNGs), report.md, verdicts.json, and trace-cache/ (the synthetic Azure day, unless
 * --azure-dir or --trace-cache is given).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadExperiment, type ResolvedExperiment } from '../experiment/config.js';
import { PACKAGE_ROOT } from '../version.js';
import { jsonText, OutputDir, writeIntoDir } from '../util/output.js';
import { runToDirectory } from '../experiment/runner.js';
import { pointHash, runSweep } from '../experiment/sweep.js';
import { invocationFileName } from '../traces/azure2019.js';
import { synthAzure } from '../traces/synth-azure.js';
import { UserError } from '../util/errors.js';
import { fig11Charts, fig5Charts, fig6Charts, fig7Charts, fig8Charts, fig9Charts } from './charts.js';
import { EXPERIMENTS, FIG11_PAPER, parseOnly, type Figure } from './experiments.js';
import { fig11Table, fig5GoodputTable, fig9Table, groupsTable, renderReport, runsTable, type ReportSection } from './report.js';
import {
  fig10Claims,
  fig11Claims,
  fig5Claims,
  fig6Claims,
  fig7Claims,
  fig8Claims,
  fig9Claims,
  verdictText,
  type Claim,
  type Fig6Options,
  type RampOptions,
} from './verdicts.js';

export interface ReproduceOptions {
  /** The full set (the paper's durations) instead of the fast one. */
  full?: boolean;
  /** Directory of the real Azure Functions 2019 trace (invocations_per_function_md.anon.d01.csv). */
  azureDir?: string;
  /** Where the synthetic Azure day is kept (default <out>/trace-cache/azure-synth-46000-seed1). */
  traceCache?: string;
  out?: string;
  jobs?: number;
  /** Comma-separated figures (fig5, fig6, fig7, fig8, fig9 (= fig10), fig11). */
  only?: string;
  /** Keep complete results (points) already in the output directory. */
  resume?: boolean;
  /** Rerun experiments whose results are already in the output directory. */
  force?: boolean;
  /** Where the configs are (default: the package's experiments/paper). */
  configDir?: string;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
  /** The command line, for the report. */
  command?: string;
}

export interface ReproduceResult {
  out: string;
  claims: Claim[];
  reportFile: string;
  wallSeconds: Record<string, number>;
}

/** Synthetic day: as many functions as the real trace's day 1. */
export const SYNTH_FUNCTIONS = 46_000;
export const SYNTH_SEED = '1';

/** The trace directory for fig9/fig11: the user's, or a synthetic day made (once) in the cache. */
export async function prepareTrace(o: { azureDir?: string; cache: string; log: (s: string) => void }): Promise<{ dir: string; what: string }> {
  const file = invocationFileName(1);
  if (o.azureDir) {
    if (!existsSync(join(o.azureDir, file))) {
      throw new UserError(`--azure-dir ${o.azureDir}: no ${file} there (expected the unpacked azurefunctions-dataset2019 directory)`);
    }
    return { dir: resolve(o.azureDir), what: `the Azure Functions 2019 trace, day 1 (${o.azureDir})` };
  }
  const what = `a synthetic Azure Functions 2019-format day (servesim trace synth-azure --functions ${SYNTH_FUNCTIONS} --days 1 --seed ${SYNTH_SEED}), not the real trace`;
  const marker = join(o.cache, 'synth.json');
  const want = { functions: SYNTH_FUNCTIONS, days: 1, seed: SYNTH_SEED };
  if (existsSync(join(o.cache, file)) && existsSync(marker)) {
    try {
      const m = JSON.parse(readFileSync(marker, 'utf8'));
      if (m.functions === want.functions && m.days === want.days && m.seed === want.seed) return { dir: resolve(o.cache), what };
    } catch {
      // remade below
    }
  }
  o.log(`reproduce: writing the synthetic Azure day (${SYNTH_FUNCTIONS.toLocaleString('en-US')} functions) to ${o.cache} (once; reused afterwards)`);
  await synthAzure({ functions: SYNTH_FUNCTIONS, days: 1, seed: SYNTH_SEED, out: o.cache, progress: (l) => o.log(`synth-azure: ${l}`) });
  writeIntoDir(o.cache, 'trace', 'synth.json', jsonText(want));
  return { dir: resolve(o.cache), what };
}

/** Run one experiment config into `dir` (a sweep or a single run). */
async function runConfig(file: string, sets: Array<[string, unknown]>, dir: string, o: ReproduceOptions): Promise<ResolvedExperiment> {
  const { input, points } = loadExperiment(file, { sets });
  const isSweep = input.sweep !== undefined;
  if (isSweep) {
    await runSweep({ file, input, points, outDir: dir, jobs: o.jobs, resume: o.resume, force: o.force, progress: true });
  } else {
    const p = points[0];
    const manifest = join(dir, 'manifest.json');
    let complete = false;
    if (o.resume && existsSync(manifest) && existsSync(join(dir, 'summary.json'))) {
      try {
        complete = JSON.parse(readFileSync(manifest, 'utf8')).configHash === pointHash(p.input);
      } catch {
        complete = false; // unreadable: run it again (replacing it needs --force, as any result)
      }
    }
    if (complete) o.log?.(`reproduce: ${dir} is complete (--resume), kept`);
    else await runToDirectory(p.resolved, dir, !!(o.force || o.resume), { progress: true, label: p.resolved.config.name, forceHint: 'use --resume to keep complete results, --force to rerun them, or --out DIR' });
  }
  return points[0].resolved;
}

const b1Ms = (r: ResolvedExperiment): number => r.models[0].profile.exec.get(r.models[0].profile.batchSizes[0])!.median() / 1e6;

/**
 * The settings that decide what a run models where servesim offers a choice (docs/clockwork-model.md):
 * where requests are measured, what an INFER carries to its worker, the controller's NIC, and
 * Clockwork's released-or-intended rules when the config's scheduler is Clockwork.
 */
export function modelSettings(r: ResolvedExperiment): string {
  const c = r.config;
  const inputs = c.cluster.network.inferInputs;
  const parts = [
    `measured at the ${c.metrics.measureAt}`,
    `INFER inputs ${typeof inputs === 'string' ? inputs : `compressed to ${inputs.compressed} of their size`}`,
    `${c.cluster.network.nic === 'shared' ? 'one NIC shared by' : 'full bandwidth for each of'} the controller's concurrent sends`,
  ];
  if (r.scheduler.type.name === 'clockwork') {
    const o = r.scheduler.options as Record<string, unknown>;
    parts.push(`Clockwork answerDrops "${o.answerDrops}", loadPolicy "${o.loadPolicy}", estimatorSeed "${o.estimatorSeed}", failedStrategy "${o.failedStrategy}"`);
  }
  return `Model settings: ${parts.join('; ')}.`;
}

function rampOf(r: ResolvedExperiment): RampOptions {
  const ramp = (r.workloads[0].options as { ramp: { start: number; factor: number; every: number; max: number } }).ramp;
  return { start: ramp.start, factor: ramp.factor, every: ramp.every / 1e9, max: ramp.max, b1Ms: b1Ms(r) };
}

/** The floor of Clockwork's internal deadline (ms): scheduleAhead + buffer. */
function deadlineFloorMs(r: ResolvedExperiment): number {
  const o = r.scheduler.options as { scheduleAhead: number; buffer: number };
  return (o.scheduleAhead + o.buffer) / 1e6;
}

function fig6Options(r: ResolvedExperiment): Fig6Options {
  const w = r.workloads[0].options as { interval: number; leadIn: number };
  return { leadIn: w.leadIn / 1e9, interval: w.interval / 1e9, fit: Math.floor(r.pagesPerGpu / r.models[0].pages) };
}

function fig5Capacity(r: ResolvedExperiment): number {
  const maxBatch = Number((r.scheduler.options as { maxBatch?: number }).maxBatch ?? 8);
  const prof = r.models[0].profile;
  return maxBatch / (prof.exec.get(maxBatch)!.median() / 1e9);
}

const dur = (ns: number): string => (ns >= 3600e9 ? `${ns / 3600e9} h` : ns >= 60e9 ? `${ns / 60e9} min` : `${ns / 1e9} s`);

export async function reproduce(o: ReproduceOptions = {}): Promise<ReproduceResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const figures: Figure[] = parseOnly(o.only);
  const set = o.full ? 'full' : 'fast';
  const out = o.out ?? join('results', o.full ? 'paper' : 'paper-fast');
  const configDir = o.configDir ?? join(PACKAGE_ROOT, 'experiments', 'paper', ...(o.full ? [] : ['fast']));
  for (const f of figures) {
    const file = join(configDir, EXPERIMENTS[f].config);
    if (!existsSync(file)) throw new UserError(`${file}: the ${f} config is missing`);
  }
  // The output directory is servesim's (or new) and locked for the whole run.
  const outDir = new OutputDir(out, 'paper');
  try {
    return await reproduceInto(outDir, out, figures, configDir, set, log, o);
  } finally {
    outDir.close();
  }
}

async function reproduceInto(
  outDir: OutputDir,
  out: string,
  figures: Figure[],
  configDir: string,
  set: 'full' | 'fast',
  log: (s: string) => void,
  o: ReproduceOptions,
): Promise<ReproduceResult> {
  const chartsDir = join(out, 'charts');

  let trace: { dir: string; what: string } | null = null;
  if (figures.some((f) => EXPERIMENTS[f].trace)) {
    trace = await prepareTrace({ azureDir: o.azureDir, cache: o.traceCache ?? join(out, 'trace-cache', `azure-synth-${SYNTH_FUNCTIONS}-seed${SYNTH_SEED}`), log });
  }

  const sections: ReportSection[] = [];
  const wall: Record<string, number> = {};
  const rel = (p: string): string => relative(out, p).split('\\').join('/');
  for (const f of figures) {
    const exp = EXPERIMENTS[f];
    const file = join(configDir, exp.config);
    const dir = join(out, f);
    const t0 = process.hrtime.bigint();
    log(`reproduce: ${f} (${exp.title}): ${file} -> ${dir}`);
    const sets: Array<[string, unknown]> = exp.trace && trace ? [['workload.dir', trace.dir]] : [];
    const r = await runConfig(file, sets, dir, o);
    const c = r.config;
    const notes = [`Config: \`${relative(PACKAGE_ROOT, file) || file}\` (${set} set): duration ${dur(c.duration)}${c.warmup ? `, first ${dur(c.warmup)} excluded` : ''}${c.description ? `. ${c.description}` : ''}`];
    notes.push(modelSettings(r));
    if (exp.trace && trace) notes.push(`Trace: ${trace.what}.`);
    let claims: Claim[] = [];
    let charts: string[] = [];
    let table = '';
    if (f === 'fig5') {
      const capacity = fig5Capacity(r);
      claims = fig5Claims(dir, { capacity });
      charts = await fig5Charts(dir, chartsDir, capacity);
      table = `${fig5GoodputTable(dir)}\n\n${runsTable(dir)}`;
      notes.push(
        'Interference: Clipper, INFaaS and Triton overlap executions on the GPU, whose aggregate speed-up for overlapping executions the V100 profile only assumes (1.25; ' +
          'device.interference.source "assumed"; nothing in the paper measures it for batched executions). They run at speed-up 1.0 (cluster.interference.speedup [1]) ' +
          'and at the assumed 1.25; the claims are decided on the 1.0 runs, and the 1.25 runs are shown beside them, labelled "assumed interference". ' +
          'Clockwork and FIFO run one execution at a time, so the speed-up does not apply to them (they run once).',
      );
    } else if (f === 'fig6') {
      const fo = fig6Options(r);
      claims = fig6Claims(dir, fo);
      charts = await fig6Charts(dir, chartsDir, fo);
      table = groupsTable(dir);
    } else if (f === 'fig7') {
      const ramp = rampOf(r);
      claims = fig7Claims(dir, { ...ramp, looseMs: 20, floorMs: deadlineFloorMs(r) });
      charts = await fig7Charts(dir, chartsDir, ramp);
      table = runsTable(dir);
    } else if (f === 'fig8') {
      const ramp = rampOf(r);
      claims = fig8Claims(dir, ramp);
      charts = await fig8Charts(dir, chartsDir, ramp);
      table = runsTable(dir);
    } else if (f === 'fig9') {
      claims = [...fig9Claims(dir), ...fig10Claims(dir)];
      charts = await fig9Charts(dir, chartsDir);
      table = fig9Table(dir);
      notes.push(
        "Load factor sweep: scale = load factor x 0.125 x 8 (the artifact's formula with num_workers 8), so load factor 1 (scale 1.0) is the paper's setting; on these 6 GPUs the artifact's 0.125 of the trace per worker is load factor 0.75.",
      );
    } else if (f === 'fig11') {
      claims = fig11Claims(dir);
      const maxGpus = Math.max(...((r.input.sweep as Record<string, number[]> | undefined)?.['cluster.workers'] ?? [c.cluster.workers]));
      charts = await fig11Charts(dir, chartsDir, maxGpus >= 40 ? FIG11_PAPER : []);
      table = fig11Table(dir);
      notes.push(
        `Controller cost: decisionLatency ${(r.scheduler.options as { decisionLatency: number }).decisionLatency / 1e3} us per INFER or LOAD dispatched, servesim's own controller measured by scripts/controller-cost.mjs (see docs/paper-reproduction.md).`,
      );
    }
    wall[f] = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const cl of claims) log(`reproduce: ${cl.figure}: ${cl.holds === false ? 'DIFFERS' : verdictText(cl)}: ${cl.claim}`);
    log(`reproduce: ${f} done in ${wall[f].toFixed(1)} s`);
    sections.push({ exp, dir: rel(dir), claims, charts: charts.map(rel), table, notes });
  }

  const report = renderReport({
    set,
    trace: trace?.what ?? null,
    command: o.command ?? `servesim reproduce${o.full ? ' --full' : ''}`,
    sections,
  });
  const reportFile = join(out, 'report.md');
  outDir.write('report.md', report);
  const claims = sections.flatMap((s) => s.claims);
  outDir.write('verdicts.json', jsonText({ set, trace: trace?.what ?? null, claims }));
  return { out, claims, reportFile, wallSeconds: wall };
}
