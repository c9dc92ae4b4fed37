#!/usr/bin/env node
// The "Measured error" table of docs/fidelity.md from results/fidelity/<scenario>-fidelity/fidelity.json
// (written by scripts/fidelity-campaign.sh). Usage: node scripts/fidelity-table.mjs [scenario ...]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = 'results/fidelity';
const names = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(root).filter((d) => d.endsWith('-fidelity')).map((d) => d.replace(/-fidelity$/, ''));
const pct = (x) => (x === null || x === undefined ? '-' : `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const abs = (x) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x, d) => (x === null || x === undefined ? '-' : Number(x).toFixed(d));
const metric = (c, name) => c?.metrics?.find((m) => m.metric === name);
const rows = [
  '| scenario | goodput sim / live (r/s) | error | noise floor | p99 sim / live (ms) | error | noise floor | verdicts goodput, p99 | as served: goodput, p99 error |',
  '| --- | --- | ---: | ---: | --- | ---: | ---: | --- | --- |',
];
for (const s of names) {
  const f = join(root, `${s}-fidelity`, 'fidelity.json');
  if (!existsSync(f)) {
    rows.push(`| ${s} | (no ${f}) |`);
    continue;
  }
  const j = JSON.parse(readFileSync(f, 'utf8'));
  const g = metric(j, 'goodput');
  const p = metric(j, 'p99Ms');
  const a = j.asServed;
  const goodputCell = g.liveMean === 0 && g.sim === 0 ? '0 / 0 (every request late)' : `${num(g.sim, 2)} / ${num(g.liveMean, 2)}`;
  const goodputErr = g.liveMean === 0 ? `abs. ${num(g.absoluteDifference, 0)}` : pct(g.relativeError);
  rows.push(
    `| ${s} | ${goodputCell} | ${goodputErr} | ${abs(g.noiseFloor)} | ${num(p.sim, 1)} / ${num(p.liveMean, 1)} | ${pct(p.relativeError)} | ${abs(p.noiseFloor)} | ` +
      `${j.headline.goodput.verdict}, ${j.headline.p99Ms.verdict} | ${a ? `${pct(a.headline.goodput.relativeError)}, ${pct(a.headline.p99Ms.relativeError)}` : '-'} |`,
  );
}
process.stdout.write(rows.join('\n') + '\n');
