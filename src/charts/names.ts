/** Chart names (kept apart from the renderer so configs can be validated without loading canvas). */
export const CHART_NAMES = [
  'goodput',
  'latency-cdf',
  'latency-tail',
  'gpu-utilization',
  'prediction-error',
  'slo-attainment',
  'goodput-vs-load',
] as const;
export type ChartName = (typeof CHART_NAMES)[number];

/** Charts of one run (or several runs overlaid). */
export const RUN_CHARTS: readonly ChartName[] = ['goodput', 'latency-cdf', 'latency-tail', 'gpu-utilization', 'prediction-error'];
/** Charts of a sweep (one point per run). */
export const SWEEP_CHARTS: readonly ChartName[] = ['slo-attainment', 'goodput-vs-load'];

export const CHART_DESCRIPTIONS: Record<ChartName, string> = {
  goodput: 'goodput and offered load over time (runs overlaid)',
  'latency-cdf': 'latency CDF of the measured window',
  'latency-tail': 'latency tail: 1 - CDF on a log scale down to 1e-6',
  'gpu-utilization': 'GPU (exec) and PCIe utilization over time',
  'prediction-error': 'CDF of completion-time prediction errors (INFER, LOAD), where the scheduler recorded predictions',
  'slo-attainment': 'SLO attainment and goodput against the SLO, across a sweep',
  'goodput-vs-load': 'goodput against offered load, across a sweep or several runs',
};
