// The pure parts of the benchmark harness (bench/bench.mjs): figures with their goals, number
// formatting, the tables, the comparison with an earlier run, the JSON file, and the model lists
// of the scaling runs. Nothing here runs or times anything; test/bench.test.ts checks it.
// What the figures mean: docs/performance.md.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Format of the JSON file `--json` writes; `--compare` reads files of this format only. */
export const BENCH_FORMAT = 'servesim-bench/1';

/**
 * A figure: what was measured, its goal (`{ op: '>=' | '<=', value }`, or none) and, with a goal,
 * `ratio` = value / goal and `pass`. `better` says which way is an improvement ('higher' or
 * 'lower'; with a goal, the goal's direction), for --compare.
 */
export function makeFigure({ name, label, group, value, unit, goal = null, better, note }) {
  if (typeof name !== 'string' || !name) throw new Error('figure: name expected');
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`figure ${name}: finite value expected, got ${value}`);
  const dir = goal ? (goal.op === '>=' ? 'higher' : 'lower') : better ?? betterOf(unit);
  const f = { name, label: label ?? name, group: group ?? name.split('/')[0], value: round(value), unit, goal, better: dir };
  if (goal) {
    if (goal.op !== '>=' && goal.op !== '<=') throw new Error(`figure ${name}: goal op >= or <= expected`);
    f.ratio = round(value / goal.value, 3);
    f.pass = goal.op === '>=' ? value >= goal.value : value <= goal.value;
  }
  if (note) f.note = note;
  return f;
}

/** Which way is better for a figure without a goal, from its unit. */
function betterOf(unit) {
  return ['s', 'MiB', 'us/request', 'ns/event', 'events/request'].includes(unit) ? 'lower' : 'higher';
}

/** `v` to `digits` significant digits (JSON values: no false precision, still exact enough to compare). */
export function round(v, digits = 4) {
  if (v === 0 || !Number.isFinite(v)) return v;
  const p = digits - 1 - Math.floor(Math.log10(Math.abs(v)));
  if (p < 0) return Math.round(v / 10 ** -p) * 10 ** -p;
  const m = 10 ** p;
  return Math.round(v * m) / m;
}

/** Three significant digits, with k / M for large numbers: 10,412,345 -> "10.4M", 312,400 -> "312k", 3.746 -> "3.75". */
export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim3(v / 1e6)}M`;
  if (a >= 1e4) return `${trim3(v / 1e3)}k`;
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return trim3(v);
}

function trim3(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return Number(v.toFixed(decimals)).toString();
}

/** A value with its unit, rounded for reading: "10.4M events/s", "3.75x", "332 MiB". */
export function formatValue(v, unit) {
  if (unit === 'x') return `${formatNumber(v)}x`;
  if (unit === 'MiB') return `${Math.round(v)} MiB`;
  return unit ? `${formatNumber(v)} ${unit}` : formatNumber(v);
}

export function formatGoal(goal, unit) {
  return goal ? `${goal.op} ${formatValue(goal.value, unit)}` : '';
}

/** A table as aligned markdown (it pastes into docs as it is). */
export function renderTable(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/** The main table: figure | measured | goal | measured/goal | pass. */
export function figuresTable(figures) {
  return renderTable(
    ['figure', 'measured', 'goal', 'measured/goal', 'pass'],
    figures.map((f) => [
      f.label,
      formatValue(f.value, f.unit),
      formatGoal(f.goal, f.unit),
      f.goal ? `${formatNumber(f.ratio)}x` : '',
      f.goal ? (f.pass ? 'ok' : 'MISS') : '',
    ]),
  );
}

/**
 * Each figure of `now` beside the same figure (by name) of `before`: the change in % and whether
 * it is better or worse (by the figure's `better`). Figures in only one of them are listed too.
 */
export function compareFigures(before, now) {
  const old = new Map(before.figures.map((f) => [f.name, f]));
  const rows = [];
  for (const f of now.figures) {
    const o = old.get(f.name);
    old.delete(f.name);
    if (!o) {
      rows.push({ name: f.name, label: f.label, unit: f.unit, before: null, now: f.value, changePct: null, verdict: 'new' });
      continue;
    }
    const changePct = o.value === 0 ? null : ((f.value - o.value) / Math.abs(o.value)) * 100;
    let verdict = 'same';
    if (changePct === null) verdict = f.value === o.value ? 'same' : 'changed';
    else if (Math.abs(changePct) >= 0.05) verdict = (changePct > 0) === (f.better === 'higher') ? 'better' : 'worse';
    rows.push({ name: f.name, label: f.label, unit: f.unit, before: o.value, now: f.value, changePct: changePct === null ? null : round(changePct, 3), verdict });
  }
  for (const o of old.values()) rows.push({ name: o.name, label: o.label, unit: o.unit, before: o.value, now: null, changePct: null, verdict: 'gone' });
  return rows;
}

export function formatChange(pct) {
  if (pct === null || pct === undefined) return '';
  const s = Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1);
  return `${pct > 0 ? '+' : ''}${s === '-0.0' ? '0.0' : s}%`;
}

export function compareTable(before, now) {
  const head = `compared with ${before.commit ? before.commit.slice(0, 10) : 'an unknown commit'}${before.dirty ? ' (uncommitted changes)' : ''} of ${before.date ?? '?'}`;
  const rows = compareFigures(before, now).map((r) => [
    r.label,
    r.before === null ? '' : formatValue(r.before, r.unit),
    r.now === null ? '' : formatValue(r.now, r.unit),
    formatChange(r.changePct),
    r.verdict,
  ]);
  return `${head}\n${renderTable(['figure', 'before', 'now', 'change', ''], rows)}`;
}

/** Read a file `--json` wrote (for --compare); an error names the file and what is wrong. */
export function readBenchJson(file) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file (${e.message})`);
  }
  if (doc?.format !== BENCH_FORMAT || !Array.isArray(doc.figures)) throw new Error(`${file}: not a servesim bench file (expected "format": "${BENCH_FORMAT}" and a "figures" list)`);
  return doc;
}

/** Throws unless `file` is absent or a bench file (bench checks before it runs anything). */
export function checkBenchJsonTarget(file) {
  if (!existsSync(file)) return;
  let ours = false;
  try {
    ours = JSON.parse(readFileSync(file, 'utf8'))?.format === BENCH_FORMAT;
  } catch {
    ours = false;
  }
  if (!ours) throw new Error(`${file}: exists and is not a servesim bench file; not replaced (choose another --json path)`);
}

/**
 * Write `doc` as JSON to `file` atomically (a temporary file in the same directory, then a rename).
 * An existing file is replaced only if it is a bench file (the format field says so): bench never
 * overwrites a file it did not write.
 */
export function writeBenchJson(file, doc) {
  checkBenchJsonTarget(file);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * `n` model instances spread evenly over the profile models `names` (the scaling runs' model
 * lists): fewer than names.length takes every (names.length / n)-th model once; more gives each
 * model floor or ceil(n / names.length) copies, the first ones one more.
 */
export function modelList(names, n) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`modelList: a positive integer count expected, got ${n}`);
  const k = names.length;
  if (n <= k) return Array.from({ length: n }, (_, i) => ({ profile: names[Math.floor((i * k) / n)] }));
  const base = Math.floor(n / k);
  const extra = n % k;
  return names.map((profile, i) => ({ profile, copies: base + (i < extra ? 1 : 0) }));
}

/** Command-line options of bench/bench.mjs (docs/performance.md, "Running it"). */
export function parseArgs(argv) {
  const o = { configs: [], only: null, quick: false, paper: false, scaling: false, json: '.bench/bench.json', compare: null, with: null, points: null, paperSets: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a}: a value expected`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--paper') o.paper = true;
    else if (a === '--scaling') o.scaling = true;
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--json') o.json = value();
    else if (a === '--compare') o.compare = value();
    else if (a === '--with') o.with = value();
    else if (a === '--points') o.points = new RegExp(value());
    else if (a === '--paper-set') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq < 1) throw new Error(`--paper-set ${v}: PATH=VALUE expected`);
      let val = v.slice(eq + 1);
      try {
        val = JSON.parse(val);
      } catch {
        // a plain string such as 2m
      }
      o.paperSets.push([v.slice(0, eq), val]);
    } else if (a === '--help' || a === '-h') o.help = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (see --help)`);
    else o.configs.push(a);
  }
  if (o.with && !o.compare) throw new Error('--with needs --compare OLD.json');
  return o;
}
