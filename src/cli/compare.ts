/** `servesim compare`: key metrics of several results side by side. */
import { loadRuns, type RunResult } from '../charts/results.js';
import { recordsCsv } from '../util/csv.js';
import { fmt, pct } from './format.js';
import { render } from '../util/text-table.js';
import { groupCI, groupRuns, type RunGroup } from '../charts/run-groups.js';
import { UserError } from '../util/errors.js';
import { differ, type MeanCI } from '../util/stats.js';
import { jsonText } from '../util/output.js';
import { roundMetric, roundSignificant } from '../util/round.js';

interface Metric {
  /** Key in CSV headers and JSON (as in index.json's metrics where it has the metric). */
  key: string;
  /** Label in tables and markdown. */
  name: string;
  get(s: Record<string, any>): number | string | null | undefined;
  show(v: any): string;
}

const mean = (xs: unknown): number | null => (Array.isArray(xs) && xs.length ? xs.reduce((a: number, b: number) => a + b, 0) / xs.length : null);

export const COMPARE_METRICS: Metric[] = [
  { key: 'scheduler', name: 'scheduler', get: (s) => s.scheduler, show: String },
  { key: 'requests', name: 'requests', get: (s) => s.requests?.total, show: (v) => fmt(v) },
  { key: 'ok', name: 'ok', get: (s) => s.requests?.ok, show: (v) => fmt(v) },
  { key: 'late', name: 'late', get: (s) => s.requests?.late, show: (v) => fmt(v) },
  { key: 'timeout', name: 'timeout', get: (s) => s.requests?.timeout, show: (v) => fmt(v) },
  { key: 'rejected', name: 'rejected', get: (s) => s.requests?.rejected, show: (v) => fmt(v) },
  { key: 'failed', name: 'failed', get: (s) => s.requests?.failed, show: (v) => fmt(v) },
  { key: 'sloAttainment', name: 'SLO attainment', get: (s) => s.sloAttainment, show: (v) => pct(v, 4) },
  { key: 'goodput', name: 'goodput (r/s)', get: (s) => s.goodput, show: (v) => fmt(v, 1) },
  { key: 'throughput', name: 'throughput (r/s)', get: (s) => s.throughput, show: (v) => fmt(v, 1) },
  { key: 'offeredLoad', name: 'offered load (r/s)', get: (s) => s.offeredLoad, show: (v) => fmt(v, 1) },
  { key: 'p50Ms', name: 'p50 (ms)', get: (s) => s.latencyMs?.p50, show: (v) => fmt(v, 3) },
  { key: 'p99Ms', name: 'p99 (ms)', get: (s) => s.latencyMs?.p99, show: (v) => fmt(v, 3) },
  { key: 'p999Ms', name: 'p99.9 (ms)', get: (s) => s.latencyMs?.p999, show: (v) => fmt(v, 3) },
  { key: 'p9999Ms', name: 'p99.99 (ms)', get: (s) => s.latencyMs?.p9999, show: (v) => fmt(v, 3) },
  { key: 'p999999Ms', name: 'p99.9999 (ms)', get: (s) => s.latencyMs?.p999999, show: (v) => fmt(v, 3) },
  { key: 'maxMs', name: 'max (ms)', get: (s) => s.latencyMs?.max, show: (v) => fmt(v, 3) },
  // Mean over the GPUs (summary.json has one value per GPU).
  { key: 'gpuUtilization', name: 'GPU utilization', get: (s) => mean(s.gpuUtilization), show: (v) => pct(v, 1) },
  { key: 'pcieUtilization', name: 'PCIe utilization', get: (s) => mean(s.pcieUtilization), show: (v) => pct(v, 1) },
  { key: 'loads', name: 'loads', get: (s) => s.loads, show: (v) => fmt(v) },
  { key: 'evictions', name: 'evictions', get: (s) => s.evictions, show: (v) => fmt(v) },
  { key: 'coldStarts', name: 'cold starts', get: (s) => s.coldStarts, show: (v) => fmt(v) },
  { key: 'meanBatch', name: 'mean batch', get: (s) => s.batches?.meanSize, show: (v) => fmt(v, 2) },
];

/** A metric's value for CSV and JSON: numbers rounded (src/util/round.ts), absent as null. */
function outValue(m: Metric, v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? roundMetric(m.key, v) : String(v);
}

export type CompareFormat = 'table' | 'markdown' | 'csv' | 'json';

/** Render runs side by side: one column per run (table, markdown) or one row per run (csv). */
export function compareRuns(runs: RunResult[], format: CompareFormat): string {
  if (format === 'csv') {
    return recordsCsv(
      runs.map((r) => {
        const row: Record<string, unknown> = { run: r.label, dir: r.dir };
        for (const m of COMPARE_METRICS) row[m.key] = outValue(m, m.get(r.summary));
        return row;
      }),
    );
  }
  if (format === 'json') {
    return jsonText({
      mode: 'runs',
      runs: runs.map((r) => ({ run: r.label, dir: r.dir, metrics: Object.fromEntries(COMPARE_METRICS.map((m) => [m.key, outValue(m, m.get(r.summary))])) })),
    });
  }
  const header = ['metric', ...runs.map((r) => r.label)];
  const rows = COMPARE_METRICS.map((m) => [m.name, ...runs.map((r) => {
    const v = m.get(r.summary);
    return v === null || v === undefined ? '-' : m.show(v);
  })]);
  return render(rows, header, format);
}

export interface CompareOptions {
  /** One column per run even where runs differ only in seed. */
  perRun?: boolean;
  /** Say, per metric, whether each configuration differs from the baseline beyond the 95% intervals (Welch's t-test). */
  differ?: boolean;
  /** The configuration the others are tested against: its 1-based column (default 1). */
  baseline?: number;
}

/**
 * Configurations side by side: runs that differ only in seed (src/charts/run-groups.ts) make one
 * column of "mean ± 95% CI half-width" per metric, with the number of runs; with `differ`, a
 * column per configuration after the baseline says whether it differs from the baseline beyond
 * the intervals (src/util/stats.ts, differ: Welch's t-test at the 5% level) with the p-value.
 */
export function compareGroups(groups: RunGroup[], format: CompareFormat, opts: CompareOptions = {}): string {
  const b = (opts.baseline ?? 1) - 1;
  if (!(b >= 0 && b < groups.length)) {
    throw new UserError(`--baseline expects a configuration number from 1 to ${groups.length}, found ${opts.baseline}`);
  }
  const stats = groups.map((g) => COMPARE_METRICS.map((m) => groupCI(g, (r) => m.get(r.summary))));
  const text = (m: Metric, g: RunGroup, ci: MeanCI): string => {
    if (m.key === 'scheduler') return [...new Set(g.runs.map((r) => String(r.summary.scheduler)))].join('/');
    if (ci.n === 0) return '-';
    return ci.n < 2 ? m.show(ci.mean) : `${m.show(ci.mean)} ± ${m.show(ci.half)}`;
  };
  const verdict = (gi: number, mi: number): { differ: boolean; p: number } | null =>
    COMPARE_METRICS[mi].key === 'scheduler' ? null : differ(stats[b][mi], stats[gi][mi]);
  // Figures as written: rounded per metric (src/util/round.ts); the t-tests (verdict) use the unrounded statistics.
  const num = (m: Metric, x: number): number | null => (Number.isFinite(x) ? roundMetric(m.key, x) : null);
  const pOut = (v: { differ: boolean; p: number } | null): { differs: boolean; p: number } | null => (v === null ? null : { differs: v.differ, p: roundSignificant(v.p, 6) });
  if (format === 'csv') {
    return recordsCsv(
      groups.map((g, gi) => {
        const row: Record<string, unknown> = { configuration: g.label, n: g.runs.length, dirs: g.runs.map((r) => r.dir).join(' ') };
        COMPARE_METRICS.forEach((m, mi) => {
          const ci = stats[gi][mi];
          if (m.key === 'scheduler') {
            row[m.key] = text(m, g, ci);
            return;
          }
          row[`${m.key}Mean`] = num(m, ci.mean);
          row[`${m.key}Half`] = num(m, ci.half);
          row[`${m.key}Lo`] = num(m, ci.lo);
          row[`${m.key}Hi`] = num(m, ci.hi);
          if (opts.differ) {
            const v = gi === b ? null : pOut(verdict(gi, mi));
            row[`${m.key}Differs`] = v === null ? null : v.differs;
            row[`${m.key}P`] = v === null ? null : v.p;
          }
        });
        return row;
      }),
    );
  }
  if (format === 'json') {
    return jsonText({
      mode: 'configurations',
      ...(opts.differ ? { baseline: b + 1 } : {}),
      configurations: groups.map((g, gi) => {
        const metrics: Record<string, unknown> = {};
        const differs: Record<string, unknown> = {};
        COMPARE_METRICS.forEach((m, mi) => {
          const ci = stats[gi][mi];
          if (m.key === 'scheduler') return;
          metrics[m.key] = { n: ci.n, mean: num(m, ci.mean), half: num(m, ci.half), lo: num(m, ci.lo), hi: num(m, ci.hi) };
          if (opts.differ && gi !== b) differs[m.key] = pOut(verdict(gi, mi));
        });
        return {
          configuration: g.label,
          scheduler: text(COMPARE_METRICS[0], g, stats[gi][0]),
          n: g.runs.length,
          dirs: g.runs.map((r) => r.dir),
          metrics,
          // vs the baseline: Welch's t-test at the 5% level per metric (null: fewer than 2 runs with it).
          ...(opts.differ && gi !== b ? { vsBaseline: differs } : {}),
        };
      }),
    });
  }
  const vsText = (gi: number, mi: number): string => {
    const v = verdict(gi, mi);
    if (COMPARE_METRICS[mi].key === 'scheduler') return '';
    if (v === null) return '- (n < 2)';
    return `${v.differ ? 'DIFFERS' : 'n.s.'} (p=${v.p === 0 ? '0' : v.p < 0.001 ? v.p.toExponential(1) : v.p.toFixed(3)})`;
  };
  const header = ['metric'];
  for (const [gi, g] of groups.entries()) {
    header.push(g.label);
    if (opts.differ && gi !== b) header.push(`vs ${b + 1}`);
  }
  if (opts.differ) header[b + 1] = `${groups[b].label} (baseline ${b + 1})`;
  const rowOf = (name: string, cell: (gi: number) => string, vs: (gi: number) => string): string[] => {
    const r = [name];
    groups.forEach((_, gi) => {
      r.push(cell(gi));
      if (opts.differ && gi !== b) r.push(vs(gi));
    });
    return r;
  };
  const rows = [
    rowOf('runs (n)', (gi) => String(groups[gi].runs.length), () => ''),
    ...COMPARE_METRICS.map((m, mi) => rowOf(m.name, (gi) => text(m, groups[gi], stats[gi][mi]), (gi) => vsText(gi, mi))),
  ];
  const note = `mean ± half-width of the 95% confidence interval (Student t) over the n runs of each configuration (runs that differ only in seed)${opts.differ ? `; "vs ${b + 1}": Welch's t-test against configuration ${b + 1} at the 5% level (DIFFERS: beyond the intervals; n.s.: not significant)` : ''}\n`;
  return render(rows, header, format) + (format === 'markdown' ? `\n${note}` : note);
}


/**
 * `servesim compare DIR...`: one column per run, or, where some runs differ only in seed (a sweep
 * with `seeds`, or run directories of one config with different --seed), one column per
 * configuration with mean ± 95% CI and n (compareGroups); `perRun` forces the former.
 */
export function compareDirs(dirs: readonly string[], format: CompareFormat, opts: CompareOptions = {}): string {
  const runs = loadRuns(dirs);
  const groups = groupRuns(runs);
  const grouped = !opts.perRun && groups.some((g) => g.runs.length > 1);
  if (!grouped) {
    if (opts.differ) {
      throw new UserError(
        opts.perRun ? '--differ compares configurations over their seeds; leave out --per-run' : '--differ needs configurations with at least two runs each (a sweep with "seeds", or runs of one config with different --seed)',
      );
    }
    if (opts.baseline !== undefined) throw new UserError('--baseline applies with --differ to configurations with several seeds');
    return compareRuns(runs, format);
  }
  return compareGroups(groups, format, opts);
}
