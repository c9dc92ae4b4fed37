/**
 * The profile as served (src/live/measured-profile.ts): which distributions a live run's measured
 * durations replace, the replaced distributions' figures (computed by hand), the pooling of several
 * runs, and that the result is a valid profile the simulator loads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measuredProfile, MIN_MEASURED_EXECS, MIN_MEASURED_FIRST, MIN_MEASURED_LOADS, poolMeasuredProfiles, type MeasuredDurations } from '../src/live/measured-profile.js';
import { loadProfile } from '../src/models/profile.js';
import { tinyProfileJson } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-measured-profile-'));
const profileJson = tinyProfileJson();
// Model A comes from an ONNX file next to the profile (a relative path).
(profileJson.models as Record<string, any>).A.source = { onnx: 'models/a.onnx', sha256: 'ab'.repeat(32) };
const profilePath = join(dir, 'tiny.json');
writeFileSync(profilePath, JSON.stringify(profileJson));

const MS = 1e6;
/** 1, 2, ..., n milliseconds, in ns, shuffled (the order must not matter). */
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7) % n) + 1).map((x) => x * MS);

function measured(): MeasuredDurations {
  return new Map([
    [
      'A',
      {
        exec: new Map([
          [1, oneTo(25)], // enough: replaced
          [2, oneTo(MIN_MEASURED_EXECS - 5)], // too few, even with batch 2's 4 first runs (below): kept
          [8, oneTo(30)], // no batch 8 in the profile: ignored
        ]),
        firstExec: new Map([[1, oneTo(MIN_MEASURED_FIRST)], [2, oneTo(MIN_MEASURED_FIRST - 1)]]), // batch 1 enough, batch 2 too few
        load: oneTo(MIN_MEASURED_LOADS), // enough: replaced
      },
    ],
    ['B', { exec: new Map([[4, oneTo(MIN_MEASURED_EXECS)]]), firstExec: new Map(), load: oneTo(MIN_MEASURED_LOADS - 1) }],
    ['nope', { exec: new Map([[1, oneTo(50)]]), firstExec: new Map(), load: [] }],
  ]);
}

describe('measuredProfile', () => {
  const m = measuredProfile(profilePath, measured(), 'test run');

  it('replaces exactly the distributions with enough measurements, in model and batch order', () => {
    expect(m.replaced).toEqual(['A exec batch 1 (25)', 'A first exec batch 1 (5)', 'A load (5)', 'B exec batch 4 (20)']);
    expect(Object.keys(m.json.models.A.firstExec)).toEqual(['1']);
    // 1..5 ms: median 3.
    expect(m.json.models.A.firstExec['1'].percentiles['50']).toBe(3);
    expect(m.json.models.B.firstExec).toBeUndefined();
    const orig = profileJson.models as Record<string, any>;
    expect(m.json.models.A.exec['2']).toEqual(orig.A.exec['2']);
    expect(m.json.models.A.exec['8']).toBeUndefined();
    expect(m.json.models.B.load).toEqual(orig.B.load);
    expect(m.json.models.C).toEqual(orig.C);
    expect(m.json.models.nope).toBeUndefined();
    expect(m.json.provenance.measuredWhileServing.from).toBe('test run');
    expect(m.json.provenance.measuredWhileServing.replaced).toEqual(m.replaced);
  });

  it('the replaced distribution is the measurements in ms: percentiles by linear interpolation, every value as a sample', () => {
    const d = m.json.models.A.exec['1'];
    // 1..25 ms: p0 1, p25 = 1 + 0.25 x 24 = 7, p50 13, p90 = 1 + 0.9 x 24 = 22.6, p100 25.
    expect(d.percentiles['0']).toBe(1);
    expect(d.percentiles['25']).toBe(7);
    expect(d.percentiles['50']).toBe(13);
    expect(d.percentiles['90']).toBeCloseTo(22.6, 9);
    expect(d.percentiles['100']).toBe(25);
    expect(d.samples).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // LOAD: 1..5 ms, median 3.
    expect(m.json.models.A.load.percentiles['50']).toBe(3);
  });

  it('makes a relative ONNX source absolute, so the copy works from any directory', () => {
    expect(m.json.models.A.source.onnx).toBe(join(dir, 'models', 'a.onnx'));
  });

  it('is a profile the simulator loads, with the measured medians', () => {
    const f = join(dir, 'as-served.json');
    writeFileSync(f, JSON.stringify(m.json));
    const p = loadProfile(f);
    expect(p.models.get('A')!.exec.get(1)!.median()).toBeCloseTo(13 * MS, -3);
    // Untouched: the profile's own batch-2 figure (1.5 ms).
    expect(p.models.get('A')!.exec.get(2)!.median()).toBeCloseTo(1.5 * MS, -3);
    expect([...p.models.get('A')!.firstExec!.keys()]).toEqual([1]);
    expect(p.models.get('A')!.firstExec!.get(1)!.median()).toBeCloseTo(3 * MS, -3);
    expect(p.models.get('B')!.firstExec).toBeUndefined();
  });
});

describe('measuredProfile: first runs too few to stand for themselves', () => {
  const runs = (execs: number, firsts: number): MeasuredDurations =>
    new Map([['A', { exec: new Map([[2, oneTo(execs)]]), firstExec: new Map([[2, oneTo(firsts).map((x) => x + 100 * MS)]]), load: [] }]]);

  it('count as exec where the profile has no first-run figure (the simulation runs them as exec)', () => {
    // 16 executions (1..16 ms) + 4 first runs (101..104 ms) = 20: enough; the first runs are in it.
    const m = measuredProfile(profilePath, runs(MIN_MEASURED_EXECS - 4, MIN_MEASURED_FIRST - 1), 'fold');
    expect(m.replaced).toEqual(['A exec batch 2 (20)']);
    expect(m.json.models.A.exec['2'].samples).toEqual([...Array.from({ length: 16 }, (_, i) => i + 1), 101, 102, 103, 104]);
    expect(m.json.models.A.firstExec).toBeUndefined();
  });

  it('are left out where the profile has one (it stays): 16 executions are too few', () => {
    const withFirst = structuredClone(profileJson) as Record<string, any>;
    withFirst.models.A.firstExec = { '2': { percentiles: { '0': 9, '100': 9 } } };
    const f = join(dir, 'with-first.json');
    writeFileSync(f, JSON.stringify(withFirst));
    const m = measuredProfile(f, runs(MIN_MEASURED_EXECS - 4, MIN_MEASURED_FIRST - 1), 'no fold');
    expect(m.replaced).toEqual([]);
    expect(m.json.models.A.firstExec['2']).toEqual(withFirst.models.A.firstExec['2']);
    expect(m.json.models.A.exec['2']).toEqual(withFirst.models.A.exec['2']);
  });
});

describe('poolMeasuredProfiles', () => {
  it('pools the samples of every run that measured a distribution; the rest from the first run', () => {
    const one = measuredProfile(profilePath, new Map([['A', { exec: new Map([[1, oneTo(20)]]), firstExec: new Map([[2, oneTo(5)]]), load: [] }]]), 'run 1');
    const two = measuredProfile(
      profilePath,
      new Map([['A', { exec: new Map([[1, oneTo(20).map((x) => x + 20 * MS)]]), firstExec: new Map([[2, oneTo(5).map((x) => x + 5 * MS)]]), load: oneTo(5) }]]),
      'run 2',
    );
    const none = measuredProfile(profilePath, new Map(), 'run 3');
    const pooled = poolMeasuredProfiles([one, two, none], 'three runs')!;
    expect(pooled.replaced).toEqual(['A exec batch 1 (40 samples)', 'A first exec batch 2 (10 samples)', 'A load (5 samples)']);
    // First runs 1..10 ms: median 5.5; batch 1 has no first-run figure.
    expect(pooled.json.models.A.firstExec['2'].samples).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(pooled.json.models.A.firstExec['1']).toBeUndefined();
    const d = pooled.json.models.A.exec['1'];
    // 1..40 ms: median 20.5, the union of both runs' samples.
    expect(d.percentiles['50']).toBe(20.5);
    expect(d.samples).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(pooled.json.models.A.load.percentiles['50']).toBe(3);
    expect(pooled.json.provenance.measuredWhileServing.from).toBe('three runs');
  });

  it('null when no run replaced anything, or the runs predate the structured list of what they replaced', () => {
    expect(poolMeasuredProfiles([measuredProfile(profilePath, new Map(), 'r')], 'x')).toBeNull();
    expect(poolMeasuredProfiles([], 'x')).toBeNull();
    const old = measuredProfile(profilePath, new Map([['A', { exec: new Map([[1, oneTo(20)]]), firstExec: new Map(), load: [] }]]), 'old');
    delete old.json.provenance.measuredWhileServing.distributions;
    expect(old.replaced).toEqual(['A exec batch 1 (20)']);
    expect(poolMeasuredProfiles([old, old], 'x')).toBeNull();
  });
});
