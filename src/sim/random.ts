/**
 * Random streams. Every component draws from its own named stream derived from the experiment
 * seed (seedrandom's alea generator seeded with "<seed>/<name>"), so adding draws on one stream
 * never shifts another's sequence.
 */
import { quantileSorted } from 'd3-array';
import seedrandom from 'seedrandom';

export class Rng {
  private readonly gen: () => number;
  private spareNormal = NaN;

  constructor(seed: string) {
    this.gen = seedrandom.alea(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.gen();
  }

  /** Uniform in (0, 1): safe for logarithms. */
  private open(): number {
    let u = this.gen();
    while (u === 0) u = this.gen();
    return u;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.gen();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.gen() * n);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(this.open()) * mean;
  }

  /** Standard normal (Marsaglia polar method, caching the second value). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = NaN;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.gen() - 1;
      v = 2 * this.gen() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Lognormal with the given mean and coefficient of variation. */
  lognormal(mean: number, cv: number): number {
    if (cv <= 0) return mean;
    const sigma2 = Math.log(1 + cv * cv);
    const mu = Math.log(mean) - sigma2 / 2;
    return Math.exp(mu + Math.sqrt(sigma2) * this.normal());
  }

  /** Gamma with shape k and scale theta (Marsaglia-Tsang; boosted for k < 1). */
  gammaShapeScale(k: number, theta: number): number {
    if (k < 1) {
      const u = this.open();
      return this.gammaShapeScale(k + 1, theta) * Math.pow(u, 1 / k);
    }
    const d = k - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.open();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * theta;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * theta;
    }
  }

  /** Gamma with the given mean and coefficient of variation (cv = 1 is exponential). */
  gamma(mean: number, cv: number): number {
    if (cv <= 0) return mean;
    const k = 1 / (cv * cv);
    return this.gammaShapeScale(k, mean / k);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

export class RandomStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number | string) {}

  /** The stream with this name; created on first use, the same object afterwards. */
  stream(name: string): Rng {
    let s = this.streams.get(name);
    if (!s) {
      s = new Rng(`${this.seed}/${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}

/**
 * An empirical distribution given by percentile points (p in 0..100, value) and/or samples.
 * Samples, when present, are bootstrapped; otherwise the inverse CDF is interpolated linearly
 * between the percentile points (flat beyond the first and last point).
 */
export class Empirical {
  private readonly ps: Float64Array;
  private readonly vs: Float64Array;
  private readonly samples: Float64Array | null;

  constructor(points: ReadonlyArray<readonly [number, number]>, samples?: readonly number[]) {
    const sorted = [...points].sort((a, b) => a[0] - b[0]);
    this.ps = Float64Array.from(sorted, (p) => p[0] / 100);
    this.vs = Float64Array.from(sorted, (p) => p[1]);
    this.samples = samples && samples.length > 0 ? Float64Array.from(samples) : null;
    if (this.ps.length === 0 && !this.samples) throw new Error('empty distribution');
  }

  /** Value at quantile q in [0, 1] of the percentile curve (or of the sorted samples). */
  quantile(q: number): number {
    if (this.ps.length === 0) {
      const s: ArrayLike<number> = Float64Array.from(this.samples!).sort();
      return quantileSorted(s as number[], q)!;
    }
    const ps = this.ps;
    const vs = this.vs;
    if (q <= ps[0]) return vs[0];
    const n = ps.length;
    if (q >= ps[n - 1]) return vs[n - 1];
    let i = 1;
    while (ps[i] < q) i++;
    const f = (q - ps[i - 1]) / (ps[i] - ps[i - 1]);
    return vs[i - 1] + (vs[i] - vs[i - 1]) * f;
  }

  sample(rng: Rng): number {
    if (this.samples) return this.samples[rng.int(this.samples.length)];
    return this.quantile(rng.next());
  }

  median(): number {
    return this.quantile(0.5);
  }
}
