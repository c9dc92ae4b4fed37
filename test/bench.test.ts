// The pure parts of the benchmark harness (bench/lib.mjs): goals and ratios, rounding, the
// comparison with an earlier run, the JSON file and the scaling runs' model lists. Nothing here
// times anything: the figures themselves are measured by `npm run bench` (docs/performance.md).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the harness, without type declarations
import * as lib from '../bench/lib.mjs';

const doc = (figures: unknown[], extra = {}) => ({ format: lib.BENCH_FORMAT, date: '2026-12-02T00:00:00.000Z', commit: 'abcdef0123456789', dirty: false, figures, ...extra });

describe('figures and goals', () => {
  it('a >= goal: ratio = measured / goal, pass when reached; better is higher', () => {
    const f = lib.makeFigure({ name: 'loop/events_per_s', value: 7_500_000, unit: 'events/s', goal: { op: '>=', value: 10e6 } });
    expect(f).toMatchObject({ group: 'loop', ratio: 0.75, pass: false, better: 'higher' });
    expect(lib.makeFigure({ name: 'a', value: 12e6, unit: 'events/s', goal: { op: '>=', value: 10e6 } }).pass).toBe(true);
  });

  it('a <= goal: pass when at or under it; better is lower', () => {
    const f = lib.makeFigure({ name: 'azure/read_s', value: 28.6, unit: 's', goal: { op: '<=', value: 5 } });
    expect(f).toMatchObject({ ratio: 5.72, pass: false, better: 'lower' });
    expect(lib.makeFigure({ name: 'b', value: 5, unit: 's', goal: { op: '<=', value: 5 } }).pass).toBe(true);
  });

  it('without a goal: no ratio, and the unit says which way is better', () => {
    const mib = lib.makeFigure({ name: 'x/peak_rss_mib', value: 226.4, unit: 'MiB' });
    expect(mib.ratio).toBeUndefined();
    expect(mib.better).toBe('lower');
    expect(lib.makeFigure({ name: 'x/rps', value: 1, unit: 'requests/s' }).better).toBe('higher');
  });

  it('rejects a value that is not a finite number', () => {
    expect(() => lib.makeFigure({ name: 'x', value: NaN, unit: 's' })).toThrow(/finite value/);
  });

  it('rounds for reading: three significant digits, k and M', () => {
    expect(lib.formatValue(10_412_345, 'events/s')).toBe('10.4M events/s');
    expect(lib.formatValue(312_400, 'requests/s')).toBe('312k requests/s');
    expect(lib.formatValue(8692.4, 'requests/s')).toBe('8,692 requests/s');
    expect(lib.formatValue(3.746, 'x')).toBe('3.75x');
    expect(lib.formatValue(0.0521, 'x')).toBe('0.0521x');
    expect(lib.formatValue(226.4, 'MiB')).toBe('226 MiB');
    expect(lib.round(1234567.89)).toBe(1235000);
    expect(lib.round(0.000123456)).toBe(0.0001235);
  });

  it('prints one table row per figure with its goal, measured/goal and pass', () => {
    const t = lib.figuresTable([
      lib.makeFigure({ name: 'a', label: 'event loop', value: 7.5e6, unit: 'events/s', goal: { op: '>=', value: 10e6 } }),
      lib.makeFigure({ name: 'b', label: 'peak RSS', value: 100, unit: 'MiB' }),
    ]);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^\| figure +\| measured +\| goal +\| measured\/goal \| pass \|$/);
    expect(lines[2]).toMatch(/^\| event loop +\| 7\.5M events\/s +\| >= 10M events\/s +\| 0\.75x +\| MISS +\|$/);
    expect(lines[3]).toMatch(/^\| peak RSS +\| 100 MiB +\| +\| +\| +\|$/);
  });
});

describe('--compare', () => {
  const before = doc([
    { name: 'rps', label: 'requests/s', value: 100_000, unit: 'requests/s', better: 'higher' },
    { name: 'rss', label: 'peak RSS', value: 200, unit: 'MiB', better: 'lower' },
    { name: 'read', label: 'read', value: 30, unit: 's', better: 'lower' },
    { name: 'old', label: 'dropped figure', value: 1, unit: 's', better: 'lower' },
  ]);
  const now = doc([
    { name: 'rps', label: 'requests/s', value: 150_000, unit: 'requests/s', better: 'higher' },
    { name: 'rss', label: 'peak RSS', value: 220, unit: 'MiB', better: 'lower' },
    { name: 'read', label: 'read', value: 30, unit: 's', better: 'lower' },
    { name: 'fresh', label: 'new figure', value: 2, unit: 's', better: 'lower' },
  ]);

  it('sets each figure beside the earlier one with the change in % and whether it is better', () => {
    expect(lib.compareFigures(before, now)).toEqual([
      { name: 'rps', label: 'requests/s', unit: 'requests/s', before: 100_000, now: 150_000, changePct: 50, verdict: 'better' },
      { name: 'rss', label: 'peak RSS', unit: 'MiB', before: 200, now: 220, changePct: 10, verdict: 'worse' },
      { name: 'read', label: 'read', unit: 's', before: 30, now: 30, changePct: 0, verdict: 'same' },
      { name: 'fresh', label: 'new figure', unit: 's', before: null, now: 2, changePct: null, verdict: 'new' },
      { name: 'old', label: 'dropped figure', unit: 's', before: 1, now: null, changePct: null, verdict: 'gone' },
    ]);
  });

  it('prints the comparison as a table, naming the earlier commit', () => {
    const t = lib.compareTable(before, now);
    expect(t.split('\n')[0]).toBe('compared with abcdef0123 of 2026-12-02T00:00:00.000Z');
    expect(t).toMatch(/\| requests\/s +\| 100k requests\/s +\| 150k requests\/s +\| \+50% +\| better +\|/);
    expect(t).toMatch(/\| peak RSS +\| 200 MiB +\| 220 MiB +\| \+10% +\| worse +\|/);
    expect(t).toMatch(/\| read +\| 30 s +\| 30 s +\| 0\.0% +\| same +\|/);
  });

  it('formats changes: one decimal under 10%, signed', () => {
    expect(lib.formatChange(-3.14159)).toBe('-3.1%');
    expect(lib.formatChange(42.7)).toBe('+43%');
    expect(lib.formatChange(null)).toBe('');
  });
});

describe('the JSON file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-bench-'));

  it('is written whole (no temporary file left) and read back', () => {
    const file = join(dir, 'sub', 'bench.json');
    const d = doc([lib.makeFigure({ name: 'a', value: 1.5, unit: 's' })]);
    lib.writeBenchJson(file, d);
    expect(lib.readBenchJson(file)).toEqual(d);
    lib.writeBenchJson(file, doc([]));
    expect(lib.readBenchJson(file).figures).toEqual([]);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['bench.json']);
  });

  it('never replaces a file bench did not write', () => {
    const file = join(dir, 'notes.json');
    writeFileSync(file, '{"mine": true}\n');
    expect(() => lib.writeBenchJson(file, doc([]))).toThrow(/not a servesim bench file; not replaced/);
    expect(readFileSync(file, 'utf8')).toBe('{"mine": true}\n');
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello');
    expect(() => lib.writeBenchJson(text, doc([]))).toThrow(/not replaced/);
    expect(readFileSync(text, 'utf8')).toBe('hello');
  });

  it('--compare refuses a file that is not a bench file, naming it', () => {
    const file = join(dir, 'other.json');
    writeFileSync(file, '{"figures": []}');
    expect(() => lib.readBenchJson(file)).toThrow(`${file}: not a servesim bench file`);
    expect(() => lib.readBenchJson(join(dir, 'missing.json'))).toThrow(/not a readable JSON file/);
    expect(existsSync(join(dir, 'missing.json'))).toBe(false);
  });
});

describe('scaling model lists', () => {
  const zoo = Object.keys(JSON.parse(readFileSync('hw-profiles/v100-clockwork.json', 'utf8')).models).filter((n) => !n.startsWith('cifar_'));
  const total = (list: Array<{ copies?: number }>) => list.reduce((s, e) => s + (e.copies ?? 1), 0);

  it('spreads n instances evenly over the zoo models', () => {
    expect(zoo.length).toBe(61);
    for (const n of [1, 15, 61, 150, 1500, 4026]) expect(total(lib.modelList(zoo, n))).toBe(n);
    expect(lib.modelList(zoo, 4026).every((e: { copies: number }) => e.copies === 66)).toBe(true);
    const l150 = lib.modelList(zoo, 150);
    expect(new Set(l150.map((e: { copies: number }) => e.copies))).toEqual(new Set([2, 3]));
  });

  it('bench/models-15.json holds modelList(zoo, 15), bench/models-4026.json the 4,026 of clockwork-4000-models', () => {
    expect(JSON.parse(readFileSync('bench/models-15.json', 'utf8')).models).toEqual(lib.modelList(zoo, 15));
    const big = JSON.parse(readFileSync('bench/models-4026.json', 'utf8'));
    const exp = JSON.parse(readFileSync('experiments/clockwork-4000-models.json', 'utf8'));
    expect(big.models).toEqual(exp.models);
    for (const k of ['cluster', 'workload', 'scheduler', 'seed']) expect(big[k]).toEqual(exp[k]);
  });
});

describe('command line', () => {
  it('parses the options', () => {
    const o = lib.parseArgs(['--quick', '--only', 'loop,simpy', '--json', 'a.json', '--compare', 'b.json', '--points', 'seed=1$', '--paper-set', 'duration=5m', '--paper-set', 'workload.loadFactor=1', 'x.json']);
    expect(o).toMatchObject({ quick: true, only: ['loop', 'simpy'], json: 'a.json', compare: 'b.json', paperSets: [['duration', '5m'], ['workload.loadFactor', 1]], configs: ['x.json'] });
    expect(o.points.test('cluster.workers=10,seed=1')).toBe(true);
  });

  it('names what is wrong', () => {
    expect(() => lib.parseArgs(['--json'])).toThrow('--json: a value expected');
    expect(() => lib.parseArgs(['--fast'])).toThrow('unknown option --fast');
    expect(() => lib.parseArgs(['--with', 'a.json'])).toThrow('--with needs --compare');
    expect(() => lib.parseArgs(['--paper-set', 'duration'])).toThrow('PATH=VALUE expected');
  });
});
