/**
 * The figures of the paper's experiments, drawn from result directories with the project's chart
 * renderer (src/charts/plot.ts): chart kinds the generic `servesim plot` has no notion of (goodput
 * against the SLO with the GPU's capacity, major/minor groups over time, per-step metrics of an
 * SLO ramp, peak goodput against the number of GPUs), plus the generic ones where they fit.
 */
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { axis, logTicks, markerOptions, plotCharts, type LineDataset, type Pt } from '../charts/plot.js';
import { loadRuns, type RunResult } from '../charts/results.js';
import { indexStyle, schedulerStyle, styledLine, writeChart, type SeriesStyle } from '../charts/style.js';
import { OutputDir } from '../util/output.js';
import { parseDuration } from '../util/units.js';
import {
  activeMajors,
  fig11Series,
  interferenceLabel,
  measuredWindows,
  rampSloMs,
  windowAttainment,
  type Fig6Options,
  type RampOptions,
} from './verdicts.js';

const lineChart = (title: string, subtitle: string | string[], datasets: LineDataset[], x: Record<string, unknown>, y: Record<string, unknown>, more: Record<string, unknown> = {}): ChartConfiguration => ({
  type: 'line',
  // Lines along an axis's end (100% attainment, 100% utilization) are drawn whole, not cut in half.
  data: { datasets: datasets.map((d) => ({ clip: 6, ...d }) as LineDataset) },
  options: markerOptions(title, subtitle, x, y, more),
});

/** NAME.png and NAME.csv (the plotted data) into the charts directory; returns the image's path. */
async function write(outDir: string, name: string, config: ChartConfiguration): Promise<string> {
  const out = new OutputDir(outDir, 'charts');
  try {
    return (await writeChart(out, name, config)).images[0];
  } finally {
    out.close();
  }
}

const plain = (i: number): SeriesStyle => ({ ...indexStyle(i), borderDash: [] });
const greyStyle: SeriesStyle = { color: '#666', pointStyle: 'line', borderDash: [3, 3], slot: 0 };

/** One style per run: its scheduler's colour; further runs of the same scheduler other markers and dashes. */
function styles(rs: RunResult[], key: (r: RunResult) => string = schedulerOf): SeriesStyle[] {
  // Every series the same scheduler (fig7, fig8: all Clockwork): colours tell the parameter sets apart.
  if (new Set(rs.map(schedulerOf)).size === 1 && rs.length > 1) return rs.map((_, i) => indexStyle(i));
  const seen = new Map<string, number>();
  return rs.map((r) => {
    const k = seen.get(key(r)) ?? 0;
    seen.set(key(r), k + 1);
    return schedulerStyle(schedulerOf(r), k);
  });
}
const schedulerOf = (r: RunResult): string => String(r.params['scheduler.type'] ?? r.summary.scheduler);
const sloMs = (r: RunResult): number => parseDuration(String(r.params['workload.slo'])) / 1e6;
const label = (r: RunResult): string =>
  Object.entries(r.params)
    .map(([k, v]) => `${k.replace(/^.*\./, '').replace(/\[\d+\]/, '')}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');

export async function fig5Charts(dir: string, outDir: string, capacity: number): Promise<string[]> {
  const runs = loadRuns([dir]);
  const by = new Map<string, RunResult[]>();
  // A baseline run with an interference speed-up (assumed, for the V100) is its own, dashed, line.
  const series = (r: RunResult): string => (interferenceLabel(r) ? `${schedulerOf(r)} (${interferenceLabel(r)})` : schedulerOf(r));
  for (const r of runs) by.set(series(r), [...(by.get(series(r)) ?? []), r]);
  const good: LineDataset[] = [];
  const late: LineDataset[] = [];
  const slos = [...new Set(runs.map(sloMs))].sort((a, b) => a - b);
  const seen = new Map<string, number>();
  let i = 0;
  for (const [s, rs] of by) {
    const sorted = [...rs].sort((a, b) => sloMs(a) - sloMs(b));
    // The scheduler's colour; its interference variant another marker and dash. Baselines often
    // coincide: hollow markers of growing size nest, so each stays visible.
    const k = seen.get(schedulerOf(rs[0])) ?? 0;
    seen.set(schedulerOf(rs[0]), k + 1);
    const st = schedulerStyle(schedulerOf(rs[0]), k);
    const pt = { pointRadius: 3 + 1.5 * i, pointBackgroundColor: 'rgba(255,255,255,0)', pointBorderWidth: 1.6, borderWidth: interferenceLabel(rs[0]) ? 1.4 : 2 } as Partial<LineDataset>;
    good.push(styledLine(s, sorted.map((r) => ({ x: sloMs(r), y: r.summary.goodput })), st, pt));
    late.push(
      styledLine(s, sorted.map((r) => {
        const q = r.summary.requests;
        return { x: sloMs(r), y: q.total > 0 ? (100 * (q.late + q.timeout + q.rejected + q.failed + q.unfinished)) / q.total : 0 };
      }), st, pt),
    );
    i++;
  }
  good.push(styledLine(`batched capacity ${Math.round(capacity)} r/s`, [{ x: slos[0], y: capacity }, { x: slos[slos.length - 1], y: capacity }], greyStyle, { pointRadius: 0, borderWidth: 1.2 }));
  const x = axis('SLO (ms, log scale)', { type: 'logarithmic', ticks: { callback: logTicks } });
  const sub = `1 GPU, 15 ResNet50 copies, 16 closed-loop clients each; ${runs[0]?.summary.durationSeconds} s per point, first ${runs[0]?.summary.warmupSeconds} s excluded`;
  const files = [
    await write(outDir, 'fig5-goodput', lineChart('fig5: goodput against the SLO', sub, good, x, axis('goodput (r/s)', { min: 0 }))),
    await write(outDir, 'fig5-missed', lineChart('fig5: requests that missed their SLO', `${sub}; late, timed out, failed or unfinished`, late, x, axis('requests missing the SLO (%)', { min: 0, max: 100 }))),
  ];
  const rep = await plotCharts([dir], join(outDir, 'fig5-generic'), ['slo-attainment']);
  return [...files, ...rep.written.map((w) => w.file)];
}

export async function fig6Charts(dir: string, outDir: string, o: Fig6Options): Promise<string[]> {
  const [r] = loadRuns([dir]);
  const ws = measuredWindows(r);
  const mid = (w: { t: number; len: number }): number => w.t + w.len / 2;
  const pts = (f: (row: Record<string, number>) => number): Pt[] => ws.map((w) => ({ x: mid(w), y: f(w.row) })).filter((p) => Number.isFinite(p.y));
  const sub = `1 GPU; majors activate one per ${o.interval} s from ${o.leadIn} s; ${o.fit} fit in memory; ${ws[0]?.len} s windows`;
  const fitAt = o.leadIn + o.fit * o.interval;
  const top = Math.max(...ws.map((w) => w.row['offeredLoad:major'] ?? 0), 1);
  const g = [
    styledLine('major: goodput', pts((row) => row['goodput:major']), plain(0)),
    styledLine('major: offered load', pts((row) => row['offeredLoad:major']), { ...plain(0), pointStyle: 'line', borderDash: [6, 4] }, { pointRadius: 0, borderWidth: 1.2 }),
    styledLine('minor: goodput', pts((row) => row['goodput:minor']), plain(1)),
    styledLine('minor: offered load', pts((row) => row['offeredLoad:minor']), { ...plain(1), pointStyle: 'line', borderDash: [6, 4] }, { pointRadius: 0, borderWidth: 1.2 }),
    styledLine(`more than ${o.fit} majors active`, [{ x: fitAt, y: 0 }, { x: fitAt, y: top }], greyStyle, { pointRadius: 0, borderWidth: 1.5 }),
  ];
  // Percentages on the left axis, the count of active majors on the right.
  const a = [
    styledLine('minor: SLO attainment', pts((row) => 100 * windowAttainment(row, 'minor')), plain(1), { yAxisID: 'y' }),
    styledLine('major: SLO attainment', pts((row) => 100 * windowAttainment(row, 'major')), plain(0), { yAxisID: 'y' }),
    styledLine('PCIe weights lane utilization', pts((row) => 100 * row.pcieUtilization), { ...indexStyle(3), borderDash: [6, 4] }, { yAxisID: 'y', borderWidth: 1.4 }),
    styledLine('active major models (right axis)', ws.map((w) => ({ x: mid(w), y: Math.min(activeMajors(o, mid(w)), Number(r.summary.models) - 1) })), { ...indexStyle(4), borderDash: [2, 2], pointStyle: 'line' }, { yAxisID: 'y1', pointRadius: 0 }),
  ];
  const x = axis('simulated time (s)');
  return [
    await write(outDir, 'fig6-goodput', lineChart('fig6: major and minor goodput over time', sub, g, x, axis('requests per second (r/s)', { min: 0 }))),
    await write(
      outDir,
      'fig6-attainment',
      lineChart('fig6: SLO attainment per window, PCIe utilization', sub, a, x, axis('SLO attainment, PCIe utilization (%)', { min: 0, max: 100 }), {
        y1: axis('active major models', { min: 0, position: 'right', grid: { drawOnChartArea: false } }),
      }),
    ),
  ];
}

/** Per-step metrics of SLO-ramp runs: x = the step's SLO (ms). */
function rampPoints(r: RunResult, o: RampOptions, f: (row: Record<string, number>) => number): Pt[] {
  return measuredWindows(r)
    .map((w) => ({ x: rampSloMs(o, w.t), y: f(w.row) }))
    .filter((p) => Number.isFinite(p.y));
}

export async function fig7Charts(dir: string, outDir: string, o: RampOptions): Promise<string[]> {
  const runs = loadRuns([dir]);
  const x = axis('SLO of the ramp step (ms, log scale)', { type: 'logarithmic', ticks: { callback: logTicks } });
  const sub = `6 GPUs; SLO = factor x ${o.b1Ms} ms (b1), x${o.factor} every ${o.every} s; one point per ramp step`;
  const answered = (row: Record<string, number>): number => row.ok + row.late + row.timeout + row.rejected + row.failed;
  const st = styles(runs);
  const g = runs.map((r, i) => styledLine(label(r), rampPoints(r, o, (row) => (row.offeredLoad > 0 ? (100 * row.goodput) / row.offeredLoad : NaN)), st[i]));
  const l = runs.flatMap((r, i) => [
    styledLine(`${label(r)}: late`, rampPoints(r, o, (row) => (answered(row) > 0 ? (100 * row.late) / answered(row) : NaN)), { ...st[i], borderDash: [] }),
    // In the legend once per run (the title says solid: late, dashed: timed out).
    styledLine(`${label(r)}: timeout`, rampPoints(r, o, (row) => (answered(row) > 0 ? (100 * (row.timeout + row.rejected)) / answered(row) : NaN)), { ...st[i], borderDash: [6, 4] }, {
      pointBackgroundColor: 'rgba(255,255,255,0)',
      inLegend: false,
    } as Partial<LineDataset>),
  ]);
  return [
    await write(outDir, 'fig7-goodput', lineChart('fig7: goodput as a share of the offered load, per SLO step', sub, g, x, axis('goodput / offered load (%)', { min: 0, max: 105 }))),
    await write(outDir, 'fig7-late-timeout', lineChart('fig7: late (solid) and timed-out (dashed) requests per SLO step', sub, l, x, axis('share of answered requests (%)', { min: 0, max: 100 }))),
  ];
}

export async function fig8Charts(dir: string, outDir: string, o: RampOptions): Promise<string[]> {
  const runs = loadRuns([dir]);
  const x = axis('SLO of the foreground ramp step (ms, log scale)', { type: 'logarithmic', ticks: { callback: logTicks } });
  const sub = `6 GPUs; foreground 6 models at 200 r/s, SLO = factor x ${o.b1Ms} ms; background closed loop with a 1-day SLO`;
  // fig8's runs are all Clockwork: told apart by marker and dash, in the scheduler's colour.
  const st = styles(runs);
  const a = runs.map((r, i) => styledLine(label(r), rampPoints(r, o, (row) => 100 * windowAttainment(row, 'foreground')), st[i]));
  // Goodput (r/s, left axis) and utilization (%, right axis): two quantities, two axes; the runs by colour.
  const b = runs.flatMap((r, i) => [
    styledLine(`${label(r)}: background goodput`, rampPoints(r, o, (row) => row['goodput:background']), { ...indexStyle(i), borderDash: [] }, { yAxisID: 'y' }),
    // Utilizations often coincide at 100%: hollow markers, offset per run, and no clipping at the top edge keep each visible.
    styledLine(`${label(r)}: GPU utilization`, rampPoints(r, o, (row) => 100 * row.gpuUtilization), { ...indexStyle(i), borderDash: [3, 3] }, {
      yAxisID: 'y1',
      borderWidth: 1.4,
      pointBackgroundColor: 'rgba(255,255,255,0)',
      clip: 8,
    } as Partial<LineDataset>),
  ]);
  return [
    await write(outDir, 'fig8-foreground', lineChart('fig8: foreground SLO attainment per ramp step', sub, a, x, axis('foreground SLO attainment (%)', { min: 0, max: 100 }))),
    await write(
      outDir,
      'fig8-background',
      lineChart('fig8: background goodput and GPU utilization', [sub, 'solid: background goodput (left axis); dashed: mean GPU utilization (right axis)'], b, x, axis('background goodput (r/s)', { min: 0, position: 'left' }), {
        y1: axis('mean GPU utilization (%)', { min: 0, max: 100, position: 'right', grid: { drawOnChartArea: false } }),
      }),
    ),
  ];
}

export async function fig9Charts(dir: string, outDir: string): Promise<string[]> {
  const rep = await plotCharts([dir], join(outDir, 'fig9'), ['goodput', 'latency-tail', 'gpu-utilization', 'prediction-error']);
  return rep.written.map((w) => w.file);
}

export async function fig11Charts(dir: string, outDir: string, paper: Array<{ gpus: number; goodput: number }>): Promise<string[]> {
  const s = fig11Series(dir);
  const cw = schedulerStyle('clockwork');
  const data = [
    styledLine('simulated: median peak goodput', s.map((p) => ({ x: p.gpus, y: p.goodput })), cw, { yAxisID: 'y' }),
    ...(paper.length ? [styledLine('paper (artifact data file)', paper.map((p) => ({ x: p.gpus, y: p.goodput })), { ...cw, color: '#333', borderDash: [6, 4], pointStyle: 'rect', slot: 1 }, { yAxisID: 'y' })] : []),
    // A share of time, not a rate: on its own axis (right).
    styledLine('simulated: controller busy over the run (right axis)', s.map((p) => ({ x: p.gpus, y: 100 * p.controllerBusy })), indexStyle(2), { yAxisID: 'y1', borderDash: [2, 2], borderWidth: 1.4 }),
  ];
  const busyMax = Math.max(...s.map((p) => 100 * p.controllerBusy), 0);
  return [
    await write(
      outDir,
      'fig11-goodput-vs-gpus',
      lineChart(
        'fig11: peak goodput against the number of GPUs',
        `median over seeds of the best window's goodput (left axis); the controller's busy time (right axis); emulated workers`,
        data,
        axis('GPUs', { min: 0 }),
        axis('goodput (r/s)', { min: 0, position: 'left' }),
        { y1: axis('controller busy (% of the run)', { min: 0, suggestedMax: Math.min(100, Math.max(1, busyMax * 1.2)), position: 'right', grid: { drawOnChartArea: false } }) },
      ),
    ),
  ];
}
