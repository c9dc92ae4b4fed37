/** Plain-text output for the terminal (tables: src/util/text-table.ts). */
import { table } from '../util/text-table.js';

export { table };

export const fmt = (v: unknown, digits = 2): string => {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);
  return String(v);
};

export const pct = (v: unknown, digits = 4): string => (typeof v === 'number' ? `${(v * 100).toFixed(digits)}%` : '-');

/** A readable summary of one run's summary.json. */
export function summaryTable(s: Record<string, any>): string {
  const r = s.requests ?? {};
  const l = s.latencyMs ?? {};
  const rows: Array<[string, string]> = [
    ['scheduler', String(s.scheduler)],
    ['measured window', `${fmt(s.windowSeconds)} s (${s.gpus} GPU${s.gpus === 1 ? '' : 's'}, ${s.models} model instances)`],
    ['requests', `${fmt(r.total)} total: ${fmt(r.ok)} ok, ${fmt(r.late)} late, ${fmt(r.timeout)} timeout, ${fmt(r.rejected)} rejected, ${fmt(r.failed)} failed${r.unfinished ? `, ${fmt(r.unfinished)} unfinished` : ''}`],
    ['SLO attainment', pct(s.sloAttainment)],
    ['goodput', `${fmt(s.goodput, 1)} r/s (throughput ${fmt(s.throughput, 1)} r/s, offered ${fmt(s.offeredLoad, 1)} r/s)`],
    ['latency ms', `p50 ${fmt(l.p50, 3)}  p90 ${fmt(l.p90, 3)}  p99 ${fmt(l.p99, 3)}  p99.9 ${fmt(l.p999, 3)}  p99.99 ${fmt(l.p9999, 3)}  max ${fmt(l.max, 3)}`],
    ['GPU utilization', (s.gpuUtilization ?? []).map((u: number) => `${(u * 100).toFixed(1)}%`).join(' ')],
    ['loads / evictions', `${fmt(s.loads)} / ${fmt(s.evictions)} (cold starts ${fmt(s.coldStarts)})`],
  ];
  if (s.batches?.count) rows.push(['batches', `${fmt(s.batches.count)}, mean size ${fmt(s.batches.meanSize, 2)}`]);
  return table(rows);
}
