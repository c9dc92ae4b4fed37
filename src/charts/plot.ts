/**
 * Charts of results (PNG, Chart.js rendered by chartjs-node-canvas on node-canvas). Every chart is
 * drawn from files in result directories (timeseries.csv, latency-histogram.json, summary.json,
 * config.resolved.json, a sweep's index.json), so it can be made at the end of a run or later.
 * Every chart has a title, axis titles with units and a legend.
 */
import { join } from 'node:path';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { OutputDir } from '../util/output.js';
import { Histogram, type HistogramJSON } from '../metrics/histogram.js';
import { UTILIZATION } from '../sim/lanes.js';
import { UserError } from '../util/errors.js';
import { CHART_NAMES, RUN_CHARTS, type ChartName } from './names.js';
import { loadRuns, readCsvColumns, tryReadJson, type RunResult } from './results.js';
import { goodputVsLoadChart, sloAttainmentChart } from './sweep-charts.js';

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 600;

/** Tableau 10: distinguishable, colour-blind friendlier than Chart.js defaults. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const color = (i: number): string => PALETTE[i % PALETTE.length];

export type Pt = { x: number; y: number };
export type LineDataset = ChartDataset<'line', Pt[]>;

/** Beyond the palette's 10 colours, cycles are told apart by dash patterns. */
const CYCLE_DASH = [[], [10, 3], [3, 3], [12, 3, 3, 3]];

export function line(label: string, data: Pt[], i: number, extra: Partial<LineDataset> = {}): LineDataset {
  const dash = CYCLE_DASH[Math.floor(i / PALETTE.length) % CYCLE_DASH.length];
  return { label, data, borderColor: color(i), backgroundColor: color(i), borderWidth: 1.8, pointRadius: 0, fill: false, borderDash: dash, ...extra };
}

export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'linear', title: { display: true, text: title, font: { size: 14 } }, ...extra };
}

export function baseOptions(title: string, subtitle: string | undefined, x: Record<string, unknown>, y: Record<string, unknown>, more: Record<string, unknown> = {}): any {
  return {
    responsive: false,
    animation: false,
    parsing: false,
    normalized: true,
    plugins: {
      title: { display: true, text: title, font: { size: 18, weight: 'bold' } },
      subtitle: subtitle ? { display: true, text: subtitle, font: { size: 12 }, padding: { bottom: 8 } } : { display: false },
      legend: { display: true, position: 'bottom', labels: { boxWidth: 24, font: { size: 12 } } },
    },
    scales: { x, y, ...more },
  };
}

/** Log-axis tick labels: 1, 0.1, 0.01 ... as 1e-k where that is shorter. */
export function logTicks(value: number | string): string {
  const v = Number(value);
  const e = Math.floor(Math.log10(v) + 1e-9);
  const mant = Number((v / 10 ** e).toPrecision(3));
  if (mant !== 1 && mant !== 2 && mant !== 5) return '';
  if (v >= 0.001 && v <= 1e5) return String(Number(v.toPrecision(3)));
  return mant === 1 ? `1e${e}` : '';
}

/** Only powers of ten (for axes spanning many decades, e.g. tail fractions). */
function decadeTicks(value: number | string): string {
  const v = Number(value);
  const e = Math.log10(v);
  if (Math.abs(e - Math.round(e)) > 1e-9) return '';
  return v >= 0.001 ? String(Number(v.toPrecision(3))) : `1e${Math.round(e)}`;
}

function histOf(j: HistogramJSON | undefined | null): Histogram | undefined {
  return j && j.count ? Histogram.fromJSON(j) : undefined;
}

interface ChartResult {
  config?: ChartConfiguration;
  skipped?: string;
}

// ------------------------------------------------------------------ time series

function timeseries(r: RunResult): Record<string, number[]> {
  return readCsvColumns(join(r.dir, 'timeseries.csv'));
}

function series(ts: Record<string, number[]>, col: string, scale = 1): Pt[] {
  const t = ts.t_s;
  const w = ts.window_s;
  const v = ts[col];
  const out: Pt[] = [];
  if (!v) return out;
  for (let i = 0; i < t.length; i++) if (Number.isFinite(v[i])) out.push({ x: t[i] + w[i] / 2, y: v[i] * scale });
  return out;
}

function measuredWindowNote(runs: RunResult[]): string {
  const s = runs[0].summary;
  return `${runs.length === 1 ? runs[0].label : `${runs.length} runs`}; ${s.gpus} GPU${s.gpus === 1 ? '' : 's'}, ${s.models} models; measured window starts at ${s.warmupSeconds} s`;
}

function goodputChart(runs: RunResult[]): ChartResult {
  const datasets: LineDataset[] = [];
  runs.forEach((r, i) => {
    const ts = timeseries(r);
    datasets.push(line(`${r.label}: goodput`, series(ts, 'goodput_rps'), i));
    datasets.push(line(`${r.label}: offered load`, series(ts, 'offered_rps'), i, { borderDash: [6, 4], borderWidth: 1.2 }));
  });
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions('Goodput and offered load over time', measuredWindowNote(runs), axis('simulated time (s)'), axis('requests per second (r/s)', { min: 0 })),
    },
  };
}

function utilizationChart(runs: RunResult[]): ChartResult {
  const datasets: LineDataset[] = [];
  runs.forEach((r, i) => {
    const ts = timeseries(r);
    // One line per lane with utilization (src/sim/lanes.ts), secondary lanes dashed.
    for (const u of UTILIZATION) {
      datasets.push(line(`${r.label}: ${u.chartLabel}`, series(ts, u.column, 100), i, u.secondary ? { borderDash: [6, 4], borderWidth: 1.2 } : {}));
    }
  });
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'GPU and PCIe utilization over time',
        `${measuredWindowNote(runs)}; mean over GPUs per window`,
        axis('simulated time (s)'),
        axis('utilization (%)', { min: 0, max: 100 }),
      ),
    },
  };
}

// ------------------------------------------------------------------ latency distributions

function latencyHist(r: RunResult): { h?: Histogram; slos: number[] } {
  const j = tryReadJson(join(r.dir, 'latency-histogram.json'));
  if (!j) return { slos: [] };
  const slos = Object.values((j.groups ?? {}) as Record<string, { sloNs: number | null }>)
    .map((g) => g.sloNs)
    .filter((x): x is number => typeof x === 'number');
  return { h: histOf(j.overall), slos: [...new Set(slos)] };
}

function sloLines(slos: number[], y0: number, y1: number, first: number): LineDataset[] {
  return slos.map((s, k) =>
    line(`SLO ${s / 1e6} ms`, [{ x: s / 1e6, y: y0 }, { x: s / 1e6, y: y1 }], first + k, { borderColor: '#555', backgroundColor: '#555', borderDash: [2, 3], borderWidth: 1.2 }),
  );
}

function latencyCdfChart(runs: RunResult[]): ChartResult {
  const datasets: LineDataset[] = [];
  const slos = new Set<number>();
  runs.forEach((r, i) => {
    const { h, slos: s } = latencyHist(r);
    s.forEach((x) => slos.add(x));
    if (!h) return;
    const pts: Pt[] = [{ x: Math.max(h.min, 1) / 1e6, y: 0 }];
    for (const [v, cum] of h.cdfPoints()) pts.push({ x: Math.max(v, 1) / 1e6, y: (100 * cum) / h.count });
    datasets.push(line(r.label, pts, i, { stepped: 'after' }));
  });
  if (datasets.length === 0) return { skipped: 'no completed requests (latency-histogram.json empty or missing)' };
  datasets.push(...sloLines([...slos].sort((a, b) => a - b), 0, 100, runs.length));
  // A log axis only pays off over a wide range; within a decade or so, linear ticks read better.
  let lo = Infinity;
  let hi = 0;
  for (const d of datasets) for (const p of d.data as Pt[]) (lo = Math.min(lo, p.x)), (hi = Math.max(hi, p.x));
  const xAxis =
    hi / lo > 20
      ? axis('latency (ms, log scale)', { type: 'logarithmic', ticks: { callback: logTicks } })
      : axis('latency (ms)', { type: 'linear', min: 0 });
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'Latency CDF (requests answered ok or late)',
        `${measuredWindowNote(runs)}; from arrival at the controller to the response at the client`,
        xAxis,
        axis('requests with latency <= x (%)', { min: 0, max: 100 }),
      ),
    },
  };
}

const TAIL_FLOOR = -1;

function latencyTailChart(runs: RunResult[]): ChartResult {
  const datasets: LineDataset[] = [];
  const slos = new Set<number>();
  let maxCount = 0;
  runs.forEach((r, i) => {
    const { h, slos: s } = latencyHist(r);
    s.forEach((x) => slos.add(x));
    if (!h) return;
    maxCount = Math.max(maxCount, h.count);
    const pts: Pt[] = [{ x: h.min / 1e6, y: 1 }];
    let prevFrac = 1;
    for (const [v, cum] of h.cdfPoints()) {
      const frac = 1 - cum / h.count;
      // Step: the survival fraction holds until the bucket's upper value, then drops.
      if (frac <= 0) {
        // Nothing is slower than the exact maximum: drop to the bottom of the axis there.
        pts.push({ x: v / 1e6, y: prevFrac });
        pts.push({ x: v / 1e6, y: TAIL_FLOOR });
        break;
      }
      pts.push({ x: v / 1e6, y: frac });
      prevFrac = frac;
    }
    datasets.push(line(r.label, pts, i, { stepped: 'after' }));
  });
  if (datasets.length === 0) return { skipped: 'no completed requests (latency-histogram.json empty or missing)' };
  const yMin = 10 ** Math.floor(Math.log10(Math.min(1e-6, 1 / Math.max(1, maxCount))));
  for (const d of datasets) for (const p of d.data) if (p.y === TAIL_FLOOR) p.y = yMin;
  datasets.push(...sloLines([...slos].sort((a, b) => a - b), yMin, 1, runs.length));
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'Latency tail: fraction of requests slower than x',
        `${measuredWindowNote(runs)}; 1 - CDF, log scale (1e-6 = p99.9999); last step at the exact maximum`,
        axis('latency (ms)', { min: 0 }),
        axis('fraction of requests with latency > x (log)', { type: 'logarithmic', min: yMin, max: 1, ticks: { callback: decadeTicks } }),
      ),
    },
  };
}

function predictionErrorChart(runs: RunResult[]): ChartResult {
  const datasets: LineDataset[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  let k = 0;
  runs.forEach((r) => {
    const j = tryReadJson(join(r.dir, 'latency-histogram.json'));
    for (const kind of ['INFER', 'LOAD'] as const) {
      const p = j?.predictionError?.[kind];
      if (!p) continue;
      const early = Histogram.fromJSON(p.early);
      const late = Histogram.fromJSON(p.late);
      const n = early.count + late.count;
      if (n === 0) continue;
      // Signed error = predicted - actual completion (ms): negative = finished later than predicted.
      const pts: Pt[] = [];
      let cum = 0;
      const lateBuckets: Array<[number, number]> = [];
      late.forEachBucket((i, c) => lateBuckets.push([i, c]));
      for (let b = lateBuckets.length - 1; b >= 0; b--) {
        const [i, c] = lateBuckets[b];
        const v = Math.min(late.bucketRange(i)[1] - 1, late.max);
        cum += c;
        pts.push({ x: -v / 1e6, y: (100 * cum) / n });
      }
      early.forEachBucket((i, c) => {
        cum += c;
        pts.push({ x: Math.min(early.bucketRange(i)[1] - 1, early.max) / 1e6, y: (100 * cum) / n });
      });
      // Central 99.8% for the axis range.
      for (const pt of pts) {
        if (pt.y >= 0.1 && pt.x < lo) lo = pt.x;
        if (pt.y <= 99.9 && pt.x > hi) hi = pt.x;
      }
      datasets.push(line(`${runs.length > 1 ? `${r.label}: ` : ''}${kind} (${n.toLocaleString('en-US')} predictions)`, pts, k++, { stepped: 'after' }));
    }
  });
  if (datasets.length === 0) return { skipped: 'no predictions recorded (the scheduler did not call recordPrediction)' };
  if (!(hi > lo)) {
    lo -= 0.01;
    hi += 0.01;
  }
  const pad = (hi - lo) * 0.05;
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'Completion-time prediction error CDF',
        `${measuredWindowNote(runs)}; x axis shows the central 99.8% of errors`,
        axis('predicted - actual completion time (ms; < 0: finished later than predicted)', { min: lo - pad, max: hi + pad }),
        axis('predictions with error <= x (%)', { min: 0, max: 100 }),
      ),
    },
  };
}

// ------------------------------------------------------------------ sweeps: sweep-charts.ts

/** The builder of every chart in names.ts's table, by name (the compiler checks that none is missing). */
const BUILDERS: Record<ChartName, (runs: RunResult[]) => ChartResult> = {
  goodput: goodputChart,
  'latency-cdf': latencyCdfChart,
  'latency-tail': latencyTailChart,
  'gpu-utilization': utilizationChart,
  'prediction-error': predictionErrorChart,
  'slo-attainment': sloAttainmentChart,
  'goodput-vs-load': goodputVsLoadChart,
};

let canvas: ChartJSNodeCanvas | undefined;

/** Render a Chart.js configuration to PNG bytes (CHART_WIDTH x CHART_HEIGHT, white background). */
export async function renderPng(config: ChartConfiguration): Promise<Buffer> {
  canvas ??= new ChartJSNodeCanvas({
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    backgroundColour: 'white',
    chartCallback: (ChartJS) => {
      ChartJS.defaults.font.family = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
      ChartJS.defaults.color = '#222';
    },
  });
  return canvas.renderToBuffer(config, 'image/png');
}

export interface PlotReport {
  written: Array<{ chart: ChartName; file: string }>;
  skipped: Array<{ chart: ChartName; reason: string }>;
}

/**
 * Draw charts of the runs in `dirs` (sweep directories expand to their points) into `outDir`.
 * `names` defaults to every chart; a chart that does not apply (e.g. no predictions) is skipped
 * with its reason. Charts named explicitly that cannot be drawn are reported as skipped too.
 */
export async function plotCharts(dirs: readonly string[], outDir: string, names?: readonly string[], opts: { labels?: string[] } = {}): Promise<PlotReport> {
  for (const n of names ?? []) {
    if (!(CHART_NAMES as readonly string[]).includes(n)) throw new UserError(`unknown chart "${n}" (expected one of ${CHART_NAMES.join(', ')})`);
  }
  const runs = loadRuns(dirs);
  if (runs.length === 0) throw new UserError(`no complete results in ${dirs.join(', ')}`);
  if (opts.labels && opts.labels.length === runs.length) runs.forEach((r, i) => (r.label = opts.labels![i]));
  const report: PlotReport = { written: [], skipped: [] };
  const wanted = (names ?? CHART_NAMES) as ChartName[];
  // Only into a directory servesim wrote (or a new one), never over a person's files.
  const out = new OutputDir(outDir, 'charts');
  try {
    for (const name of wanted) out.check(`${name}.png`);
    for (const name of wanted) {
      const res = BUILDERS[name](runs);
      if (!res.config) {
        report.skipped.push({ chart: name, reason: res.skipped ?? 'does not apply' });
        continue;
      }
      out.write(`${name}.png`, await renderPng(res.config));
      report.written.push({ chart: name, file: join(outDir, `${name}.png`) });
    }
  } finally {
    out.close();
  }
  return report;
}

/** Charts at the end of one run (into its directory's charts/ folder). */
export async function plotRunCharts(dirs: readonly string[], outDir: string, names?: readonly string[], opts: { labels?: string[] } = {}): Promise<PlotReport> {
  return plotCharts(dirs, outDir, names ?? RUN_CHARTS, opts);
}
