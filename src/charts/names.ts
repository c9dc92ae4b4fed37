/**
 * Every chart servesim draws, in one table: name, kind and a one-line description (shown by
 * `servesim plot --help`). Kept apart from the renderer so configs can be validated without
 * loading canvas; each chart's builder is registered under its name in plot.ts (BUILDERS, a
 * Record<ChartName, ...> the compiler checks). A new chart is one entry here plus its builder.
 *
 * kind `run`: drawn from one run's files (several runs are overlaid); `sweep`: one point per run.
 * `afterSweep`: a run chart also drawn over a sweep's points at the end of the sweep.
 */
interface ChartInfo {
  kind: 'run' | 'sweep';
  afterSweep?: true;
  description: string;
}

const CHARTS = {
  goodput: { kind: 'run', afterSweep: true, description: 'goodput and offered load over time (runs overlaid)' },
  'latency-cdf': { kind: 'run', description: 'latency CDF of the measured window (unanswered requests at +infinity unless --exclude-missed)' },
  'latency-tail': { kind: 'run', afterSweep: true, description: 'latency tail: 1 - CDF on a log scale down to 1e-6 (unanswered requests at +infinity unless --exclude-missed)' },
  'gpu-utilization': { kind: 'run', description: 'GPU (CPU) exec-lane utilization over time per device (a line each up to 8 devices, else the least-to-most busy band) and PCIe' },
  'prediction-error': { kind: 'run', description: 'CDF of completion-time prediction errors (INFER, LOAD), where the scheduler recorded predictions' },
  'slo-attainment': { kind: 'sweep', description: 'SLO attainment and goodput against the SLO, across a sweep' },
  'goodput-vs-load': { kind: 'sweep', description: 'goodput against offered load, across a sweep or several runs' },
} as const satisfies Record<string, ChartInfo>;

export type ChartName = keyof typeof CHARTS;

/** Image formats a chart can be written in (a CSV of its plotted data is written beside each). */
export const CHART_FORMATS = ['png', 'svg', 'pdf'] as const;
const entries = Object.entries(CHARTS) as Array<[ChartName, ChartInfo]>;

/** Every chart, in table order. */
export const CHART_NAMES: readonly ChartName[] = entries.map(([name]) => name);
/** Charts of one run (or several runs overlaid). */
export const RUN_CHARTS: readonly ChartName[] = entries.filter(([, c]) => c.kind === 'run').map(([name]) => name);
/** Charts of a sweep (one point per run). */
export const SWEEP_CHARTS: readonly ChartName[] = entries.filter(([, c]) => c.kind === 'sweep').map(([name]) => name);
/** Charts drawn at the end of a sweep: the sweep charts, then the run charts marked `afterSweep`. */
export const SWEEP_END_CHARTS: readonly ChartName[] = [...SWEEP_CHARTS, ...entries.filter(([, c]) => c.kind === 'run' && c.afterSweep).map(([name]) => name)];

/** `servesim plot --help`: one line per chart. */
export function chartHelp(): string {
  const width = Math.max(...CHART_NAMES.map((n) => n.length));
  return entries.map(([name, c]) => `  ${name.padEnd(width)}  ${c.kind}: ${c.description}`).join('\n');
}
