import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep, loadExperiment, parseSetArg, setPath } from '../src/experiment/config.js';
import { UserError } from '../src/util/errors.js';
import { baseConfig, type Cfg } from './helpers/config.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-config-'));
const base = baseConfig;

function errorOf(mutate: (c: Cfg) => void, name: string): string {
  const c = base() as Cfg;
  mutate(c);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(c));
  try {
    loadExperiment(file);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message.replace(file, 'FILE');
  }
  throw new Error('expected the config to be rejected');
}

const DURATION = 'expected a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are ms)';

describe('bad experiment configs: one clear message each', () => {
  const cases: Array<[string, (c: Cfg) => void, string]> = [
    ['unknown top-level field', (c) => (c.colour = 'red'), 'FILE: unknown field "colour"'],
    ['unknown nested field', (c) => (c.cluster.gpus = 3), 'FILE: cluster: unknown field "gpus"'],
    [
      'scheduler options wrapped in an "options" object',
      (c) => (c.scheduler = { type: 'fifo', options: { inflight: 2 } }),
      'FILE: scheduler: unknown field "options" (options go next to "type", e.g. {"type": "fifo", "inflight": 2}, not in an "options" object)',
    ],
    ['wrong type', (c) => (c.cluster.workers = 'two'), 'FILE: cluster.workers: expected a number, found "two"'],
    ['negative duration', (c) => (c.duration = '-5s'), `FILE: duration: ${DURATION}, found "-5s"`],
    ['zero duration', (c) => (c.duration = 0), 'FILE: duration: expected a positive duration, found 0'],
    ['unknown unit', (c) => (c.workload.slo = '100 parsecs'), `FILE: workload.slo: ${DURATION}, found "100 parsecs"`],
    [
      'unknown model',
      (c) => (c.models[0].profile = 'resnet51'),
      'FILE: models[0].profile: expected a model of hw-profiles/v100-clockwork.json (64 models), found "resnet51"',
    ],
    ['unknown scheduler', (c) => (c.scheduler.type = 'magic'), 'FILE: scheduler.type: expected one of '],
    ['unknown workload', (c) => (c.workload.type = 'tsunami'), 'FILE: workload.type: expected one of '],
    [
      'model that cannot fit',
      (c) => (c.cluster.weightsMemory = '64MiB'),
      'FILE: models[0].profile: model "resnet50_v2" needs 7 pages of weights but a GPU holds 4 (cluster.weightsMemory 67108864 bytes)',
    ],
    ['warmup not below duration', (c) => (c.warmup = '20s'), 'FILE: warmup: expected less than duration (10s), found 20s'],
    ['bad workload option', (c) => (c.workload.concurrency = -1), 'FILE: workload.concurrency: expected a number >= 0, found -1'],
    ['bad scheduler option', (c) => (c.scheduler.inflight = 0), 'FILE: scheduler.inflight: expected a number > 0, found 0'],
    [
      'selector matching nothing',
      (c) => (c.workload.models = ['vgg*']),
      'FILE: workload.models[0]: expected a model instance name, profile model name or glob matching this experiment\'s models, found "vgg*"',
    ],
    ['empty sweep list', (c) => (c.sweep = { 'workload.slo': [] }), 'FILE: sweep.workload.slo: expected a non-empty list of values, found an array of 0'],
    ['bad sweep value', (c) => (c.sweep = { 'workload.slo': ['10ms', 'soon'] }), `FILE: workload.slo: ${DURATION}, found "soon"\n(in sweep point workload.slo=soon)`],
    ['missing name', (c) => delete (c as Partial<Cfg>).name, 'FILE: name: expected a string, found nothing'],
    [
      'poisson with both rates',
      (c) => (c.workload = { type: 'poisson', rate: 5, ratePerModel: 3 }),
      'FILE: workload: expected exactly one of "rate" (total) or "ratePerModel", found an object',
    ],
  ];
  for (const [title, mutate, message] of cases) {
    it(title, () => {
      const got = errorOf(mutate, title.replace(/\W+/g, '-'));
      if (message.endsWith('expected one of ')) expect(got.startsWith(message)).toBe(true);
      else expect(got).toBe(message);
    });
  }

  it('a missing profile file names the path and where it looked', () => {
    expect(errorOf((c) => (c.cluster.profile = 'hw-profiles/nope.json'), 'noprofile')).toMatch(
      /^FILE: cluster\.profile: no hardware profile at "hw-profiles\/nope\.json" \(looked in the working directory, /,
    );
  });

  it('invalid JSON gives the line and column; a missing file says so', () => {
    const f = join(dir, 'broken.json');
    writeFileSync(f, '{\n  "name": "x",\n  "seed": 1,,\n}');
    expect(() => loadExperiment(f)).toThrow(`${f}: not valid JSON at line 3, column 13`);
    expect(() => loadExperiment(join(dir, 'missing.json'))).toThrow(`${join(dir, 'missing.json')}: config file not found`);
  });
});

describe('overrides and sweeps', () => {
  it('--set parses JSON values and sets dotted and indexed paths', () => {
    expect(parseSetArg('workload.concurrency=8')).toEqual(['workload.concurrency', 8]);
    expect(parseSetArg('workload.slo=25ms')).toEqual(['workload.slo', '25ms']);
    const c = setPath({ models: [{ copies: 1 }] }, 'models[0].copies', 3);
    expect(c).toEqual({ models: [{ copies: 3 }] });
    expect(() => parseSetArg('noequals')).toThrow('--set expects path=value, found "noequals"');
  });

  it('expands the cartesian product in key order, last key fastest', () => {
    const pts = expandSweep({ a: 1, sweep: { 'workload.slo': ['10ms', '100ms'], 'scheduler.type': ['fifo', 'x'] } });
    expect(pts.map((p) => p.id)).toEqual([
      'workload.slo=10ms,scheduler.type=fifo',
      'workload.slo=10ms,scheduler.type=x',
      'workload.slo=100ms,scheduler.type=fifo',
      'workload.slo=100ms,scheduler.type=x',
    ]);
    expect(pts[1].input).toEqual({ a: 1, workload: { slo: '10ms' }, scheduler: { type: 'x' } });
  });

  it('resolves model instances, "*" and workload selectors', () => {
    const f = join(dir, 'ok.json');
    const c = base() as Cfg;
    c.models = [{ profile: 'resnet50_v2', copies: 3 }, { profile: 'googlenet' }];
    c.workload = [
      { type: 'poisson', rate: 10, models: ['resnet50_v2'], name: 'fg' },
      { type: 'closed-loop', models: ['googlenet', 'resnet50_v2#2'], slo: '1h' },
    ] as unknown as Record<string, unknown>;
    writeFileSync(f, JSON.stringify(c));
    const r = loadExperiment(f).points[0].resolved;
    expect(r.models.map((m) => m.name)).toEqual(['resnet50_v2#0', 'resnet50_v2#1', 'resnet50_v2#2', 'googlenet']);
    expect(r.models.map((m) => m.pages)).toEqual([7, 7, 7, 2]);
    expect(r.workloads.map((w) => [w.name, w.targets, w.slo])).toEqual([
      ['fg', [0, 1, 2], 100e6],
      ['closed-loop#1', [2, 3], 3600e9],
    ]);
    c.models = [{ profile: '*' }];
    c.workload = { type: 'poisson', rate: 1 };
    writeFileSync(f, JSON.stringify(c));
    expect(loadExperiment(f).points[0].resolved.models.length).toBe(64);
    c.models = [{ profile: '*', copies: 66, exclude: ['cifar_*'] }];
    writeFileSync(f, JSON.stringify(c));
    const many = loadExperiment(f).points[0].resolved.models;
    expect(many.length).toBe(4026);
    expect(many.some((m) => m.name.startsWith('cifar'))).toBe(false);
    expect(many[0].name).toBe('densenet121#0');
    c.models = [{ profile: '*', exclude: ['nothing*'] }];
    writeFileSync(f, JSON.stringify(c));
    expect(() => loadExperiment(f)).toThrow(`${f}: models[0].exclude[0]: expected a model name or glob of hw-profiles/v100-clockwork.json, found "nothing*"`);
  });
});

describe('sweeps as lists of points', () => {
  it('runs parameters that vary together as explicit points, and rejects duplicates', () => {
    const pts = expandSweep({
      a: 1,
      workload: [{ type: 'poisson' }, { type: 'closed-loop' }],
      sweep: [{ 'workload[1].concurrency': 16, 'workload[1].models': ['x'] }, { 'workload[1].concurrency': 4 }],
    });
    expect(pts.map((p) => p.id)).toEqual(['workload[1].concurrency=16,workload[1].models=_x_', 'workload[1].concurrency=4']);
    expect(pts[0].input).toEqual({ a: 1, workload: [{ type: 'poisson' }, { type: 'closed-loop', concurrency: 16, models: ['x'] }] });
    const f = join(dir, 'dup.json');
    writeFileSync(f, JSON.stringify({ ...base(), sweep: [{ 'workload.slo': '5ms' }, { 'workload.slo': '5ms' }] }));
    expect(() => loadExperiment(f)).toThrow(`${f}: sweep: two points have the same parameters`);
    writeFileSync(f, JSON.stringify({ ...base(), sweep: [3] }));
    expect(() => loadExperiment(f)).toThrow(`${f}: sweep[0]: expected an object of path -> value, found 3`);
  });
});
