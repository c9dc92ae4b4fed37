/**
 * The figures of the paper's experiments, drawn from result directories with the project's chart
 * renderer (src/charts/plot.ts): chart kinds the generic `servesim plot` has no notion of (goodput
 * against the SLO with the GPU's capacity, major/minor groups over time, per-step metrics of an
 * SLO ramp, peak goodput against the number of GPUs), plus the generic ones where they fit.
 */
import { join } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { axis, baseOptions, line, logTicks, plotCharts, renderPng, type LineDataset, type Pt } from '../charts/plot.js';
import { loadRuns, type RunResult } from '../charts/results.js';
import { writeIntoDir } from '../util/output.js';
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

const lineChart = (title: string, subtitle: string, datasets: LineDataset[], x: Record<string, unknown>, y: Record<string, unknown>, more: Record<string, unknown> = {}): ChartConfiguration => ({
  type: 'line',
  data: { datasets },
  options: baseOptions(title, subtitle, x, y, more),
});

async function write(outDir: string, name: string, config: ChartConfiguration): Promise<string> {
  return writeIntoDir(outDir, 'charts', `${name}.png`, await renderPng(config));
}

const POINT_STYLES = ['circle', 'rect', 'triangle', 'rectRot', 'star'];
const dashed = { borderDash: [6, 4], borderWidth: 1.2 };
const grey = { borderColor: '#666', backgroundColor: '#666', borderDash: [3, 3], borderWidth: 1.2 };
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
  let i = 0;
  const slos = [...new Set(runs.map(sloMs))].sort((a, b) => a - b);
  for (const [s, rs] of by) {
    const sorted = [...rs].sort((a, b) => sloMs(a) - sloMs(b));
    // Baselines often coincide: distinct point shapes and sizes keep each visible.
    const pt = { pointRadius: 3 + i, pointStyle: POINT_STYLES[i % POINT_STYLES.length], ...(interferenceLabel(rs[0]) ? dashed : {}) } as Partial<LineDataset>;
    good.push(line(s, sorted.map((r) => ({ x: sloMs(r), y: r.summary.goodput })), i, pt));
    late.push(
      line(s, sorted.map((r) => {
        const q = r.summary.requests;
        return { x: sloMs(r), y: q.total > 0 ? (100 * (q.late + q.timeout + q.rejected + q.failed + q.unfinished)) / q.total : 0 };
      }), i, pt),
    );
    i++;
  }
  good.push(line(`batched capacity ${Math.round(capacity)} r/s`, [{ x: slos[0], y: capacity }, { x: slos[slos.length - 1], y: capacity }], i, grey));
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
  const top = Math.max(...ws.map((w) => w.row['offered_rps:major'] ?? 0), 1);
  const g = [
    line('major: goodput', pts((row) => row['goodput_rps:major']), 0),
    line('major: offered load', pts((row) => row['offered_rps:major']), 0, dashed),
    line('minor: goodput', pts((row) => row['goodput_rps:minor']), 1),
    line('minor: offered load', pts((row) => row['offered_rps:minor']), 1, dashed),
    line(`more than ${o.fit} majors active`, [{ x: fitAt, y: 0 }, { x: fitAt, y: top }], 2, grey),
  ];
  const a = [
    line('minor: SLO attainment (%)', pts((row) => 100 * windowAttainment(row, 'minor')), 1, { yAxisID: 'y' }),
    line('major: SLO attainment (%)', pts((row) => 100 * windowAttainment(row, 'major')), 0, { yAxisID: 'y' }),
    line('PCIe weights lane utilization (%)', pts((row) => 100 * row.pcie_util), 3, { ...dashed, yAxisID: 'y' }),
    line('active major models', ws.map((w) => ({ x: mid(w), y: Math.min(activeMajors(o, mid(w)), Number(r.summary.models) - 1) })), 4, { yAxisID: 'y1', borderDash: [2, 2] }),
  ];
  const x = axis('simulated time (s)');
  return [
    await write(outDir, 'fig6-goodput', lineChart('fig6: major and minor goodput over time', sub, g, x, axis('requests per second (r/s)', { min: 0 }))),
    await write(
      outDir,
      'fig6-attainment',
      lineChart('fig6: SLO attainment per window, PCIe utilization', sub, a, x, axis('%', { min: 0, max: 100 }), {
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
  const g = runs.map((r, i) => line(label(r), rampPoints(r, o, (row) => (row.offered_rps > 0 ? (100 * row.goodput_rps) / row.offered_rps : NaN)), i, { pointRadius: 3 }));
  const l = runs.flatMap((r, i) => [
    line(`${label(r)}: late`, rampPoints(r, o, (row) => (answered(row) > 0 ? (100 * row.late) / answered(row) : NaN)), i, { pointRadius: 3 }),
    line(`${label(r)}: timeout`, rampPoints(r, o, (row) => (answered(row) > 0 ? (100 * (row.timeout + row.rejected)) / answered(row) : NaN)), i, { pointRadius: 3, ...dashed }),
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
  const a = runs.map((r, i) => line(label(r), rampPoints(r, o, (row) => 100 * windowAttainment(row, 'foreground')), i, { pointRadius: 3 }));
  const b = runs.flatMap((r, i) => [
    line(`${label(r)}: background goodput`, rampPoints(r, o, (row) => row['goodput_rps:background']), i, { pointRadius: 3 }),
    line(`${label(r)}: GPU utilization (%) x 10`, rampPoints(r, o, (row) => 1000 * row.gpu_util), i, { pointRadius: 0, ...dashed }),
  ]);
  return [
    await write(outDir, 'fig8-foreground', lineChart('fig8: foreground SLO attainment per ramp step', sub, a, x, axis('foreground SLO attainment (%)', { min: 0, max: 100 }))),
    await write(outDir, 'fig8-background', lineChart('fig8: background goodput and GPU utilization', sub, b, x, axis('r/s (utilization: % x 10)', { min: 0 }))),
  ];
}

export async function fig9Charts(dir: string, outDir: string): Promise<string[]> {
  const rep = await plotCharts([dir], join(outDir, 'fig9'), ['goodput', 'latency-tail', 'gpu-utilization', 'prediction-error']);
  return rep.written.map((w) => w.file);
}

export async function fig11Charts(dir: string, outDir: string, paper: Array<{ gpus: number; goodput: number }>): Promise<string[]> {
  const s = fig11Series(dir);
  const data = [
    line('simulated: median peak goodput', s.map((p) => ({ x: p.gpus, y: p.goodput })), 0, { pointRadius: 4 }),
    ...(paper.length ? [line('paper (artifact data file)', paper.map((p) => ({ x: p.gpus, y: p.goodput })), 1, { pointRadius: 4, ...dashed })] : []),
    line('simulated: controller busy over the run (%) x 100', s.map((p) => ({ x: p.gpus, y: 100 * 100 * p.controllerBusy })), 2, { pointRadius: 2, borderDash: [2, 2] }),
  ];
  return [
    await write(
      outDir,
      'fig11-goodput-vs-gpus',
      lineChart('fig11: peak goodput against the number of GPUs', `median over seeds of the best window's goodput; emulated workers`, data, axis('GPUs', { min: 0 }), axis('goodput (r/s)', { min: 0 })),
    ),
  ];
}
