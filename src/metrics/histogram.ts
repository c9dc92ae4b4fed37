/**
 * A log-linear histogram of non-negative integers (latencies in ns) with bounded memory and a
 * stated relative error, plus the exact minimum, maximum, count and sum.
 *
 * Representation (HdrHistogram-like, with `s` = `subBits`):
 * - values below 2^s are counted exactly (one bucket per integer, "octave 0");
 * - each power-of-two range [2^e, 2^(e+1)) with e >= s is split into 2^s equal sub-buckets
 *   ("octave" e - s + 1), so a bucket's width is 2^(e-s), at most 2^-s of any value in it.
 * A quantile is reported as the midpoint of its bucket, clamped to the exact [min, max], so its
 * relative error is at most 2^-(s+1): 1/256 = 0.39% with the default s = 7, 1/64 = 1.6% with the
 * coarse s = 5 used per model and per time window. The error does not grow in the far tail: a
 * p99.9999 is located by exact counting (ranks are exact), only its value is rounded to its bucket.
 * Values are floored to integers and clamped to [0, 2^53).
 *
 * Memory: the 2^s counters of an octave are allocated the first time a value falls in it, so a
 * histogram costs 2^s * 8 bytes per octave its values actually span (latencies between 1 ms and
 * 10 s span 14 octaves: 14 KiB at s = 7, 3.5 KiB at s = 5), whatever the count; at most
 * (54 - s) octaves (47 KiB at s = 7). Counts are doubles: exact up to 2^53 recordings.
 */
export const SUB_BITS = 7;
/** Sub-bucket bits of the coarse histograms kept per model and per time window. */
export const COARSE_SUB_BITS = 5;
const MAX_VALUE = 2 ** 53 - 1;
const TWO32 = 2 ** 32;
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

export interface HistogramJSON {
  subBits: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** Sparse [bucket index, count] pairs, increasing bucket index. */
  buckets: Array<[number, number]>;
}

/**
 * The rank (1-based) of quantile q among n sorted values: ceil(q n), at least 1. q n is computed
 * with a relative tolerance so that 0.999999 * 10^6 gives rank 999,999, not 1,000,000.
 */
export function quantileRank(q: number, n: number): number {
  const x = q * n;
  return Math.min(n, Math.max(1, Math.ceil(x - Math.max(1, x) * 1e-12)));
}

export class Histogram {
  readonly subBits: number;
  private readonly sub: number;
  private readonly octaves: Array<Float64Array | undefined>;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(subBits: number = SUB_BITS) {
    if (!Number.isInteger(subBits) || subBits < 1 || subBits > 16) throw new Error(`histogram subBits must be an integer in [1, 16], found ${subBits}`);
    this.subBits = subBits;
    this.sub = 1 << subBits;
    this.octaves = new Array(54 - subBits + 1).fill(undefined);
  }

  /** Number of bucket indices (dense size). */
  get bucketCount(): number {
    return this.octaves.length * this.sub;
  }

  /** Bytes of counters currently allocated. */
  get allocatedBytes(): number {
    let n = 0;
    for (const o of this.octaves) if (o) n += o.byteLength;
    return n;
  }

  /** The bucket index of a value. */
  bucketOf(v: number): number {
    v = v <= 0 ? 0 : v >= MAX_VALUE ? MAX_VALUE : Math.floor(v);
    const s = this.subBits;
    if (v < this.sub) return v;
    const e = v < TWO32 ? 31 - Math.clz32(v) : 63 - Math.clz32(v / TWO32);
    return (e - s + 1) * this.sub + (Math.floor(v / POW2[e - s]) - this.sub);
  }

  /** The [low, high) range of values a bucket holds. */
  bucketRange(i: number): [number, number] {
    if (i < this.sub) return [i, i + 1];
    const oct = Math.floor(i / this.sub);
    const e = oct + this.subBits - 1;
    const width = POW2[e - this.subBits];
    const lo = POW2[e] + (i % this.sub) * width;
    return [lo, lo + width];
  }

  record(v: number): void {
    v = v <= 0 ? 0 : v >= MAX_VALUE ? MAX_VALUE : Math.floor(v);
    const sub = this.sub;
    let oct: number;
    let idx: number;
    if (v < sub) {
      oct = 0;
      idx = v;
    } else if (v < TWO32) {
      // The common case (below 4.3 s in ns): integer arithmetic, the same bucket as below.
      const shift = 31 - Math.clz32(v) - this.subBits;
      oct = shift + 1;
      idx = (v >>> shift) - sub;
    } else {
      const e = 63 - Math.clz32(v / TWO32);
      oct = e - this.subBits + 1;
      idx = Math.floor(v / POW2[e - this.subBits]) - sub;
    }
    let c = this.octaves[oct];
    if (c === undefined) c = this.octaves[oct] = new Float64Array(sub);
    c[idx]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Count in bucket i. */
  bucket(i: number): number {
    const c = this.octaves[Math.floor(i / this.sub)];
    return c === undefined ? 0 : c[i % this.sub];
  }

  /** Calls fn(bucket index, count) for every non-empty bucket, in increasing order. */
  forEachBucket(fn: (i: number, count: number) => void): void {
    const sub = this.sub;
    for (let o = 0; o < this.octaves.length; o++) {
      const c = this.octaves[o];
      if (c === undefined) continue;
      for (let j = 0; j < sub; j++) if (c[j] !== 0) fn(o * sub + j, c[j]);
    }
  }

  merge(other: Histogram): void {
    if (other.subBits !== this.subBits) throw new Error(`cannot merge histograms of ${other.subBits} and ${this.subBits} sub-bucket bits`);
    for (let o = 0; o < other.octaves.length; o++) {
      const src = other.octaves[o];
      if (src === undefined) continue;
      let dst = this.octaves[o];
      if (dst === undefined) dst = this.octaves[o] = new Float64Array(this.sub);
      for (let j = 0; j < this.sub; j++) dst[j] += src[j];
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /** The representative value of bucket i: its midpoint (exact below 2^subBits), within [min, max]. */
  private representative(i: number): number {
    if (i < this.sub) return Math.min(Math.max(i, this.min), this.max);
    const [lo, hi] = this.bucketRange(i);
    // Integers in the bucket are lo .. hi - 1.
    return Math.min(Math.max((lo + hi - 1) / 2, this.min), this.max);
  }

  /**
   * The value at quantile q in [0, 1]: the bucket holding the value of rank quantileRank(q, count)
   * in sorted order, reported at its midpoint, within [min, max]. q = 1 gives the exact maximum.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q >= 1) return this.max;
    if (q <= 0) return this.min;
    const rank = quantileRank(q, this.count);
    if (rank >= this.count) return this.max;
    let cum = 0;
    const sub = this.sub;
    for (let o = 0; o < this.octaves.length; o++) {
      const c = this.octaves[o];
      if (c === undefined) continue;
      for (let j = 0; j < sub; j++) {
        cum += c[j];
        if (cum >= rank) return this.representative(o * sub + j);
      }
    }
    return this.max;
  }

  /** Several quantiles at once (one pass); qs must be increasing. */
  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q));
  }

  /** Fraction of recorded values <= v (at bucket resolution: counts v's whole bucket). */
  cdfAt(v: number): number {
    if (this.count === 0) return NaN;
    const b = this.bucketOf(v);
    let cum = 0;
    this.forEachBucket((i, c) => {
      if (i <= b) cum += c;
    });
    return cum / this.count;
  }

  /**
   * Non-empty buckets as [upper value, cumulative count] points, increasing: every value of the
   * bucket is <= the upper value (clamped to the exact max). For CDF and tail (1 - CDF) plots.
   */
  cdfPoints(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cum = 0;
    this.forEachBucket((i, c) => {
      cum += c;
      out.push([Math.min(this.bucketRange(i)[1] - 1, this.max), cum]);
    });
    return out;
  }

  /** Compact JSON form: sparse [bucket, count] pairs plus exact stats. */
  toJSON(): HistogramJSON {
    const buckets: Array<[number, number]> = [];
    this.forEachBucket((i, c) => buckets.push([i, c]));
    return { subBits: this.subBits, count: this.count, sum: this.sum, min: this.count ? this.min : null, max: this.count ? this.max : null, buckets };
  }

  static fromJSON(j: Omit<HistogramJSON, 'subBits'> & { subBits?: number }): Histogram {
    const h = new Histogram(j.subBits ?? SUB_BITS);
    for (const [i, c] of j.buckets) {
      const o = Math.floor(i / h.sub);
      if (o < 0 || o >= h.octaves.length) throw new Error(`histogram bucket ${i} out of range`);
      let a = h.octaves[o];
      if (a === undefined) a = h.octaves[o] = new Float64Array(h.sub);
      a[i % h.sub] += c;
    }
    h.count = j.count;
    h.sum = j.sum;
    h.min = j.min ?? Infinity;
    h.max = j.max ?? -Infinity;
    return h;
  }
}
