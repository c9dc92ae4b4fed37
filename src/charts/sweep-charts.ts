/**
 * The sweep charts (names.ts, kind "sweep"): one point per configuration, where a configuration
 * is the runs that differ only in their seed (run-groups.ts). With several seeds a point is the
 * mean over them with a 95% confidence-interval error bar (Student t, src/util/stats.ts); the
 * bar's ends are the points' `yMin` / `yMax`, drawn by `errorBarsPlugin` (Chart.js has no error
 * bars of its own). Each quantity has its own axis.
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import { configParams } from '../util/seed-groups.js';
import { axis, baseOptions, line, logTicks, runStyles, type LineDataset, type Pt } from './plot.js';
import { styledLine } from './style.js';
import { paramsLabel, type RunResult } from './results.js';
import { groupCI, groupRuns, type RunGroup } from './run-groups.js';

interface ChartResult {
  config?: ChartConfiguration;
  skipped?: string;
}

/** A plotted mean; `yMin`, `yMax`: its 95% confidence interval (only with two runs or more), `n`: runs behind it. */
export type ErrPt = Pt & { yMin?: number; yMax?: number; n?: number };

/**
 * Draws each point's [yMin, yMax] as a vertical bar with caps, in its dataset's colour, on its
 * dataset's y axis. Bars of different datasets are set a few pixels apart (dodged) so that equal
 * means do not hide each other's bars; the points themselves stay at their x.
 */
export const errorBarsPlugin: Plugin = {
  id: 'servesimErrorBars',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    const withBars = chart.data.datasets
      .map((ds, i) => ((ds.data as unknown as ErrPt[]).some((p) => typeof p?.yMin === 'number') && chart.isDatasetVisible(i) ? i : -1))
      .filter((i) => i >= 0);
    chart.data.datasets.forEach((ds, i) => {
      const k = withBars.indexOf(i);
      if (k < 0) return;
      const dodge = (k - (withBars.length - 1) / 2) * 5;
      const meta = chart.getDatasetMeta(i);
      const scale = chart.scales[meta.yAxisID ?? 'y'];
      if (!scale) return;
      (ds.data as unknown as ErrPt[]).forEach((p, j) => {
        const el = meta.data[j] as unknown as { x: number } | undefined;
        if (!el || typeof p?.yMin !== 'number' || typeof p.yMax !== 'number') return;
        const y0 = scale.getPixelForValue(p.yMin);
        const y1 = scale.getPixelForValue(p.yMax);
        ctx.save();
        // Within the plot area: an interval past an axis bound (attainment above 100%) is cut there.
        const a = chart.chartArea;
        ctx.beginPath();
        ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
        ctx.clip();
        ctx.strokeStyle = String(ds.borderColor ?? '#333');
        ctx.lineWidth = 1.6;
        ctx.setLineDash([]);
        ctx.beginPath();
        const x = el.x + dodge;
        ctx.moveTo(x, y0);
        ctx.lineTo(x, y1);
        for (const y of [y0, y1]) {
          ctx.moveTo(x - 4, y);
          ctx.lineTo(x + 4, y);
        }
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};

/** A configuration's mean of `get` at x, with its 95% interval when it has two runs or more; `scale` multiplies y. */
function meanPoint(g: RunGroup, x: number, get: (r: RunResult) => unknown, scale = 1): ErrPt {
  const ci = groupCI(g, get);
  const p: ErrPt = { x, y: scale * (Number.isFinite(ci.mean) ? ci.mean : 0) };
  if (ci.n >= 2 && Number.isFinite(ci.half)) {
    p.yMin = scale * ci.lo;
    p.yMax = scale * ci.hi;
    p.n = ci.n;
  }
  return p;
}

const lastSegment = (k: string): string => k.split('.').pop() ?? k;

/** The highest point or error-bar end of the datasets on y axis `id`: the axis reaches it, so no bar is cut at the top. */
function top(datasets: LineDataset[], id = 'y'): number {
  let hi = 0;
  for (const d of datasets) if ((d.yAxisID ?? 'y') === id) for (const p of d.data as ErrPt[]) hi = Math.max(hi, p.y, p.yMax ?? 0);
  return hi;
}

/** Series of configurations: by scheduler and the parameters other than `exclude` (plain runs: by scheduler). */
function seriesOf(groups: RunGroup[], exclude: (k: string) => boolean): Map<string, RunGroup[]> {
  const out = new Map<string, RunGroup[]>();
  for (const g of groups) {
    const r = g.runs[0];
    // The scheduler leads the label; scheduler.type is not repeated after it.
    const rest = paramsLabel(configParams(r.params), Object.keys(r.params).filter((k) => exclude(k) || k === 'scheduler.type'));
    const key = `${r.summary.scheduler}${rest ? `: ${rest}` : ''}`;
    const list = out.get(key) ?? [];
    list.push(g);
    out.set(key, list);
  }
  return out;
}

/** The style of each series: its scheduler's (runStyles on the series' first runs). */
function seriesStyles(series: Map<string, RunGroup[]>): ReturnType<typeof runStyles> {
  return runStyles([...series.values()].map((gs) => gs[0].runs[0]));
}

/** "mean over 5 seeds, bars: 95% CI" or "one run per point". */
function seedsNote(groups: RunGroup[]): string {
  const ns = [...new Set(groups.map((g) => g.runs.length))].sort((a, b) => a - b);
  if (ns.length === 1 && ns[0] === 1) return 'one run per point';
  const n = ns.length === 1 ? `${ns[0]}` : `${ns[0]}-${ns[ns.length - 1]}`;
  return `mean over ${n} seeds per point, error bars: 95% confidence interval`;
}

function workloadSlo(r: RunResult): number | undefined {
  const w = r.resolved?.derived?.workloads;
  if (Array.isArray(w) && w.length > 0 && typeof w[0].slo === 'number' && w[0].sloFactor === null) return w[0].slo;
  return undefined;
}

export function sloAttainmentChart(runs: RunResult[]): ChartResult {
  const withSlo = runs.filter((r) => workloadSlo(r) !== undefined);
  const slos = new Set(withSlo.map((r) => workloadSlo(r)));
  if (slos.size < 2) return { skipped: 'needs runs (or sweep points) with at least two different workload SLOs' };
  const groups = groupRuns(withSlo);
  const sloMs = [...slos].map((x) => x! / 1e6);
  const series = seriesOf(groups, (k) => /^slo/i.test(lastSegment(k)));
  const datasets: LineDataset[] = [];
  // Each series in its scheduler's colour and marker (the same in every chart: src/charts/style.ts).
  const styles = seriesStyles(series);
  let i = 0;
  for (const [label, gs] of series) {
    const sorted = [...gs].sort((a, b) => workloadSlo(a.runs[0])! - workloadSlo(b.runs[0])!);
    const x = (g: RunGroup): number => workloadSlo(g.runs[0])! / 1e6;
    const st = styles[i];
    datasets.push(styledLine(`${label}: SLO attainment`, sorted.map((g) => meanPoint(g, x(g), (r) => r.summary.sloAttainment ?? 0, 100)), st, { pointRadius: 4, borderDash: [], yAxisID: 'y' }));
    datasets.push(
      styledLine(`${label}: goodput`, sorted.map((g) => meanPoint(g, x(g), (r) => r.summary.goodput ?? 0)), st, { pointRadius: 4, borderDash: [6, 4], yAxisID: 'y1' }),
    );
    i++;
  }
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'SLO attainment and goodput against the SLO',
        `${groups.length} configurations, ${seedsNote(groups)}; solid: attainment (left axis), dashed: goodput (right axis)`,
        // A margin of about 5% of the width each side, so that the end points and their bars show whole.
        axis('SLO (ms, log scale)', { type: 'logarithmic', min: Math.min(...sloMs) / 1.15, max: Math.max(...sloMs) * 1.15, ticks: { callback: logTicks } }),
        axis('SLO attainment (% of requests answered within the SLO)', { min: 0, max: 100, position: 'left' }),
        { y1: axis('goodput (r/s)', { min: 0, suggestedMax: top(datasets, 'y1'), grace: '5%', position: 'right', grid: { drawOnChartArea: false } }) },
      ),
      plugins: [errorBarsPlugin],
    },
  };
}

/** Workload options that set the load, by their last path segment, with the unit of their values. */
const LOAD_UNITS: Record<string, string> = {
  rate: 'requests per second',
  ratePerModel: 'requests per second per model',
  loadFactor: 'x',
  load: 'x',
  timeCompression: 'x trace speed',
  concurrency: 'clients per model',
  scale: 'x',
};

/**
 * A swept parameter's value in a run: the number in the sweep, else the resolved option of the
 * workload it names (config.resolved.json: "200/s" -> 200); undefined when not a number.
 */
export function paramNumber(r: RunResult, key: string): number | undefined {
  const v = r.params[key];
  if (typeof v === 'number') return v;
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.');
  if (parts[0] !== 'workload') return undefined;
  const idx = /^\d+$/.test(parts[1] ?? '') ? Number(parts[1]) : 0;
  const o = r.resolved?.derived?.workloads?.[idx]?.options?.[parts[parts.length - 1]];
  return typeof o === 'number' ? o : undefined;
}

/** The swept load dimension: the first sweep parameter named like a load option with two numeric values or more in `runs`. */
export function sweptLoadKey(runs: RunResult[]): string | undefined {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].filter((k) => lastSegment(k) in LOAD_UNITS);
  return keys.find((k) => runs.every((r) => paramNumber(r, k) !== undefined) && new Set(runs.map((r) => paramNumber(r, k))).size >= 2);
}

export function goodputVsLoadChart(runs: RunResult[]): ChartResult {
  const ok = runs.filter((r) => typeof r.summary.offeredLoad === 'number');
  if (ok.length < 2) return { skipped: 'needs at least two runs (or sweep points)' };
  const key = sweptLoadKey(ok);
  const groups = groupRuns(ok);
  const datasets: LineDataset[] = [];
  let i = 0;
  if (key !== undefined) {
    // x: the swept load parameter; one line per other configuration (e.g. per scheduler).
    const x = (g: RunGroup): number => paramNumber(g.runs[0], key)!;
    const series = seriesOf(groups, (k) => k === key);
    const styles = seriesStyles(series);
    for (const [label, gs] of series) {
      const sorted = [...gs].sort((a, b) => x(a) - x(b));
      datasets.push(styledLine(label, sorted.map((g) => meanPoint(g, x(g), (r) => r.summary.goodput ?? 0)), styles[i++], { pointRadius: 4 }));
    }
    return {
      config: {
        type: 'line',
        data: { datasets },
        options: baseOptions(
          `Goodput against ${key}`,
          `${groups.length} configurations, ${seedsNote(groups)}; one line per scheduler and parameter set`,
          axis(`${key} (${LOAD_UNITS[lastSegment(key)]})`, { min: 0, suggestedMax: 1.04 * Math.max(...groups.map(x)) }),
          axis('goodput (r/s)', { min: 0, suggestedMax: top(datasets), grace: '5%' }),
        ),
        plugins: [errorBarsPlugin],
      },
    };
  }
  // No swept load parameter: x is each configuration's measured offered load (its mean over seeds).
  const loadLike = (k: string): boolean => lastSegment(k) in LOAD_UNITS || /^copies$/i.test(lastSegment(k));
  let maxX = 0;
  const xOf = (g: RunGroup): number => groupCI(g, (r) => r.summary.offeredLoad).mean;
  const series = seriesOf(groups, loadLike);
  const styles = seriesStyles(series);
  for (const [label, gs] of series) {
    const sorted = [...gs].sort((a, b) => xOf(a) - xOf(b));
    for (const g of sorted) maxX = Math.max(maxX, xOf(g));
    datasets.push(styledLine(label, sorted.map((g) => meanPoint(g, xOf(g), (r) => r.summary.goodput ?? 0)), styles[i++], { pointRadius: 4 }));
  }
  datasets.push(line('goodput = offered load', [{ x: 0, y: 0 }, { x: maxX, y: maxX }], i, { borderColor: '#888', backgroundColor: '#888', borderDash: [3, 3], borderWidth: 1 }));
  return {
    config: {
      type: 'line',
      data: { datasets },
      options: baseOptions(
        'Goodput against offered load',
        `${groups.length} configurations, ${seedsNote(groups)}; one line per scheduler and parameter set`,
        axis('offered load (r/s)', { min: 0, suggestedMax: 1.04 * maxX }),
        axis('goodput (r/s)', { min: 0, suggestedMax: top(datasets), grace: '5%' }),
      ),
      plugins: [errorBarsPlugin],
    },
  };
}
