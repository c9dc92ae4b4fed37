import { describe, expect, it } from 'vitest';
import { SEC } from '../src/sim/time.js';
import { burstyActivationType, sloFactorAt, sloRampType } from '../src/traces/paper-workloads.js';
import { fakeEnv, runWorkload } from './helpers/fake-ctx.js';

describe('bursty-activation (fig6)', () => {
  it('majors activate one per interval after the lead-in and share the total rate; minors run throughout', async () => {
    const opts = burstyActivationType.options.parse({ majorRate: 1000, minorRate: '200/s', interval: '1s', leadIn: '2s' });
    const w = burstyActivationType.create(opts, fakeEnv());
    const { sent, maxPending } = await runWorkload(w, { models: 5, end: 10 * SEC });
    expect(maxPending).toBe(1);
    const minor = sent.filter((s) => s.model === 4);
    const major = sent.filter((s) => s.model !== 4);
    expect(Math.abs(minor.length - 2000)).toBeLessThan(200); // 200/s x 10 s
    expect(Math.abs(major.length - 8000)).toBeLessThan(400); // 1000/s x 8 s
    expect(major.every((s) => s.time >= 2 * SEC)).toBe(true);
    // Model k becomes active at 2 + k seconds.
    for (let k = 0; k < 4; k++) expect(Math.min(...major.filter((s) => s.model === k).map((s) => s.time))).toBeGreaterThanOrEqual((2 + k) * SEC);
    // Once all four are active (t >= 5 s) they share evenly: ~250/s each.
    const late = major.filter((s) => s.time >= 5 * SEC);
    for (let k = 0; k < 4; k++) {
      const n = late.filter((s) => s.model === k).length;
      expect(Math.abs(n - 1250)).toBeLessThan(150);
    }
    expect(w.describe!()).toMatchObject({ majors: 4, minors: 1, leadIn: '2s', interval: '1s' });
  });
  it('minors first, random activation order, seeded', async () => {
    const mk = () => burstyActivationType.create(burstyActivationType.options.parse({ minorCount: 2, minorPosition: 'first', order: 'random' }), fakeEnv());
    const a = await runWorkload(mk(), { models: 6, end: 3 * SEC, seed: 3 });
    const b = await runWorkload(mk(), { models: 6, end: 3 * SEC, seed: 3 });
    expect(a.sent).toEqual(b.sent);
    const firstMajor = a.sent.find((s) => s.model >= 2)!.model;
    expect(a.sent.filter((s) => s.time < SEC && s.model >= 2).every((s) => s.model === firstMajor)).toBe(true);
    expect(new Set(a.sent.filter((s) => s.model < 2).map((s) => s.model))).toEqual(new Set([0, 1]));
  });
});

describe('slo-ramp (fig7)', () => {
  it('factor x1.5 every 30 s from 1 up to 100', () => {
    const r = sloRampType.options.parse({ rate: 10 }).ramp;
    expect([0, 29.9, 30, 60, 90].map((s) => sloFactorAt(r, s * SEC))).toEqual([1, 1, 1.5, 2.25, 3.375]);
    expect(sloFactorAt(r, 3600 * SEC)).toBe(100);
    const rep = sloRampType.options.parse({ rate: 10, ramp: { repeat: true } }).ramp;
    expect(sloFactorAt(rep, 13 * 30 * SEC)).toBe(1); // 1.5^12 > 100: 13 steps per cycle
  });
  it('submits Poisson arrivals at the total rate with the current SLO factor', async () => {
    const w = sloRampType.create(sloRampType.options.parse({ rate: '600/s', ramp: { every: '1s', max: 4 } }), fakeEnv());
    const { sent } = await runWorkload(w, { models: 12, end: 10 * SEC });
    expect(Math.abs(sent.length - 6000)).toBeLessThan(300);
    for (const s of sent) expect(s.opts?.sloFactor).toBe(Math.min(4, 1.5 ** Math.floor(s.time / SEC)));
    expect(new Set(sent.map((s) => s.model)).size).toBe(12);
    expect(w.describe!()).toMatchObject({ rate: 600, sloFactorRamp: { start: 1, factor: 1.5, every: '1s', max: 4 } });
  });
});

describe('bursty-activation options against its targets', () => {
  it('more minor models than targets is a config error naming the file and field', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { loadExperiment } = await import('../src/experiment/config.js');
    const { baseConfig } = await import('./helpers/config.js');
    const dir = mkdtempSync(join(tmpdir(), 'servesim-bursty-'));
    const write = (minorCount: number): string => {
      const file = join(dir, `c${minorCount}.json`);
      writeFileSync(file, JSON.stringify({ ...baseConfig(), models: [{ profile: 'resnet50_v2', copies: 3 }], workload: [{ type: 'poisson', rate: 1 }, { type: 'bursty-activation', minorCount }] }));
      return file;
    };
    const bad = write(4);
    expect(() => loadExperiment(bad)).toThrow(`${bad}: workload[1].minorCount: expected at most the 3 target models, found 4`);
    expect(loadExperiment(write(3)).points).toHaveLength(1);
  });
});
