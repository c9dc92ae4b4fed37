/**
 * Statistics over repeated runs (seeds): the mean of a metric and its 95% confidence interval,
 * mean +- t(0.975, n-1) x s / sqrt(n), with s the sample standard deviation and t Student's
 * quantile (computed here, not tabulated: the regularized incomplete beta function by its
 * continued fraction, inverted by bisection).
 */

export interface MeanCI {
  /** Number of finite values the figures are computed from. */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for one value. */
  sd: number;
  /** Half-width of the 95% interval: t(0.975, n - 1) x sd / sqrt(n); NaN for fewer than 2 values. */
  half: number;
  lo: number;
  hi: number;
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 coefficients; relative error ~1e-15). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), 0 <= x <= 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` > 0 degrees of freedom, 0 < p < 1 (bisection to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile: p in (0, 1) and df > 0, found p=${p}, df=${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean and 95% confidence interval of the finite values of `xs` (others are ignored). */
export function meanCI(xs: readonly number[]): MeanCI {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, half: NaN, lo: NaN, hi: NaN };
  let sum = 0;
  for (const x of v) sum += x;
  const mean = sum / n;
  if (n === 1) return { n, mean, sd: 0, half: NaN, lo: NaN, hi: NaN };
  let ss = 0;
  for (const x of v) ss += (x - mean) * (x - mean);
  const sd = Math.sqrt(ss / (n - 1));
  const half = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, half, lo: mean - half, hi: mean + half };
}

/**
 * Whether two sets of repeated measurements differ beyond their 95% intervals (Welch's t-test at
 * the 5% level, two-sided): the means differ by more than t(0.975, nu) x sqrt(sa^2/na + sb^2/nb),
 * nu the Welch-Satterthwaite degrees of freedom. Undefined (null) with fewer than 2 values on a side.
 */
export function differ(a: MeanCI, b: MeanCI): { differ: boolean; p: number } | null {
  if (a.n < 2 || b.n < 2) return null;
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se = Math.sqrt(va + vb);
  const diff = Math.abs(a.mean - b.mean);
  if (se === 0) return { differ: diff > 0, p: diff > 0 ? 0 : 1 };
  const nu = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const p = 2 * (1 - studentTCdf(diff / se, nu));
  return { differ: p < 0.05, p };
}
