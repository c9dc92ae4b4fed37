/**
 * Numbers as servesim writes them (summary.json, index*.json/csv, per-model.csv, timeseries.csv,
 * `compare`, `--json` output): rounded once, here, so no file carries float noise such as
 * 0.5426610000000001. Rounding is a pure function of the value, so the same run writes the same
 * bytes.
 *
 * Precision per quantity (README.md, "Numbers in output files"):
 * - fractions: SLO attainment, late/early fraction 8 decimals; utilization 6 in summary.json and
 *   timeseries.csv, 8 for its means (compare, index-configs.*);
 * - latencies in ms: 6 decimals (1 ns); rates in requests/s: 6 decimals; seconds: 9 decimals (1 ns);
 * - p-values: 6 significant digits (they may be tiny);
 * - the plotted data beside charts (NAME.csv): 9 significant digits.
 */

/** Decimals per kind of quantity. */
export const DECIMALS = { fraction: 8, ms: 6, rate: 6, seconds: 9, default: 6 } as const;

/** `x` rounded to `decimals` places (non-finite values unchanged; -0 as 0). */
export function roundTo(x: number, decimals: number = DECIMALS.default): number {
  if (!Number.isFinite(x)) return x;
  const v = Number(x.toFixed(decimals));
  return v === 0 ? 0 : v;
}

/** `x` rounded to `digits` significant digits (non-finite values unchanged). */
export function roundSignificant(x: number, digits = 6): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  return Number(x.toPrecision(digits));
}

/** Decimals for a key metric or its mean by its name (keyMetrics, compare): fractions 8, else 6. */
export function metricDecimals(name: string): number {
  return /attainment|fraction|utilization/i.test(name) ? DECIMALS.fraction : DECIMALS.default;
}

/** A key metric's value rounded for output (see metricDecimals). */
export function roundMetric(name: string, x: number): number {
  return roundTo(x, metricDecimals(name));
}
