#!/usr/bin/env node
// servesim's benchmark: `npm run bench` (builds, then runs this). Every figure of issue 15 with
// its goal: the bare event loop, simulated requests per wall second of the experiments, cost per
// request over 15 and over 4,026 models, fifo beside a SimPy script of the same setup, the read
// time of an Azure 2019 day file, and (with --paper) fig9 and fig11 point by point. One table at the
// end and a JSON file of every figure (--json), which --compare sets beside a later run.
// --scaling measures how the cost per request grows with the request rate, the number of models,
// the number of GPUs, and the bare loop's cost with the number of pending events.
// Each measurement runs in a node process of its own (bench/task.mjs), one after the other.
// What is measured and how: docs/performance.md.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_FORMAT,
  checkBenchJsonTarget,
  compareTable,
  figuresTable,
  formatNumber,
  makeFigure,
  modelList,
  parseArgs,
  readBenchJson,
  renderTable,
  round,
  writeBenchJson,
} from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

const USAGE = `usage: npm run bench -- [options] [configs...]
       node --expose-gc bench/bench.mjs [options] [configs...]   (after npm run build)

Default: loop, experiments, models-flat, simpy, azure-read (a few minutes on 2 cores).
  configs...        experiment configs for the "experiments" figures (default: quickstart,
                    clockwork-1gpu-poisson, clockwork-1gpu, clockwork-4000-models)
  --quick           loop, experiments without clockwork-4000-models, simpy
  --only A,B        these groups only: loop, experiments, models-flat, simpy, azure-read, fig9, fig11
  --paper           also fig9 and fig11 (the paper's full runs, point by point: hours today)
  --points REGEX    fig9/fig11: the sweep points whose id matches (fig11's default: seed=1)
  --paper-set P=V   fig9/fig11: override a config field (e.g. duration=5m) to try the mode;
                    the figures then carry no goal
  --scaling         only the scaling tables (cost vs rate, models, GPUs, pending events)
  --json FILE       write every figure there (default .bench/bench.json; .bench/scaling.json
                    with --scaling); replaces only a file bench wrote
  --compare OLD     print each figure beside OLD's (a file --json wrote), with the change in %
  --with NEW        with --compare: compare two files, run nothing
See docs/performance.md.`;

const DEFAULT_CONFIGS = [
  'experiments/quickstart.json',
  'experiments/clockwork-1gpu-poisson.json',
  'experiments/clockwork-1gpu.json',
  'experiments/clockwork-4000-models.json',
];
const GROUPS = ['loop', 'experiments', 'models-flat', 'simpy', 'azure-read', 'fig9', 'fig11'];
const PROFILE = 'hw-profiles/v100-clockwork.json';
// The synthetic Azure day of `servesim reproduce` (README.md, "Reproducing the Clockwork paper").
const SYNTH = { functions: 46000, days: 1, seed: 1 };
const SYNTH_DIR = `.bench/azure-synth-${SYNTH.functions}-seed${SYNTH.seed}`;
const DAY_FILE = 'invocations_per_function_md.anon.d01.csv';

// ---------------------------------------------------------------------------------------- running

/** Run one task in a fresh node process; its result, or an Error naming the task. */
function runTask(task, what) {
  process.stderr.write(`bench: ${what}...\n`);
  const t0 = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'bench/task.mjs'), JSON.stringify(task)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (child.status !== 0 || !line) return new Error(`${what}: the benchmark process failed (${child.error?.message ?? `exit status ${child.status ?? child.signal}`})`);
  return { ...JSON.parse(line.slice('BENCH-RESULT '.length)), processWallSeconds: wall };
}

/** Python 3 with SimPy: the first of these that imports simpy, or null. */
function findSimpy() {
  for (const py of [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', 'import simpy'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function runSimpy(py, args) {
  process.stderr.write(`bench: SimPy (${py} bench/simpy_serving.py ${args.join(' ')})...\n`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(py, ['bench/simpy_serving.py', ...args.map(String), '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return new Error(`SimPy script: exit status ${r.status ?? r.signal}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), processWallSeconds: wall };
}

/** The synthetic Azure day in .bench/ (written once: into a temporary directory, then renamed). */
function ensureSynthDay() {
  const file = join(SYNTH_DIR, DAY_FILE);
  if (existsSync(file)) return file;
  const tmp = `${SYNTH_DIR}.tmp-${process.pid}`;
  process.stderr.write(`bench: writing the synthetic Azure day into ${SYNTH_DIR} (once; about 10 s)\n`);
  try {
    execFileSync(process.execPath, ['bin/servesim.js', 'trace', 'synth-azure', '--functions', String(SYNTH.functions), '--days', String(SYNTH.days), '--seed', String(SYNTH.seed), '--out', tmp], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    renameSync(tmp, SYNTH_DIR);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return file;
}

function gitFacts() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

const perRequestUs = (seconds, requests) => (requests > 0 ? (seconds * 1e6) / requests : NaN);
const configName = (file) => basename(file).replace(/\.json$/, '');
const zooNames = () => {
  const models = JSON.parse(readFileSync(PROFILE, 'utf8')).models;
  return Object.keys(models).filter((n) => !n.startsWith('cifar_'));
};

// ---------------------------------------------------------------------------------------- figures

function loopFigures(out) {
  const r = runTask({ kind: 'loop', pending: 10_000, total: 20_000_000 }, 'event loop, 10,000 pending');
  if (r instanceof Error) return out.errors.push(r.message);
  out.figures.push(
    makeFigure({ name: 'loop/events_per_s', label: 'event loop, 10,000 pending: events / wall s', value: r.events / r.wallSeconds, unit: 'events/s', goal: { op: '>=', value: 10e6 } }),
    makeFigure({ name: 'loop/events_per_cpu_s', label: 'event loop, 10,000 pending: events / CPU s', value: r.events / r.cpuSeconds, unit: 'events/CPU s' }),
  );
}

/** The figures of one experiment run; `key` names them, `goals` by figure suffix. */
function experimentFigures(key, label, r, goals = {}) {
  return [
    makeFigure({ name: `${key}/requests_per_wall_s`, label: `${label}: simulated requests / wall s`, value: r.requests / r.runWallSeconds, unit: 'requests/s', goal: goals.requests_per_wall_s }),
    makeFigure({ name: `${key}/x_real_time`, label: `${label}: x real time`, value: r.simulatedSeconds / r.runWallSeconds, unit: 'x' }),
    makeFigure({ name: `${key}/cpu_us_per_request`, label: `${label}: CPU us / request`, value: perRequestUs(r.runCpuSeconds ?? r.callCpuSeconds, r.requests), unit: 'us/request' }),
    makeFigure({ name: `${key}/peak_rss_mib`, label: `${label}: peak RSS`, value: r.maxRssMiB, unit: 'MiB', goal: goals.peak_rss_mib }),
  ];
}

function experimentsFigures(out, configs) {
  for (const file of configs) {
    const r = runTask({ kind: 'experiment', file, point: 0 }, file);
    if (r instanceof Error) {
      out.errors.push(r.message);
      continue;
    }
    // A sweep's first point: "quickstart (clockwork)", keyed "exp/quickstart[scheduler.type=clockwork]".
    const values = r.point.split(',').map((kv) => kv.slice(kv.indexOf('=') + 1)).join(', ');
    const label = configName(file) + (r.points > 1 ? ` (${values})` : '');
    const key = `exp/${configName(file)}${r.points > 1 ? `[${r.point}]` : ''}`;
    const goals = configName(file) === 'clockwork-4000-models' ? { requests_per_wall_s: { op: '>=', value: 300e3 } } : {};
    out.figures.push(...experimentFigures(key, label, r, goals));
  }
}

function modelsFlatFigures(out) {
  const runs = {};
  for (const n of [15, 4026]) {
    const r = runTask({ kind: 'experiment', file: `bench/models-${n}.json` }, `bench/models-${n}.json`);
    if (r instanceof Error) return out.errors.push(r.message);
    runs[n] = r;
    out.figures.push(
      makeFigure({ name: `models/${n}/requests_per_wall_s`, label: `800 r/s over ${n.toLocaleString('en-US')} models: simulated requests / wall s`, value: r.requests / r.runWallSeconds, unit: 'requests/s' }),
      makeFigure({ name: `models/${n}/cpu_us_per_request`, label: `800 r/s over ${n.toLocaleString('en-US')} models: CPU us / request`, value: perRequestUs(r.runCpuSeconds ?? r.callCpuSeconds, r.requests), unit: 'us/request' }),
    );
  }
  const cost = (n) => perRequestUs(runs[n].runCpuSeconds ?? runs[n].callCpuSeconds, runs[n].requests);
  const ratio = Math.max(cost(15), cost(4026)) / Math.min(cost(15), cost(4026));
  out.figures.push(
    makeFigure({
      name: 'models/cost_ratio',
      label: 'cost per request, 4,026 vs 15 models (larger / smaller, CPU)',
      value: ratio,
      unit: 'x',
      goal: { op: '<=', value: 1.5 },
      note: `CPU us/request: ${formatNumber(cost(4026))} over 4,026 models, ${formatNumber(cost(15))} over 15`,
    }),
  );
}

async function simpyFigures(out) {
  const { parseDuration } = await import('../dist/experiment/config.js');
  const profile = JSON.parse(readFileSync(PROFILE, 'utf8'));
  const execMs = profile.models.resnet50_v2.exec['1'].percentiles['50'];
  const py = findSimpy();
  if (!py) {
    out.skipped.push({ group: 'simpy', why: 'no python3 with SimPy 3 found (tried $BENCH_PYTHON, python3, /usr/bin/python3): install it with `apt-get install python3-simpy3` (Debian/Ubuntu; run with the system python3) and rerun' });
    return;
  }
  const cfg = JSON.parse(readFileSync('bench/fifo-fig5.json', 'utf8'));
  const s = runTask({ kind: 'experiment', file: 'bench/fifo-fig5.json' }, 'bench/fifo-fig5.json (fifo)');
  if (s instanceof Error) return out.errors.push(s.message);
  const p = runSimpy(py, [15, 16, execMs, parseDuration(cfg.duration) / 1e9]);
  if (p instanceof Error) return out.errors.push(p.message);
  const sRun = s.requests / (s.runCpuSeconds ?? s.callCpuSeconds);
  const pRun = p.requests / p.runCpuSeconds;
  const sProc = s.requests / s.processCpuSeconds;
  const pProc = p.requests / p.processCpuSeconds;
  const details = {
    servesim: { requests: s.requests, runCpuSeconds: round(s.runCpuSeconds ?? s.callCpuSeconds), processCpuSeconds: round(s.processCpuSeconds), runWallSeconds: s.runWallSeconds },
    simpy: { requests: p.requests, runCpuSeconds: p.runCpuSeconds, processCpuSeconds: p.processCpuSeconds, runWallSeconds: p.runWallSeconds, simpy: p.simpy, python: p.python, executable: py },
  };
  out.figures.push(
    makeFigure({ name: 'simpy/servesim_requests_per_cpu_s', label: `fifo, fig5 setup, ${cfg.duration}: servesim requests / CPU s`, value: sRun, unit: 'requests/CPU s' }),
    makeFigure({ name: 'simpy/simpy_requests_per_cpu_s', label: 'same setup in SimPy: requests / CPU s', value: pRun, unit: 'requests/CPU s' }),
    makeFigure({ name: 'simpy/ratio', label: 'servesim fifo vs SimPy, requests per CPU s (runs)', value: sRun / pRun, unit: 'x', goal: { op: '>=', value: 5 } }),
    makeFigure({ name: 'simpy/ratio_process', label: 'servesim fifo vs SimPy, whole processes (start-up in)', value: sProc / pProc, unit: 'x' }),
  );
  out.figures.at(-2).details = details;
  out.notes.push(
    `SimPy: servesim ${s.requests.toLocaleString('en-US')} requests in ${(s.runCpuSeconds ?? s.callCpuSeconds).toFixed(2)} CPU s (run; ${s.processCpuSeconds.toFixed(2)} CPU s the whole process); ` +
      `SimPy ${p.simpy} (${py}) ${p.requests.toLocaleString('en-US')} requests in ${p.runCpuSeconds.toFixed(2)} CPU s (run; ${p.processCpuSeconds.toFixed(2)} CPU s the whole process)`,
  );
}

function azureReadFigures(out) {
  const file = ensureSynthDay();
  const runs = [];
  for (const what of ['first', 'again']) {
    const r = runTask({ kind: 'azure-read', file }, `loadInvocations of ${file} (${what})`);
    if (r instanceof Error) return out.errors.push(r.message);
    runs.push(r);
  }
  out.figures.push(
    makeFigure({ name: 'azure/read_first_s', label: 'Azure 2019 day read (synthetic day, first)', value: runs[0].wallSeconds, unit: 's' }),
    makeFigure({ name: 'azure/read_s', label: 'Azure 2019 day read (again: a cache, if any, warm)', value: runs[1].wallSeconds, unit: 's', goal: { op: '<=', value: 5 } }),
    makeFigure({ name: 'azure/read_peak_rss_mib', label: 'Azure 2019 day read: peak RSS', value: Math.max(runs[0].maxRssMiB, runs[1].maxRssMiB), unit: 'MiB' }),
  );
}

/** fig9 or fig11 of experiments/paper, point by point, on the synthetic day. */
async function paperFigures(out, fig, opts) {
  const file = `experiments/paper/${fig}.json`;
  const dir = resolve(dirname(ensureSynthDay()));
  const sets = [['workload.dir', dir], ...opts.paperSets];
  const input = JSON.parse(readFileSync(file, 'utf8'));
  const { expandSweep } = await import('../dist/experiment/config.js');
  const ids = expandSweep(input, file).map((p) => p.id);
  const pick = opts.points ?? (fig === 'fig11' ? /seed=1$/ : /./);
  const chosen = ids.filter((id) => pick.test(id));
  if (chosen.length === 0) out.errors.push(`${fig}: no sweep point matches ${pick} (points: ${ids.join('; ')})`);
  if (fig === 'fig11' && !opts.points) out.notes.push('fig11: seed 1 of 3 at each GPU count (the other seeds cost the same; --points . runs all 45)');
  if (opts.paperSets.length) out.notes.push(`${fig}: with --paper-set ${opts.paperSets.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}: not the full figure, so no goals`);
  const full = opts.paperSets.length === 0;
  for (const id of chosen) {
    const r = runTask({ kind: 'experiment', file, sets, point: id }, `${file} ${id}`);
    if (r instanceof Error) {
      out.errors.push(r.message);
      continue;
    }
    const key = `${fig}/${id}`;
    out.figures.push(
      makeFigure({
        name: `${key}/wall_s`,
        label: `${fig} ${id}: wall (process, trace read in)`,
        value: r.processWallSeconds,
        unit: 's',
        goal: fig === 'fig9' && full ? { op: '<=', value: 300 } : undefined,
      }),
      makeFigure({ name: `${key}/run_wall_s`, label: `${fig} ${id}: wall of the simulation`, value: r.runWallSeconds, unit: 's' }),
      makeFigure({ name: `${key}/requests_per_wall_s`, label: `${fig} ${id}: simulated requests / wall s`, value: r.requests / r.runWallSeconds, unit: 'requests/s' }),
      makeFigure({ name: `${key}/peak_rss_mib`, label: `${fig} ${id}: peak RSS`, value: r.maxRssMiB, unit: 'MiB', goal: fig === 'fig9' && full ? { op: '<=', value: 1024 } : undefined }),
    );
  }
}

// ---------------------------------------------------------------------------------------- scaling

/** Short runs (30 s simulated, no warm-up: every request counts) of bench/models-4026.json, varied. */
function scalingRun(label, sets) {
  const r = runTask({ kind: 'experiment', file: 'bench/models-4026.json', sets: [['duration', '30s'], ['warmup', '0s'], ...sets] }, `scaling: ${label}`);
  if (r instanceof Error) return r;
  const cpu = r.runCpuSeconds ?? r.callCpuSeconds;
  return {
    requests: r.requests,
    okPercent: round((100 * (r.outcomes?.ok ?? NaN)) / r.requests, 3),
    eventsPerRequest: round(r.events / r.requests, 3),
    runCpuSeconds: round(cpu),
    cpuUsPerRequest: round(perRequestUs(cpu, r.requests)),
    wallUsPerRequest: round(perRequestUs(r.runWallSeconds, r.requests)),
    xRealTime: round(r.simulatedSeconds / r.runWallSeconds),
    peakRssMiB: round(r.maxRssMiB),
  };
}

function scaling(out) {
  const zoo = zooNames();
  const models4026 = modelList(zoo, 4026);
  const tables = { rate: [], models: [], gpus: [], pending: [] };
  const add = (table, fixed, r) => (r instanceof Error ? out.errors.push(r.message) : tables[table].push({ ...fixed, ...r }));
  for (const rate of [1, 100, 400, 1600, 3200]) {
    add('rate', { rate }, scalingRun(`${rate} r/s, 4,026 models, 6 GPUs`, [['workload.rate', rate], ['models', models4026]]));
  }
  for (const n of [15, 150, 1500, 4026]) {
    add('models', { models: n }, scalingRun(`${n} models, 800 r/s, 6 GPUs`, [['workload.rate', 800], ['models', modelList(zoo, n)]]));
  }
  for (const gpus of [1, 2, 6, 12, 24]) {
    const rate = round((800 * gpus) / 6, 4);
    add('gpus', { gpus, rate }, scalingRun(`${gpus} GPUs, ${rate} r/s, 4,026 models`, [['cluster.workers', gpus], ['workload.rate', rate], ['models', models4026]]));
  }
  for (const pending of [1e2, 1e3, 1e4, 1e5, 1e6]) {
    const r = runTask({ kind: 'loop', pending, total: Math.max(5e6, 5 * pending) }, `scaling: event loop, ${pending} pending`);
    add('pending', { pending }, r instanceof Error ? r : {
      events: r.events,
      cpuSeconds: round(r.cpuSeconds),
      nsPerEventCpu: round((r.cpuSeconds * 1e9) / r.events),
      eventsPerWallSecond: round(r.events / r.wallSeconds),
      peakRssMiB: round(r.maxRssMiB),
    });
  }
  out.scaling = tables;
}

function scalingTables(t) {
  const runCols = ['requests', 'ok %', 'events/request', 'CPU s', 'CPU us/request', 'wall us/request', 'x real time', 'peak RSS MiB'];
  const runCells = (r) => [r.requests.toLocaleString('en-US'), formatNumber(r.okPercent), formatNumber(r.eventsPerRequest), formatNumber(r.runCpuSeconds), formatNumber(r.cpuUsPerRequest), formatNumber(r.wallUsPerRequest), formatNumber(r.xRealTime), Math.round(r.peakRssMiB)];
  return [
    'cost per request vs request rate (4,026 models, 6 GPUs, Clockwork, 30 s simulated, no warm-up):',
    renderTable(['rate r/s', ...runCols], t.rate.map((r) => [r.rate, ...runCells(r)])),
    '',
    'cost per request vs number of models (800 r/s, 6 GPUs):',
    renderTable(['models', ...runCols], t.models.map((r) => [r.models.toLocaleString('en-US'), ...runCells(r)])),
    '',
    'cost per request vs GPUs (133 r/s per GPU, 4,026 models):',
    renderTable(['GPUs', 'rate r/s', ...runCols], t.gpus.map((r) => [r.gpus, formatNumber(r.rate), ...runCells(r)])),
    '',
    'bare event loop vs pending events (hold model):',
    renderTable(['pending', 'events', 'CPU ns/event', 'events / wall s', 'peak RSS MiB'], t.pending.map((r) => [r.pending.toLocaleString('en-US'), r.events.toLocaleString('en-US'), formatNumber(r.nsPerEventCpu), formatNumber(r.eventsPerWallSecond), Math.round(r.peakRssMiB)])),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------- main

function selectGroups(o) {
  if (o.only) {
    const bad = o.only.filter((g) => !GROUPS.includes(g));
    if (bad.length) throw new Error(`--only ${bad.join(',')}: expected some of ${GROUPS.join(', ')}`);
    return o.only;
  }
  if (o.scaling) return [];
  if (o.quick) return ['loop', 'experiments', 'simpy'];
  return ['loop', 'experiments', 'models-flat', 'simpy', 'azure-read', ...(o.paper ? ['fig9', 'fig11'] : [])];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  if (o.compare && o.with) {
    process.stdout.write(`${compareTable(readBenchJson(o.compare), readBenchJson(o.with))}\n`);
    return;
  }
  const before = o.compare ? readBenchJson(o.compare) : null;
  const groups = selectGroups(o);
  const jsonFile = o.scaling && !process.argv.includes('--json') ? '.bench/scaling.json' : o.json;
  checkBenchJsonTarget(jsonFile);
  const out = { figures: [], notes: [], skipped: [], errors: [], scaling: null };
  const started = new Date();
  const load = loadavg();

  if (o.quick && !o.only) out.skipped.push({ group: 'models-flat, azure-read, clockwork-4000-models', why: '--quick' });
  if (groups.includes('loop')) loopFigures(out);
  if (groups.includes('experiments')) {
    const configs = o.configs.length ? o.configs : DEFAULT_CONFIGS.filter((f) => existsSync(f) && !(o.quick && f.endsWith('clockwork-4000-models.json')));
    experimentsFigures(out, configs);
  }
  if (groups.includes('models-flat')) modelsFlatFigures(out);
  if (groups.includes('simpy')) await simpyFigures(out);
  if (groups.includes('azure-read')) azureReadFigures(out);
  for (const fig of ['fig9', 'fig11']) {
    if (groups.includes(fig)) await paperFigures(out, fig, o);
    else if (!o.scaling && !o.only) out.skipped.push({ group: fig, why: 'long (the paper\'s full run, point by point): --paper, or --only fig9 / --only fig11 [--points REGEX]' });
  }
  if (o.scaling) scaling(out);

  const git = gitFacts();
  const doc = {
    format: BENCH_FORMAT,
    date: started.toISOString(),
    commit: git.commit,
    dirty: git.dirty,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    loadAverageAtStart: load.map((l) => round(l, 3)),
    argv: process.argv.slice(2),
    figures: out.figures,
    notes: out.notes,
    skipped: out.skipped,
    errors: out.errors,
    ...(out.scaling ? { scaling: out.scaling } : {}),
  };

  const lines = [''];
  lines.push(`servesim bench: ${git.commit ? git.commit.slice(0, 10) : 'no git commit'}${git.dirty ? ' (uncommitted changes)' : ''}, node ${process.version}, ${cpus().length} CPUs, load average ${load.map((l) => l.toFixed(2)).join(' ')} at start`);
  lines.push('Rates per wall second are the simulation run only (set-up and trace reading excluded; docs/performance.md); ratios use CPU time, which other processes on the machine disturb less than wall time.');
  if (out.figures.length) lines.push('', figuresTable(out.figures));
  for (const n of out.notes) lines.push(`note: ${n}`);
  for (const s of out.skipped) lines.push(`skipped ${s.group}: ${s.why}`);
  if (out.scaling) lines.push('', scalingTables(out.scaling));
  for (const e of out.errors) lines.push(`ERROR: ${e}`);
  if (before) lines.push('', compareTable(before, doc));
  try {
    writeBenchJson(jsonFile, doc);
    lines.push('', `figures written to ${jsonFile}`);
  } catch (e) {
    lines.push('', `ERROR: ${e.message}`);
    out.errors.push(e.message);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (out.errors.length) process.exitCode = 1;
}

try {
  await main();
} catch (e) {
  // Mistakes in the command line or the files named there: one line, exit status 1.
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
}
