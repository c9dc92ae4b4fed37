/**
 * Charts of results (PNG, SVG or PDF, Chart.js rendered by chartjs-node-canvas on node-canvas), each
 * with a CSV of its plotted data beside it. Every chart is drawn from files in result directories
 * (timeseries.csv, latency-histogram.json, summary.json, config.resolved.json, a sweep's
 * index.json), so it can be made at the end of a run or later. Every chart has a title, axis
 * titles with units and a legend; a scheduler has the same colour, marker and dash pattern in every
 * chart (src/charts/style.ts).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ChartConfiguration } from 'chart.js';
import { OutputDir } from '../util/output.js';
import { Histogram, type HistogramJSON } from '../metrics/histogram.js';
import { UTILIZATION } from '../sim/lanes.js';
import { UserError } from '../util/errors.js';
import { CHART_NAMES, RUN_CHARTS, type ChartName } from './names.js';
import { loadRuns, readCsvColumns, tryReadJson, type RunResult } from './results.js';
import { goodputVsLoadChart, sloAttainmentChart } from './sweep-charts.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  INDEX_PALETTE,
  checkStyle,
  chartFiles,
  indexStyle,
  renderChart,
  schedulerStyle,
  sloLine,
  styledLine,
  writeChart,
  type ChartOptions,
  type LineDataset,
  type Pt,
  type SeriesStyle,
} from './style.js';

export { CHART_HEIGHT, CHART_WIDTH, type ChartOptions, type LineDataset, type Pt };

const color = (i: number): string => INDEX_PALETTE[i % INDEX_PALETTE.length];

/** Beyond the palette's 10 colours, cycles are told apart by dash patterns. */
const CYCLE_DASH = [[], [10, 3], [3, 3], [12, 3, 3, 3]];

/** A line series styled by its index (series that are not schedulers); see style.ts for scheduler series. */
export function line(label: string, data: Pt[], i: number, extra: Partial<LineDataset> = {}): LineDataset {
  const dash = CYCLE_DASH[Math.floor(i / INDEX_PALETTE.length) % CYCLE_DASH.length];
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

/** baseOptions with a compact legend that shows each series' marker (which tells coinciding series apart). */
export function markerOptions(title: string, subtitle: string | string[] | undefined, x: Record<string, unknown>, y: Record<string, unknown>, more: Record<string, unknown> = {}): any {
  const o = baseOptions(title, undefined, x, y, more);
  if (subtitle) o.plugins.subtitle = { display: true, text: subtitle, padding: { bottom: 8 } };
  // Legend in dataset order (the SLO line is drawn on top but listed last); series marked
  // `inLegend: false` (bands, secondary lanes explained in the subtitle) are left out.
  o.plugins.legend = {
    display: true,
    position: 'bottom',
    labels: {
      usePointStyle: true,
      boxHeight: 9,
      padding: 14,
      sort: (a: { datasetIndex?: number }, b: { datasetIndex?: number }) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
      filter: (item: { datasetIndex?: number }, data: { datasets: Array<{ inLegend?: boolean }> }) => data.datasets[item.datasetIndex ?? 0]?.inLegend !== false,
    },
  };
  return o;
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

export interface ChartResult {
  config?: ChartConfiguration;
  skipped?: string;
}

// ------------------------------------------------------------------ series styles and labels

/**
 * One style per run: its scheduler's (style.ts); further runs of the same scheduler get other markers
 * and dashes. When every run is the same scheduler (a sweep of one scheduler's parameters), the
 * colours tell the runs apart instead (indexStyle).
 */
export function runStyles(runs: readonly RunResult[]): SeriesStyle[] {
  if (runs.length > 1 && new Set(runs.map((r) => String(r.summary.scheduler))).size === 1) return runs.map((_, i) => indexStyle(i));
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const s = String(r.summary.scheduler);
    const k = seen.get(s) ?? 0;
    seen.set(s, k + 1);
    return schedulerStyle(s, k);
  });
}

/**
 * The kind of device the run simulated, from its hardware profile's `device.kind` ("cpu" or "gpu"):
 * charts call CPU devices CPUs. The profile is looked up as the run named it (relative to the working
 * directory, else to the result directory); a profile that cannot be read counts as a GPU.
 */
export function deviceWord(r: RunResult): 'GPU' | 'CPU' {
  const prof = r.resolved?.derived?.profile ?? r.resolved?.cluster?.profile;
  if (typeof prof === 'string') {
    for (const p of isAbsolute(prof) ? [prof] : [resolve(prof), resolve(r.dir, prof)]) {
      try {
        const kind = JSON.parse(readFileSync(p, 'utf8'))?.device?.kind;
        if (kind === 'cpu') return 'CPU';
        if (kind === 'gpu') return 'GPU';
      } catch {
        // not there: try the next place
      }
    }
  }
  return 'GPU';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function measuredWindowNote(runs: RunResult[]): string {
  const s = runs[0].summary;
  return `${runs.length === 1 ? runs[0].label : `${runs.length} runs`}; ${plural(s.gpus, deviceWord(runs[0]))}, ${s.models} models; measured from ${s.warmupSeconds} s`;
}

// ------------------------------------------------------------------ time series

/** The time axis: simulated time, real time for live runs (summary.json's "mode": "live"), or both. */
function timeAxisTitle(runs: RunResult[]): string {
  const live = runs.filter((r) => r.summary.mode === 'live').length;
  if (live === 0) return 'simulated time (s)';
  return live === runs.length ? 'time since the run started (s)' : 'time (s): simulated, or real for live runs';
}

function timeseries(r: RunResult): Record<string, number[]> {
  return readCsvColumns(join(r.dir, 'timeseries.csv'));
}

function series(ts: Record<string, number[]>, col: string, scale = 1): Pt[] {
  const t = ts.timeS;
  const w = ts.windowS;
  const v = ts[col];
  const out: Pt[] = [];
  if (!v) return out;
  // A window cut short (the last one, the drain's) rests on a few responses: a rate over 2 ms would
  // draw a spike of hundreds per second. Windows shorter than half the longest are left out.
  let full = 0;
  for (const x of w) if (x > full) full = x;
  for (let i = 0; i < t.length; i++) if (Number.isFinite(v[i]) && w[i] >= full / 2) out.push({ x: t[i] + w[i] / 2, y: v[i] * scale });
  return out;
}

/** The same series, but for the last (partial) window and the drain, whose length differs between runs. */
const samePoints = (a: Pt[], b: Pt[]): boolean => {
  const n = Math.min(a.length, b.length) - 1;
  for (let i = 0; i < n; i++) if (a[i].x !== b[i].x || a[i].y !== b[i].y) return false;
  return [...a.slice(n), ...b.slice(n)].every((p) => p.y === 0) || (a.length === b.length && a[n]?.y === b[n]?.y);
};

function goodputChart(runs: RunResult[]): ChartResult {
  const styles = runStyles(runs);
  const datasets: LineDataset[] = [];
  const offered = runs.map((r) => series(timeseries(r), 'offeredLoad'));
  runs.forEach((r, i) => datasets.push(styledLine(r.label, series(timeseries(r), 'goodput'), styles[i])));
  // The same workload (a sweep over schedulers) offers the same load to every run: one grey line.
  const merged = offered.every((o) => samePoints(o, offered[0]));
  if (merged) {
    datasets.push(styledLine(runs.length === 1 ? 'offered load' : 'offered load (the same for every run)', offered[0], { color: '#777', pointStyle: 'line', borderDash: [6, 4], slot: 0 }, { borderWidth: 1.5, pointRadius: 0 }));
  } else {
    // One legend entry per run (its goodput); the subtitle says the thin dashed lines are the offered loads.
    runs.forEach((r, i) => datasets.push(styledLine(`${r.label}: offered load`, offered[i], { ...styles[i], pointStyle: 'line', borderDash: [6, 4] }, { borderWidth: 1.2, pointRadius: 0, inLegend: false } as Partial<LineDataset>)));
  }
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: markerOptions(
        'Goodput and offered load over time',
        [measuredWindowNote(runs), `goodput: responses within the SLO per second; offered load: requests sent per second (${merged ? 'dashed' : 'thin, dashed, in the colour of its run'})`],
        axis(timeAxisTitle(runs)),
        axis('requests per second (r/s)', { min: 0 }),
      ),
    },
  };
}

/** Runs with at most this many GPUs get one line per GPU (one run only); more: the min-max band over GPUs. */
export const PER_GPU_LINES_MAX = 8;

function perGpuColumns(ts: Record<string, number[]>, gpus: number, col: (g: number) => string): number[][] | undefined {
  const cols: number[][] = [];
  for (let g = 0; g < gpus; g++) {
    const c = ts[col(g)];
    if (!c) return undefined;
    cols.push(c);
  }
  return cols;
}

function utilizationChart(runs: RunResult[]): ChartResult {
  const styles = runStyles(runs);
  const dev = deviceWord(runs[0]);
  const datasets: LineDataset[] = [];
  const notes: string[] = [];
  const secondary = new Set<string>();
  const exec = UTILIZATION.find((u) => u.perGpuColumn)!;
  runs.forEach((r, i) => {
    const ts = timeseries(r);
    const gpus = Number(r.summary.gpus);
    const who = runs.length === 1 ? '' : `${r.label}: `;
    const mid = (k: number): number => ts.timeS[k] + ts.windowS[k] / 2;
    const per = gpus > 1 ? perGpuColumns(ts, gpus, exec.perGpuColumn!) : undefined;
    const measured = (r.summary[exec.summaryKey] as number[] | undefined) ?? [];
    if (per && runs.length === 1 && gpus <= PER_GPU_LINES_MAX) {
      // Few devices, one run: a line each, and the mean.
      per.forEach((c, g) => {
        const pts: Pt[] = [];
        c.forEach((v, k) => Number.isFinite(v) && pts.push({ x: mid(k), y: 100 * v }));
        datasets.push(styledLine(`${dev} ${g}`, pts, indexStyle(g), { borderWidth: 1.4 }));
      });
      datasets.push(styledLine(`mean over ${plural(gpus, dev)}`, series(ts, exec.column, 100), { color: '#000', pointStyle: 'line', borderDash: [], slot: 0 }, { borderWidth: 2.5, pointRadius: 0 }));
    } else if (per) {
      // Many devices or several runs: the band from the least to the most busy device per window, and the mean.
      const lo: Pt[] = [];
      const hi: Pt[] = [];
      for (let k = 0; k < ts.timeS.length; k++) {
        const vs = per.map((c) => c[k]).filter(Number.isFinite);
        if (vs.length === 0) continue;
        lo.push({ x: mid(k), y: 100 * Math.min(...vs) });
        hi.push({ x: mid(k), y: 100 * Math.max(...vs) });
      }
      const band = styles[i].color + '33';
      datasets.push(styledLine(`${who}least busy ${dev}`, lo, styles[i], { borderWidth: 0.8, pointRadius: 0, borderDash: [], inLegend: false } as Partial<LineDataset>));
      datasets.push(styledLine(`${who}most busy ${dev}`, hi, styles[i], { borderWidth: 0.8, pointRadius: 0, borderDash: [], fill: '-1', backgroundColor: band, inLegend: false } as Partial<LineDataset>));
      datasets.push(styledLine(`${who}mean over ${plural(gpus, dev)}`, series(ts, exec.column, 100), styles[i], { borderWidth: 2.5 }));
    } else {
      // One device, or more than timeseries.csv has per-device columns for: the mean per window, and
      // the least and most busy device over the measured window (summary.json) as flat lines.
      datasets.push(styledLine(`${who}${gpus > 1 ? `mean over ${plural(gpus, dev)}` : `${dev} exec`}`, series(ts, exec.column, 100), styles[i], { borderWidth: 2.5 }));
      if (gpus > 1 && measured.length > 1) {
        const t0 = Number(r.summary.warmupSeconds);
        const t1 = t0 + Number(r.summary.windowSeconds ?? r.summary.durationSeconds - t0);
        const flat = (y: number): Pt[] => [
          { x: t0, y: 100 * y },
          { x: t1, y: 100 * y },
        ];
        datasets.push(styledLine(`${who}least busy ${dev} over the measured window`, flat(Math.min(...measured)), { ...styles[i], borderDash: [2, 2] }, { borderWidth: 1.2, pointRadius: 0, inLegend: false } as Partial<LineDataset>));
        datasets.push(styledLine(`${who}most busy ${dev} over the measured window`, flat(Math.max(...measured)), { ...styles[i], borderDash: [2, 2] }, { borderWidth: 1.2, pointRadius: 0, inLegend: false } as Partial<LineDataset>));
      }
    }
    if (measured.length > 1) {
      const s = [...measured].sort((a, b) => a - b);
      const pct = (v: number): string => (100 * v).toFixed(1);
      notes.push(`${runs.length === 1 ? '' : `${r.label} `}${pct(s[0])} / ${pct(s[Math.floor(s.length / 2)])} / ${pct(s[s.length - 1])}%`);
    }
    // The secondary lanes (PCIe weights): mean over devices, thin and dotted, out of the legend (the subtitle says).
    for (const u of UTILIZATION) {
      if (!u.secondary) continue;
      const pts = series(ts, u.column, 100);
      if (pts.some((p) => p.y > 0)) {
        // A CPU device's weights lane is a copy in host memory, not PCIe.
        const name = dev === 'CPU' ? 'weights-loading' : u.chartLabel;
        secondary.add(name);
        datasets.push(styledLine(`${who}${name} lane (mean over ${plural(gpus, dev)})`, pts, { ...styles[i], borderDash: [2, 3] }, { borderWidth: 1.2, pointRadius: 0, inLegend: false } as Partial<LineDataset>));
      }
    }
  });
  const many = runs.length > 1 || Number(runs[0].summary.gpus) > PER_GPU_LINES_MAX;
  const bandNote = many && datasets.some((d) => d.fill === '-1') ? `shaded: from the least to the most busy ${dev} per window` : '';
  const lanesNote = secondary.size ? `thin dotted: ${[...secondary].join(', ')} lane busy (mean over ${dev}s)` : '';
  const perDevice = notes.length ? `per ${dev} over the measured window, min / median / max: ${notes.join('; ')}` : '';
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: markerOptions(
        `${dev} utilization over time, per ${dev}`,
        [measuredWindowNote(runs), [bandNote, lanesNote].filter(Boolean).join('; '), perDevice].filter(Boolean),
        axis(timeAxisTitle(runs)),
        axis(`${dev} busy (% of the window)`, { min: 0, max: 100 }),
      ),
    },
  };
}

// ------------------------------------------------------------------ latency distributions

interface LatencyDist {
  h?: Histogram;
  slos: number[];
  /** Share of the measured requests answered (ok or late); the rest never got an answer (latency +infinity). */
  answered: number;
  missed: number;
}

function latencyDist(r: RunResult, excludeMissed: boolean): LatencyDist {
  const j = tryReadJson(join(r.dir, 'latency-histogram.json'));
  const q = r.summary.requests ?? {};
  const total = Number(q.total ?? 0);
  const answeredN = Number(q.ok ?? 0) + Number(q.late ?? 0);
  const missed = Math.max(0, total - answeredN);
  const answered = excludeMissed || total === 0 ? 1 : answeredN / total;
  if (!j) return { slos: [], answered, missed };
  const slos = Object.values((j.groups ?? {}) as Record<string, { sloNs: number | null }>)
    .map((g) => g.sloNs)
    .filter((x): x is number => typeof x === 'number');
  return { h: histOf(j.overall), slos: [...new Set(slos)], answered, missed };
}

function missedNote(dists: LatencyDist[], excludeMissed: boolean): string {
  const any = dists.some((d) => d.missed > 0);
  if (excludeMissed) return any ? 'answered requests only: timed-out, rejected, failed, unfinished ones left out' : 'every measured request was answered';
  return any ? 'timed-out, rejected, failed, unfinished requests: latency +∞ (missed), so lines end short of all' : 'timed-out, rejected, failed, unfinished requests would count as latency +∞; there were none';
}

function xSpan(datasets: LineDataset[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = 0;
  for (const d of datasets) for (const p of d.data as Pt[]) if (p.x > 0) (lo = Math.min(lo, p.x)), (hi = Math.max(hi, p.x));
  return { lo, hi };
}

function latencyXAxis(datasets: LineDataset[], choice: ChartOptions['xScale'], titleBase = 'latency (ms'): Record<string, unknown> {
  let lo = Infinity;
  let hi = 0;
  for (const d of datasets) for (const p of d.data as Pt[]) if (p.x > 0) (lo = Math.min(lo, p.x)), (hi = Math.max(hi, p.x));
  // A log axis only pays off over a wide range; within a decade or so, linear ticks read better.
  const log = choice === 'log' || ((choice ?? 'auto') === 'auto' && hi / lo > 20);
  return log ? axis(`${titleBase}, log scale)`, { type: 'logarithmic', ticks: { callback: logTicks, maxRotation: 0 } }) : axis(`${titleBase})`, { type: 'linear', min: 0 });
}

/** Each run's latency distribution, the SLOs they name, and the runs that answered nothing but missed some. */
function latencyDists(runs: RunResult[], o: ChartOptions): { dists: LatencyDist[]; slos: Set<number>; unanswered: number[] } {
  const slos = new Set<number>();
  const unanswered: number[] = [];
  const dists = runs.map((r, i) => {
    const d = latencyDist(r, !!o.excludeMissed);
    d.slos.forEach((x) => slos.add(x));
    if (!d.h && d.missed > 0 && !o.excludeMissed) unanswered.push(i);
    return d;
  });
  return { dists, slos, unanswered };
}

function latencyCdfChart(runs: RunResult[], o: ChartOptions = {}): ChartResult {
  const styles = runStyles(runs);
  const datasets: LineDataset[] = [];
  const { dists, slos, unanswered } = latencyDists(runs, o);
  const logY = o.yScale === 'log';
  runs.forEach((r, i) => {
    const d = dists[i];
    if (!d.h) return;
    const h = d.h;
    // Percent of all measured requests (or of the answered ones) with latency <= x; missed requests are at +infinity.
    const pts: Pt[] = logY ? [] : [{ x: Math.max(h.min, 1) / 1e6, y: 0 }];
    for (const [v, cum] of h.cdfPoints()) pts.push({ x: Math.max(v, 1) / 1e6, y: (100 * d.answered * cum) / h.count });
    datasets.push(styledLine(r.label, pts, styles[i], { stepped: 'after' }));
  });
  if (datasets.length === 0) return { skipped: 'no completed requests (latency-histogram.json empty or missing)' };
  // A run that answered nothing is a line at 0% across the chart (on a log axis: at its bottom), not left out.
  const span = xSpan(datasets);
  for (const i of unanswered) datasets.push(styledLine(`${runs[i].label} (no request answered)`, [{ x: span.lo, y: 0 }, { x: span.hi, y: 0 }], styles[i]));
  const yMin = logY ? Math.max(1e-4, 10 ** Math.floor(Math.log10(Math.min(...datasets.map((d) => (d.data[0] as Pt).y).filter((y) => y > 0))))) : 0;
  if (logY) for (const d of datasets) for (const p of d.data as Pt[]) if (p.y <= 0) p.y = yMin;
  for (const s of [...slos].sort((a, b) => a - b)) datasets.push(sloLine(s / 1e6, yMin, 100));
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: markerOptions(
        o.excludeMissed ? 'Latency CDF of the answered requests' : 'Latency CDF (unanswered requests count as missed)',
        [`${measuredWindowNote(runs)}; latency: arrival at the controller to the response`, missedNote(dists, !!o.excludeMissed)],
        latencyXAxis(datasets, o.xScale),
        logY
          ? axis(`${o.excludeMissed ? 'answered ' : ''}requests with latency ≤ x (%, log scale)`, { type: 'logarithmic', min: yMin, max: 100, ticks: { callback: logTicks } })
          : axis(`${o.excludeMissed ? 'answered ' : ''}requests with latency ≤ x (%)`, { min: 0, max: 100 }),
      ),
    },
  };
}

const TAIL_FLOOR = -1;

/** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at least v (a round axis end). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v * (1 - 1e-12)) return Number((m * e).toPrecision(6));
  return 10 * e;
}

function latencyTailChart(runs: RunResult[], o: ChartOptions = {}): ChartResult {
  const styles = runStyles(runs);
  const datasets: LineDataset[] = [];
  const { dists, slos, unanswered } = latencyDists(runs, o);
  let maxCount = 0;
  let xMax = 0;
  runs.forEach((r, i) => {
    const d = dists[i];
    if (!d.h) return;
    const h = d.h;
    maxCount = Math.max(maxCount, h.count + d.missed);
    xMax = Math.max(xMax, h.max / 1e6);
    const pts: Pt[] = [{ x: h.min / 1e6, y: 1 }];
    let prevFrac = 1;
    for (const [v, cum] of h.cdfPoints()) {
      // The fraction slower than v: the answered ones above v, and the missed ones (at +infinity).
      const frac = 1 - (d.answered * cum) / h.count;
      // Step: the survival fraction holds until the bucket's upper value, then drops.
      if (frac <= 1e-12) {
        // Nothing is slower than the exact maximum: drop to the bottom of the axis there.
        pts.push({ x: v / 1e6, y: prevFrac });
        pts.push({ x: v / 1e6, y: TAIL_FLOOR });
        break;
      }
      pts.push({ x: v / 1e6, y: frac });
      prevFrac = frac;
    }
    datasets.push(styledLine(r.label, pts, styles[i], { stepped: 'after' }));
  });
  if (datasets.length === 0) return { skipped: 'no completed requests (latency-histogram.json empty or missing)' };
  // A run that answered nothing: every request slower than any x, a line at 1 across the chart.
  for (const i of unanswered) datasets.push(styledLine(`${runs[i].label} (no request answered)`, [{ x: xSpan(datasets).lo, y: 1 }], styles[i]));
  for (const s of slos) xMax = Math.max(xMax, s / 1e6);
  // Missed requests never arrive: the tail stays at their share to the right edge of the chart.
  const right = niceCeil(xMax * 1.02);
  for (const d of datasets) {
    const last = d.data[d.data.length - 1] as Pt;
    if (last.y !== TAIL_FLOOR && last.y > 0) d.data.push({ x: right, y: last.y });
  }
  const linearY = o.yScale === 'linear';
  const yMin = linearY ? 0 : 10 ** Math.floor(Math.log10(Math.min(1e-6, 1 / Math.max(1, maxCount))));
  for (const d of datasets) for (const p of d.data) if (p.y === TAIL_FLOOR) p.y = yMin;
  for (const s of [...slos].sort((a, b) => a - b)) datasets.push(sloLine(s / 1e6, yMin, 1));
  const x = o.xScale === 'log' ? { ...latencyXAxis(datasets, 'log'), max: right } : axis('latency (ms)', { type: 'linear', min: 0, max: right });
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: markerOptions(
        'Latency tail: fraction of requests slower than x',
        [`${measuredWindowNote(runs)}; 1 - CDF${linearY ? '' : ' (1e-6 = p99.9999)'}; last step at the exact maximum`, missedNote(dists, !!o.excludeMissed).replace('lines end short of all', 'lines stay at their share')],
        x,
        linearY
          ? axis('fraction of requests with latency > x', { min: 0, max: 1 })
          : axis('fraction of requests with latency > x (log scale)', { type: 'logarithmic', min: yMin, max: 1, ticks: { callback: decadeTicks } }),
      ),
    },
  };
}

function predictionErrorChart(runs: RunResult[]): ChartResult {
  const styles = runStyles(runs);
  const datasets: LineDataset[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  runs.forEach((r, ri) => {
    const j = tryReadJson(join(r.dir, 'latency-histogram.json'));
    for (const [ki, kind] of (['INFER', 'LOAD'] as const).entries()) {
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
      // The scheduler's colour; LOAD predictions dashed with another marker.
      const s = ki === 0 ? styles[ri] : { ...styles[ri], borderDash: [8, 4], pointStyle: 'triangle', slot: styles[ri].slot + 3 };
      datasets.push(styledLine(`${runs.length > 1 ? `${r.label}: ` : ''}${kind} (${n.toLocaleString('en-US')} predictions)`, pts, s, { stepped: 'after' }));
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
      options: markerOptions(
        'Completion-time prediction error CDF',
        `${measuredWindowNote(runs)}; x axis shows the central 99.8% of errors`,
        axis('predicted - actual completion time (ms; < 0: finished later than predicted)', { min: Number((lo - pad).toPrecision(4)), max: Number((hi + pad).toPrecision(4)) }),
        axis('predictions with error <= x (%)', { min: 0, max: 100 }),
      ),
    },
  };
}

// ------------------------------------------------------------------ sweeps: sweep-charts.ts

/** The builder of every chart in names.ts's table, by name (the compiler checks that none is missing). */
const BUILDERS: Record<ChartName, (runs: RunResult[], o: ChartOptions) => ChartResult> = {
  goodput: goodputChart,
  'latency-cdf': latencyCdfChart,
  'latency-tail': latencyTailChart,
  'gpu-utilization': utilizationChart,
  'prediction-error': predictionErrorChart,
  'slo-attainment': sloAttainmentChart,
  'goodput-vs-load': goodputVsLoadChart,
};

/** The Chart.js configuration of one chart of loaded runs (what plotCharts renders), or why it does not apply. */
export function buildChart(name: ChartName, runs: RunResult[], o: ChartOptions = {}): ChartResult {
  return BUILDERS[name](runs, o);
}

/** Render a Chart.js configuration to PNG bytes (CHART_WIDTH x CHART_HEIGHT, white background). */
export async function renderPng(config: ChartConfiguration): Promise<Buffer> {
  return renderChart(config, 'png');
}

export interface PlotReport {
  /** One entry per image written (per format), with the CSV of its plotted data. */
  written: Array<{ chart: ChartName; file: string; csv: string }>;
  skipped: Array<{ chart: ChartName; reason: string }>;
}

/**
 * Draw charts of the runs in `dirs` (sweep directories expand to their points) into `outDir`:
 * NAME.png (and/or .svg, .pdf) and NAME.csv with the plotted data. `names` defaults to every chart;
 * a chart that does not apply (e.g. no predictions) is skipped with its reason. Charts named
 * explicitly that cannot be drawn are reported as skipped too.
 */
export async function plotCharts(dirs: readonly string[], outDir: string, names?: readonly string[], opts: { labels?: string[] } & ChartOptions = {}): Promise<PlotReport> {
  for (const n of names ?? []) {
    if (!(CHART_NAMES as readonly string[]).includes(n)) throw new UserError(`unknown chart "${n}" (expected one of ${CHART_NAMES.join(', ')})`);
  }
  checkStyle(opts);
  const runs = loadRuns(dirs);
  if (runs.length === 0) throw new UserError(`no complete results in ${dirs.join(', ')}`);
  if (opts.labels && opts.labels.length === runs.length) runs.forEach((r, i) => (r.label = opts.labels![i]));
  const report: PlotReport = { written: [], skipped: [] };
  const wanted = (names ?? CHART_NAMES) as ChartName[];
  // Only into a directory servesim wrote (or a new one), never over a person's files.
  const out = new OutputDir(outDir, 'charts');
  try {
    for (const name of wanted) for (const f of chartFiles(name, opts)) out.check(f);
    for (const name of wanted) {
      const res = buildChart(name, runs, opts);
      if (!res.config) {
        report.skipped.push({ chart: name, reason: res.skipped ?? 'does not apply' });
        continue;
      }
      const w = await writeChart(out, name, res.config, opts);
      for (const file of w.images) report.written.push({ chart: name, file, csv: w.csv });
    }
  } finally {
    out.close();
  }
  return report;
}

/** Charts at the end of one run (into its directory's charts/ folder). */
export async function plotRunCharts(dirs: readonly string[], outDir: string, names?: readonly string[], opts: { labels?: string[] } & ChartOptions = {}): Promise<PlotReport> {
  return plotCharts(dirs, outDir, names ?? RUN_CHARTS, opts);
}
