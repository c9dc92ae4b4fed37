import { describe, expect, it } from 'vitest';
import { COARSE_SUB_BITS, Histogram, quantileRank } from '../src/metrics/histogram.js';
import { Rng } from '../src/sim/random.js';

const QS = [0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 1];

function exactQuantile(sorted: Float64Array, q: number): number {
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[sorted.length - 1];
  return sorted[quantileRank(q, sorted.length) - 1];
}

describe('quantileRank', () => {
  it('is ceil(q n) without floating-point overshoot', () => {
    expect(quantileRank(0.999999, 1e6)).toBe(999_999);
    expect(quantileRank(0.99, 100)).toBe(99);
    expect(quantileRank(0.5, 3)).toBe(2);
    expect(quantileRank(0.001, 10)).toBe(1);
    expect(quantileRank(0.9999999, 1e6)).toBe(1e6);
  });
});

describe('Histogram', () => {
  it('buckets values exactly below 2^subBits and by bucket ranges above', () => {
    const h = new Histogram(7);
    for (const v of [0, 1, 127, 128, 129, 255, 256, 1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 52]) {
      const b = h.bucketOf(v);
      const [lo, hi] = h.bucketRange(b);
      expect(lo).toBeLessThanOrEqual(v);
      expect(v).toBeLessThan(hi);
      if (v >= 128) expect((hi - lo) / lo).toBeLessThanOrEqual(2 ** -7);
      else expect(hi - lo).toBe(1);
    }
    // Bucket indices increase with the value (the histogram is ordered).
    let prev = -1;
    for (let v = 0; v < 5000; v += 7) {
      const b = h.bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
  });

  it('records each value in the bucket bucketOf names, on both sides of 2^31 and 2^32', () => {
    for (const s of [5, 7]) {
      const edges = [0, 1, 2 ** s - 1, 2 ** s, 2 ** s + 1, 1e6 + 0.7, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 53 - 1];
      const rng = new Rng(`record-${s}`);
      const values = [...edges, ...Array.from({ length: 2000 }, () => Math.floor(2 ** (rng.next() * 53)))];
      for (const v of values) {
        const h = new Histogram(s);
        h.record(v);
        expect(h.bucket(h.bucketOf(v))).toBe(1);
      }
    }
  });

  it('matches exact sorted quantiles of 10^6 lognormal samples within 2^-8 relative error', () => {
    const rng = new Rng('histogram-test');
    const n = 1_000_000;
    const xs = new Float64Array(n);
    const h = new Histogram();
    for (let i = 0; i < n; i++) {
      // Latencies around 5 ms with a heavy tail (CV 2), in integer ns.
      const v = Math.round(rng.lognormal(5e6, 2));
      xs[i] = v;
      h.record(v);
    }
    xs.sort();
    expect(h.count).toBe(n);
    expect(h.min).toBe(xs[0]);
    expect(h.max).toBe(xs[n - 1]);
    let worst = 0;
    for (const q of QS) {
      const exact = exactQuantile(xs, q);
      const got = h.quantile(q);
      const rel = Math.abs(got - exact) / exact;
      worst = Math.max(worst, rel);
      expect(rel, `q=${q}: histogram ${got}, exact ${exact}`).toBeLessThanOrEqual(2 ** -8);
    }
    // The bound is not vacuous: the error is visible but small.
    expect(worst).toBeGreaterThan(0);
    // Mean is exact (sum is kept exactly up to double rounding).
    let sum = 0;
    for (const v of xs) sum += v;
    expect(h.mean()).toBeCloseTo(sum / n, 0);
  }, 60_000); // millions of values: seconds alone, far more instrumented for mutation testing

  it('resolves p99.9999 among 3 x 10^6 values with a few planted outliers', () => {
    const h = new Histogram();
    const n = 3_000_000;
    // 2,999,990 values at 1..10 ms, 10 outliers at 150, 160, ... 240 ms.
    const xs: number[] = [];
    for (let i = 0; i < n - 10; i++) h.record(1e6 + (i % 9_000) * 1_000);
    for (let k = 0; k < 10; k++) {
      const v = 150e6 + k * 10e6;
      xs.push(v);
      h.record(v);
    }
    // Rank of p99.9999 = ceil(0.999999 * 3e6) = 2,999,997: the 7th outlier (210 ms).
    expect(quantileRank(0.999999, n)).toBe(2_999_997);
    const p = h.quantile(0.999999);
    expect(Math.abs(p - 210e6) / 210e6).toBeLessThanOrEqual(2 ** -8);
    // p99.999 (rank 2,999,970) is in the bulk (<= 10 ms).
    expect(h.quantile(0.99999)).toBeLessThan(10.1e6);
    expect(h.quantile(1)).toBe(240e6);
  }, 60_000); // millions of values: seconds alone, far more instrumented for mutation testing

  it('coarse histograms stay within 2^-(s+1) and allocate only the octaves they use', () => {
    const rng = new Rng('coarse');
    const h = new Histogram(COARSE_SUB_BITS);
    const xs: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const v = Math.round(rng.uniform(2e6, 200e6));
      xs.push(v);
      h.record(v);
    }
    xs.sort((a, b) => a - b);
    const sorted = Float64Array.from(xs);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(2 ** -(COARSE_SUB_BITS + 1));
    }
    // 2 ms .. 200 ms spans 8 octaves: 8 x 32 counters x 8 bytes.
    expect(h.allocatedBytes).toBeLessThanOrEqual(8 * 32 * 8);
    // 4,000 such per-model histograms stay under 10 MiB.
    expect((4000 * h.allocatedBytes) / 2 ** 20).toBeLessThan(10);
  });

  it('round-trips through JSON and merges', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i < 10_000; i++) (i % 2 ? a : b).record(i * 997);
    const j = JSON.parse(JSON.stringify(a.toJSON()));
    const a2 = Histogram.fromJSON(j);
    expect(a2.toJSON()).toEqual(a.toJSON());
    a2.merge(b);
    const all = new Histogram();
    for (let i = 1; i < 10_000; i++) all.record(i * 997);
    expect(a2.toJSON()).toEqual(all.toJSON());
    expect(() => a2.merge(new Histogram(5))).toThrow(/cannot merge/);
  });

  it('handles empty, zero and huge values', () => {
    const h = new Histogram();
    expect(h.quantile(0.5)).toBeNaN();
    h.record(0);
    h.record(-5);
    h.record(2 ** 60);
    expect(h.min).toBe(0);
    expect(h.max).toBe(2 ** 53 - 1);
    expect(h.quantile(0.5)).toBe(0);
    expect(h.cdfPoints().at(-1)).toEqual([2 ** 53 - 1, 3]);
  });
});
