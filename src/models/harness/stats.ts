/** Turning measured durations into the profile's Distribution: percentiles plus a bounded sample. */
import { quantileSorted } from 'd3-array';
import type { DistributionJson } from '../profile.js';

/** Percentiles stored for every measured distribution. */
export const PERCENTILES = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100] as const;

/** Values are stored in milliseconds rounded to 0.1 us (and at least that, the schema wants positive numbers). */
function ms(v: number): number {
  return Math.max(1e-4, Math.round(v * 1e4) / 1e4);
}

/** Percentile p (0..100) of ascending `sorted`, linear between order statistics (d3-array's quantile, R-7). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('percentile of an empty sample');
  return quantileSorted(sorted as number[], p / 100)!;
}

/**
 * The distribution of `values` (milliseconds): the PERCENTILES, and at most `maxSamples` of the
 * measurements themselves, chosen as evenly spaced order statistics (a stratified sample: real
 * measurements whose spread matches the whole set), ascending.
 */
export function summarize(values: readonly number[], maxSamples = 200): DistributionJson {
  if (values.length === 0) throw new Error('no measurements to summarize');
  const sorted = Float64Array.from(values).sort();
  const percentiles: Record<string, number> = {};
  for (const p of PERCENTILES) percentiles[String(p)] = ms(percentile(sorted, p));
  const n = sorted.length;
  const k = Math.min(n, Math.max(1, maxSamples));
  const samples: number[] = [];
  for (let i = 0; i < k; i++) samples.push(ms(sorted[Math.min(n - 1, Math.floor(((i + 0.5) * n) / k))]));
  return { percentiles, samples };
}

export function median(values: readonly number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}
