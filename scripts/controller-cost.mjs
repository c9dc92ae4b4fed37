#!/usr/bin/env node
// The CPU cost of servesim's own Clockwork controller per scheduling decision, measured on a
// fig11-like run (run `npm run build` first). It wraps the scheduler's callbacks (onRequest,
// onResult, onTimer) and divides the time spent in them by the decisions made (INFERs + LOADs
// dispatched, schedulerStats.decisions). The run itself charges no cost (decisionLatency 0).
//
// Printed: usPerDecisionCpu, the process's CPU time (getrusage) during the callbacks per decision:
// the figure to use, as it does not count time spent waiting for a core on a shared machine;
// usPerDecisionWall, their wall time (hrtime) per decision; and the same less the engine calls the
// callbacks make (sending actions, answering requests, timers, prediction records). What one timing
// costs is measured first and subtracted per timed call.
//
//   node scripts/controller-cost.mjs [--config experiments/paper/fast/fig11.json] [--workers 12]
//        [--seed 1] [--set path=value ...] [--trace-cache DIR] [--azure-dir DIR]
//
// The config must be a Clockwork config over an Azure day (fig11's); its sweep point with the
// given number of workers and seed is run, with any --set overrides (e.g. --set duration=120s).
// The trace is the synthetic day `servesim reproduce` uses (made once in --trace-cache, default
// results/paper-fast/trace-cache/...) or --azure-dir.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../dist/experiment/config.js';
import { runExperiment } from '../dist/experiment/runner.js';
import { prepareTrace, SYNTH_FUNCTIONS, SYNTH_SEED } from '../dist/paper/reproduce.js';
import { ClockworkScheduler } from '../dist/schedulers/clockwork/scheduler.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const config = opt('config', 'experiments/paper/fast/fig11.json');
const workers = Number(opt('workers', '12'));
const seed = Number(opt('seed', '1'));
const cache = opt('trace-cache', join('results', 'paper-fast', 'trace-cache', `azure-synth-${SYNTH_FUNCTIONS}-seed${SYNTH_SEED}`));
const trace = await prepareTrace({ azureDir: opt('azure-dir'), cache, log: (l) => process.stderr.write(l + '\n') });

const sets = [];
args.forEach((a, i) => {
  if (a !== '--set') return;
  const [path, ...rest] = String(args[i + 1]).split('=');
  const text = rest.join('=');
  let value = text;
  try {
    value = JSON.parse(text);
  } catch {
    // a plain string, e.g. 120s
  }
  sets.push([path, value]);
});
const { points } = loadExperiment(config, {
  sets: [...sets, ['workload.dir', trace.dir], ['scheduler.decisionLatency', 0]],
});
const point = points.find((p) => p.resolved.config.cluster.workers === workers && p.resolved.config.seed === seed);
if (!point) {
  console.error(`${config}: no sweep point with ${workers} workers and seed ${seed}`);
  process.exit(2);
}
if (point.resolved.scheduler.type.name !== 'clockwork') {
  console.error(`${config}: not a clockwork config`);
  process.exit(2);
}

// One timed call: wall time (hrtime) inside, and the process's CPU time (getrusage) around it.
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system; // microseconds
};
// What one timing costs with nothing inside (subtracted per timed call).
function timingOverhead() {
  const n = 1_000_000;
  let wall = 0n;
  const c0 = cpuNow();
  for (let i = 0; i < n; i++) {
    const c = cpuNow();
    const a = process.hrtime.bigint();
    wall += process.hrtime.bigint() - a;
    if (c < 0) break;
  }
  return { wallNs: Number(wall) / n, cpuNs: ((cpuNow() - c0) * 1e3) / n };
}
const overhead = timingOverhead();

const acc = { wall: 0n, cpuUs: 0, calls: 0, engine: 0n, engineCalls: 0 };
let depth = 0;
const P = ClockworkScheduler.prototype;
for (const name of ['onRequest', 'onResult', 'onTimer']) {
  const orig = P[name];
  P[name] = function (...a) {
    if (depth > 0) return orig.apply(this, a);
    depth++;
    const c0 = cpuNow();
    const t0 = process.hrtime.bigint();
    try {
      return orig.apply(this, a);
    } finally {
      acc.wall += process.hrtime.bigint() - t0;
      acc.cpuUs += cpuNow() - c0;
      acc.calls++;
      depth--;
    }
  };
}
const origStart = P.start;
P.start = function (ctx) {
  // The engine calls a scheduler makes (their time is the simulator's, not the controller's logic).
  const wrapped = Object.create(ctx);
  for (const name of ['send', 'respond', 'setTimer', 'cancelTimer', 'recordPrediction']) {
    const f = ctx[name].bind(ctx);
    wrapped[name] = (...a) => {
      const t0 = process.hrtime.bigint();
      try {
        return f(...a);
      } finally {
        acc.engine += process.hrtime.bigint() - t0;
        acc.engineCalls++;
      }
    };
  }
  return origStart.call(this, wrapped);
};

function peakGoodput(csv) {
  const [head, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
  const i = head.indexOf('goodput');
  return Math.round(Math.max(...rows.map((row) => Number(row[i]))));
}

const r = point.resolved;
const cpu0 = cpuNow();
const wall0 = process.hrtime.bigint();
const out = await runExperiment(r, { progress: false });
const runCpuS = (cpuNow() - cpu0) / 1e6;
const runWallS = Number(process.hrtime.bigint() - wall0) / 1e9;
const st = out.summary.schedulerStats;
const decisions = st.decisions;
// Wall time in the callbacks (includes time the process waited for a core on a busy machine), less
// the engine calls made from them; CPU time of the process during the callbacks.
const wallNs = Number(acc.wall) - acc.calls * overhead.wallNs;
const engNs = Number(acc.engine) - acc.engineCalls * overhead.wallNs;
const netWallNs = wallNs - engNs - acc.engineCalls * overhead.wallNs; // the inner timings' own cost sat inside the callbacks
const cpuNs = acc.cpuUs * 1e3 - acc.calls * overhead.cpuNs - acc.engineCalls * overhead.wallNs;
const us = (ns) => Number((ns / 1e3).toFixed(2));
const result = {
  config,
  workers,
  seed,
  trace: trace.what,
  simulatedSeconds: out.run.simulatedSeconds,
  runWallSeconds: Number(runWallS.toFixed(3)),
  runCpuSeconds: Number(runCpuS.toFixed(3)),
  requests: st.requests,
  infers: st.infers,
  loads: st.loadsIssued,
  decisions,
  callbackCalls: acc.calls,
  engineCalls: acc.engineCalls,
  timingOverheadNs: { wall: Number(overhead.wallNs.toFixed(1)), cpu: Number(overhead.cpuNs.toFixed(1)) },
  callbacksCpuSeconds: Number((cpuNs / 1e9).toFixed(3)),
  callbacksWallSeconds: Number((wallNs / 1e9).toFixed(3)),
  usPerDecisionCpu: us(cpuNs / decisions),
  usPerDecisionWall: us(wallNs / decisions),
  usPerDecisionWallWithoutEngineCalls: us(netWallNs / decisions),
  peakGoodput: peakGoodput(out.files['timeseries.csv']),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`,
  date: new Date().toISOString().slice(0, 10),
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `servesim's clockwork controller: ${result.usPerDecisionCpu} us of CPU per decision in its callbacks (wall ${result.usPerDecisionWall} us; ` +
    `${result.usPerDecisionWallWithoutEngineCalls} us without the engine calls), ${decisions.toLocaleString('en-US')} decisions ` +
    `(${st.infers.toLocaleString('en-US')} INFERs + ${st.loadsIssued.toLocaleString('en-US')} LOADs); the callbacks took ` +
    `${result.callbacksCpuSeconds} s of the run's ${result.runCpuSeconds} s of CPU`,
);
