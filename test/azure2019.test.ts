import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/sim/random.js';
import { MIN, SEC } from '../src/sim/time.js';
import { azure2019Type, invocationFileName } from '../src/traces/azure2019.js';
import { fakeEnv, runWorkload, tempDir, writeInvocations, type Sent } from './helpers/fake-ctx.js';

function make(opts: Record<string, unknown>, envOver: Record<string, unknown> = {}) {
  return azure2019Type.create(azure2019Type.options.parse(opts), fakeEnv(envOver));
}

function perMinute(sent: Sent[], minuteNs = MIN): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of sent) {
    const k = Math.floor(s.time / minuteNs);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

const dir = tempDir();
// Day 1: three functions sharing minutes 0..4, and gaps of zero minutes.
writeInvocations(join(dir, invocationFileName(1)), [
  { id: 'a', counts: { 0: 5, 1: 7, 2: 0, 3: 1, 4: 12 } },
  { id: 'b', counts: { 0: 2, 2: 3, 4: 1 } },
  { id: 'c', counts: { 1: 1, 1439: 4 } },
]);

describe('azure-2019 arrival counts', () => {
  for (const spread of ['even', 'uniform'] as const) {
    it(`${spread}: exactly count x scale arrivals in each minute (integral scale)`, async () => {
      const w = make({ dir, spread, scale: 3, minutes: 5 });
      const { sent, maxPending } = await runWorkload(w, { models: 1, end: 10 * MIN });
      const pm = perMinute(sent);
      expect([0, 1, 2, 3, 4].map((k) => pm.get(k) ?? 0)).toEqual([21, 24, 9, 3, 39]);
      expect(sent.length).toBe(96);
      expect(maxPending).toBe(1);
      for (let i = 1; i < sent.length; i++) expect(sent[i].time).toBeGreaterThanOrEqual(sent[i - 1].time);
    });
  }

  it('even: evenly spaced at (j + 0.5) / n of the minute', async () => {
    const w = make({ dir, spread: 'even', minutes: 1, topN: 1 });
    const { sent } = await runWorkload(w, { models: 1, end: MIN });
    expect(sent.map((s) => s.time)).toEqual([6, 18, 30, 42, 54].map((x) => x * SEC));
  });

  it('fractional scale: fractions carried to the next minute, totals exact within one', async () => {
    const w = make({ dir, spread: 'even', scale: 0.5, minutes: 5 });
    const { sent } = await runWorkload(w, { models: 1, end: 5 * MIN });
    const pm = perMinute(sent);
    // counts 7, 8, 3, 1, 13 -> 3.5, 4, 1.5, 0.5, 6.5 with carry: 3, 4(+.5 -> 4.5 -> 4), ...
    expect([0, 1, 2, 3, 4].map((k) => pm.get(k) ?? 0)).toEqual([3, 4, 2, 0, 7]);
    expect(sent.length).toBe(16);
  });

  it('poisson: counts are Poisson with mean count x scale (as Clockwork), gaps exponential', async () => {
    const d = tempDir();
    writeInvocations(join(d, invocationFileName(1)), [{ id: 'x', counts: new Array(300).fill(100) }]);
    const w = make({ dir: d, spread: 'poisson', scale: 2, minutes: 300 });
    const { sent } = await runWorkload(w, { models: 1, end: 300 * MIN });
    const n = sent.length; // expected 60000, sd 245
    expect(Math.abs(n - 60000)).toBeLessThan(1000);
    const pm = [...perMinute(sent).values()];
    const mean = pm.reduce((a, b) => a + b, 0) / pm.length;
    const variance = pm.reduce((a, b) => a + (b - mean) ** 2, 0) / (pm.length - 1);
    expect(variance / mean).toBeGreaterThan(0.8); // dispersion index of a Poisson count is 1
    expect(variance / mean).toBeLessThan(1.2);
  });
});

describe('azure-2019 mapping', () => {
  const md = tempDir();
  // Six functions with distinct totals 60..10, each in its own minute (minute = rank).
  writeInvocations(
    join(md, invocationFileName(1)),
    [30, 60, 10, 50, 20, 40].map((c, i) => ({ id: `f${i}`, counts: { [6 - c / 10]: c } })),
  );
  // rank r (total 60 - 10r) sits in minute r.
  async function modelPerRank(mapping: string, seed = 1): Promise<number[]> {
    const w = make({ dir: md, spread: 'even', mapping, minutes: 6 });
    const { sent } = await runWorkload(w, { models: 3, end: 6 * MIN, seed });
    const out: number[] = [];
    for (const s of sent) {
      const k = Math.floor(s.time / MIN);
      if (out[k] === undefined) out[k] = s.model;
      else expect(out[k]).toBe(s.model);
    }
    return out;
  }
  it('contiguous: rank i of F -> model floor(M i / F)', async () => {
    expect(await modelPerRank('contiguous')).toEqual([0, 0, 1, 1, 2, 2]);
  });
  it('stripe: rank i -> model i mod M', async () => {
    expect(await modelPerRank('stripe')).toEqual([0, 1, 2, 0, 1, 2]);
  });
  it('random: seeded, same seed same mapping', async () => {
    const a = await modelPerRank('random', 7);
    expect(await modelPerRank('random', 7)).toEqual(a);
    expect(a.every((m) => m >= 0 && m < 3)).toBe(true);
    const others = await Promise.all([1, 2, 3, 4, 5].map((s) => modelPerRank('random', s)));
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
  });
  it('targets: functions map onto the workload targets only', async () => {
    const w = make({ dir: md, spread: 'even', minutes: 6 });
    const { sent } = await runWorkload(w, { models: 5, targets: [4, 2], end: 6 * MIN });
    expect(new Set(sent.map((s) => s.model))).toEqual(new Set([4, 2]));
  });
  it('topN keeps the busiest functions', async () => {
    const w = make({ dir: md, spread: 'even', minutes: 6, topN: 2 });
    const { sent } = await runWorkload(w, { models: 1, end: 6 * MIN });
    expect(sent.length).toBe(110);
    expect(w.describe!().functionsUsed).toBe(2);
  });
});

describe('azure-2019 time handling', () => {
  it('poisson carries the unfinished gap across minutes and skips zero minutes', async () => {
    const d = tempDir();
    writeInvocations(join(d, invocationFileName(1)), [{ id: 'x', counts: { 0: 3, 5: 6 } }]);
    const w = make({ dir: d, spread: 'poisson', minutes: 6 });
    const { sent } = await runWorkload(w, { models: 1, end: 6 * MIN, seed: 42 });
    // Recompute with the same stream: operational time runs at 3/min in minute 0, 6/min in minute 5.
    const rng = new Rng('42/workload0/arrivals');
    const expected: number[] = [];
    let op = rng.exponential(1); // next arrival, in operational units (expected arrivals)
    for (;;) {
      let t: number;
      if (op <= 3) t = (op / 3) * MIN;
      else if (op <= 9) t = 5 * MIN + ((op - 3) / 6) * MIN;
      else break;
      expected.push(Math.round(t));
      op += rng.exponential(1);
    }
    expect(sent.map((s) => s.time)).toEqual(expected);
    expect(sent.some((s) => s.time >= MIN && s.time < 5 * MIN)).toBe(false);
    // At least one gap straddles the empty minutes (carried, not restarted) in this draw.
    expect(expected.length).toBeGreaterThan(3);
  });

  it('wraps around at the end of the day', async () => {
    const w = make({ dir, spread: 'even', startMinute: 1438, minutes: 4 });
    const { sent } = await runWorkload(w, { models: 1, end: 10 * MIN });
    const pm = perMinute(sent);
    // minutes 1438 (0), 1439 (4 of c), then the day restarts: minute 0 (5+2), minute 1 (7+1).
    expect([0, 1, 2, 3].map((k) => pm.get(k) ?? 0)).toEqual([0, 4, 7, 8]);
    expect(make({ dir, startMinute: 1438, minutes: 4 }).describe!().wrapsAround).toBe(true);
  });

  it('wraps around by default until the experiment ends', async () => {
    const w = make({ dir, spread: 'even' }, { duration: 1441 * MIN });
    const { sent } = await runWorkload(w, { models: 1, end: 1441 * MIN });
    const pm = perMinute(sent);
    expect(pm.get(1440)).toBe(7);
    expect(pm.get(1439)).toBe(4);
  });

  it('timeCompression shortens minutes', async () => {
    const w = make({ dir, spread: 'even', timeCompression: 60, minutes: 5 });
    const { sent } = await runWorkload(w, { models: 1, end: 5 * SEC });
    expect(sent.length).toBe(32);
    expect([0, 1, 2, 3, 4].map((k) => perMinute(sent, SEC).get(k) ?? 0)).toEqual([7, 8, 3, 1, 13]);
  });

  it('load-factor ramp: 0.1 x1.5 every 60 s up to 4, times perWorker x workers', async () => {
    const d = tempDir();
    writeInvocations(join(d, invocationFileName(1)), [{ id: 'x', counts: new Array(20).fill(1000) }]);
    const w = make({ dir: d, spread: 'even', minutes: 14, loadFactor: {}, perWorker: 0.125, workers: 8 });
    const { sent } = await runWorkload(w, { models: 1, end: 14 * MIN });
    const pm = perMinute(sent);
    const lf = Array.from({ length: 14 }, (_, k) => Math.min(4, 0.1 * 1.5 ** k));
    // Fractions are carried, so each minute is within one of 1000 x lf.
    lf.forEach((f, k) => expect(Math.abs((pm.get(k) ?? 0) - 1000 * f)).toBeLessThanOrEqual(1));
    expect(w.describe!().loadFactorRamp).toMatchObject({ start: 0.1, factor: 1.5, max: 4, every: '60s' });
  });

  it('Clockwork scale: loadFactor x 0.125 x workers', () => {
    const w = make({ dir, loadFactor: 1, workers: 8 });
    expect(w.describe!().scale).toBe(1);
    expect(make({ dir, loadFactor: 2 }, { workers: 6 }).describe!().scale).toBe(1.5);
  });
});

describe('azure-2019 randomness', () => {
  it('gamma spread has the requested CV (constant rate)', async () => {
    const d = tempDir();
    writeInvocations(join(d, invocationFileName(1)), [{ id: 'x', counts: new Array(100).fill(300) }]);
    for (const cv of [0.5, 2]) {
      const w = make({ dir: d, spread: 'gamma', cv, minutes: 100 });
      const { sent } = await runWorkload(w, { models: 1, end: 100 * MIN });
      const gaps = sent.slice(1).map((s, i) => s.time - sent[i].time);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / (gaps.length - 1));
      expect(mean / SEC).toBeCloseTo(0.2, 1);
      expect(Math.abs(sd / mean - cv) / cv).toBeLessThan(0.08);
    }
  });

  it('same seed, same arrivals; another seed, other arrivals', async () => {
    const run = async (seed: number) =>
      (await runWorkload(make({ dir, spread: 'uniform', minutes: 5, mapping: 'random' }), { models: 3, end: 5 * MIN, seed })).sent;
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });
});

describe('azure-2019 options', () => {
  it('rejects contradictory options', () => {
    expect(azure2019Type.options.safeParse({ dir, files: ['x'] }).success).toBe(false);
    expect(azure2019Type.options.safeParse({ dir, scale: 1, loadFactor: 1 }).success).toBe(false);
    expect(azure2019Type.options.safeParse({ dir, spread: 'gamma' }).success).toBe(false);
    expect(azure2019Type.options.safeParse({ dir, bogus: 1 }).success).toBe(false);
  });
  it('records its choices', () => {
    const d = make({ dir, spread: 'gamma', cv: 3, mapping: 'stripe', minutes: 60 }).describe!();
    expect(d).toMatchObject({ spread: 'gamma', cv: 3, mapping: 'stripe', scale: 1, files: [invocationFileName(1)], days: [1] });
  });
});
