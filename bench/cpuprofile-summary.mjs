#!/usr/bin/env node
// Summarize a V8 CPU profile (the .cpuprofile files `node --cpu-prof` writes) as a table of the
// functions that took the most time: self % (samples in the function itself) and total % (samples
// with the function anywhere on the stack, counted once per sample). docs/performance.md,
// "Profiling", says how to make a profile of a run.
//   node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from './lib.mjs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
if (args.length !== 1 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N]\n');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(args[0], 'utf8'));

/** One key per function: its name and where it is defined (relative to the working directory). */
function keyOf(frame) {
  let where = frame.url ?? '';
  if (where.startsWith('file://')) where = relative(process.cwd(), fileURLToPath(where));
  const name = frame.functionName || '(anonymous)';
  return where ? `${name} ${where}:${frame.lineNumber + 1}` : name;
}

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Each sample lasts until the next one (timeDeltas[i] is the time since the previous sample).
const self = new Map();
const total = new Map();
let all = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
  if (dt <= 0) continue;
  all += dt;
  const leaf = keyOf(nodes.get(samples[i]).callFrame);
  self.set(leaf, (self.get(leaf) ?? 0) + dt);
  const seen = new Set();
  for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
    const k = keyOf(nodes.get(id).callFrame);
    if (k === '(root)' || seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + dt);
  }
}

const pct = (t) => `${((100 * t) / all).toFixed(1)}%`;
const rows = [...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
  .map(([k, t]) => [pct(t), pct(total.get(k) ?? t), k]);
process.stdout.write(`${args[0]}: ${(all / 1e6).toFixed(2)} s sampled, the ${rows.length} functions with the most self time\n`);
process.stdout.write(`${renderTable(['self', 'total', 'function and where'], rows)}\n`);
