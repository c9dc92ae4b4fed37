/** `servesim compare`: key metrics of several results side by side. */
import { loadRuns, type RunResult } from '../charts/results.js';
import { recordsCsv } from '../util/csv.js';
import { fmt, pct, table } from './format.js';

interface Metric {
  name: string;
  get(s: Record<string, any>): number | string | null | undefined;
  show(v: any): string;
}

const mean = (xs: unknown): number | null => (Array.isArray(xs) && xs.length ? xs.reduce((a: number, b: number) => a + b, 0) / xs.length : null);

export const COMPARE_METRICS: Metric[] = [
  { name: 'scheduler', get: (s) => s.scheduler, show: String },
  { name: 'requests', get: (s) => s.requests?.total, show: (v) => fmt(v) },
  { name: 'ok', get: (s) => s.requests?.ok, show: (v) => fmt(v) },
  { name: 'late', get: (s) => s.requests?.late, show: (v) => fmt(v) },
  { name: 'timeout', get: (s) => s.requests?.timeout, show: (v) => fmt(v) },
  { name: 'rejected', get: (s) => s.requests?.rejected, show: (v) => fmt(v) },
  { name: 'failed', get: (s) => s.requests?.failed, show: (v) => fmt(v) },
  { name: 'SLO attainment', get: (s) => s.sloAttainment, show: (v) => pct(v, 4) },
  { name: 'goodput (r/s)', get: (s) => s.goodput, show: (v) => fmt(v, 1) },
  { name: 'throughput (r/s)', get: (s) => s.throughput, show: (v) => fmt(v, 1) },
  { name: 'offered load (r/s)', get: (s) => s.offeredLoad, show: (v) => fmt(v, 1) },
  { name: 'p50 (ms)', get: (s) => s.latencyMs?.p50, show: (v) => fmt(v, 3) },
  { name: 'p99 (ms)', get: (s) => s.latencyMs?.p99, show: (v) => fmt(v, 3) },
  { name: 'p99.9 (ms)', get: (s) => s.latencyMs?.p999, show: (v) => fmt(v, 3) },
  { name: 'p99.99 (ms)', get: (s) => s.latencyMs?.p9999, show: (v) => fmt(v, 3) },
  { name: 'p99.9999 (ms)', get: (s) => s.latencyMs?.p999999, show: (v) => fmt(v, 3) },
  { name: 'max (ms)', get: (s) => s.latencyMs?.max, show: (v) => fmt(v, 3) },
  { name: 'GPU utilization', get: (s) => mean(s.gpuUtilization), show: (v) => pct(v, 1) },
  { name: 'PCIe utilization', get: (s) => mean(s.pcieUtilization), show: (v) => pct(v, 1) },
  { name: 'loads', get: (s) => s.loads, show: (v) => fmt(v) },
  { name: 'evictions', get: (s) => s.evictions, show: (v) => fmt(v) },
  { name: 'cold starts', get: (s) => s.coldStarts, show: (v) => fmt(v) },
  { name: 'mean batch', get: (s) => s.batches?.meanSize, show: (v) => fmt(v, 2) },
];

export type CompareFormat = 'table' | 'markdown' | 'csv';

/** Render runs side by side: one column per run (table, markdown) or one row per run (csv). */
export function compareRuns(runs: RunResult[], format: CompareFormat): string {
  if (format === 'csv') {
    return recordsCsv(
      runs.map((r) => {
        const row: Record<string, unknown> = { run: r.label, dir: r.dir };
        for (const m of COMPARE_METRICS) row[m.name] = m.get(r.summary) ?? null;
        return row;
      }),
    );
  }
  const header = ['metric', ...runs.map((r) => r.label)];
  const rows = COMPARE_METRICS.map((m) => [m.name, ...runs.map((r) => {
    const v = m.get(r.summary);
    return v === null || v === undefined ? '-' : m.show(v);
  })]);
  if (format === 'markdown') {
    const esc = (s: string): string => s.replace(/\|/g, '\\|');
    const lines = [
      `| ${header.map(esc).join(' | ')} |`,
      `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ];
    return lines.join('\n') + '\n';
  }
  return table(rows, header);
}

export function compareDirs(dirs: readonly string[], format: CompareFormat): string {
  return compareRuns(loadRuns(dirs), format);
}
