// One benchmark measurement, run by bench/bench.mjs in a fresh node process of its own (so that
// peak memory, the JIT's state and the heap belong to that measurement alone):
//   node --expose-gc bench/task.mjs '<task as JSON>'
// It prints its result as one line "BENCH-RESULT {json}" on stdout. Tasks:
//   { kind: 'loop', pending, total }              the bare event loop
//   { kind: 'experiment', file, sets, point }     one point of an experiment config, in memory
//   { kind: 'azure-read', file }                  loadInvocations of one Azure 2019 day file
// What each figure means: docs/performance.md.
import { EventLoop } from '../dist/sim/event-loop.js';
import { Rng } from '../dist/sim/random.js';
import { loadExperiment } from '../dist/experiment/config.js';
import { MeasuredSimulation, runExperiment } from '../dist/experiment/runner.js';

const cpuSeconds = (u) => (u.user + u.system) / 1e6;
const wallNow = () => Number(process.hrtime.bigint()) / 1e9;

/** Whole-process facts at the end: CPU since the process started (start-up included) and peak RSS. */
function processFacts() {
  const ru = process.resourceUsage();
  return { processCpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6, maxRssMiB: ru.maxRSS / 1024 };
}

/**
 * The "hold" model: `pending` events, each of which schedules one more at a random later time when
 * it runs, so the queue holds `pending` events throughout; `total` events in all.
 */
function loop({ pending, total }) {
  const loop = new EventLoop();
  const rng = new Rng('bench');
  const offsets = Float64Array.from({ length: 65536 }, () => 1 + Math.floor(rng.exponential(1e6)));
  let i = 0;
  let left = total;
  const handler = () => {
    if (--left > 0) loop.schedule(loop.now() + offsets[i++ & 65535], 0, handler);
  };
  for (let k = 0; k < pending; k++) loop.schedule(offsets[i++ & 65535], 0, handler);
  left -= pending;
  const cpu0 = process.cpuUsage();
  const t0 = wallNow();
  loop.run();
  const wall = wallNow() - t0;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  return { pending, events: loop.eventsProcessed, wallSeconds: wall, cpuSeconds: cpu, ...processFacts() };
}

/**
 * CPU time spent inside Simulation.run: the same span as the runner's wallSeconds (its
 * simulatedRequestsPerWallSecond), so set-up (reading traces, building models) and the summary at
 * the end are not in it. Measured by wrapping the method; the simulation itself is untouched.
 */
let runCpu = 0;
function measureRunCpu() {
  const proto = MeasuredSimulation.prototype;
  const run = proto.run;
  if (typeof run !== 'function') return false;
  proto.run = function measuredRun(...args) {
    const c0 = process.cpuUsage();
    try {
      return run.apply(this, args);
    } finally {
      runCpu += cpuSeconds(process.cpuUsage(c0));
    }
  };
  return true;
}

async function experiment({ file, sets = [], point = 0 }) {
  const { points } = loadExperiment(file, { sets });
  const p = typeof point === 'number' ? points[point] : points.find((q) => q.id === point);
  if (!p) throw new Error(`${file}: no sweep point ${JSON.stringify(point)} (points: ${points.map((q) => q.id).join('; ')})`);
  const haveRunCpu = measureRunCpu();
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = wallNow();
  const out = await runExperiment(p.resolved, { progress: false });
  const callWall = wallNow() - t0;
  const callCpu = cpuSeconds(process.cpuUsage(cpu0));
  const run = out.run;
  return {
    file,
    point: p.id,
    points: points.length,
    models: out.summary.models,
    gpus: out.summary.gpus,
    requests: run.measuredRequests,
    outcomes: out.summary.requests,
    events: run.events,
    simulatedSeconds: run.simulatedSeconds,
    runWallSeconds: run.wallSeconds,
    runCpuSeconds: haveRunCpu ? runCpu : null,
    runPeakRssMiB: run.peakRssMB,
    callWallSeconds: callWall,
    callCpuSeconds: callCpu,
    ...processFacts(),
  };
}

async function azureRead({ file }) {
  const { loadInvocations } = await import('../dist/traces/azure2019.js');
  const cpu0 = process.cpuUsage();
  const t0 = wallNow();
  const t = await loadInvocations([file], 0, 1440);
  const wall = wallNow() - t0;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  return { file, functions: t.ids.length, invocations: t.keptInvocations, wallSeconds: wall, cpuSeconds: cpu, ...processFacts() };
}

const task = JSON.parse(process.argv[2] ?? 'null');
const kinds = { loop, experiment, 'azure-read': azureRead };
if (!task || !kinds[task.kind]) {
  process.stderr.write(`bench/task.mjs: a task as JSON expected, with kind one of ${Object.keys(kinds).join(', ')}\n`);
  process.exit(2);
}
const result = await kinds[task.kind](task);
process.stdout.write(`BENCH-RESULT ${JSON.stringify(result)}\n`);
