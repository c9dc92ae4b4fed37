/**
 * A log-linear histogram of non-negative integers (latencies in ns) with bounded memory and a
 * stated relative error, plus the exact minimum, maximum, count and sum.
 *
 * Values below 2^SUB_BITS are counted exactly. Above, each power-of-two range [2^e, 2^(e+1)) is
 * split into 2^SUB_BITS equal sub-buckets, so a bucket's width is at most 2^-SUB_BITS of its lower
 * bound. A quantile is reported as the midpoint of its bucket (clamped to the exact min and max),
 * so its relative error is at most 2^-(SUB_BITS+1) = 1/256 = 0.39% with SUB_BITS = 7.
 * Memory: (64 - SUB_BITS + 1) * 2^SUB_BITS counters (7,424 doubles, 58 KiB), whatever the count.
 */
export const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const NBUCKETS = (64 - SUB_BITS + 1) * SUB;

export class Histogram {
  readonly counts = new Float64Array(NBUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  static bucketOf(v: number): number {
    if (v < SUB) return v < 0 ? 0 : Math.floor(v);
    const e = Math.floor(Math.log2(v));
    // Guard against log2 rounding at exact powers of two.
    const exp = 2 ** e > v ? e - 1 : 2 ** (e + 1) <= v ? e + 1 : e;
    const sub = Math.floor((v / 2 ** exp - 1) * SUB);
    return (exp - SUB_BITS + 1) * SUB + sub;
  }

  /** The [low, high) range of values a bucket holds. */
  static bucketRange(i: number): [number, number] {
    if (i < SUB) return [i, i + 1];
    const exp = Math.floor(i / SUB) + SUB_BITS - 1;
    const sub = i % SUB;
    const width = 2 ** exp / SUB;
    const lo = 2 ** exp + sub * width;
    return [lo, lo + width];
  }

  record(v: number): void {
    this.counts[Histogram.bucketOf(v)]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < NBUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /**
   * The value at quantile q in [0, 1]: the smallest recorded bucket whose cumulative count reaches
   * ceil(q * count), reported at its midpoint (exact below 2^SUB_BITS), within [min, max].
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q >= 1) return this.max;
    if (q <= 0) return this.min;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let cum = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      cum += this.counts[i];
      if (cum >= rank) {
        if (i < SUB) return Math.min(Math.max(i, this.min), this.max);
        const [lo, hi] = Histogram.bucketRange(i);
        return Math.min(Math.max((lo + hi) / 2, this.min), this.max);
      }
    }
    return this.max;
  }

  /** Fraction of recorded values <= v (bucket-resolution). */
  cdfAt(v: number): number {
    if (this.count === 0) return NaN;
    const b = Histogram.bucketOf(v);
    let cum = 0;
    for (let i = 0; i <= b; i++) cum += this.counts[i];
    return cum / this.count;
  }

  /** Non-empty buckets as [upper bound, cumulative fraction] points, for CDF plots. */
  cdfPoints(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cum = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      if (this.counts[i] === 0) continue;
      cum += this.counts[i];
      out.push([Math.min(Histogram.bucketRange(i)[1], this.max), cum / this.count]);
    }
    return out;
  }

  /** Compact JSON form: sparse [bucket, count] pairs plus exact stats. */
  toJSON(): { count: number; sum: number; min: number | null; max: number | null; buckets: Array<[number, number]> } {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < NBUCKETS; i++) if (this.counts[i] > 0) buckets.push([i, this.counts[i]]);
    return { count: this.count, sum: this.sum, min: this.count ? this.min : null, max: this.count ? this.max : null, buckets };
  }

  static fromJSON(j: { count: number; sum: number; min: number | null; max: number | null; buckets: Array<[number, number]> }): Histogram {
    const h = new Histogram();
    for (const [i, c] of j.buckets) h.counts[i] = c;
    h.count = j.count;
    h.sum = j.sum;
    h.min = j.min ?? Infinity;
    h.max = j.max ?? -Infinity;
    return h;
  }
}
