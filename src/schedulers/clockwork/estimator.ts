/**
 * Clockwork's duration estimate: the interpolated `percentile` of a sliding window of the last
 * `window` measurements (docs/clockwork-model.md, "Predictions"). The window starts empty: until
 * the first measurement the estimate is the hardware profile's value (the profile distribution's
 * value at the same percentile), as in the released code. With `seedInWindow` the profile's value
 * is instead kept in the window as if it were a first measurement, so it weighs on the estimate
 * until `window` real measurements have rotated it out (servesim's earlier rule, an option).
 */
export class WindowEstimator {
  /**
   * The window in arrival order (a ring: the oldest value is at `next` once full) in its first
   * half, the same values kept sorted as they come and go in its second (no sort per measurement).
   * Allocated at the first measurement: most (model, batch size) pairs of a large run never get one.
   */
  private buf: Float64Array | null = null;
  private next = 0;
  private count = 0;
  /** Current estimate (ns, rounded to an integer). */
  value: number;

  constructor(
    private readonly window: number,
    private readonly percentile: number,
    seed: number,
    seedInWindow = false,
  ) {
    this.value = Math.round(seed);
    if (seedInWindow) this.add(seed);
  }

  /** Record a measured duration (ns) and recompute the estimate. */
  add(x: number): void {
    const w = this.window;
    const buf = (this.buf ??= new Float64Array(2 * w));
    // The sorted values are buf[w .. w + n).
    let n = this.count;
    if (n === w) {
      // The oldest value leaves the window.
      const old = buf[this.next];
      let i = w;
      while (i < w + n - 1 && buf[i] !== old) i++;
      for (; i < w + n - 1; i++) buf[i] = buf[i + 1];
      n--;
    }
    let i = w + n;
    for (; i > w && buf[i - 1] > x; i--) buf[i] = buf[i - 1];
    buf[i] = x;
    this.count = n + 1;
    buf[this.next] = x;
    this.next = (this.next + 1) % w;
    this.value = Math.round(quantileOfSorted(buf, w, this.count, this.percentile));
  }
}

/**
 * The p-quantile (p in 0..1) of the first n values, interpolating linearly between order statistics
 * (R-7, as d3-array's quantileSorted).
 */
export function interpolatedPercentile(values: ArrayLike<number>, n: number, p: number): number {
  return quantileOfSorted(Float64Array.from({ length: n }, (_, i) => values[i]).sort(), 0, n, p);
}

/** R-7 on the n (>= 1) ascending values s[from ..]: the value at rank (n - 1) p, interpolated. */
function quantileOfSorted(s: ArrayLike<number>, from: number, n: number, p: number): number {
  if (p <= 0 || n < 2) return s[from];
  if (p >= 1) return s[from + n - 1];
  const i = (n - 1) * p;
  const i0 = Math.floor(i);
  const v0 = s[from + i0];
  return v0 + (s[from + i0 + 1] - v0) * (i - i0);
}
