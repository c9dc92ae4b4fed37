import { describe, expect, it } from 'vitest';
import { differ, meanCI, studentTCdf, studentTQuantile } from '../src/util/stats.js';

describe('Student t', () => {
  it('has the closed-form CDF for 1 and 2 degrees of freedom (Cauchy; t/(2 sqrt(2 + t^2)))', () => {
    for (const t of [-30, -3, -1, -0.2, 0, 0.5, 1, 2.5, 10, 100]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('gives the 97.5% quantiles of published t tables', () => {
    // Abramowitz & Stegun table 26.10 / any statistics textbook, to the digits printed there.
    const table: Array<[number, number]> = [
      [1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [5, 2.5706], [9, 2.2622], [10, 2.2281],
      [19, 2.0930], [29, 2.0452], [60, 2.0003], [120, 1.9799],
    ];
    for (const [df, q] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 4);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5); // the normal's
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.7764, 4);
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(() => studentTQuantile(1, 3)).toThrow(/p in \(0, 1\)/);
  });
});

describe('meanCI', () => {
  it('is mean +- t(0.975, n-1) s / sqrt(n), worked by hand for 1..5', () => {
    // mean 3, s^2 = (4+1+0+1+4)/4 = 2.5, half = 2.7764 x 1.58114 / 2.23607 = 1.9632
    const r = meanCI([5, 1, 4, 2, 3]);
    expect(r.n).toBe(5);
    expect(r.mean).toBe(3);
    expect(r.sd).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(r.half).toBeCloseTo(1.9632, 4);
    expect(r.lo).toBeCloseTo(3 - 1.9632, 4);
    expect(r.hi).toBeCloseTo(3 + 1.9632, 4);
  });

  it('ignores non-finite values; one value has no interval; none has no mean', () => {
    const r = meanCI([2, NaN, Infinity, 4]);
    expect([r.n, r.mean]).toEqual([2, 3]);
    expect(r.half).toBeCloseTo((12.7062 * Math.SQRT2) / Math.SQRT2, 3); // s = sqrt(2), n = 2
    const one = meanCI([7]);
    expect([one.n, one.mean, one.sd]).toEqual([1, 7, 0]);
    expect(one.half).toBeNaN();
    expect(meanCI([]).mean).toBeNaN();
  });

  it('covers the true mean about 95% of the time (normal samples, n = 5)', () => {
    let seed = 12345;
    const u = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const normal = (): number => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const r = meanCI([0, 0, 0, 0, 0].map(() => 10 + 2 * normal()));
      if (r.lo <= 10 && 10 <= r.hi) covered++;
    }
    // binomial sd of the coverage: sqrt(0.95 x 0.05 / 4000) = 0.0034; 4 sd either side
    expect(covered / trials).toBeGreaterThan(0.95 - 0.014);
    expect(covered / trials).toBeLessThan(0.95 + 0.014);
  });
});

describe('differ (Welch)', () => {
  it('1..5 against 6..10: t = 5 on 8 degrees of freedom, p = 0.00105', () => {
    // se = sqrt(2.5/5 + 2.5/5) = 1, t = 5, nu = 1 / (0.25/4 + 0.25/4) = 8; table p(|T8| > 5) = 0.001053
    const d = differ(meanCI([1, 2, 3, 4, 5]), meanCI([6, 7, 8, 9, 10]))!;
    expect(d.differ).toBe(true);
    expect(d.p).toBeCloseTo(0.001053, 5);
  });

  it('overlapping samples do not differ; fewer than 2 values cannot be judged', () => {
    const d = differ(meanCI([1, 2, 3, 4, 5]), meanCI([2, 3, 4, 5, 6]))!;
    // se = 1, t = 1, nu = 8: p = 0.3466
    expect(d.differ).toBe(false);
    expect(d.p).toBeCloseTo(0.3466, 4);
    expect(differ(meanCI([1]), meanCI([2, 3]))).toBeNull();
    expect(differ(meanCI([3, 3]), meanCI([3, 3]))).toEqual({ differ: false, p: 1 });
    expect(differ(meanCI([3, 3]), meanCI([4, 4]))).toEqual({ differ: true, p: 0 });
  });
});
