/**
 * Hardened inputs (issue 11): configs and profiles are read only from bounded regular files; every
 * quantity is finite and within its documented range; reserved field names are rejected by name
 * before anything is merged; overrides and sweeps can never be silently ignored; names that become
 * directories are single safe path segments; messages say what was expected.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { listProfiles } from '../src/cli/list.js';
import { loadExperiment, parseSetArg, resolveExperiment, setPath } from '../src/experiment/config.js';
import { loadProfile, resolveProfile } from '../src/models/profile.js';
import { MAX_SIZE } from '../src/sim/time.js';
import { parseBandwidth, parseDuration, parseRate, parseSize } from '../src/util/units.js';
import { getWorkload } from '../src/traces/index.js';
import type { WorkloadContext } from '../src/sim/workload.js';
import { UserError } from '../src/util/errors.js';
import { assertSafeSegment } from '../src/util/paths.js';
import { tinyProfileJson } from './helpers.js';
import { baseConfig, type Cfg } from './helpers/config.js';
import { jsonErrorOffset, parseJsonInput } from '../src/util/json-input.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-inputs-'));
let n = 0;
const file = (name: string, text: string): string => {
  const f = join(dir, `${n++}-${name}`);
  writeFileSync(f, text);
  return f;
};

const base = baseConfig;

/** The one-line error of loading `text` as a config (with `--set`s), the file name replaced by FILE. */
function errorOfText(text: string, sets: Array<[string, unknown]> = []): string {
  const f = file('cfg.json', text);
  try {
    loadExperiment(f, { sets });
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message.split(f).join('FILE');
  }
  throw new Error('expected the config to be rejected');
}
const errorOf = (mutate: (c: Cfg) => void, sets: Array<[string, unknown]> = []): string => {
  const c = base() as Cfg;
  mutate(c);
  return errorOfText(JSON.stringify(c), sets);
};
/** The config text with `"KEY": RAW` spliced in (for values JSON.stringify cannot write, like 1e999). */
const withRaw = (key: string, raw: string): string => JSON.stringify(base()).replace(/^\{/, `{"${key}": ${raw},`);

const DURATION = 'expected a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are ms)';
const WORKLOAD_TYPES = 'azure-2019, azure-2021, bursty-activation, closed-loop, poisson, slo-ramp, timestamps';
const SCHEDULER_TYPES = 'clipper, clipper-code, clipper-lru, clockwork, fifo, infaas, triton';

describe('(9) configs and profiles are read only from bounded regular files', () => {
  it('a FIFO or /dev/zero as the config is a one-line error, not a hang', () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadExperiment(fifo)).toThrow(new UserError(`${fifo}: not a regular file (a device, FIFO or socket), expected a config file`));
    expect(() => loadExperiment('/dev/zero')).toThrow(new UserError('/dev/zero: not a regular file (a device, FIFO or socket), expected a config file'));
  });

  it('a FIFO or /dev/zero as the hardware profile is a one-line error naming the profile', () => {
    const fifo = join(dir, 'profile.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf((c) => (c.cluster.profile = fifo))).toBe(`${fifo}: not a regular file (a device, FIFO or socket), expected a hardware profile file`);
    expect(errorOf((c) => (c.cluster.profile = '/dev/zero'))).toBe('/dev/zero: not a regular file (a device, FIFO or socket), expected a hardware profile file');
    expect(() => loadProfile('/dev/zero')).toThrow(UserError);
  });

  it('a config larger than the limit is refused before it is read', () => {
    const big = file('big.json', '{}');
    truncateSync(big, 300 * 1024 * 1024); // sparse: costs no disk
    expect(() => loadExperiment(big)).toThrow(new UserError(`${big}: config file is 314572800 bytes, more than the limit of 268435456`));
  });

  it('JSON errors in a profile name the line and column, as in a config', () => {
    const p = file('profile.json', '{\n  "format": "servesim-hw-profile",\n  "version": 1,,\n}');
    expect(() => loadProfile(p)).toThrow(new UserError(`${p}: not valid JSON at line 3, column 16 (Expected double-quoted property name)`));
  });
});

describe('(10) a config must resolve to at least one model instance', () => {
  it('"*" excluding every model is an error naming the field, not a TypeError in the simulation', () => {
    expect(errorOf((c) => (c.models = [{ profile: '*', exclude: ['*'] }]))).toBe(
      'FILE: models[0].exclude: expected to leave at least one of the 64 models of hw-profiles/v100-clockwork.json, found it excludes them all',
    );
    expect(errorOf(() => {}, [['models', [{ profile: '*', exclude: ['*'] }]]])).toBe(
      'FILE: models[0].exclude: expected to leave at least one of the 64 models of hw-profiles/v100-clockwork.json, found it excludes them all',
    );
  });

  it('"*" over a profile with no models is an error', () => {
    const p = file('empty-profile.json', JSON.stringify({ ...tinyProfileJson(), models: {} }));
    expect(errorOf((c) => ((c.cluster.profile = p), (c.models = [{ profile: '*' }])))).toBe(
      `FILE: models[0].profile: expected "*" to match at least one model, found ${p} has none`,
    );
  });
});

describe('(11) every quantity is finite and within its documented range', () => {
  const cases: Array<[string, () => string, string]> = [
    ['duration "1e999s"', () => errorOf((c) => (c.duration = '1e999s')), 'FILE: duration: expected a duration between 1ns and 30d, found "1e999s"'],
    ['duration "1e999" (plain ms)', () => errorOf((c) => (c.duration = '1e999')), 'FILE: duration: expected a duration between 1ns and 30d, found "1e999"'],
    ['duration 1e300', () => errorOf((c) => (c.duration = 1e300)), 'FILE: duration: expected a duration between 1ns and 30d, found 1e+300'],
    ['duration just above 30d', () => errorOf((c) => (c.duration = '30.001d')), 'FILE: duration: expected a duration between 1ns and 30d, found "30.001d"'],
    ['duration below 1ns', () => errorOf((c) => (c.duration = '0.1ns')), 'FILE: duration: expected a duration between 1ns and 30d, found "0.1ns"'],
    ['drain 1e999 (Infinity in JSON)', () => errorOfText(withRaw('drain', '1e999')), 'FILE: drain: expected a duration between 0 and 30d, found Infinity'],
    ['slo "1e999s"', () => errorOf((c) => (c.workload.slo = '1e999s')), 'FILE: workload.slo: expected a duration between 1ns and 30d, found "1e999s"'],
    [
      'a malformed duration whose plain numbers are seconds says so (azure-2021 start)',
      () => errorOf((c) => (c.workload = { type: 'azure-2021', file: 'x.csv', start: '3x' })),
      `FILE: workload.start: ${DURATION.replace('plain numbers are ms', 'plain numbers are seconds')}, found "3x"`,
    ],
    [
      'pageSize "1e999GiB" names cluster.pageSize',
      () => errorOf((c) => (c.cluster.pageSize = '1e999GiB')),
      'FILE: cluster.pageSize: expected a size between 1 B and 1 PiB, found "1e999GiB"',
    ],
    [
      'pageSize larger than the weights memory names cluster.pageSize',
      () => errorOf((c) => (c.cluster.pageSize = '1TiB')),
      'FILE: cluster.pageSize: expected at most the weights memory of a GPU (23085449216 bytes, device.weightsMemory of hw-profiles/v100-clockwork.json), found 1099511627776 bytes',
    ],
    ['weightsMemory above 1 PiB', () => errorOf((c) => (c.cluster.weightsMemory = MAX_SIZE + 1)), 'FILE: cluster.weightsMemory: expected a size between 1 B and 1 PiB, found 1125899906842625'],
    [
      'rate "1e999/s"',
      () => errorOf((c) => (c.workload = { type: 'poisson', rate: '1e999/s' })),
      'FILE: workload.rate: expected a rate above 0 and at most 1e9/s, found "1e999/s"',
    ],
    [
      'bandwidth "1e999GB/s"',
      () => errorOf((c) => (c.cluster.network = { clientBandwidth: '1e999GB/s' })),
      'FILE: cluster.network.clientBandwidth: expected a bandwidth between 1 B/s and 1 PB/s, found "1e999GB/s"',
    ],
    [
      'bandwidth below 1 B/s',
      () => errorOf((c) => (c.cluster.network = { workerBandwidth: 0.25 })),
      'FILE: cluster.network.workerBandwidth: expected a bandwidth between 1 B/s and 1 PB/s, found 0.25',
    ],
    ['seed 1e300', () => errorOf((c) => (c.seed = 1e300)), 'FILE: seed: expected an integer <= 9007199254740991, found 1e+300'],
    ['workers 1e300 (one message, the tighter bound)', () => errorOf((c) => (c.cluster.workers = 1e300)), 'FILE: cluster.workers: expected a number <= 10000, found 1e+300'],
    ['copies above the limit', () => errorOf((c) => (c.models[0].copies = 1_000_001)), 'FILE: models[0].copies: expected a number <= 1000000, found 1000001'],
    ['sloFactor 1e300', () => errorOf((c) => (c.workload.sloFactor = 1e300)), 'FILE: workload.sloFactor: expected a number <= 1000000, found 1e+300'],
    [
      'closed-loop concurrency 1e15',
      () => errorOf((c) => (c.workload.concurrency = 1e15)),
      'FILE: workload.concurrency: expected a number <= 1000000, found 1000000000000000',
    ],
    ['scheduler inflight 1e15', () => errorOf((c) => (c.scheduler.inflight = 1e15)), 'FILE: scheduler.inflight: expected a number <= 1000000, found 1000000000000000'],
    [
      'GPUs x instances above the limit',
      () => errorOf((c) => ((c.cluster.workers = 10_000), (c.models = [{ profile: 'resnet50_v2', copies: 20_000 }]))),
      'FILE: models[0]: expected GPUs x model instances of at most 100000000, found more (10000 GPUs: cluster.workers x cluster.gpusPerWorker)',
    ],
  ];
  for (const [title, run, message] of cases) it(title, () => expect(run()).toBe(message));

  it('closed-loop refuses more than 1,000,000 clients in all before submitting any', () => {
    const t = getWorkload('closed-loop')!;
    let submitted = 0;
    const ctx = { targets: [0, 1, 2], submit: () => void submitted++ } as unknown as WorkloadContext;
    expect(() => t.create(t.options.parse({ concurrency: 400_000 }), {} as never).start(ctx)).toThrow(
      new UserError('workload closed-loop: concurrency 400000 x 3 target models is 1200000 clients, more than 1000000'),
    );
    expect(submitted).toBe(0);
  });

  it('a million-digit quantity is refused at once (the patterns would backtrack for hours)', () => {
    const started = performance.now();
    const digits = '1'.repeat(1_000_000);
    expect(errorOf((c) => (c.duration = `${digits}!`))).toBe(`FILE: duration: ${DURATION}, found "${'1'.repeat(57)}..."`);
    expect(errorOf((c) => (c.workload = { type: 'poisson', rate: `${digits}/` }))).toBe(
      `FILE: workload.rate: expected a rate such as 200 or "200/s" or "12/min", found "${'1'.repeat(57)}..."`,
    );
    expect(() => parseSize(`${digits}x`)).toThrow(`expected a size such as "16MiB" or "602kB", found "${'1'.repeat(57)}..."`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the largest values of each range are accepted and stay exact', () => {
    const c = base() as Cfg;
    Object.assign(c, { duration: '30d', warmup: 0, drain: '30d' });
    c.cluster.weightsMemory = MAX_SIZE;
    c.cluster.network = { clientBandwidth: 1e15, workerLatency: '30d' };
    const r = loadExperiment(file('max.json', JSON.stringify(c))).points[0].resolved;
    expect(r.config.duration).toBe(30 * 86_400e9);
    expect(Number.isSafeInteger(r.config.duration + r.config.drain + r.config.cluster.network.workerLatency)).toBe(true);
    expect(r.pagesPerGpu).toBe(MAX_SIZE / 16_777_216);
    expect(JSON.stringify({ drain: r.config.drain, pagesPerGpu: r.pagesPerGpu })).not.toContain('null');
  });

  it('the parsers reject overflow and out-of-range values themselves', () => {
    expect(() => parseDuration('1e999s')).toThrow('expected a duration between 0 and 30d, found "1e999s"');
    expect(() => parseDuration(Infinity)).toThrow('expected a duration between 0 and 30d, found Infinity');
    expect(() => parseSize('1e999GiB')).toThrow('expected a size between 0 and 1 PiB, found "1e999GiB"');
    expect(() => parseRate('1e999/s')).toThrow('expected a rate between 0 and 1e9/s, found "1e999/s"');
    expect(() => parseBandwidth('1e999Gbit/s')).toThrow('expected a bandwidth between 1 B/s and 1 PB/s, found "1e999Gbit/s"');
    expect(parseDuration('30d')).toBe(2_592_000_000_000_000);
    expect(parseRate('1e9/s')).toBe(1e9);
    expect(parseBandwidth('8Tbit/s')).toBe(1e12);
    expect(() => parseBandwidth('Gbit/s')).toThrow('expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found "Gbit/s"');
  });

  it('profiles: measured durations, sizes and factors are bounded; Infinity is rejected', () => {
    const p = tinyProfileJson();
    const text = JSON.stringify(p).replace('"percentiles":{"0":1,"100":1}', '"percentiles":{"0":1,"100":1e999}');
    expect(() => resolveProfile(JSON.parse(text), 'p.json')).toThrow(new UserError('p.json: models.A.exec.1.percentiles.100: expected a number, found Infinity'));
    const huge = { ...p, models: { A: { ...p.models.A, weightsBytes: 2 ** 51 } } };
    expect(() => resolveProfile(huge, 'p.json')).toThrow(new UserError('p.json: models.A.weightsBytes: expected a number <= 1125899906842624, found 2251799813685248'));
    const slow = structuredClone(p);
    slow.models.A.load = { percentiles: { '0': 1, '100': 3e9 } };
    expect(() => resolveProfile(slow, 'p.json')).toThrow(new UserError('p.json: models.A.load.percentiles.100: expected a number <= 2592000000, found 3000000000'));
  });
});

describe('globs cannot take exponential time', () => {
  it('"*" x 40 then a letter in exclude and workload.models is matched in linear time', () => {
    const glob = '*'.repeat(40) + 'Q';
    const started = performance.now();
    expect(errorOf((c) => (c.models = [{ profile: '*', exclude: [glob] }]))).toBe(
      `FILE: models[0].exclude[0]: expected a model name or glob of hw-profiles/v100-clockwork.json, found "${glob}"`,
    );
    expect(errorOf((c) => (c.workload.models = ['*'.repeat(40) + '#9']))).toBe(
      `FILE: workload.models[0]: expected a model instance name, profile model name or glob matching this experiment's models, found "${'*'.repeat(40)}#9"`,
    );
    expect(performance.now() - started).toBeLessThan(2000); // a regular expression took 5 s for 12 stars
    // Same selections as before: "*" any run, anchored at both ends.
    const c = base() as Cfg;
    c.models = [{ profile: '*', exclude: ['*res*', 'tsn_*', '*_pose_*', 'dense*1', '*winograd*'] }];
    c.workload.models = ['*incep*', 'x*n', 'dla34'];
    const r = loadExperiment(file('globs.json', JSON.stringify(c))).points[0].resolved;
    expect(r.models.map((m) => m.name)).toEqual(['densenet169', 'dla34', 'googlenet', 'inceptionv3', 'xception']);
    expect(r.workloads[0].targets.map((i) => r.models[i].name)).toEqual(['dla34', 'inceptionv3', 'xception']);
  });
});

describe('(12) reserved field names are rejected by name, before anything is merged', () => {
  const clean = () => {
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).a).toBeUndefined();
  };
  afterEach(clean);

  it('--set __proto__.x=1 is an error and leaves Object.prototype clean', () => {
    expect(() => parseSetArg('__proto__.x=1')).toThrow(new UserError('--set __proto__.x: "__proto__" is not allowed as a field name'));
    expect(errorOf(() => {}, [['__proto__.x', 1]])).toBe('--set __proto__.x: "__proto__" is not allowed as a field name');
    expect(errorOf(() => {}, [['workload.constructor.prototype.x', 1]])).toBe(
      '--set workload.constructor.prototype.x: "constructor" is not allowed as a field name',
    );
    expect(() => setPath({}, 'a.prototype', 1)).toThrow(new UserError('config path "a.prototype": "prototype" is not allowed as a field name'));
  });

  it('--set __proto__={...} and reserved names inside --set values are errors', () => {
    expect(() => parseSetArg('__proto__={"a":1}')).toThrow(new UserError('--set __proto__: "__proto__" is not allowed as a field name'));
    expect(() => parseSetArg('scheduler={"type":"fifo","__proto__":{"inflight":0}}')).toThrow(
      new UserError('--set scheduler: "__proto__" is not allowed as a field name'),
    );
    expect(errorOf(() => {}, [['workload', JSON.parse('{"type":"poisson","rate":1,"constructor":1}')]])).toBe(
      '--set workload: "constructor" is not allowed as a field name',
    );
  });

  const inFile: Array<[string, string, string]> = [
    ['top level', '{"__proto__": {"x": 1}, "name": "t"}', 'FILE: "__proto__" is not allowed as a field name'],
    ['workload', JSON.stringify(base()).replace('"type":"closed-loop"', '"type":"closed-loop","__proto__":{"concurrency":0}'), 'FILE: workload: "__proto__" is not allowed as a field name'],
    ['scheduler', JSON.stringify(base()).replace('"type":"fifo"', '"type":"fifo","__proto__":{"inflight":0}'), 'FILE: scheduler: "__proto__" is not allowed as a field name'],
    ['scheduler block', JSON.stringify(base()).replace('"type":"fifo"', '"type":"fifo","fifo":{"prototype":1}'), 'FILE: scheduler.fifo: "prototype" is not allowed as a field name'],
    ['sweep key', JSON.stringify({ ...base(), sweep: { x: [1] } }).replace('"sweep":{"x"', '"sweep":{"__proto__"'), 'FILE: sweep: "__proto__" is not allowed as a field name'],
    ['sweep path', JSON.stringify({ ...base(), sweep: { '__proto__.x': [1, 2] } }), 'FILE: sweep key "__proto__.x": "__proto__" is not allowed as a field name'],
    ['sweep point path', JSON.stringify({ ...base(), sweep: [{ 'workload.constructor': 1 }] }), 'FILE: sweep[0] key "workload.constructor": "constructor" is not allowed as a field name'],
    ['list entry', JSON.stringify(base()).replace('"copies":2', '"copies":2,"constructor":{}'), 'FILE: models[0]: "constructor" is not allowed as a field name'],
  ];
  for (const [where, text, message] of inFile) it(`in a config file: ${where}`, () => expect(errorOfText(text)).toBe(message));

  it('in a profile: device details, models', () => {
    const p = tinyProfileJson();
    const details = JSON.stringify({ ...p, device: { ...p.device, details: { cores: 4 } } }).replace('"details":{"cores"', '"details":{"__proto__"');
    expect(() => resolveProfile(JSON.parse(details), 'p.json')).toThrow(new UserError('p.json: device.details: "__proto__" is not allowed as a field name'));
    const f = file('proto-profile.json', JSON.stringify(p).replace('"models":{"A"', '"models":{"constructor"'));
    expect(() => loadProfile(f)).toThrow(new UserError(`${f}: models: "constructor" is not allowed as a field name`));
  });

  it('nesting deeper than 64 levels is an error, not a stack overflow', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(errorOfText(withRaw('description', deep))).toMatch(/^FILE: description(\[0\])+: expected at most 64 levels of nested objects and lists, found more$/);
  });
});

describe('(13) nothing given is silently ignored', () => {
  it('--set into a list needs an index; past the end or into a scalar is an error', () => {
    expect(errorOf(() => {}, [['models.x', 1]])).toBe('--set models.x: models is a list, expected an index such as models[0], found "x"');
    expect(errorOf(() => {}, [['models[5].copies', 1]])).toBe('--set models[5].copies: models has 1 entry, expected an index of at most 1, found 5');
    expect(errorOf(() => {}, [['duration.unit', 'ms']])).toBe('--set duration.unit: duration is "10s", not an object or list, so it has no field "unit"');
    expect(setPath({ models: [{ copies: 1 }] }, 'models[1].copies', 3)).toEqual({ models: [{ copies: 1 }, { copies: 3 }] });
  });

  it('a sweep grid with a repeated value is an error naming the key and the value', () => {
    expect(errorOf((c) => (c.sweep = { seed: [1, 1] }))).toBe('FILE: sweep.seed: expected distinct values, found 1 twice');
    expect(errorOf((c) => (c.sweep = { 'workload.slo': ['a b', 'a_b'] }))).toBe(
      'FILE: sweep.workload.slo: expected values with distinct directory names, found "a b" and "a_b", both written to "workload.slo=a_b"',
    );
    expect(errorOf((c) => (c.sweep = [{ seed: 1 }, { seed: 2 }, { seed: 1 }]))).toBe(
      'FILE: sweep: two points have the same parameters (sweep[0] and sweep[2], both written to "seed=1")',
    );
  });

  it('list --profiles-dir must name a directory', () => {
    expect(() => listProfiles(join(dir, 'nonexistent'))).toThrow(new UserError(`--profiles-dir ${join(dir, 'nonexistent')}: no such directory`));
    const f = file('not-a-dir.json', '{}');
    expect(() => listProfiles(f)).toThrow(new UserError(`--profiles-dir ${f}: not a directory`));
    const profiles = mkdtempSync(join(tmpdir(), 'servesim-profiles-'));
    writeFileSync(join(profiles, 'tiny.json'), JSON.stringify(tinyProfileJson()));
    execFileSync('mkfifo', [join(profiles, 'fifo.json')]);
    expect(listProfiles(profiles)).toBe(
      `Profiles (${profiles}):\n  fifo.json: invalid (${join(profiles, 'fifo.json')}: not a regular file (a device, FIFO or socket), expected a hardware profile file)\n` +
        '  tiny.json: test-gpu (gpu), 4 pages of 1000000 B, 3 models\n    A, B, C\n',
    );
  });

  it('a profile whose weights memory exceeds its device memory, or whose page exceeds its weights memory, is rejected', () => {
    const p = tinyProfileJson();
    const f = file('mem.json', JSON.stringify({ ...p, device: { ...p.device, memory: '2MB' } }));
    expect(() => loadProfile(f)).toThrow(new UserError(`${f}: device.weightsMemory: expected at most device.memory (2000000 bytes), found 4000000`));
    const g = file('page.json', JSON.stringify({ ...p, device: { ...p.device, pageSize: '5MB' } }));
    expect(() => loadProfile(g)).toThrow(new UserError(`${g}: device.pageSize: expected at most device.weightsMemory (4000000 bytes), found "5MB"`));
  });
});

describe('(15) messages say what is expected', () => {
  const cases: Array<[string, (c: Cfg) => void, string]> = [
    ['missing workload.type', (c) => (c.workload = { slo: '1ms' }), `FILE: workload.type: expected one of ${WORKLOAD_TYPES}, found nothing`],
    ['misspelt workload.type', (c) => (c.workload.type = 'poison'), `FILE: workload.type: expected one of ${WORKLOAD_TYPES}, found "poison"`],
    ['workload.type of a list entry', (c) => (c.workload = [{ type: 'poisson', rate: 1 }, { rate: 1 }]), `FILE: workload[1].type: expected one of ${WORKLOAD_TYPES}, found nothing`],
    ['numeric scheduler.type', (c) => (c.scheduler = { type: 3 }), `FILE: scheduler.type: expected one of ${SCHEDULER_TYPES}, found 3`],
    ['workload of the wrong type', (c) => (c.workload = 5 as never), 'FILE: workload: expected an object or an array, found 5'],
    [
      'ramp with every 0 inside a union',
      (c) => (c.workload = { type: 'azure-2019', files: ['x.csv'], loadFactor: { every: 0 } }),
      'FILE: workload.loadFactor.every: expected a positive duration, found 0',
    ],
    ['charts of the wrong type', (c) => (c.output = { charts: 'yes' }), 'FILE: output.charts: expected a boolean or an array, found "yes"'],
    [
      'many unknown fields: ten named, the rest counted',
      (c) => Object.assign(c.cluster, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, i]))),
      'FILE: cluster: unknown fields "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", and 2 more',
    ],
  ];
  for (const [title, mutate, message] of cases) it(title, () => expect(errorOf(mutate)).toBe(message));

  it('bad record keys and non-integers in a profile say what was expected', () => {
    const p = tinyProfileJson();
    const bad = structuredClone(p) as unknown as { models: Record<string, { exec: Record<string, unknown>; load: unknown; weightsBytes: unknown }> };
    bad.models.A.exec['1'] = { percentiles: { '0': 1, '100.5': 1 } };
    expect(() => resolveProfile(bad, 'p.json')).toThrow(new UserError('p.json: models.A.exec.1.percentiles: expected a percentile key between "0" and "100", found the key "100.5"'));
    const key = structuredClone(p) as typeof bad;
    key.models.B.exec.x = key.models.B.load;
    expect(() => resolveProfile(key, 'p.json')).toThrow(new UserError('p.json: models.B.exec: expected a batch size key, found the key "x"'));
    const frac = structuredClone(p) as typeof bad;
    frac.models.C.weightsBytes = 1.5;
    expect(() => resolveProfile(frac, 'p.json')).toThrow(new UserError('p.json: models.C.weightsBytes: expected an integer, found 1.5'));
  });
});

describe('names that become directories are single safe path segments', () => {
  const NAME = 'expected a name of letters, digits, ".", "_" and "-" (not starting with "." or "-", at most 100 characters)';
  for (const bad of ['..', '.hidden', '-rf', 'a'.repeat(101), 'a/b']) {
    it(`name ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 5)}... (${bad.length})` : bad)} is refused`, () => {
      expect(errorOf((c) => (c.name = bad))).toBe(`FILE: name: ${NAME}, found ${JSON.stringify(bad.length > 60 ? bad.slice(0, 57) + '...' : bad)}`);
    });
  }

  it('a very long sweep value is an error naming the key, not ENAMETOOLONG later', () => {
    expect(errorOf((c) => (c.sweep = { 'workload.name': ['x'.repeat(300)] }))).toBe(
      `FILE: sweep.workload.name: expected values that make a point directory name of at most 200 bytes with no leading "." or "-", found the value "${'x'.repeat(57)}..." (the name "workload.name=${'x'.repeat(43)}...": it is 314 bytes long, more than 200)`,
    );
    expect(errorOf((c) => (c.sweep = { 'workload.name': ['a'.repeat(120)], 'workload.slo': ['1ms'], seed: ['1'.repeat(60)] }))).toBe(
      'FILE: sweep: expected point directory names of at most 200 bytes, found one of 217 bytes (use shorter values, or a list of points)',
    );
  });

  it('assertSafeSegment names the field and the problem', () => {
    expect(() => assertSafeSegment('..', 'out.json: point')).toThrow(
      new UserError('out.json: point: expected a single directory name (no "/", "\\", control characters or leading "." or "-", at most 100 bytes), found ".." (".." names a directory itself)'),
    );
    expect(() => assertSafeSegment('a\u0000b', 'p')).toThrow(/\(it contains a control character\)$/);
    expect(() => assertSafeSegment('a\\b', 'p')).toThrow(/\(it contains "\/" or "\\"\)$/);
    expect(() => assertSafeSegment('', 'p')).toThrow(/\(it is empty\)$/);
    expect(() => assertSafeSegment('é'.repeat(51), 'p')).toThrow(/\(it is 102 bytes long, more than 100\)$/);
    expect(() => assertSafeSegment('workload.slo=10ms,seed=1', 'p')).not.toThrow();
  });
});

describe('CLI options are checked up front, one line each', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  async function cli(...args: string[]): Promise<{ out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
    await main(['node', 'servesim', ...args]);
    return { out, err };
  }

  it('profile --page-size 0 (and other bad options) fail before any model is built or measured', async () => {
    const cases: Array<[string[], string]> = [
      [['--page-size', '0'], '--page-size: expected a size between 1 B and 1 PiB, found "0"'],
      [['--page-size', '1e999GiB'], '--page-size: expected a size between 1 B and 1 PiB, found "1e999GiB"'],
      [['--weights-memory', '1MiB'], '--page-size: expected at most --weights-memory (1048576 bytes), found "16MiB" (16777216 bytes)'],
      [['--weights-memory', '150%'], '--weights-memory: expected a percentage in (0, 100], found "150%"'],
      [['--batch', '0'], '--batch: expected an integer between 1 and 4096, found "0"'],
      [['--runs', '99999999999999999999'], '--runs: expected an integer between 1 and 1000000, found "99999999999999999999"'],
      [['--threads', '100000'], '--threads: expected an integer between 1 and 1024, found "100000"'],
      [['--dim', 'seq=0'], '--dim seq: expected an integer between 1 and 1000000, found "0"'],
      [['--dim', '__proto__=8'], '--dim: "__proto__" is not allowed as a dimension name'],
      [['--max-time', '1e999s'], '--max-time: expected a duration between 0 and 30d, found "1e999s"'],
      [['--name', 'constructor'], '--name: expected a model name, found "constructor" (a reserved name)'],
      [['--merge', '/dev/zero'], '/dev/zero: not a regular file (a device, FIFO or socket), expected a hardware profile file'],
    ];
    for (const [args, message] of cases) {
      const started = performance.now();
      const { err } = await cli('profile', '--zoo', 'resnet18', ...args);
      expect(err).toBe(`servesim: ${message}\n`);
      expect(process.exitCode).toBe(1);
      expect(performance.now() - started).toBeLessThan(2000); // nothing was measured
      process.exitCode = undefined;
    }
  });

  it('list --profiles-dir of a missing directory or a file is one line, not the built-in profiles or a stack trace', async () => {
    const missing = join(dir, 'no-such-dir');
    expect(await cli('list', '--what', 'profiles', '--profiles-dir', missing)).toEqual({ out: '', err: `servesim: --profiles-dir ${missing}: no such directory\n` });
    expect(process.exitCode).toBe(1);
    const f = file('plain.txt', 'x');
    expect(await cli('list', '--what', 'profiles', '--profiles-dir', f)).toEqual({ out: '', err: `servesim: --profiles-dir ${f}: not a directory\n` });
  });

  it('validate never prints an infinite duration', async () => {
    const f = file('inf.json', JSON.stringify(base()));
    const { out, err } = await cli('validate', f, '--set', 'duration=1e999s');
    expect(out).toBe('');
    expect(err).toBe(`servesim: ${f}: duration: expected a duration between 1ns and 30d, found "1e999s"\n`);
  });
});

describe('library callers get the same checks', () => {
  it('resolveExperiment rejects reserved names in an input built in code', () => {
    const input = JSON.parse(JSON.stringify(base()).replace('"type":"fifo"', '"type":"fifo","__proto__":{}')) as Record<string, unknown>;
    expect(() => resolveExperiment(input, 'code')).toThrow(new UserError('code: scheduler: "__proto__" is not allowed as a field name'));
  });
});

describe('JSON syntax errors name the line and column, whatever JSON.parse says', () => {
  it.each([
    ['{\n  "seed": NaN,\n  "a": 1}', 'line 2, column 11 (Unexpected token \'N\')'],
    ['{\n  "a": 1', 'line 2, column 9 (the text ends too early) (Expected \',\' or \'}\' after property value)'],
    ['{"a":\u0000 1}', 'line 1, column 6 (Unexpected token \'\\u0000\')'],
    ['{"a": [1, 2,]}', 'line 1, column 13 (Unexpected token \']\')'],
    ['[1] 2', 'line 1, column 5 (Unexpected non-whitespace character)'],
    ['', 'line 1, column 1 (the text ends too early) (Unexpected end of JSON input)'],
  ])('%j', (text, where) => {
    expect(() => parseJsonInput(text, 'f.json')).toThrow(`f.json: not valid JSON at ${where}`);
  });
  it('a byte-order mark is accepted; very deep nesting is an error, not a crash', () => {
    expect(parseJsonInput('\ufeff{"a": 1}', 'f.json')).toEqual({ a: 1 });
    expect(jsonErrorOffset('['.repeat(100_000))).toBe(1000);
  });
});
