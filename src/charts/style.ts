/**
 * Chart styling and output shared by every chart servesim draws (src/charts/plot.ts, the sweep
 * charts, src/paper/charts.ts): one colour, marker and dash pattern per scheduler, the same in every
 * chart; markers on a few points only, offset per series, so lines that coincide stay visible;
 * font sizes; rendering to PNG, SVG or PDF at a chosen size; the CSV of the plotted data that is
 * written beside every chart.
 */
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { csvText } from '../util/csv.js';
import { roundSignificant } from '../util/round.js';
import { UserError } from '../util/errors.js';
import type { OutputDir } from '../util/output.js';
import { CHART_FORMATS } from './names.js';

export type Pt = { x: number; y: number };
export type LineDataset = ChartDataset<'line', Pt[]>;

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 600;
export const FONT_SIZE = 12;

export { CHART_FORMATS };
export type ChartFormat = (typeof CHART_FORMATS)[number];

/** How charts are drawn and written (`servesim plot` options). */
export interface ChartStyleOptions {
  formats?: readonly ChartFormat[];
  width?: number;
  height?: number;
  /** Base font size (px): ticks, legend and subtitle; titles scale with it. */
  fontSize?: number;
}

/** Options of what is plotted (`servesim plot` options). */
export interface ChartDataOptions {
  /** Axis scales where a chart offers the choice (latency-cdf, latency-tail); 'auto' = the chart's default. */
  xScale?: 'auto' | 'log' | 'linear';
  yScale?: 'auto' | 'log' | 'linear';
  /** Latency charts: leave out requests that got no answer (timeouts, rejections, failures) instead of counting them at +infinity. */
  excludeMissed?: boolean;
}

export type ChartOptions = ChartStyleOptions & ChartDataOptions;

// ------------------------------------------------------------------ per-scheduler styles

export interface SeriesStyle {
  color: string;
  pointStyle: string;
  borderDash: number[];
  /** Where in the sequence of styles: offsets the markers of coinciding series. */
  slot: number;
}

const MARKERS = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'cross', 'rectRounded'];
const DASHES = [[], [8, 4], [2, 3], [12, 3, 3, 3], [5, 2], [1, 2], [16, 4], [6, 2, 2, 2]];

/**
 * The built-in schedulers' colours (Tableau 10, colour-blind friendlier than Chart.js defaults),
 * markers and dash patterns: fixed, so a scheduler looks the same in every chart and every paper.
 */
export const SCHEDULER_STYLES: Readonly<Record<string, SeriesStyle>> = {
  clockwork: { color: '#4e79a7', pointStyle: 'circle', borderDash: [], slot: 0 },
  fifo: { color: '#e15759', pointStyle: 'rect', borderDash: [8, 4], slot: 1 },
  clipper: { color: '#f28e2b', pointStyle: 'triangle', borderDash: [2, 3], slot: 2 },
  infaas: { color: '#59a14f', pointStyle: 'rectRot', borderDash: [12, 3, 3, 3], slot: 3 },
  triton: { color: '#b07aa1', pointStyle: 'star', borderDash: [5, 2], slot: 4 },
  concurrency: { color: '#9c755f', pointStyle: 'crossRot', borderDash: [1, 2], slot: 5 },
};

/** Colours for schedulers not in SCHEDULER_STYLES (plugins), chosen by a hash of the name. */
const OTHER_COLORS = ['#76b7b2', '#edc948', '#ff9da7', '#17becf', '#bcbd22', '#7f7f7f', '#8c564b', '#1f77b4'];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * The style of a scheduler's series: fixed for the built-in schedulers, a deterministic function of
 * the name for others (e.g. a plugin named by its path). `k` > 0 is the k-th further series of the
 * same scheduler in one chart (e.g. sweep points at other rates): same colour, another marker and
 * dash pattern.
 */
export function schedulerStyle(name: string, k = 0): SeriesStyle {
  const base = SCHEDULER_STYLES[name];
  const h = hash(name);
  const s: SeriesStyle = base ?? {
    color: OTHER_COLORS[h % OTHER_COLORS.length],
    pointStyle: MARKERS[6 + (h % 2)],
    borderDash: DASHES[6 + ((h >>> 3) % 2)],
    slot: 6 + (h % 10),
  };
  if (k === 0) return s;
  return { color: s.color, pointStyle: MARKERS[(s.slot + k) % MARKERS.length], borderDash: DASHES[(s.slot + k) % DASHES.length], slot: s.slot + k };
}

/** Styles of series that are not schedulers (groups, GPUs, lanes): the i-th of a fixed sequence. */
export const INDEX_PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export function indexStyle(i: number): SeriesStyle {
  return { color: INDEX_PALETTE[i % INDEX_PALETTE.length], pointStyle: MARKERS[i % MARKERS.length], borderDash: DASHES[Math.floor(i / INDEX_PALETTE.length) % DASHES.length], slot: i };
}

/** The markers of a series of n points: about `count` of them, offset by the series' slot so coinciding series' markers do not overlap. */
export function sparseMarkers(n: number, slot: number, radius = 4, count = 8): number[] {
  if (n <= count * 2) return new Array<number>(n).fill(radius);
  const step = Math.ceil(n / count);
  const offset = Math.floor(((slot * 0.37) % 1) * step);
  return Array.from({ length: n }, (_, i) => ((i + step - offset) % step === 0 ? radius : 0));
}

/** A line series in a style: colour, dash pattern, sparse markers of its shape. */
export function styledLine(label: string, data: Pt[], s: SeriesStyle, extra: Partial<LineDataset> = {}): LineDataset {
  return {
    label,
    data,
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: 2,
    borderDash: s.borderDash,
    pointStyle: s.pointStyle as any,
    pointRadius: sparseMarkers(data.length, s.slot),
    pointBorderWidth: 1.2,
    fill: false,
    ...extra,
  } as LineDataset;
}

/** The SLO as a vertical line: black, thick and dashed, drawn over the data. */
export function sloLine(sloMs: number, y0: number, y1: number): LineDataset {
  return {
    label: `SLO ${sloMs} ms`,
    data: [
      { x: sloMs, y: y0 },
      { x: sloMs, y: y1 },
    ],
    borderColor: '#000',
    backgroundColor: '#000',
    borderWidth: 2.5,
    borderDash: [7, 4],
    pointRadius: 0,
    pointStyle: 'line',
    fill: false,
    order: -1,
  } as LineDataset;
}

// ------------------------------------------------------------------ fonts

/** Set every font size of a configuration from a base size (title 1.5x, axis titles 1.15x, the rest 1x). */
export function applyFonts(config: ChartConfiguration, base = FONT_SIZE): ChartConfiguration {
  const o: any = (config.options ??= {});
  const p = (o.plugins ??= {});
  const size = (k: number): number => Math.round(base * k * 10) / 10;
  if (p.title) p.title.font = { ...(p.title.font ?? {}), size: size(1.5), weight: 'bold' };
  if (p.subtitle) p.subtitle.font = { ...(p.subtitle.font ?? {}), size: size(1) };
  if (p.legend) p.legend.labels = { ...(p.legend.labels ?? {}), font: { size: size(1) } };
  for (const sc of Object.values((o.scales ?? {}) as Record<string, any>)) {
    if (sc.title) sc.title.font = { ...(sc.title.font ?? {}), size: size(1.15) };
    sc.ticks = { ...(sc.ticks ?? {}), font: { size: size(0.95) } };
  }
  return config;
}

// ------------------------------------------------------------------ CSV of the plotted data

const axisTitle = (config: ChartConfiguration, id: string): string => (config.options as any)?.scales?.[id]?.title?.text ?? id;

/**
 * The plotted data of a line chart as CSV: one row per point drawn (series label, the x axis's
 * title and x, the series' y axis's title and y), the numbers handed to Chart.js to 9 significant digits.
 */
export function chartCsv(config: ChartConfiguration): string {
  // 9 significant digits (src/util/round.ts): no float noise such as 160.66666666666666.
  const num = (v: unknown): unknown => (typeof v === 'number' ? roundSignificant(v, 9) : v);
  const rows: unknown[][] = [['series', 'xAxis', 'x', 'yAxis', 'y']];
  const xt = axisTitle(config, 'x');
  for (const d of config.data.datasets as Array<ChartDataset<'line', Pt[]>>) {
    const yt = axisTitle(config, (d as any).yAxisID ?? 'y');
    for (const p of d.data) rows.push([d.label ?? '', xt, num(p.x), yt, num(p.y)]);
  }
  return csvText(rows);
}

// ------------------------------------------------------------------ rendering

const canvases = new Map<string, ChartJSNodeCanvas>();

function canvasFor(format: ChartFormat, width: number, height: number): ChartJSNodeCanvas {
  const key = `${format} ${width}x${height}`;
  let c = canvases.get(key);
  if (!c) {
    c = new ChartJSNodeCanvas({
      width,
      height,
      backgroundColour: 'white',
      ...(format === 'png' ? {} : { type: format }),
      chartCallback: (ChartJS) => {
        ChartJS.defaults.font.family = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
        ChartJS.defaults.color = '#222';
      },
    });
    canvases.set(key, c);
  }
  return c;
}

/** Render a configuration: PNG bytes, SVG text or a PDF document. */
export async function renderChart(config: ChartConfiguration, format: ChartFormat = 'png', width = CHART_WIDTH, height = CHART_HEIGHT): Promise<Buffer> {
  const c = canvasFor(format, width, height);
  if (format === 'png') return c.renderToBuffer(config, 'image/png');
  return c.renderToBufferSync(config, format === 'svg' ? 'image/svg+xml' : 'application/pdf');
}

/** Validate and normalise style options (CLI values). */
export function checkStyle(o: ChartStyleOptions): Required<ChartStyleOptions> {
  const formats = o.formats && o.formats.length ? [...new Set(o.formats)] : (['png'] as ChartFormat[]);
  for (const f of formats) if (!CHART_FORMATS.includes(f)) throw new UserError(`unknown chart format "${f}" (expected ${CHART_FORMATS.join(', ')})`);
  const dim = (v: number | undefined, d: number, what: string, lo: number, hi: number): number => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UserError(`chart ${what} must be an integer from ${lo} to ${hi}, found ${v}`);
    return v;
  };
  return {
    formats,
    width: dim(o.width, CHART_WIDTH, 'width', 200, 8000),
    height: dim(o.height, CHART_HEIGHT, 'height', 150, 8000),
    fontSize: dim(o.fontSize, FONT_SIZE, 'font size', 6, 72),
  };
}

/** The files a chart is written to: NAME.<format> for each format, and NAME.csv. */
export function chartFiles(name: string, o: ChartStyleOptions = {}): string[] {
  return [...checkStyle(o).formats.map((f) => `${name}.${f}`), `${name}.csv`];
}

/**
 * Write a chart into an output directory: NAME.png/.svg/.pdf (as asked) and NAME.csv with the
 * plotted data. Returns the paths written.
 */
export async function writeChart(out: OutputDir, name: string, config: ChartConfiguration, o: ChartStyleOptions = {}): Promise<{ images: string[]; csv: string }> {
  const s = checkStyle(o);
  applyFonts(config, s.fontSize);
  // However many series: the legend takes at most a quarter of the image.
  const legend = (config.options as any)?.plugins?.legend;
  if (legend) legend.maxHeight ??= Math.round(s.height / 4);
  const images: string[] = [];
  for (const f of s.formats) images.push(out.write(`${name}.${f}`, await renderChart(config, f, s.width, s.height)));
  return { images, csv: out.write(`${name}.csv`, chartCsv(config)) };
}
