/**
 * fast-check arbitraries of fuzz cases: bad configs, `--set` overrides, bad profiles, bad traces
 * (Azure 2019, Azure 2021, timestamps), bad ONNX files, output locations, CLI options, and small
 * valid experiments. Each is built from small choices (indices into catalogues) so that fast-check
 * shrinks a failure to the simplest field, value and command that still shows it.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExperimentSchema, WorkloadCommonSchema } from '../../src/experiment/config.js';
import { ProfileSchema } from '../../src/models/profile.js';
import { encodeModel } from '../../src/models/onnx/proto.js';
import { buildZooModel } from '../../src/models/zoo/index.js';
import { getScheduler } from '../../src/schedulers/index.js';
import { getWorkload } from '../../src/traces/index.js';
import { invocationFileName } from '../../src/traces/azure2019.js';
import {
  badValues,
  clone,
  deleteAt,
  fieldsOf,
  formatPath,
  getAt,
  jsonText,
  parentOf,
  setAt,
  setOwn,
  STRANGE_KEYS,
  type BadValue,
  type Field,
  type Path,
} from './fields.js';
import type { CliResult, Expect, FuzzCase } from './harness.js';
import {
  baseConfig,
  CONFIG,
  csv,
  fastestExecNs,
  HEADER_2019,
  HEADER_2021,
  MINI_MODELS,
  miniProfile,
  PROFILE,
  rows2019,
  SCHEDULERS,
  shared,
  sharedConfig,
  TRACE,
  workloadBase,
  TRACE_DIR,
  WORKLOADS,
} from './inputs.js';

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length];

/**
 * What an error about `path` in `file` must name: the file, and the field: its path, or (for
 * checks of a whole object, like "percentiles must not decrease") the path of the object holding it.
 */
function fieldMentions(file: string, path: Path): Array<string | string[]> {
  if (path.length === 1) return [file, formatPath(path)];
  const alts = [formatPath(path), formatPath(path.slice(0, -1))];
  if (path.length > 3) alts.push(formatPath(path.slice(0, -2)));
  return [file, alts];
}

/** The mentions of a value mutation: a field set inside an object that was not there names that object. */
function valueMentions(file: string, root: unknown, path: Path): Array<string | string[]> {
  let i = 1;
  while (i < path.length && getAt(root, path.slice(0, i)) !== undefined) i++;
  return fieldMentions(file, path.slice(0, Math.min(path.length, i)));
}

// ------------------------------------------------------------------ config field catalogue

interface Variant {
  scheduler: string;
  workload: string;
  /** Scheduler options in a per-type block (scheduler.<type>.<option>) rather than flat. */
  block: boolean;
  /** The workload as a list of one (workload[0].<option>). */
  list: boolean;
}

function variantConfig(v: Variant): Record<string, any> {
  const c = baseConfig(v.scheduler, v.workload, { block: v.block });
  if (v.list) c.workload = [c.workload];
  return c;
}

const fieldCache = new Map<string, Field[]>();

/** Every field of a variant's config: the experiment schema's, the workload's and the scheduler's. */
export function configFields(v: Variant): Field[] {
  const key = JSON.stringify(v);
  const hit = fieldCache.get(key);
  if (hit) return hit;
  const cfg = variantConfig(v);
  const top = fieldsOf(ExperimentSchema, cfg).filter((f) => !['workload', 'scheduler', 'sweep'].includes(String(f.path[0])));
  const wPath: Path = v.list ? ['workload', 0] : ['workload'];
  const w = getAt(cfg, wPath);
  const wl = [...fieldsOf(WorkloadCommonSchema, w, wPath), ...fieldsOf(getWorkload(v.workload)!.options, w, wPath)].map((f) =>
    f.path.length === wPath.length + 1 && f.path[wPath.length] === 'type' ? { ...f, kind: 'enum' as const, values: WORKLOADS } : f,
  );
  const sPath: Path = v.block ? ['scheduler', v.scheduler] : ['scheduler'];
  const sched = [
    { path: ['scheduler', 'type'], kind: 'enum' as const, required: true, values: SCHEDULERS },
    ...fieldsOf(getScheduler(v.scheduler)!.options, getAt(cfg, sPath) ?? {}, sPath),
  ];
  // Another type's option block is validated too.
  const other = SCHEDULERS.find((s) => s !== v.scheduler)!;
  const otherFields = fieldsOf(getScheduler(other)!.options, {}, ['scheduler', other]);
  const all = [...top, ...wl, ...sched, ...otherFields];
  fieldCache.set(key, all);
  return all;
}

const variantArb: fc.Arbitrary<Variant> = fc.record({
  scheduler: fc.constantFrom(...SCHEDULERS),
  workload: fc.constantFrom(...WORKLOADS),
  block: fc.boolean(),
  list: fc.boolean(),
});

/** Semantic mistakes across fields (each must be rejected). */
const SEMANTIC: Array<{ kind: string; mentions: string[]; apply: (c: Record<string, any>, v: Variant) => void; expect?: Expect }> = [
  { kind: 'semantic:zero models', mentions: ['models'], apply: (c) => (c.models = [{ profile: '*', exclude: ['*'] }]) },
  { kind: 'semantic:no models', mentions: ['models'], apply: (c) => (c.models = []) },
  { kind: 'semantic:unknown model', mentions: ['models[0].profile'], apply: (c) => (c.models[0].profile = 'resnet9000') },
  { kind: 'semantic:exclude without *', mentions: ['models[0].exclude'], apply: (c) => (c.models[0].exclude = ['x']) },
  { kind: 'semantic:duplicate instance', mentions: ['models[1]'], apply: (c) => (c.models[1] = { profile: MINI_MODELS[0], copies: 2, name: 'big' }) },
  { kind: 'semantic:warmup >= duration', mentions: ['warmup'], apply: (c) => (c.warmup = '5s') },
  { kind: 'semantic:no page fits', mentions: ['pageSize'], apply: (c) => (c.cluster.weightsMemory = '1MiB') },
  { kind: 'semantic:model does not fit', mentions: ['models[0]'], apply: (c) => (c.cluster.weightsMemory = '64MiB') },
  { kind: 'semantic:page larger than memory', mentions: ['pageSize', 'weightsMemory'], apply: (c) => (c.cluster.pageSize = '8GiB') },
  { kind: 'semantic:workload targets nothing', mentions: ['models[0]'], apply: (c, v) => (workloadOf(c, v).models = ['nomatch*']) },
  { kind: 'semantic:empty workload list', mentions: ['workload'], apply: (c) => (c.workload = []) },
  {
    kind: 'semantic:duplicate workload name',
    mentions: ['name'],
    apply: (c, v) => {
      const w = workloadOf(c, v);
      c.workload = [{ ...w, name: 'a' }, { ...w, name: 'a' }];
    },
  },
  { kind: 'semantic:scheduler without type', mentions: ['scheduler.type'], apply: (c) => (c.scheduler = {}) },
  { kind: 'semantic:workload without type', mentions: ['type'], apply: (c, v) => delete workloadOf(c, v).type },
  { kind: 'semantic:sweep of nothing', mentions: ['sweep'], apply: (c) => (c.sweep = { seed: [] }) },
  { kind: 'semantic:sweep of an unknown field', mentions: ['nonsense'], apply: (c) => (c.sweep = { 'cluster.nonsense': [1, 2] }) },
  { kind: 'semantic:sweep of a bad value', mentions: ['duration'], apply: (c) => (c.sweep = { duration: ['1s', '1e999s'] }) },
  { kind: 'semantic:sweep out of range index', mentions: ['models'], apply: (c) => (c.sweep = { 'models.5.copies': [1, 2] }) },
  { kind: 'semantic:sweep __proto__ path', mentions: ['__proto__'], apply: (c) => (c.sweep = { '__proto__.polluted': [1, 2] }) },
  { kind: 'semantic:sweep point list empty', mentions: ['sweep'], apply: (c) => (c.sweep = [{}]) },
  { kind: 'semantic:name with a slash', mentions: ['name'], apply: (c) => (c.name = 'a/b') },
  { kind: 'semantic:name is ..', mentions: ['name'], apply: (c) => (c.name = '..'), expect: 'either' },
  { kind: 'semantic:output.dir empty', mentions: ['output.dir'], apply: (c) => (c.output.dir = '') },
  { kind: 'semantic:charts unknown', mentions: ['output.charts'], apply: (c) => (c.output.charts = ['nonsense']) },


  { kind: 'semantic:tiny page size', mentions: ['pageSize'], apply: (c) => (c.cluster.pageSize = 1), expect: 'either' },
];

function workloadOf(c: Record<string, any>, v: Variant): Record<string, any> {
  return v.list ? c.workload[0] : c.workload;
}

/** The config text of an experiment, with JSON-level corruptions. */
const JSON_CORRUPTIONS: Array<{ kind: string; apply: (text: string, at: number) => string; mentions: Array<string | string[]>; expect: Expect }> = [
  { kind: 'json:truncated', apply: (t, at) => t.slice(0, 1 + (at % (t.length - 2))), mentions: [['line']], expect: 'reject' },
  { kind: 'json:trailing comma', apply: (t) => t.replace(/("seed": 1),/, '$1,,'), mentions: [['line']], expect: 'reject' },
  { kind: 'json:comment', apply: (t) => t.replace('{', '{ // a comment\n'), mentions: [['line']], expect: 'reject' },
  { kind: 'json:single quotes', apply: (t) => t.replace('"name": "fuzz"', "'name': 'fuzz'"), mentions: [['line']], expect: 'reject' },
  { kind: 'json:NaN literal', apply: (t) => t.replace('"seed": 1', '"seed": NaN'), mentions: [['line']], expect: 'reject' },
  { kind: 'json:empty file', apply: () => '', mentions: [], expect: 'reject' },
  { kind: 'json:whitespace only', apply: () => ' \n\t\n', mentions: [], expect: 'reject' },
  { kind: 'json:top-level array', apply: (t) => `[${t}]`, mentions: [], expect: 'reject' },
  { kind: 'json:top-level string', apply: () => '"exp"', mentions: [], expect: 'reject' },
  { kind: 'json:top-level null', apply: () => 'null', mentions: [], expect: 'reject' },
  { kind: 'json:two objects', apply: (t) => t + t, mentions: [['line']], expect: 'reject' },
  { kind: 'json:NUL byte', apply: (t, at) => t.slice(0, at % t.length) + '\0' + t.slice(at % t.length), mentions: [['line']], expect: 'reject' },
  { kind: 'json:BOM', apply: (t) => '\uFEFF' + t, mentions: [], expect: 'either' },
  { kind: 'json:CRLF', apply: (t) => t.replace(/\n/g, '\r\n'), mentions: [], expect: 'accept' },
  { kind: 'json:duplicate key', apply: (t) => t.replace('"seed": 1', '"seed": 1, "seed": "x"'), mentions: ['seed'], expect: 'reject' },
];

/** Bad experiment configs given to `servesim validate`: one field, key or piece of text wrong. */
export function configCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      v: variantArb,
      op: fc.constantFrom('value', 'value', 'value', 'value', 'remove', 'key', 'semantic', 'json'),
      field: fc.nat(),
      bad: fc.nat(),
      key: fc.nat(),
      keyValue: fc.constantFrom<unknown>(1, {}, { polluted: 'yes' }, { type: 'fifo' }, null),
      at: fc.nat(),
    })
    .map(({ v, op, field, bad, key, keyValue, at }): FuzzCase => {
      const cfg = variantConfig(v);
      const fields = configFields(v);
      const base = { category: 'config', files: {} as Record<string, string>, argv: ['validate', CONFIG], allowedWrites: [] };
      const label = (s: string) => `${s} (${v.scheduler}${v.block ? ' options in a block' : ''}, ${v.workload}${v.list ? ' in a list' : ''})`;
      switch (op) {
        case 'value': {
          const f = pick(fields, field);
          const b = pick(badValues(f), bad);
          const mentions = valueMentions(CONFIG, cfg, f.path);
          setAt(cfg, f.path, b.value);
          return {
            ...base,
            kind: `value:${b.kind}`,
            label: label(`${formatPath(f.path)} = ${jsonText(b.value, 0)}`),
            files: { [CONFIG]: jsonText(cfg) },
            expect: b.expect,
            mentions,
          };
        }
        case 'remove': {
          const present = fields.filter((f) => getAt(cfg, f.path) !== undefined);
          const f = pick(present, field);
          deleteAt(cfg, f.path);
          return {
            ...base,
            kind: f.required ? 'remove:required' : 'remove:optional',
            label: label(`without ${formatPath(f.path)}`),
            files: { [CONFIG]: jsonText(cfg) },
            expect: f.required ? 'reject' : 'either',
            mentions: f.required ? fieldMentions(CONFIG, f.path) : [CONFIG],
          };
        }
        case 'key': {
          const objects: Path[] = [[], ...fields.filter((f) => f.kind === 'object').map((f) => f.path), v.list ? ['workload', 0] : ['workload'], ['scheduler'], ['models', 0]];
          const where = pick(objects, field);
          const k = pick(STRANGE_KEYS, key);
          const target = where.length ? (getAt(cfg, where) as Record<string, unknown> | undefined) ?? parentOf(cfg, [...where, '_'] as Path) : cfg;
          setOwn(target, k.key, clone(keyValue));
          const mentions: Array<string | string[]> = [CONFIG, k.key === '' ? '""' : k.key];
          if (where.length) mentions.push(formatPath(where));
          return {
            ...base,
            kind: k.kind,
            label: label(`${where.length ? formatPath(where) : '(top level)'} has the key ${JSON.stringify(k.key)}: ${jsonText(keyValue, 0)}`),
            files: { [CONFIG]: jsonText(cfg) },
            expect: 'reject',
            mentions,
          };
        }
        case 'semantic': {
          const s = pick(SEMANTIC, field);
          s.apply(cfg, v);
          return {
            ...base,
            kind: s.kind,
            label: label(s.kind),
            files: { [CONFIG]: jsonText(cfg) },
            expect: s.expect ?? 'reject',
            mentions: [CONFIG, s.mentions],
          };
        }
        default: {
          const j = pick(JSON_CORRUPTIONS, field);
          return {
            ...base,
            kind: j.kind,
            label: label(j.kind),
            files: { [CONFIG]: j.apply(jsonText(cfg), at) },
            expect: j.expect,
            mentions: [CONFIG, ...j.mentions],
          };
        }
      }
    });
}

// ------------------------------------------------------------------ --set

/** How a bad value is written after "=" on the command line. */
function setText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === Infinity) return '1e999';
  if (v === -Infinity) return '-1e999';
  return jsonText(v, 0);
}

function parsesAsJson(t: string): boolean {
  try {
    return typeof JSON.parse(t) !== 'string';
  } catch {
    return false;
  }
}

/** Ways to write a path: dotted (models.0.copies) or with brackets (models[0].copies). */
function pathText(p: Path, brackets: boolean): string {
  return brackets ? formatPath(p) : p.map(String).join('.');
}

const SET_UNKNOWN: Array<{ path: string; kind: string; mention: string[] }> = [
  { path: 'cluster.gpus', kind: 'set:unknown field', mention: ['gpus'] },
  { path: 'colour', kind: 'set:unknown top-level field', mention: ['colour'] },
  { path: 'foo.bar.baz', kind: 'set:unknown nested path', mention: ['foo'] },
  { path: 'models.x', kind: 'set:non-index key of a list', mention: ['models.x', 'models'] },
  { path: 'models.x.copies', kind: 'set:non-index key of a list', mention: ['models.x', 'models'] },
  { path: 'models.5.copies', kind: 'set:index out of range', mention: ['models'] },
  { path: 'models[1000].copies', kind: 'set:huge index', mention: ['models'] },
  { path: 'models.-1.copies', kind: 'set:negative index', mention: ['models', '-1'] },
  { path: 'workload.3.slo', kind: 'set:index into an object', mention: ['workload', '3'] },
  { path: 'workload.nonsense', kind: 'set:unknown workload option', mention: ['nonsense'] },
  { path: 'scheduler.nonsense.deep', kind: 'set:unknown scheduler block', mention: ['nonsense'] },
  { path: 'output.dir.x', kind: 'set:path through a string', mention: ['output.dir'] },
  { path: 'seed.x', kind: 'set:path through a number', mention: ['seed'] },
  { path: 'cluster.network.clientLatency.x', kind: 'set:path through a string', mention: ['clientLatency'] },
];

const SET_PROTO: Array<{ path: string; kind: string; mention: string[] }> = [
  { path: '__proto__.polluted', kind: 'set:__proto__ path', mention: ['__proto__'] },
  { path: '__proto__', kind: 'set:__proto__ key', mention: ['__proto__'] },
  { path: 'constructor.prototype.polluted', kind: 'set:constructor.prototype path', mention: ['constructor'] },
  { path: 'cluster.__proto__.polluted', kind: 'set:nested __proto__ path', mention: ['__proto__'] },
  { path: 'models.__proto__.polluted', kind: 'set:list __proto__ path', mention: ['__proto__'] },
  { path: 'models.0.__proto__', kind: 'set:__proto__ of an entry', mention: ['__proto__'] },
  { path: 'toString', kind: 'set:toString key', mention: ['toString'] },
  { path: 'hasOwnProperty.x', kind: 'set:hasOwnProperty path', mention: ['hasOwnProperty'] },
  { path: 'workload.constructor', kind: 'set:constructor key', mention: ['constructor'] },
];

const SET_MALFORMED: Array<{ arg: string; kind: string; expect?: Expect }> = [
  { arg: 'seed', kind: 'set:no =' },
  { arg: '=5', kind: 'set:empty path' },
  { arg: ' =5', kind: 'set:blank path' },
  { arg: 'a..b=1', kind: 'set:empty component' },
  { arg: '.seed=1', kind: 'set:leading dot' },
  { arg: 'seed.=1', kind: 'set:trailing dot' },
  { arg: 'models[x].copies=1', kind: 'set:bad bracket' },
  { arg: 'models[0.copies=1', kind: 'set:unclosed bracket' },
  { arg: 'models[].copies=1', kind: 'set:empty bracket' },
  { arg: '', kind: 'set:empty argument' },
  { arg: ' seed = 2', kind: 'set:spaces around', expect: 'either' },
];

const SET_VALID: string[] = ['seed=7', 'workload.slo=50ms', 'duration=1s', 'cluster.workers=2', 'models[0].copies=1', 'models.0.copies=3', 'metrics.window=1s', 'description=x=y'];

/** `servesim validate <config> --set path=value` with bad paths and values (and some good ones). */
export function setCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      v: variantArb,
      op: fc.constantFrom('value', 'value', 'value', 'unknown', 'proto', 'malformed', 'valid'),
      i: fc.nat(),
      bad: fc.nat(),
      brackets: fc.boolean(),
      value: fc.constantFrom('1', 'x', '{}', '1e999', 'null', '"2s"', '[1]', 'true'),
      before: fc.boolean(),
    })
    .map(({ v, op, i, bad, brackets, value, before }): FuzzCase => {
      const cfgName = `set-${v.scheduler}-${v.workload}-${v.block ? 'b' : 'f'}${v.list ? 'l' : 'o'}`;
      const file = sharedConfig(cfgName, () => variantConfig(v));
      const base = { category: 'set', files: {}, allowedWrites: [] };
      const argv = (arg: string): string[] => (before ? ['validate', '--set', arg, file] : ['validate', file, '--set', arg]);
      switch (op) {
        case 'value': {
          const f = pick(configFields(v), i);
          const b = pick(badValues(f), bad);
          const p = pathText(f.path, brackets);
          return {
            ...base,
            kind: `set-value:${b.kind}`,
            label: `--set ${p}=${setText(b.value)} (${cfgName})`,
            argv: argv(`${p}=${setText(b.value)}`),
            // The CLI reads the value as JSON when it can: "1" arrives as the number 1, "true" as true.
            expect: typeof b.value === 'string' && parsesAsJson(b.value) ? 'either' : b.expect,
            mentions: [[p, formatPath(f.path), ...(f.path.length > 1 ? [formatPath(f.path.slice(0, -1))] : [])]],
          };
        }
        case 'unknown':
        case 'proto': {
          const u = pick(op === 'unknown' ? SET_UNKNOWN : SET_PROTO, i);
          return {
            ...base,
            kind: u.kind,
            label: `--set ${u.path}=${value} (${cfgName})`,
            argv: argv(`${u.path}=${value}`),
            expect: 'reject',
            mentions: [[u.path, ...u.mention]],
          };
        }
        case 'malformed': {
          const m = pick(SET_MALFORMED, i);
          return {
            ...base,
            kind: m.kind,
            label: `--set ${JSON.stringify(m.arg)} (${cfgName})`,
            argv: argv(m.arg),
            expect: m.expect ?? 'reject',
            mentions: [['--set', m.arg.split('=')[0].trim() || '--set', m.arg.split('=')[0].split('.')[0].trim() || '--set']],
          };
        }
        default: {
          // A list of workloads needs an index: `workload.slo` there is rejected (issue 11, defect 13).
          const s = v.list ? pick(SET_VALID, i).replace(/^workload\./, 'workload[0].') : pick(SET_VALID, i);
          return { ...base, kind: 'set:valid', label: `--set ${s} (${cfgName})`, argv: argv(s), expect: 'accept', mentions: [] };
        }
      }
    });
}

// ------------------------------------------------------------------ profiles

const profileFieldCache: Field[] = fieldsOf(ProfileSchema, miniProfile());

/** `inConfig`: reported against the config that uses the model (the profile file need not be named). */
const PROFILE_SEMANTIC: Array<{ kind: string; mentions: string[]; apply: (p: Record<string, any>) => void; expect?: Expect; inConfig?: boolean }> = [
  { kind: 'profile:no models', mentions: ['models'], apply: (p) => (p.models = {}) },
  { kind: 'profile:decreasing percentiles', mentions: ['percentile'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles = { '0': 5, '50': 4, '100': 3 }) },
  { kind: 'profile:percentile key 101', mentions: ['101'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles['101'] = 9) },
  { kind: 'profile:percentile key -1', mentions: ['-1'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles['-1'] = 1) },
  { kind: 'profile:percentile key word', mentions: ['median'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles.median = 1) },
  { kind: 'profile:empty distribution', mentions: ['load'], apply: (p) => (p.models[MINI_MODELS[0]].load = {}) },
  { kind: 'profile:empty samples', mentions: ['load'], apply: (p) => (p.models[MINI_MODELS[0]].load = { samples: [] }) },
  { kind: 'profile:huge sample', mentions: ['samples'], apply: (p) => (p.models[MINI_MODELS[0]].load = { samples: [1, 1e300] }) },
  { kind: 'profile:duplicate batch size', mentions: ['batchSizes'], apply: (p) => (p.models[MINI_MODELS[0]].batchSizes = [1, 1, 2, 4, 8, 16]) },
  { kind: 'profile:batch size without exec', mentions: ['exec'], apply: (p) => p.models[MINI_MODELS[0]].batchSizes.push(32) },
  { kind: 'profile:exec without batch size', mentions: ['exec'], apply: (p) => (p.models[MINI_MODELS[0]].exec['3'] = { percentiles: { '50': 1 } }) },
  { kind: 'profile:batch key 0', mentions: ['exec'], apply: (p) => (p.models[MINI_MODELS[0]].exec['0'] = { percentiles: { '50': 1 } }) },
  { kind: 'profile:model named __proto__', mentions: ['__proto__'], apply: (p) => setOwn(p.models, '__proto__', clone(p.models[MINI_MODELS[1]])) },
  { kind: 'profile:model named constructor', mentions: ['constructor'], apply: (p) => (p.models.constructor = clone(p.models[MINI_MODELS[1]])), expect: 'either' },
  { kind: 'profile:model with an empty name', mentions: ['models'], apply: (p) => (p.models[''] = clone(p.models[MINI_MODELS[1]])) },
  { kind: 'profile:weights larger than memory', mentions: [MINI_MODELS[0]], apply: (p) => (p.models[MINI_MODELS[0]].weightsBytes = 1e12), inConfig: true },
  // The config overrides the device's page size and weights memory: an inconsistent pair may go unnoticed.
  { kind: 'profile:page larger than memory', mentions: ['pageSize', 'weightsMemory'], apply: (p) => (p.device.pageSize = '64GiB'), expect: 'either' },
  { kind: 'profile:format v2', mentions: ['format'], apply: (p) => (p.format = 'servesim-hw-profile-v2') },
  { kind: 'profile:version 2', mentions: ['version'], apply: (p) => (p.version = 2) },
  { kind: 'profile:empty speedup', mentions: ['speedup'], apply: (p) => (p.device.interference.speedup = []) },
  { kind: 'profile:zero speedup', mentions: ['speedup'], apply: (p) => (p.device.interference.speedup = [1, 0]) },
  { kind: 'profile:huge speedup', mentions: ['speedup'], apply: (p) => (p.device.interference.speedup = [1, 1e300]) },
  { kind: 'profile:zero exec time', mentions: ['percentiles'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles = { '0': 0, '100': 0 }) },
  { kind: 'profile:huge exec time', mentions: ['percentiles'], apply: (p) => (p.models[MINI_MODELS[0]].exec['1'].percentiles = { '0': 1e300, '100': 1e300 }) },
  { kind: 'profile:huge weights', mentions: ['weightsBytes'], apply: (p) => (p.models[MINI_MODELS[0]].weightsBytes = 1e300) },
];

/** Bad hardware profiles read by `servesim validate` through a config's cluster.profile. */
export function profileCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      op: fc.constantFrom('value', 'value', 'value', 'remove', 'key', 'semantic', 'json'),
      star: fc.boolean(),
      i: fc.nat(),
      bad: fc.nat(),
      key: fc.nat(),
      at: fc.nat(),
    })
    .map(({ op, star, i, bad, key, at }): FuzzCase => {
      const cfg = sharedConfig(star ? 'profile-star' : 'profile-named', () => {
        const c = baseConfig('fifo', 'poisson', { profile: PROFILE });
        if (star) c.models = [{ profile: '*' }];
        return c;
      });
      const p = miniProfile();
      const base = { category: 'profile', argv: ['validate', cfg], allowedWrites: [] };
      const out = (kind: string, label: string, expect: Expect, mentions: Array<string | string[]>, text = jsonText(p), named = true): FuzzCase => ({
        ...base,
        kind,
        label: `${label}${star ? ' (config models: "*")' : ''}`,
        files: { [PROFILE]: text },
        expect,
        mentions: named ? [PROFILE, ...mentions] : mentions,
      });
      switch (op) {
        case 'value': {
          const f = pick(profileFieldCache, i);
          const b = pick(badValues(f), bad);
          const mentions = valueMentions(PROFILE, p, f.path).slice(1);
          setAt(p, f.path, b.value);
          return out(`profile-value:${b.kind}`, `${formatPath(f.path)} = ${jsonText(b.value, 0)}`, b.expect, mentions);
        }
        case 'remove': {
          const f = pick(profileFieldCache, i);
          deleteAt(p, f.path);
          return out(f.required ? 'profile-remove:required' : 'profile-remove:optional', `without ${formatPath(f.path)}`, f.required ? 'reject' : 'either', f.required ? fieldMentions(PROFILE, f.path).slice(1) : []);
        }
        case 'key': {
          const objects = [[], ...profileFieldCache.filter((f) => f.kind === 'object').map((f) => f.path)] as Path[];
          const where = pick(objects, i);
          const k = pick(STRANGE_KEYS, key);
          const target = where.length ? ((getAt(p, where) as Record<string, unknown> | undefined) ?? parentOf(p, [...where, '_'] as Path)) : p;
          setOwn(target, k.key, { x: 1 });
          const looseOrRecord = where.some((s) => s === 'provenance');
          return out(`profile-${k.kind}`, `${where.length ? formatPath(where) : '(top level)'} has the key ${JSON.stringify(k.key)}`, looseOrRecord ? 'either' : 'reject', looseOrRecord ? [] : [k.key === '' ? '""' : k.key]);
        }
        case 'semantic': {
          const s = pick(PROFILE_SEMANTIC, i);
          s.apply(p);
          return out(s.kind, s.kind, s.expect ?? 'reject', [s.mentions], jsonText(p), !s.inConfig);
        }
        default: {
          const text = jsonText(p);
          const cut = text.slice(0, 1 + (at % (text.length - 2)));
          return out('profile-json:truncated', `profile cut after ${cut.length} characters`, 'reject', [['line']], cut);
        }
      }
    });
}

// ------------------------------------------------------------------ traces

type TraceFormat = '2019' | '2021' | 'timestamps';

interface TraceCorruption {
  kind: string;
  expect: Expect;
  /** Line the message must name (1-based), if any. */
  line?: number;
}

const BAD_COUNTS: Array<[string, string]> = [
  ['0x10', 'hex'],
  ['-1', 'negative'],
  ['1.5', 'fraction'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['1e999', 'overflow'],
  ['1e3', 'exponent'],
  ['abc', 'word'],
  ['', 'empty'],
  ['\uFF11', 'fullwidth digit'],
  ['99999999999999999999', 'huge'],
  ['1e300', 'huge exponent'],
  ['1 2', 'two numbers'],
];
const BAD_SECONDS: Array<[string, string, Expect]> = [
  ['0x10', 'hex', 'reject'],
  ['0b11', 'binary literal', 'reject'],
  ['0o7', 'octal literal', 'reject'],
  ['1_000', 'underscore', 'reject'],
  ['-1', 'negative', 'reject'],
  ['NaN', 'NaN', 'reject'],
  ['Infinity', 'Infinity', 'reject'],
  ['1e999', 'overflow', 'reject'],
  ['1e300', 'huge', 'reject'],
  ['abc', 'word', 'reject'],
  ['', 'empty', 'reject'],
  ['1e2', 'exponent', 'either'],
  [' 1', 'leading space', 'either'],
  ['+1', 'plus sign', 'either'],
  ['.5', 'no leading digit', 'either'],
];
const BAD_TIMES: Array<[string, string, Expect]> = [
  ['2023-02-30 10:00:00', 'impossible date Feb 30', 'reject'],
  ['2023-02-29 10:00:00', 'impossible date Feb 29 (not a leap year)', 'reject'],
  ['2023-04-31 10:00:00', 'impossible date Apr 31', 'reject'],
  ['2023-13-01 00:00:00', 'month 13', 'reject'],
  ['2023-00-10 00:00:00', 'month 0', 'reject'],
  ['2023-11-00 00:00:00', 'day 0', 'reject'],
  ['2023-11-16 24:00:00', 'hour 24', 'reject'],
  ['2023-11-16 23:60:00', 'minute 60', 'reject'],
  ['2023-11-16 23:59:61', 'second 61', 'reject'],
  ['2023-11-16T18:17:03+25:00', 'offset +25:00', 'reject'],
  ['2023-11-16T18:17:03+05:99', 'offset minutes 99', 'reject'],
  ['2023-11-16', 'date only', 'reject'],
  ['18:17:03', 'time only', 'reject'],
  ['yesterday', 'word', 'reject'],
  // (an empty cell of a one-column file is a blank line, which is skipped)
  ['', 'empty', 'either'],
  ['0x10', 'hex', 'reject'],
  ['1e999', 'overflow', 'reject'],
  ['2023-11-16 18:17:04Z', 'Z suffix', 'either'],
  ['2023-11-16T18:17:04.5+00:00', 'ISO with offset', 'either'],
];
const BAD_NUMBERS: Array<[string, string, Expect]> = [
  ['0x10', 'hex', 'reject'],
  ['0b11', 'binary literal', 'reject'],
  ['0o7', 'octal literal', 'reject'],
  ['1_000', 'underscore', 'reject'],
  ['NaN', 'NaN', 'reject'],
  ['Infinity', 'Infinity', 'reject'],
  ['-Infinity', '-Infinity', 'reject'],
  ['1e999', 'overflow', 'reject'],
  ['1e300', 'huge', 'reject'],
  ['abc', 'word', 'reject'],
  ['', 'empty', 'either'],
  ['1e2', 'exponent', 'either'],
  ['-5', 'negative', 'either'],
  [' 1', 'leading space', 'either'],
];

/** A valid trace of `format` from small random choices: [header, ...rows] as fields. */
function traceRows(format: TraceFormat, n: number, seedVals: number[], datetime: boolean): string[][] {
  const val = (i: number): number => seedVals[i % seedVals.length];
  if (format === '2019') return [HEADER_2019, ...rows2019(Array.from({ length: n }, (_, i) => [val(i) % 4, val(i + 1) % 3, (val(i + 2) % 2) + 1]))];
  if (format === '2021') {
    return [HEADER_2021, ...Array.from({ length: n }, (_, i) => [`app${i % 2}`, `func${i % 3}`, ((val(i) % 1800) / 1000 + 0.15).toFixed(3), ((val(i + 1) % 100) / 1000).toFixed(3)])];
  }
  if (datetime) {
    return [['timestamp'], ...Array.from({ length: n }, (_, i) => [`2023-11-16 18:17:0${(val(i) % 2) + 1}.${String(val(i + 1) % 1000).padStart(3, '0')}`])];
  }
  return [['timestamp'], ...Array.from({ length: n }, (_, i) => [((val(i) % 1900) / 1000).toFixed(3)])];
}

function corruptTrace(format: TraceFormat, rows: string[][], op: string, i: number, j: number, datetime: boolean): { rows: string[][]; c: TraceCorruption; text?: (t: string) => string } {
  const data = rows.length - 1;
  const r = 1 + (i % data); // a data row
  const line = r + 1;
  const set = (col: number, v: string): string[][] => rows.map((row, k) => (k === r ? row.map((x, m) => (m === col ? v : x)) : row));
  switch (op) {
    case 'cell': {
      if (format === '2019') {
        const [v, what] = pick(BAD_COUNTS, j);
        const minute = 2 + (j % 1400); // outside the replayed window, so an accepted huge count cannot make the run endless
        return { rows: set(4 + minute, v), c: { kind: `count:${what}`, expect: 'reject', line } };
      }
      if (format === '2021') {
        const [v, what, expect] = pick(BAD_SECONDS, j);
        const col = 2 + (i % 2);
        return { rows: set(col, v), c: { kind: `${HEADER_2021[col]}:${what}`, expect, line: expect === 'reject' ? line : undefined } };
      }
      const [v, what, expect] = pick(datetime ? BAD_TIMES : BAD_NUMBERS, j);
      return { rows: set(0, v), c: { kind: `${datetime ? 'datetime' : 'number'}:${what}`, expect, line: expect === 'reject' ? line : undefined } };
    }
    case 'header': {
      const h = [...rows[0]];
      if (format === 'timestamps') return { rows: [['timestamp', 'extra'], ...rows.slice(1)], c: { kind: 'header:extra column', expect: 'either' } };
      const ops = [
        (): void => void h.splice(j % 4, 1),
        (): void => void (h[j % 4] = h[j % 4].toUpperCase()),
        (): void => void ([h[0], h[1]] = [h[1], h[0]]),
        (): void => void h.push('extra'),
        (): void => void (h[h.length - 1] = 'x'),
        (): void => void (h[0] = ''),
      ];
      pick(ops, i)();
      return { rows: [h, ...rows.slice(1)], c: { kind: `header:${['missing column', 'renamed column', 'swapped columns', 'extra column', 'wrong last column', 'empty name'][i % 6]}`, expect: 'reject', line: 1 } };
    }
    case 'header-only':
      return { rows: [rows[0]], c: { kind: 'header only', expect: 'reject' } };
    case 'short-row':
      return { rows: rows.map((row, k) => (k === r ? row.slice(0, Math.max(1, (j % row.length) - 1)) : row)), c: { kind: 'row:too few fields', expect: format === 'timestamps' ? 'either' : 'reject', line: format === 'timestamps' ? undefined : line } };
    case 'long-row':
      return { rows: rows.map((row, k) => (k === r ? [...row, '7'] : row)), c: { kind: 'row:extra field', expect: format === 'timestamps' ? 'either' : 'reject', line: format === 'timestamps' ? undefined : line } };
    case 'quote':
      return { rows: set(0, '"unclosed'), c: { kind: 'row:unclosed quote', expect: 'reject', line } };
    case 'garbage':
      return { rows: rows.map((row, k) => (k === r ? ['\u0000\u0001\uFFFD garbage'] : row)), c: { kind: 'row:binary garbage', expect: 'reject', line } };
    case 'empty':
      return { rows, c: { kind: 'empty file', expect: 'reject' }, text: () => '' };
    case 'blank':
      return { rows, c: { kind: 'blank lines only', expect: 'reject' }, text: () => '\n\n  \n' };
    case 'truncate':
      return { rows, c: { kind: 'truncated', expect: 'either' }, text: (t) => t.slice(0, rows[0].join(',').length + 2 + (j % Math.max(1, t.length - rows[0].join(',').length - 2))) };
    case 'bom':
      return { rows, c: { kind: 'valid:BOM', expect: 'accept' }, text: (t) => '\uFEFF' + t };
    case 'crlf':
      return { rows, c: { kind: 'valid:CRLF', expect: 'accept' }, text: (t) => t.replace(/\n/g, '\r\n') };
    case 'blank-lines':
      return { rows, c: { kind: 'valid:trailing blank lines', expect: 'accept' }, text: (t) => t + '\n\n' };
    case 'quoted':
      return { rows: rows.map((row, k) => (k === 0 ? row : row.map((x, m) => (m === 0 ? `"${x}"` : x)))), c: { kind: 'valid:quoted field', expect: 'accept' } };
    default:
      return { rows, c: { kind: 'valid', expect: 'accept' } };
  }
}

const TRACE_OPS = ['cell', 'cell', 'cell', 'cell', 'header', 'header-only', 'short-row', 'long-row', 'quote', 'garbage', 'empty', 'blank', 'truncate', 'bom', 'crlf', 'blank-lines', 'quoted', 'valid'];

/** A config that replays TRACE (or the 2019 dir) from the case's sandbox. */
function traceConfig(format: TraceFormat, dirMode: boolean): string {
  const name = `trace-${format}${dirMode ? '-dir' : ''}`;
  return sharedConfig(name, () => {
    const c = baseConfig('fifo', 'poisson');
    c.warmup = '0s';
    c.workload =
      format === '2019'
        ? dirMode
          ? { type: 'azure-2019', dir: TRACE_DIR, days: 1 }
          : { type: 'azure-2019', files: [TRACE] }
        : format === '2021'
          ? { type: 'azure-2021', file: TRACE }
          : { type: 'timestamps', file: TRACE };
    return c;
  });
}

/** Bad trace files, replayed by `servesim run` or read by `servesim trace stats`. */
export function traceCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      format: fc.constantFrom<TraceFormat>('2019', '2021', 'timestamps'),
      n: fc.integer({ min: 1, max: 4 }),
      vals: fc.array(fc.nat({ max: 5000 }), { minLength: 3, maxLength: 3 }),
      datetime: fc.boolean(),
      op: fc.constantFrom(...TRACE_OPS),
      i: fc.nat(),
      j: fc.nat(),
      how: fc.constantFrom('run', 'run', 'run', 'stats'),
      dirMode: fc.boolean(),
    })
    .map(({ format, n, vals, datetime, op, i, j, how, dirMode }): FuzzCase => {
      const rows = traceRows(format, n, vals, datetime);
      const t = corruptTrace(format, rows, op, i, j, datetime);
      // `trace stats` tells the format from the header: with a bad one it reads the file as timestamps and fails further down.
      if (how === 'stats' && op === 'header') t.c.line = undefined;
      let text = csv(t.rows);
      if (t.text) text = t.text(text);
      const useDir = format === '2019' && dirMode && how === 'run';
      const file = useDir ? join(TRACE_DIR, invocationFileName(1)) : TRACE;
      const argv = how === 'run' ? ['run', traceConfig(format, useDir), '--out', 'out', '-q'] : ['trace', 'stats', file];
      const mentions: Array<string | string[]> = [file.split('/').pop()!];
      if (t.c.line !== undefined) mentions.push([`line ${t.c.line}:`, `line ${t.c.line},`, `line ${t.c.line} `]);
      return {
        category: `trace-${format}`,
        kind: `${how}:${t.c.kind}`,
        label: `${format}${format === 'timestamps' ? (datetime ? ' date-times' : ' numbers') : ''} trace, ${n} rows, ${t.c.kind}${t.c.line ? ` at line ${t.c.line}` : ''}, via ${how}`,
        files: { [file]: text },
        argv,
        expect: t.c.expect,
        mentions,
        allowedWrites: how === 'run' ? ['out'] : [],
      };
    });
}

// ------------------------------------------------------------------ ONNX

let tinyOnnx: Uint8Array | undefined;
/** A tiny valid ONNX model (a 1-layer BERT with hidden size 8: about 8 kB). */
export function tinyModel(): Uint8Array {
  tinyOnnx ??= encodeModel(buildZooModel('bert-tiny', { layers: 1, hidden: 8, heads: 1, seq: 4, vocab: 16, intermediate: 8, positions: 8 }, { seed: '1' }));
  return tinyOnnx;
}

const PROFILE_ARGS = ['--batch', '1', '--runs', '1', '--warmup', '0', '--min-time', '0ms', '--max-time', '5ms', '--load-runs', '1', '--samples', '3', '--threads', '1', '--out', 'prof.json'];

/**
 * Bad ONNX files for `servesim profile`. With `slow`, also byte flips and the valid model, which
 * (when they decode) measure the model for seconds.
 */
export function onnxCases(opts: { slow?: boolean } = {}): fc.Arbitrary<FuzzCase> {
  const ops = ['empty', 'random', 'random', 'truncate', 'truncate', 'truncate', 'text', 'json', 'dir', 'missing', ...(opts.slow ? ['flip', 'flip', 'valid'] : [])];
  return fc
    .record({
      op: fc.constantFrom(...ops),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      at: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
      name: fc.constantFrom('model.onnx', 'dir/model.onnx', 'model with spaces.onnx'),
    })
    .map(({ op, bytes, at, flips, name }): FuzzCase => {
      const model = tinyModel();
      let content: Uint8Array | string | undefined;
      let expect: Expect = 'reject';
      const dirs: string[] = [];
      switch (op) {
        case 'empty':
          content = new Uint8Array(0);
          break;
        case 'random':
          content = bytes;
          break;
        case 'truncate': {
          const n = at % model.length;
          content = model.subarray(0, n);
          // Cutting the trailing opset import leaves a decodable model: measured for seconds.
          if (n >= model.length - 16) content = model.subarray(0, 1 + (n % 64));
          break;
        }
        case 'text':
          content = 'hello, this is not an ONNX model\n';
          break;
        case 'json':
          content = jsonText(miniProfile());
          break;
        case 'dir':
          dirs.push(name);
          break;
        case 'missing':
          break;
        case 'flip': {
          const c = Uint8Array.from(model);
          for (const [pos, x] of flips) c[pos % c.length] ^= x;
          content = c;
          expect = 'either';
          break;
        }
        default:
          content = model;
          expect = 'accept';
      }
      return {
        category: 'onnx',
        kind: `onnx:${op}`,
        label: `${name}: ${op}${content !== undefined ? ` (${typeof content === 'string' ? content.length : content.length} bytes)` : ''}`,
        files: content !== undefined ? { [name]: content } : {},
        dirs,
        argv: ['profile', name, ...PROFILE_ARGS],
        expect,
        slowMs: 60_000,
        mentions: [name],
        allowedWrites: ['prof.json'],
      };
    });
}

// ------------------------------------------------------------------ output locations

const FOREIGN = { 'keep/notes.txt': 'precious notes\n', 'keep/sub/data.bin': 'precious data\n' };

interface OutputTarget {
  kind: string;
  /** The --out argument (undefined: none given, the config's output.dir or results/<name> apply). */
  out?: string;
  files?: Record<string, string>;
  dirs?: string[];
  symlinks?: Record<string, string>;
  /** Config changes (output.dir, name). */
  config?: (c: Record<string, any>) => void;
  /** Expectation without --force and with it. */
  expect: Expect;
  expectForce?: Expect;
  allowed: string[];
  allowedForce?: string[];
  mentions: Array<string | string[]>;
}

const LONG = 'x'.repeat(300);

const TARGETS: OutputTarget[] = [
  { kind: 'out:absent', out: 'out', expect: 'accept', allowed: ['out'], mentions: [] },
  { kind: 'out:absent nested', out: 'a/b/out', expect: 'accept', allowed: ['a'], mentions: [] },
  { kind: 'out:trailing slash', out: 'out/', expect: 'accept', allowed: ['out'], mentions: [] },
  { kind: 'out:empty dir', out: 'out', dirs: ['out'], expect: 'accept', allowed: ['out'], mentions: [] },
  { kind: 'out:dir with foreign files', out: 'keep', files: FOREIGN, expect: 'reject', expectForce: 'either', allowed: [], allowedForce: ['keep'], mentions: ['keep'] },
  { kind: 'out:existing file', out: 'notes.txt', files: { 'notes.txt': 'precious\n' }, expect: 'reject', expectForce: 'reject', allowed: [], mentions: ['notes.txt'] },
  { kind: 'out:the config file', out: CONFIG, expect: 'reject', expectForce: 'reject', allowed: [], mentions: [CONFIG] },
  { kind: 'out:under a file', out: 'notes.txt/out', files: { 'notes.txt': 'precious\n' }, expect: 'reject', expectForce: 'reject', allowed: [], mentions: ['notes.txt'] },
  { kind: 'out:empty string', out: '', expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['--out', 'output']] },
  { kind: 'out:name too long', out: LONG, expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['xxxxxxxx', '--out']] },
  { kind: 'out:path too long', out: Array.from({ length: 40 }, () => 'y'.repeat(120)).join('/'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['yyyyyyyy', '--out']] },
  { kind: 'out:.', out: '.', expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['.', '--out']] },
  { kind: 'out:..', out: '..', expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['..', '--out']] },
  { kind: 'out:symlink to foreign dir', out: 'link', files: FOREIGN, symlinks: { link: 'keep' }, expect: 'reject', expectForce: 'either', allowed: [], allowedForce: ['link'], mentions: ['link'] },
  { kind: 'out:symlink to a file', out: 'link', files: { 'notes.txt': 'precious\n' }, symlinks: { link: 'notes.txt' }, expect: 'reject', expectForce: 'reject', allowed: [], mentions: ['link'] },
  { kind: 'out:dangling symlink', out: 'link', symlinks: { link: 'nowhere' }, expect: 'either', expectForce: 'either', allowed: ['link', 'nowhere'], mentions: ['link'] },
  { kind: 'out:symlink loop', out: 'link', symlinks: { link: 'link2', link2: 'link' }, expect: 'reject', expectForce: 'reject', allowed: [], mentions: ['link'] },
  { kind: 'out:previous results', out: 'prev', files: { 'prev/summary.json': '{}\n', 'prev/run.json': '{}\n', 'prev/.servesim.json': '{"servesim": true, "kind": "run", "files": ["run.json", "summary.json"]}\n' }, expect: 'reject', expectForce: 'accept', allowed: [], allowedForce: ['prev'], mentions: ['prev'] },
  { kind: 'config output.dir absent', config: (c) => (c.output.dir = 'res/here'), expect: 'accept', allowed: ['res'], mentions: [] },
  { kind: 'config output.dir ..', config: (c) => (c.output.dir = '..'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['..', 'output.dir']] },
  { kind: 'config output.dir .', config: (c) => (c.output.dir = '.'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['.', 'output.dir']] },
  { kind: 'config output.dir /', config: (c) => (c.output.dir = '/'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['/', 'output.dir']] },
  { kind: 'config name ..', config: (c) => (c.name = '..'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['..', 'name']] },
  { kind: 'config name .', config: (c) => (c.name = '.'), expect: 'reject', expectForce: 'reject', allowed: [], mentions: [['.', 'name']] },
  {
    kind: 'config name . with earlier results',
    config: (c) => (c.name = '.'),
    files: { 'results/earlier/summary.json': '{"earlier": true}\n' },
    expect: 'reject',
    expectForce: 'reject',
    allowed: [],
    mentions: [['.', 'name']],
  },
  { kind: 'default results/<name>', config: () => undefined, expect: 'accept', allowed: ['results'], mentions: [] },
];

/** `servesim run` of a tiny valid config into bad (and good) output locations. */
export function outputCases(): fc.Arbitrary<FuzzCase> {
  return fc.record({ t: fc.nat(), force: fc.boolean() }).map(({ t, force }): FuzzCase => {
    const target = pick(TARGETS, t);
    const cfg = baseConfig('fifo', 'poisson');
    cfg.duration = '300ms';
    cfg.warmup = '0s';
    cfg.drain = '100ms';
    delete cfg.output.dir;
    target.config?.(cfg);
    const expect = force ? (target.expectForce ?? target.expect) : target.expect;
    return {
      category: 'output',
      kind: `${target.kind}${force ? ' --force' : ''}`,
      label: `run --out ${target.out === undefined ? '(none)' : JSON.stringify(target.out.length > 60 ? target.out.slice(0, 60) + '...' : target.out)}${force ? ' --force' : ''} (${target.kind})`,
      files: { ...(target.files ?? {}), [CONFIG]: jsonText(cfg) },
      dirs: target.dirs,
      symlinks: target.symlinks,
      nested: true,
      argv: ['run', CONFIG, ...(target.out !== undefined ? ['--out', target.out] : []), '-q', ...(force ? ['--force'] : [])],
      expect,
      mentions: target.mentions,
      allowedWrites: force ? (target.allowedForce ?? target.allowed) : target.allowed,
    };
  });
}

// ------------------------------------------------------------------ CLI options and config paths

const CLI: Array<{ kind: string; argv: (cfg: string) => string[]; expect?: Expect; mentions: Array<string | string[]>; files?: Record<string, string | Uint8Array>; dirs?: string[]; allowed?: string[] }> = [
  { kind: 'cli:--seed negative', argv: (c) => ['run', c, '--seed', '-1', '--out', 'out'], mentions: ['--seed'] },
  { kind: 'cli:--seed 1e999', argv: (c) => ['run', c, '--seed', '1e999', '--out', 'out'], mentions: ['--seed'] },
  { kind: 'cli:--seed huge', argv: (c) => ['run', c, '--seed', '99999999999999999999', '--out', 'out'], mentions: ['seed'] },
  { kind: 'cli:--seed fraction', argv: (c) => ['run', c, '--seed', '1.5', '--out', 'out'], mentions: ['--seed'] },
  { kind: 'cli:--seed hex', argv: (c) => ['run', c, '--seed', '0x10', '--out', 'out'], mentions: ['--seed'] },
  { kind: 'cli:--jobs 0', argv: (c) => ['run', c, '--jobs', '0', '--out', 'out'], mentions: ['--jobs'] },
  { kind: 'cli:--shard on a single run', argv: (c) => ['run', c, '--shard', '1/2', '--out', 'out'], mentions: ['--shard'] },
  { kind: 'cli:--trace-events backwards', argv: (c) => ['run', c, '--trace-events', '2s:1s', '--out', 'out'], mentions: ['--trace-events'] },
  { kind: 'cli:--trace-events 1e999', argv: (c) => ['run', c, '--trace-events', '0s:1e999s', '--out', 'out'], mentions: ['--trace-events'] },
  { kind: 'cli:--trace-events word', argv: (c) => ['run', c, '--trace-events', 'soon', '--out', 'out'], mentions: ['--trace-events'] },
  { kind: 'cli:--trace-events negative', argv: (c) => ['run', c, '--trace-events', '-1s:1s', '--out', 'out'], mentions: ['--trace-events'] },
  { kind: 'cli:unknown option', argv: (c) => ['run', c, '--bogus'], mentions: ['--bogus'] },
  { kind: 'cli:unknown command', argv: () => ['frobnicate'], mentions: ['frobnicate'] },
  { kind: 'cli:missing config argument', argv: () => ['validate'], mentions: ['config'] },
  { kind: 'cli:missing --out value', argv: (c) => ['run', c, '--out'], mentions: ['--out'] },
  { kind: 'config:missing file', argv: () => ['validate', 'nope.json'], mentions: ['nope.json'] },
  { kind: 'config:empty path', argv: () => ['validate', ''], mentions: [['config', '""']] },
  { kind: 'config:a directory', argv: () => ['validate', 'somedir'], dirs: ['somedir'], mentions: ['somedir'] },
  { kind: 'config:/dev/null', argv: () => ['validate', '/dev/null'], mentions: ['/dev/null'] },
  { kind: 'config:binary file', argv: () => ['validate', 'bin.json'], files: { 'bin.json': Uint8Array.from([0xff, 0xfe, 0, 1, 2, 3]) }, mentions: ['bin.json'] },
  { kind: 'config:invalid UTF-8', argv: () => ['validate', 'bad.json'], files: { 'bad.json': Uint8Array.from([...Buffer.from('{"name": "'), 0xc3, 0x28, ...Buffer.from('"}')]) }, mentions: ['bad.json'] },
  { kind: 'config:path under a file', argv: () => ['validate', 'notes.txt/exp.json'], files: { 'notes.txt': 'x' }, mentions: ['notes.txt'] },
  { kind: 'config:name too long', argv: () => ['validate', `${LONG}.json`], mentions: ['xxxxxxxx'] },
  { kind: 'config:profile missing', argv: () => ['validate', 'exp.json'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), cluster: { profile: 'nope.json' } }) }, mentions: ['exp.json', 'nope.json'] },
  { kind: 'config:profile is a directory', argv: () => ['validate', 'exp.json'], dirs: ['pdir'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), cluster: { profile: 'pdir' } }) }, mentions: ['pdir'] },
  { kind: 'config:profile /dev/null', argv: () => ['validate', 'exp.json'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), cluster: { profile: '/dev/null' } }) }, mentions: ['/dev/null'] },
  { kind: 'config:trace missing', argv: () => ['run', 'exp.json', '--out', 'out'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), workload: { type: 'azure-2021', file: 'nope.csv' } }) }, mentions: ['nope.csv'], allowed: ['out'] },
  { kind: 'config:trace is a directory', argv: () => ['run', 'exp.json', '--out', 'out'], dirs: ['tdir'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), workload: { type: 'timestamps', file: 'tdir' } }) }, mentions: ['tdir'], allowed: ['out'] },
  { kind: 'config:trace /dev/null', argv: () => ['run', 'exp.json', '--out', 'out'], files: { 'exp.json': jsonText({ ...baseConfig('fifo', 'poisson'), workload: { type: 'azure-2021', file: '/dev/null' } }) }, mentions: ['/dev/null'], allowed: ['out'] },
  { kind: 'stats:missing file', argv: () => ['trace', 'stats', 'nope.csv'], mentions: ['nope.csv'] },
  { kind: 'stats:bad --column', argv: () => ['trace', 'stats', 't.csv', '--column', 'nope'], files: { 't.csv': 'a,b\n1,2\n' }, mentions: ['nope'] },
  { kind: 'stats:--column out of range', argv: () => ['trace', 'stats', 't.csv', '--column', '7'], files: { 't.csv': 'a,b\n1,2\n' }, mentions: ['t.csv'] },
  { kind: 'compare:missing dir', argv: () => ['compare', 'nope'], mentions: ['nope'] },
  { kind: 'compare:dir without results', argv: () => ['compare', 'empty'], dirs: ['empty'], mentions: ['empty'] },
  { kind: 'compare:corrupt summary', argv: () => ['compare', 'r'], files: { 'r/summary.json': '{"requests": ' }, mentions: ['summary.json'] },
  { kind: 'compare:summary of the wrong shape', argv: () => ['compare', 'r'], files: { 'r/summary.json': '[1,2,3]\n' }, mentions: ['summary.json'] },
  { kind: 'zoo:unknown model', argv: () => ['zoo', 'build', 'resnet9000', '--out', 'm.onnx'], mentions: ['resnet9000'] },
  { kind: 'zoo:bad option value', argv: () => ['zoo', 'build', 'resnet18', '--depth', '-3', '--out', 'm.onnx'], mentions: ['--depth'] },
  { kind: 'schema:--out under a file', argv: () => ['schema', '--out', 'notes.txt/s.json'], files: { 'notes.txt': 'x' }, mentions: ['notes.txt'] },
  { kind: 'merge:missing dirs', argv: () => ['merge', 'nope1', 'nope2', '--out', 'm'], mentions: ['nope1'], allowed: ['m'] },
  { kind: 'profile:bad --batch', argv: () => ['profile', '--zoo', 'resnet18', '--batch', '0,x'], mentions: ['--batch'] },
  { kind: 'profile:nothing to profile', argv: () => ['profile'], mentions: [['nothing', 'ONNX']] },
  { kind: 'profile:unknown zoo model', argv: () => ['profile', '--zoo', 'resnet9000'], mentions: ['resnet9000'] },
];

/** Bad command lines: options, and config/profile/trace paths that are not readable files. */
export function cliCases(): fc.Arbitrary<FuzzCase> {
  return fc.nat().map((i): FuzzCase => {
    const c = pick(CLI, i);
    const cfg = sharedConfig('cli', () => {
      const x = baseConfig('fifo', 'poisson');
      x.duration = '300ms';
      x.warmup = '0s';
      return x;
    });
    return {
      category: 'cli',
      kind: c.kind,
      label: c.kind,
      files: c.files ?? {},
      dirs: c.dirs,
      argv: ((a) => (a[0] === 'run' ? [...a.slice(0, 2), '-q', ...a.slice(2)] : a))(c.argv(cfg)),
      expect: c.expect ?? 'reject',
      mentions: c.mentions,
      allowedWrites: c.allowed ?? (c.argv('')[0] === 'run' ? ['out'] : []),
    };
  });
}

// ------------------------------------------------------------------ valid runs and their invariants

function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

function lineAt(text: string, i: number): string {
  return text.slice(text.lastIndexOf('\n', i) + 1, (text.indexOf('\n', i) + 1 || text.length + 1) - 1).trim().slice(0, 120);
}

/** Nulls in summary.json other than the quantities that have no data (no requests, no answers, no batches). */
function unexplainedNulls(summary: Record<string, any>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string, ctx: { total: number; answered: number }): void => {
    if (v === null) {
      const noData = /(^|\.)latencyMs\./.test(path) || /lateFraction$/.test(path) ? ctx.answered === 0 : /sloAttainment$/.test(path) ? ctx.total === 0 : /meanSize$/.test(path) ? summary.batches?.count === 0 : /^predictionError\.(INFER|LOAD)$/.test(path);
      if (!noData) out.push(`summary.json holds null at ${path}`);
      return;
    }
    if (typeof v !== 'object') return;
    const r = (v as Record<string, any>).requests;
    const next = r && typeof r === 'object' ? { total: r.total, answered: r.ok + r.late } : ctx;
    for (const [k, x] of Object.entries(v as object)) walk(x, path ? `${path}.${k}` : k, next);
  };
  walk(summary, '', { total: 0, answered: 0 });
  return out;
}

/**
 * The least time a request of each model can take: its fastest execution. Executions that overlap
 * (a policy with an `execConcurrency` option: every policy but clockwork and fifo) get an extra
 * lognormal work factor of mean 1 and CV extraCv (docs/design.md, "Worker and lanes"), which can
 * be well below 1 when extraCv is large, and k of them progress at g(k)/k of full speed, above 1
 * when a speed-up g(k) exceeds k: the bound is then the fastest execution scaled by the factor's
 * 1e-9 quantile, exp(mu - 6 sigma) (a run draws far fewer than 1e9 factors), and by min k/g(k).
 */
function lowerBoundsNs(dir: string, prof: Record<string, any>): Record<string, number> {
  const resolved = JSON.parse(readFileSync(join(dir, 'config.resolved.json'), 'utf8'));
  const overlaps = resolved.derived?.schedulerOptions?.execConcurrency !== undefined;
  const extraCv: number = resolved.derived?.interference?.extraCv ?? 0;
  const speedup: number[] = resolved.derived?.interference?.speedup ?? [1];
  const fastest = fastestExecNs(prof);
  if (overlaps) {
    const sigma = Math.sqrt(Math.log(1 + extraCv * extraCv));
    // k overlapping executions each progress at g(k)/k of full speed (the last g repeats).
    const shared = Math.min(1, ...speedup.map((g, i) => (i + 1) / g));
    const floor = Math.exp(-(sigma * sigma) / 2 - 6 * sigma) * shared;
    for (const k of Object.keys(fastest)) fastest[k] *= floor;
  }
  return fastest;
}

/** Problems of a finished run's outputs (in `dir`) for the profile `prof`. */
export function checkRunOutputs(dir: string, prof: Record<string, any>, instanceProfile: Record<string, string>): string[] {
  const problems: string[] = [];
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const summaryText = read('summary.json');
  const summary = JSON.parse(summaryText);
  // NaN and Infinity never; null only for a quantity with no data (a latency of no answered request).
  const m = /NaN|Infinity|undefined/.exec(summaryText);
  if (m) problems.push(`summary.json holds ${m[0]}: ${lineAt(summaryText, m.index)}`);
  problems.push(...unexplainedNulls(summary));
  for (const f of ['per-model.csv', 'timeseries.csv']) {
    const text = read(f);
    const bad = /NaN|Infinity|\bnull\b|undefined/.exec(text);
    if (bad) problems.push(`${f} holds ${bad[0]}: ${lineAt(text, bad.index)}`);
  }
  const c = summary.requests;
  const sum = (x: Record<string, number>): number => x.ok + x.late + x.timeout + x.rejected + x.failed + x.unfinished;
  if (!c || sum(c) !== c.total) problems.push(`summary.json: outcome counts ${JSON.stringify(c)} do not add up to the total`);
  for (const [g, s] of Object.entries<any>(summary.groups ?? {})) {
    if (sum(s.requests) !== s.requests.total) problems.push(`summary.json: group ${g}: outcome counts do not add up`);
  }
  const pm = parseCsv(read('per-model.csv'));
  const col = (name: string): number => pm[0].indexOf(name);
  let total = 0;
  const fastest = lowerBoundsNs(dir, prof);
  for (const row of pm.slice(1)) {
    const n = (name: string): number => Number(row[col(name)]);
    total += n('requests');
    const parts = ['ok', 'late', 'timeout', 'rejected', 'failed', 'unfinished'].reduce((a, k) => a + n(k), 0);
    if (parts !== n('requests')) problems.push(`per-model.csv: ${row[0]}: outcome counts add up to ${parts}, not ${n('requests')}`);
    const model = instanceProfile[row[0]];
    for (const q of ['p50Ms', 'p99Ms', 'maxMs', 'meanMs']) {
      const v = row[col(q)];
      if (v !== '' && model && Number(v) * 1e6 < fastest[model] * (1 - 1e-9)) {
        problems.push(`per-model.csv: ${row[0]}: ${q} ${v} ms is below the model's fastest execution ${fastest[model] / 1e6} ms`);
      }
    }
  }
  if (total !== c?.total) problems.push(`per-model.csv: requests add up to ${total}, summary.json says ${c?.total}`);
  const hist = JSON.parse(read('latency-histogram.json'));
  if (Object.keys(instanceProfile).length === 0) return problems;
  const minFastest = Math.min(...Object.values(instanceProfile).map((m) => fastest[m]));
  if (hist.overall?.min !== null && hist.overall?.min < minFastest * (1 - 1e-9)) {
    problems.push(`latency-histogram.json: the fastest request took ${hist.overall.min} ns, below the fastest execution of any model (${minFastest} ns)`);
  }
  return problems;
}

/** Per-request checks of requests.csv: measured requests match the summary, no answer faster than an execution. */
function checkRequestsCsv(dir: string, summary: Record<string, any>, prof: Record<string, any>, instanceProfile: Record<string, string>): string[] {
  const problems: string[] = [];
  const rows = parseCsv(readFileSync(join(dir, 'requests.csv'), 'utf8'));
  const h = rows[0];
  const at = (name: string): number => h.indexOf(name);
  const fastest = lowerBoundsNs(dir, prof);
  const counts: Record<string, number> = {};
  let measured = 0;
  for (const r of rows.slice(1)) {
    const outcome = r[at('outcome')];
    if (r[at('measured')] === '1') {
      measured++;
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    if ((outcome === 'ok' || outcome === 'late') && problems.length < 3) {
      const lat = Number(r[at('latencyNs')]);
      const model = instanceProfile[r[at('model')]];
      if (!Number.isFinite(lat)) problems.push(`requests.csv: request ${r[0]}: latency ${r[at('latencyNs')]}`);
      else if (model && lat < fastest[model] * (1 - 1e-9)) {
        problems.push(`requests.csv: request ${r[0]} (${r[at('model')]}) answered in ${lat} ns, faster than ${model}'s fastest execution (${fastest[model]} ns)`);
      }
      const sent = Number(r[at('sentNs')]);
      const arrival = Number(r[at('arrivalNs')]);
      const response = Number(r[at('responseNs')]);
      if (!(sent <= arrival && arrival <= response)) problems.push(`requests.csv: request ${r[0]}: sent ${sent}, arrival ${arrival}, response ${response} out of order`);
    }
  }
  if (measured !== summary.requests.total) problems.push(`requests.csv: ${measured} measured requests, summary.json says ${summary.requests.total}`);
  for (const k of ['ok', 'late', 'timeout', 'rejected', 'failed', 'unfinished']) {
    if ((counts[k] ?? 0) !== summary.requests[k]) problems.push(`requests.csv: ${counts[k] ?? 0} measured "${k}", summary.json says ${summary.requests[k]}`);
  }
  return problems;
}

const VALID_WORKLOADS = ['poisson', 'closed-loop', 'bursty-activation', 'slo-ramp', 'timestamps', 'azure-2021', 'azure-2019'] as const;

/** Small valid experiments: run twice, check the invariants and that the reruns are byte-identical. */
export function validRunCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      scheduler: fc.constantFrom(...SCHEDULERS),
      workloads: fc.array(
        fc.record({ type: fc.constantFrom(...VALID_WORKLOADS), rate: fc.integer({ min: 20, max: 300 }), concurrency: fc.integer({ min: 1, max: 4 }), slo: fc.integer({ min: 10, max: 200 }), sloFactor: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined }) }),
        { minLength: 1, maxLength: 2 },
      ),
      models: fc.array(fc.record({ model: fc.constantFrom(...MINI_MODELS), copies: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 3 }),
      workers: fc.integer({ min: 1, max: 2 }),
      twoGpus: fc.boolean(),
      duration: fc.integer({ min: 1, max: 3 }),
      warmup: fc.constantFrom('0s', '200ms'),
      drain: fc.constantFrom('0s', '50ms', '1s'),
      requests: fc.boolean(),
      seed: fc.nat({ max: 1_000_000 }),
    })
    .map((o): FuzzCase => {
      const cfg = baseConfig(o.scheduler, 'poisson');
      cfg.seed = o.seed;
      cfg.duration = `${o.duration}s`;
      cfg.warmup = o.warmup;
      cfg.drain = o.drain;
      cfg.cluster.workers = o.workers;
      cfg.cluster.gpusPerWorker = o.twoGpus && o.workers === 1 ? 2 : 1;
      cfg.models = o.models.map((m, i) => ({ profile: m.model, copies: m.copies, name: `m${i}` }));
      cfg.output.requests = o.requests;
      const ws = o.workloads.map((w, i) => {
        const x: Record<string, unknown> = { ...workloadBase(w.type), name: `w${i}`, slo: `${w.slo}ms` };
        if (w.sloFactor !== undefined) x.sloFactor = w.sloFactor;
        if (w.type === 'poisson' || w.type === 'slo-ramp') x.rate = w.rate;
        if (w.type === 'closed-loop') x.concurrency = w.concurrency;
        if (w.type === 'bursty-activation') x.majorRate = w.rate;
      // The shared 2019 trace holds a few invocations in its first minute: compress and scale it so that a short run sees some.
      if (w.type === 'azure-2019') Object.assign(x, { timeCompression: 30, scale: 20 });
        return x;
      });
      cfg.workload = ws.length === 1 ? ws[0] : ws;
      const instanceProfile: Record<string, string> = {};
      for (const [i, m] of o.models.entries()) {
        for (let k = 0; k < m.copies; k++) instanceProfile[m.copies === 1 ? `m${i}` : `m${i}#${k}`] = m.model;
      }
      const prof = miniProfile();
      const files = ['summary.json', 'per-model.csv', 'timeseries.csv', 'latency-histogram.json', 'config.json', 'config.resolved.json', 'manifest.json', ...(o.requests ? ['requests.csv'] : [])];
      return {
        category: 'valid-run',
        kind: `valid:${o.scheduler}`,
        label: `${o.scheduler}, ${o.workloads.map((w) => w.type).join(' + ')}, ${o.models.length} model entries, ${o.workers} worker(s) x ${cfg.cluster.gpusPerWorker} GPU(s), ${o.duration}s, drain ${o.drain}, seed ${o.seed}`,
        files: { [CONFIG]: jsonText(cfg) },
        argv: ['run', CONFIG, '--out', 'out1', '-q'],
        expect: 'accept',
        mentions: [],
        allowedWrites: ['out1', 'out2'],
        checkOutput: async (cwd: string, run: (argv: string[]) => Promise<CliResult>) => {
          const problems = checkRunOutputs(join(cwd, 'out1'), prof, instanceProfile);
          if (o.requests) {
            const summary = JSON.parse(readFileSync(join(cwd, 'out1', 'summary.json'), 'utf8'));
            problems.push(...checkRequestsCsv(join(cwd, 'out1'), summary, prof, instanceProfile));
          }
          const again = await run(['run', CONFIG, '--out', 'out2', '-q']);
          if (again.exitCode !== 0 || again.thrown) return [...problems, `the rerun failed: ${again.stderr || String(again.thrown)}`];
          for (const f of files) {
            const a = readFileSync(join(cwd, 'out1', f));
            const b = readFileSync(join(cwd, 'out2', f));
            if (!a.equals(b)) problems.push(`rerun: ${f} differs`);
          }
          return problems;
        },
      };
    });
}

// ------------------------------------------------------------------ edge values that run

const EDGE: Partial<Record<Field['kind'], unknown[]>> = {
  duration: ['0s', '1ms', '10s'],
  int: [0, 1, 2, 16],
  number: [0, 0.001, 1, 2],
  rate: [0, 0.001, 1000],
  bandwidth: [1, '1Gbit/s'],
  boolean: [true, false],
};

/** Fields whose edge values could make a run endless or huge (sizes, windows, paths) are left alone. */
function edgeField(f: Field): boolean {
  const top = String(f.path[0]);
  if (['output', 'metrics', 'sweep', 'name', '$schema', 'description'].includes(top)) return false;
  if (f.path.includes('pageSize') || f.path.includes('weightsMemory') || f.path.includes('profile')) return false;
  return f.kind === 'enum' || EDGE[f.kind] !== undefined;
}

/** Semantic mistakes that `run` must refuse as cleanly as `validate` (no sweeps: they fork workers). */
const RUN_SEMANTIC = SEMANTIC.filter((s) => !/sweep|tiny page|name is \.\./.test(s.kind));

/**
 * Valid-looking configs with one field at an edge value (0, 1 ms, 1 byte/s...) or one semantic
 * mistake, *run*: an error must be clean, a finished run must have sound outputs.
 */
export function edgeRunCases(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      v: fc.record({
        scheduler: fc.constantFrom(...SCHEDULERS),
        workload: fc.constantFrom('poisson', 'closed-loop', 'bursty-activation', 'slo-ramp', 'timestamps', 'azure-2021', 'azure-2019'),
        block: fc.boolean(),
        list: fc.boolean(),
      }),
      semantic: fc.integer({ min: 0, max: 4 }),
      field: fc.nat(),
      value: fc.nat(),
    })
    .map(({ v, semantic, field, value }): FuzzCase => {
      const cfg = variantConfig(v);
      cfg.duration = '1s';
      cfg.warmup = '0s';
      cfg.drain = '200ms';
      const prof = miniProfile();
      // Instance names -> profile models, for the latency checks (none when the case changes the models).
      let instanceProfile: Record<string, string> = { 'big#0': MINI_MODELS[0], 'big#1': MINI_MODELS[0], [MINI_MODELS[1]]: MINI_MODELS[1] };
      const base = {
        category: 'edge-run',
        argv: ['run', CONFIG, '--out', 'out', '-q'],
        allowedWrites: ['out'],
        checkOutput: async (cwd: string) => checkRunOutputs(join(cwd, 'out'), prof, instanceProfile),
      };
      let label: string;
      if (semantic === 0) {
        instanceProfile = {};
        const s = pick(RUN_SEMANTIC, field);
        s.apply(cfg, v);
        label = `${s.kind} (${v.scheduler}, ${v.workload})`;
        return { ...base, kind: `run-${s.kind}`, label, files: { [CONFIG]: jsonText(cfg) }, expect: s.expect ?? 'reject', mentions: [CONFIG, s.mentions] };
      }
      const fields = configFields(v).filter(edgeField);
      const f = pick(fields, field);
      const values = f.kind === 'enum' ? (f.values ?? []) : EDGE[f.kind]!;
      const x = pick(values, value);
      setAt(cfg, f.path, x);
      if (f.path[0] === 'models') instanceProfile = {};
      label = `${formatPath(f.path)} = ${jsonText(x, 0)} (${v.scheduler}${v.block ? ' options in a block' : ''}, ${v.workload}${v.list ? ' in a list' : ''})`;
      // A workload option at an edge value may only show once the trace is read (a start after the
      // trace's end, a number format the file does not have): then the message names the trace file
      // and its line, or the workload, rather than the config field.
      const fromTrace = ['timestamps', 'azure-2021', 'azure-2019'].includes(v.workload) && f.path[0] === 'workload';
      const mentions = fromTrace ? [[CONFIG, '.csv'], [...valueMentions(CONFIG, cfg, f.path).flat().filter((m) => m !== CONFIG), 'workload', 'line ']] : valueMentions(CONFIG, cfg, f.path);
      return { ...base, kind: `edge:${f.kind}=${jsonText(x, 0)}`, label, files: { [CONFIG]: jsonText(cfg) }, expect: 'either', mentions };
    });
}
