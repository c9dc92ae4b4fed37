/**
 * Clockwork's duration estimate: the interpolated `percentile` of a sliding window of the last
 * `window` measurements (docs/clockwork-model.md, "Predictions"). The window starts empty: until
 * the first measurement the estimate is the hardware profile's value (the profile distribution's
 * value at the same percentile), as in the released code. With `seedInWindow` the profile's value
 * is instead kept in the window as if it were a first measurement, so it weighs on the estimate
 * until `window` real measurements have rotated it out (servesim's earlier rule, an option).
 */
import { quantileSorted } from 'd3-array';

export class WindowEstimator {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array<ArrayBuffer>;
  private next = 0;
  private count = 0;
  /** Current estimate (ns, rounded to an integer). */
  value: number;

  constructor(
    window: number,
    private readonly percentile: number,
    seed: number,
    seedInWindow = false,
  ) {
    this.ring = new Float64Array(window);
    this.sorted = new Float64Array(window);
    this.value = Math.round(seed);
    if (seedInWindow) this.add(seed);
  }

  /** Record a measured duration (ns) and recompute the estimate. */
  add(x: number): void {
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    this.value = Math.round(interpolatedPercentile(this.ring, this.count, this.percentile, this.sorted));
  }
}

/**
 * The p-quantile (p in 0..1) of the first n values, interpolating linearly between order statistics
 * (d3-array's quantileSorted, R-7), sorted in `scratch` (no allocation but the subarray view).
 */
export function interpolatedPercentile(values: ArrayLike<number>, n: number, p: number, scratch: Float64Array<ArrayBuffer> = new Float64Array(n)): number {
  for (let i = 0; i < n; i++) scratch[i] = values[i];
  const s: ArrayLike<number> = scratch.subarray(0, n).sort();
  return quantileSorted(s as number[], p)!;
}
