#!/usr/bin/env node
// servesim benchmarks (run `npm run build` first; `npm run bench` does both).
// 1. The bare event loop: events per second with 10,000 pending events (the "hold" model: each
//    event schedules one more at a random later time, so the heap stays at 10,000).
// 2. Experiments: simulated requests per wall second, speed-up over real time, events per second
//    and peak memory, for the configs named on the command line (default: the quickstart and the
//    Clockwork configs that exist).
import { existsSync } from 'node:fs';
import { EventLoop } from '../dist/sim/event-loop.js';
import { Rng } from '../dist/sim/random.js';
import { loadExperiment } from '../dist/experiment/config.js';
import { runExperiment } from '../dist/experiment/runner.js';

function benchLoop(pending = 10_000, total = 20_000_000) {
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
  const t0 = process.hrtime.bigint();
  loop.run();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { events: loop.eventsProcessed, seconds: s, eventsPerSecond: loop.eventsProcessed / s };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

const loop = benchLoop();
console.log(`event loop, 10,000 pending: ${fmt(loop.eventsPerSecond)} events/s (${fmt(loop.events)} events in ${loop.seconds.toFixed(2)} s; target >= 10,000,000)`);

const defaults = ['experiments/quickstart.json', 'experiments/clockwork-1gpu-poisson.json', 'experiments/clockwork-1gpu.json', 'experiments/clockwork-4000-models.json'];
const configs = process.argv.slice(2).length ? process.argv.slice(2) : defaults.filter((f) => existsSync(f));
for (const file of configs) {
  const { points } = loadExperiment(file);
  const r = points[0].resolved;
  global.gc?.();
  const out = await runExperiment(r, { progress: false });
  const run = out.run;
  console.log(
    `${file}: ${fmt(run.measuredRequests)} requests in ${run.wallSeconds} s wall: ${fmt(run.simulatedRequestsPerWallSecond)} simulated requests/wall s, ` +
      `${run.speedupOverRealTime}x real time, ${fmt(run.eventsPerSecond)} events/s, peak RSS ${run.peakRssMB} MiB`,
  );
}
