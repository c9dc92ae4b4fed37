/** Corners of src/sim/random.ts that the distribution tests (random-time.test.ts) do not reach. */
import { describe, expect, it } from 'vitest';
import { Empirical, Rng } from '../src/sim/random.js';

/** An Rng whose uniform draws are `us`, in order (then it throws). */
function scripted(us: number[]): Rng {
  const rng = new Rng('unused');
  let i = 0;
  (rng as unknown as { gen: () => number }).gen = () => {
    if (i >= us.length) throw new Error('out of draws');
    return us[i++];
  };
  return rng;
}

describe('Rng corners', () => {
  it('draws for logarithms skip exact zeros (however many)', () => {
    // exponential(mean 2) = -ln(u) x 2 with the first non-zero u = 0.5.
    expect(scripted([0, 0, 0.5]).exponential(2)).toBe(-Math.log(0.5) * 2);
  });

  it('lognormal and gamma with cv <= 0 are the mean, and draw nothing', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    expect(a.lognormal(5, 0)).toBe(5);
    expect(a.gamma(5, 0)).toBe(5);
    expect(a.gamma(5, -1)).toBe(5);
    expect(a.lognormal(5, -1)).toBe(5);
    expect(a.next()).toBe(b.next());
  });

  it('pick takes element floor(u x n)', () => {
    expect(scripted([0, 0.5, 0.999]).pick(['a', 'b', 'c'])).toBe('a');
    const r = scripted([0.5, 0.999]);
    expect([r.pick(['a', 'b', 'c']), r.pick(['a', 'b', 'c'])]).toEqual(['b', 'c']);
  });
});

describe('Empirical corners', () => {
  it('refuses a distribution with neither points nor samples', () => {
    expect(() => new Empirical([])).toThrow('empty distribution');
    expect(() => new Empirical([], [])).toThrow('empty distribution');
  });

  it('samples only: quantiles of the numerically sorted samples, interpolated', () => {
    // Sorted numerically: 9, 10, 100 (a string sort would give 10, 100, 9).
    const e = new Empirical([], [100, 9, 10]);
    expect([e.quantile(0), e.quantile(0.25), e.quantile(0.5), e.quantile(1)]).toEqual([9, 9.5, 10, 100]);
    expect(e.median()).toBe(10);
  });

  it('flat beyond the last percentile point', () => {
    // p0 = 1, p50 = 3: q 0.25 -> 2; from q 0.5 on -> 3.
    const e = new Empirical([
      [50, 3],
      [0, 1],
    ]);
    expect([e.quantile(0.25), e.quantile(0.5), e.quantile(0.75), e.quantile(1)]).toEqual([2, 3, 3, 3]);
  });
});
