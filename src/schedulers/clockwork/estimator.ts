/**
 * Clockwork's duration estimate: the interpolated `percentile` of a sliding window of the last
 * `window` measurements (docs/clockwork-model.md, "Predictions"). The window starts empty: until
 * the first measurement the estimate is the hardware profile's value (the profile distribution's
 * value at the same percentile), as in the released code. With `seedInWindow` the profile's value
 * is instead kept in the window as if it were a first measurement, so it weighs on the estimate
 * until `window` real measurements have rotated it out (servesim's earlier rule, an option).
 */
export class WindowEstimator {
  /** The window in arrival order (a ring: the oldest value is at `next` once full). */
  private readonly ring: Float64Array;
  /** The same values, kept sorted as they come and go (no sort per measurement). */
  private readonly sorted: Float64Array;
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
    const s = this.sorted;
    let n = this.count;
    if (n === this.ring.length) {
      // The oldest value leaves the window.
      const old = this.ring[this.next];
      let i = 0;
      while (i < n - 1 && s[i] !== old) i++;
      for (; i < n - 1; i++) s[i] = s[i + 1];
      n--;
    }
    let i = n;
    for (; i > 0 && s[i - 1] > x; i--) s[i] = s[i - 1];
    s[i] = x;
    this.count = n + 1;
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.ring.length;
    this.value = Math.round(quantileOfSorted(s, this.count, this.percentile));
  }
}

/**
 * The p-quantile (p in 0..1) of the first n values, interpolating linearly between order statistics
 * (R-7, as d3-array's quantileSorted).
 */
export function interpolatedPercentile(values: ArrayLike<number>, n: number, p: number): number {
  return quantileOfSorted(Float64Array.from({ length: n }, (_, i) => values[i]).sort(), n, p);
}

/** R-7 on the first n (>= 1) values of an ascending array: the value at rank (n - 1) p, interpolated. */
function quantileOfSorted(s: ArrayLike<number>, n: number, p: number): number {
  if (p <= 0 || n < 2) return s[0];
  if (p >= 1) return s[n - 1];
  const i = (n - 1) * p;
  const i0 = Math.floor(i);
  const v0 = s[i0];
  return v0 + (s[i0 + 1] - v0) * (i - i0);
}
