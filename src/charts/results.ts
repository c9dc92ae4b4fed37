/**
 * Reading result directories back: a run directory (summary.json, timeseries.csv,
 * latency-histogram.json, config.resolved.json) or a sweep directory (index.json listing its
 * points' directories). Used by `servesim plot` and `servesim compare`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseCsv } from '../util/csv.js';
import { UserError } from '../util/errors.js';

export interface RunResult {
  dir: string;
  label: string;
  summary: Record<string, any>;
  /** Sweep parameters of the point, when it came from a sweep. */
  params: Record<string, unknown>;
  resolved?: Record<string, any>;
  /** The sweep directory it came from (as given), when it came from a sweep. */
  sweep?: string;
}

function readJson(path: string): any {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
}

export function tryReadJson(path: string): any {
  return existsSync(path) ? readJson(path) : undefined;
}

/**
 * Column names of files written before servesim's CSV headers became camelCase (README.md, "CSV
 * columns"), and their names now: results directories written by an older servesim still read.
 */
const LEGACY_COLUMNS: Record<string, string> = {
  t_s: 'timeS',
  window_s: 'windowS',
  offered_rps: 'offeredLoad',
  goodput_rps: 'goodput',
  throughput_rps: 'throughput',
  slo_attainment: 'sloAttainment',
  attainment: 'sloAttainment',
  p50_ms: 'p50Ms',
  p99_ms: 'p99Ms',
  p999_ms: 'p999Ms',
  max_ms: 'maxMs',
  mean_ms: 'meanMs',
  gpu_util: 'gpuUtilization',
  pcie_util: 'pcieUtilization',
  cold_starts: 'coldStarts',
  sent_ns: 'sentNs',
  arrival_ns: 'arrivalNs',
  deadline_ns: 'deadlineNs',
  response_ns: 'responseNs',
  latency_ns: 'latencyNs',
  x_axis: 'xAxis',
  y_axis: 'yAxis',
};

/** The current name of a CSV column (an old snake_case name, or "old:group", mapped; others as they are). */
export function currentColumnName(h: string): string {
  const colon = h.indexOf(':');
  const base = colon < 0 ? h : h.slice(0, colon);
  const rest = colon < 0 ? '' : h.slice(colon);
  const gpu = /^gpu(\d+)_util$/.exec(base);
  if (gpu) return `gpu${gpu[1]}Utilization${rest}`;
  // "attainment" alone is no old name; only as "attainment:<group>".
  if (base === 'attainment' && colon < 0) return h;
  const now = Object.prototype.hasOwnProperty.call(LEGACY_COLUMNS, base) ? LEGACY_COLUMNS[base] : undefined;
  return now === undefined ? h : now + rest;
}

/**
 * Read a CSV file into columns of numbers (NaN for empty cells), keyed by the columns' current
 * names: a file an older servesim wrote (snake_case headers such as `p99_ms`) reads the same.
 */
export function readCsvColumns(path: string): Record<string, number[]> {
  if (!existsSync(path)) throw new UserError(`${path}: no such file (was the result written by an older servesim?)`);
  let records: string[][];
  try {
    records = parseCsv(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: not a CSV file servesim wrote (${(e as Error).message})`);
  }
  const head = (records[0] ?? []).map(currentColumnName);
  const cols: Record<string, number[]> = Object.fromEntries(head.map((h) => [h, []]));
  for (let i = 1; i < records.length; i++) {
    const cells = records[i];
    head.forEach((h, j) => cols[h].push(cells[j] === undefined || cells[j] === '' ? NaN : Number(cells[j])));
  }
  return cols;
}

/** Shorten "workload.slo" to "slo", "scheduler.type" to "type" for labels. */
function shortKey(k: string): string {
  const parts = k.split('.');
  const last = parts[parts.length - 1];
  return last === 'type' && parts.length > 1 ? parts[parts.length - 2] : last;
}

export function paramsLabel(params: Record<string, unknown>, exclude: string[] = []): string {
  return Object.entries(params)
    .filter(([k]) => !exclude.includes(k))
    .map(([k, v]) => `${shortKey(k)}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

function loadRun(dir: string, params: Record<string, unknown>): RunResult {
  if (!existsSync(join(dir, 'summary.json'))) throw new UserError(`${dir}: not a servesim result (no summary.json; incomplete sweep point?)`);
  const summary = readJson(join(dir, 'summary.json'));
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) {
    throw new UserError(`${join(dir, 'summary.json')}: not a servesim summary (expected a JSON object, found ${Array.isArray(summary) ? 'a list' : String(summary === null ? 'null' : typeof summary)})`);
  }
  const resolved = tryReadJson(join(dir, 'config.resolved.json'));
  // The scheduler leads the label: a `scheduler.type` parameter would only repeat it (a plugin's
  // module path names the scheduler the module calls itself, e.g. ./edf.js -> edf).
  const p = Object.keys(params).length ? paramsLabel(params, ['scheduler.type']) : '';
  const label = p ? `${summary.scheduler}: ${p}` : Object.keys(params).length ? `${summary.scheduler}` : `${summary.name} (${summary.scheduler})`;
  return { dir, label, summary, params, resolved };
}

/** Is this a sweep directory (index.json) rather than one run? */
export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, 'index.json')) && !existsSync(join(dir, 'summary.json'));
}

/**
 * Load runs from result directories; a sweep directory expands to its points (those complete).
 * Labels are made unique by appending the directory name where two coincide.
 */
export function loadRuns(dirs: readonly string[]): RunResult[] {
  const runs: RunResult[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) throw new UserError(`${d}: no such result directory`);
    if (isSweepDir(d)) {
      const index = readJson(join(d, 'index.json')) as Array<{ point: string; dir: string; params: Record<string, unknown> }>;
      if (!Array.isArray(index)) throw new UserError(`${join(d, 'index.json')}: expected a list of sweep points`);
      for (const e of index) {
        if (!e || typeof e !== 'object' || typeof e.dir !== 'string') throw new UserError(`${join(d, 'index.json')}: expected a list of sweep points with "dir"`);
        const pd = join(d, e.dir);
        if (existsSync(join(pd, 'summary.json'))) runs.push({ ...loadRun(pd, e.params ?? {}), sweep: d });
      }
    } else runs.push(loadRun(d, {}));
  }
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.label, (seen.get(r.label) ?? 0) + 1);
  for (const r of runs) if ((seen.get(r.label) ?? 0) > 1) r.label = `${r.label} [${basename(resolve(r.dir))}]`;
  return runs;
}
