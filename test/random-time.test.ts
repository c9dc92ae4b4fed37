import { describe, expect, it } from 'vitest';
import { Empirical, RandomStreams, Rng } from '../src/sim/random.js';
import { formatDuration } from '../src/sim/time.js';
import { parseBandwidth, parseDuration, parseRate, parseSize } from '../src/util/units.js';

const draws = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

describe('random streams', () => {
  it('the same seed and name give the same sequence', () => {
    expect(draws(new RandomStreams(7).stream('gpu0/exec'), 5)).toEqual(draws(new RandomStreams(7).stream('gpu0/exec'), 5));
    expect(draws(new RandomStreams(7).stream('gpu0/exec'), 5)).not.toEqual(draws(new RandomStreams(8).stream('gpu0/exec'), 5));
  });

  it('streams are independent: drawing on one leaves another unchanged', () => {
    const a = new RandomStreams(42);
    const b = new RandomStreams(42);
    for (let i = 0; i < 1000; i++) a.stream('noisy').next();
    a.stream('another-component').exponential(3);
    expect(draws(a.stream('arrivals'), 10)).toEqual(draws(b.stream('arrivals'), 10));
  });

  const moments = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
    return { mean: m, cv: Math.sqrt(v) / m };
  };

  it('exponential, gamma and lognormal have the requested mean and CV', () => {
    const r = new Rng('moments');
    const n = 200_000;
    const e = moments(Array.from({ length: n }, () => r.exponential(5)));
    expect(e.mean).toBeCloseTo(5, 1);
    expect(e.cv).toBeCloseTo(1, 1);
    for (const cv of [0.3, 1, 2.5]) {
      const g = moments(Array.from({ length: n }, () => r.gamma(10, cv)));
      expect(Math.abs(g.mean - 10) / 10).toBeLessThan(0.02);
      expect(Math.abs(g.cv - cv) / cv).toBeLessThan(0.05);
    }
    const l = moments(Array.from({ length: n }, () => r.lognormal(3, 0.5)));
    expect(Math.abs(l.mean - 3) / 3).toBeLessThan(0.01);
    expect(Math.abs(l.cv - 0.5) / 0.5).toBeLessThan(0.05);
  });

  it('empirical distributions interpolate percentiles and bootstrap samples', () => {
    const d = new Empirical([
      [0, 10],
      [50, 20],
      [100, 40],
    ]);
    expect(d.quantile(0)).toBe(10);
    expect(d.quantile(0.25)).toBe(15);
    expect(d.quantile(0.75)).toBe(30);
    expect(d.median()).toBe(20);
    const r = new Rng('emp');
    const xs = Array.from({ length: 50_000 }, () => d.sample(r)).sort((a, b) => a - b);
    expect(xs[0]).toBeGreaterThanOrEqual(10);
    expect(xs[xs.length - 1]).toBeLessThanOrEqual(40);
    expect(xs[25_000]).toBeCloseTo(20, 0);
    const s = new Empirical([], [1, 2, 3]);
    const seen = new Set(Array.from({ length: 100 }, () => s.sample(r)));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });
});

describe('units', () => {
  it('parses durations to integer ns', () => {
    expect(parseDuration('250us')).toBe(250_000);
    expect(parseDuration('5ms')).toBe(5_000_000);
    expect(parseDuration('1.5s')).toBe(1_500_000_000);
    expect(parseDuration('15m')).toBe(900e9);
    expect(parseDuration('8h')).toBe(8 * 3600e9);
    expect(parseDuration(2.5)).toBe(2_500_000); // plain numbers are milliseconds
    expect(() => parseDuration('5 parsecs')).toThrow(/unknown duration unit "parsecs"/);
    expect(() => parseDuration('fast')).toThrow(/expected a duration/);
  });
  it('parses sizes, rates and bandwidths', () => {
    expect(parseSize('16MiB')).toBe(16 * 1024 * 1024);
    expect(parseSize('21.5GiB')).toBe(1376 * 16 * 1024 * 1024);
    expect(parseSize('602kB')).toBe(602_000);
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('120/min')).toBe(2);
    expect(parseRate(50)).toBe(50);
    expect(parseBandwidth('12.3GB/s')).toBe(12.3e9);
    expect(parseBandwidth('10Gbit/s')).toBe(1.25e9);
  });
  it('formats durations readably', () => {
    expect(formatDuration(5_000_000)).toBe('5ms');
    expect(formatDuration(900e9)).toBe('15m');
    expect(formatDuration(250)).toBe('250ns');
    // Each unit from exactly one of it, negative values by their size, up to 3 decimals.
    expect([3_600e9, 60e9, 1e9, 1e6, 1e3, 999].map(formatDuration)).toEqual(['1h', '1m', '1s', '1ms', '1us', '999ns']);
    expect([-2_500, 1_234_567, -7_200e9].map(formatDuration)).toEqual(['-2.5us', '1.235ms', '-2h']);
  });
});
