import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema, resolveExperiment } from '../src/experiment/config.js';
import { CONFIG_FIELD_DOCS, SCHEDULER_OPTION_DOCS, WORKLOAD_OPTION_DOCS } from '../src/experiment/option-docs.js';
import { jsonText } from '../src/util/output.js';
import { profileJsonSchema } from '../src/models/profile.js';
import { getScheduler, schedulerNames } from '../src/schedulers/index.js';
import { getWorkload, workloadNames } from '../src/traces/index.js';
import { UserError } from '../src/util/errors.js';

const ROOT = join(import.meta.dirname, '..');
const committed = JSON.parse(readFileSync(join(ROOT, 'docs/experiment.schema.json'), 'utf8'));
/** A JSON Schema 2020-12 validator, strict about the schema itself (unknown keywords are errors). */
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(committed);
/** [instance path, message] of each error, e.g. ["/scheduler/type", "must be equal to one of the allowed values"]. */
function errors(config: unknown): Array<[string, string]> {
  return validate(config) ? [] : (validate.errors ?? []).map((e) => [e.instancePath, `${e.message}${e.params && 'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`]);
}
/** The error servesim itself gives the config (its own validation), or "" if it accepts it. */
function cliError(config: Record<string, unknown>): string {
  try {
    resolveExperiment(config, join(ROOT, 'experiments', 'test.json'));
    return '';
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** Every shipped experiment config: experiments/*.json, experiments/paper/*.json, experiments/paper/fast/*.json. */
const SHIPPED = ['experiments', 'experiments/paper', 'experiments/paper/fast'].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${d}/${f}`),
);
const base = JSON.parse(readFileSync(join(ROOT, 'experiments/quickstart.json'), 'utf8'));
delete base.sweep;

describe('committed JSON Schemas', () => {
  it('docs/experiment.schema.json and docs/profile.schema.json match the code (regenerate with `servesim schema`)', () => {
    expect(readFileSync('docs/experiment.schema.json', 'utf8')).toBe(jsonText(experimentJsonSchema()));
    expect(readFileSync('docs/profile.schema.json', 'utf8')).toBe(jsonText(profileJsonSchema()));
  });

  it('lists every scheduler and workload type with its options', () => {
    const s = experimentJsonSchema() as { $defs: { schedulerOptions: Record<string, any>; workloadOptions: Record<string, any> } };
    expect(Object.keys(s.$defs.schedulerOptions)).toEqual(expect.arrayContaining(['clockwork', 'fifo', 'clipper', 'infaas', 'triton']));
    expect(Object.keys(s.$defs.schedulerOptions.clockwork.properties)).toContain('scheduleAhead');
    expect(Object.keys(s.$defs.workloadOptions)).toEqual(expect.arrayContaining(['poisson', 'closed-loop', 'azure-2019']));
  });

  it('every shipped experiment config points at the schema with "$schema" and validates against it', () => {
    expect(SHIPPED.length).toBeGreaterThanOrEqual(19);
    for (const f of SHIPPED) {
      const cfg = JSON.parse(readFileSync(join(ROOT, f), 'utf8'));
      expect(resolve(dirname(join(ROOT, f)), String(cfg.$schema)), f).toBe(join(ROOT, 'docs/experiment.schema.json'));
      expect(errors(cfg), f).toEqual([]);
    }
  });

  it('flags a misspelt scheduler or workload type, as servesim does', () => {
    const typo = { ...base, scheduler: { type: 'clockwrk' } };
    expect(errors(typo)).toContainEqual(['/scheduler/type', 'must be equal to one of the allowed values']);
    expect(cliError(typo)).toMatch(/scheduler\.type: expected one of .*found "clockwrk"/);
    const wtypo = { ...base, workload: [{ type: 'poisson', rate: 10 }, { type: 'closed-lop' }] };
    expect(errors(wtypo)).toContainEqual(['/workload/1/type', 'must be equal to one of the allowed values']);
    expect(cliError(wtypo)).toMatch(/workload\[1\]\.type: expected one of/);
  });

  it('flags a misspelt option, or one of another type, wherever it sits, as servesim does', () => {
    // [what, config fields, schema error path, the misspelt or foreign option, servesim's message path]
    const cases: Array<[string, Record<string, unknown>, string, string, string]> = [
      ['workload option', { workload: { type: 'azure-2021', file: 'x.txt', timeCompresion: 2 } }, '/workload', 'timeCompresion', 'workload'],
      ['option of another workload type', { workload: { type: 'poisson', rate: 10, concurrency: 4 } }, '/workload', 'concurrency', 'workload'],
      ['option in a list of workloads', { workload: [{ type: 'poisson', rate: 10 }, { type: 'closed-loop', thinktime: '1ms' }] }, '/workload/1', 'thinktime', 'workload[1]'],
      ['scheduler option', { scheduler: { type: 'clockwork', scheduleAhed: '5ms' } }, '/scheduler', 'scheduleAhed', 'scheduler'],
      ['option of another scheduler type', { scheduler: { type: 'fifo', maxBatch: 8 } }, '/scheduler', 'maxBatch', 'scheduler'],
      ['option in a per-type block', { scheduler: { type: 'fifo', clockwork: { maxBatc: 8 } } }, '/scheduler/clockwork', 'maxBatc', 'scheduler.clockwork'],
    ];
    for (const [what, over, at, bad, path] of cases) {
      const cfg = { ...base, ...over };
      expect(errors(cfg), what).toContainEqual([at, `must NOT have additional properties: ${bad}`]);
      const msg = cliError(cfg);
      expect(msg.includes(path) && msg.includes(bad), `${what}: ${msg}`).toBe(true);
    }
  });

  it('accepts what servesim accepts: each type\'s own options, flat or in per-type blocks, one workload or a list', () => {
    const good = [
      { scheduler: { type: 'clockwork', scheduleAhead: '5ms', maxBatch: 8, loadPolicy: 'intended' } },
      { scheduler: { type: 'fifo', inflight: 3, clockwork: { maxBatch: 8 }, triton: { maxBatchSize: 4 } } },
      { scheduler: { type: 'triton', maxBatchSize: 4, preferredBatchSizes: [2, 4], execConcurrency: 2 } },
      { workload: [{ type: 'poisson', rate: '100/s', slo: '25ms', name: 'fg' }, { type: 'closed-loop', concurrency: 2, thinkTime: '1ms', sloFactor: 3, name: 'bg' }] },
      { workload: { type: 'slo-ramp', rate: 100, ramp: { start: 2, factor: 1.5, every: '10s', max: 50 } } },
    ];
    for (const over of good) {
      const cfg = { ...base, ...over };
      expect(errors(cfg), JSON.stringify(over)).toEqual([]);
      expect(cliError(cfg), JSON.stringify(over)).toBe('');
    }
  });

  it('each type admits exactly its registered options (plus type, per-type blocks, a workload\'s common fields)', () => {
    const branches = (defs: any): Map<string, string[]> =>
      new Map(defs.allOf.map((b: any) => [b.if.properties.type.const, Object.keys(b.then.properties).sort()]));
    const s = branches(committed.$defs.scheduler);
    expect([...s.keys()].sort()).toEqual([...schedulerNames()].sort());
    expect(committed.$defs.scheduler.properties.type.anyOf[0].enum).toEqual([...schedulerNames()]);
    for (const n of schedulerNames()) {
      expect(s.get(n), n).toEqual(['type', ...schedulerNames(), ...Object.keys(getScheduler(n)!.options.shape)].sort());
    }
    const w = branches(committed.$defs.workload);
    expect([...w.keys()].sort()).toEqual([...workloadNames()].sort());
    for (const n of workloadNames()) {
      expect(w.get(n), n).toEqual(['type', 'name', 'slo', 'sloFactor', 'models', ...Object.keys(getWorkload(n)!.options.shape)].sort());
    }
  });

  it('describes every option of every scheduler and workload; no description names an option that does not exist', () => {
    const missing: string[] = [];
    for (const [kind, names, get] of [
      ['schedulerOptions', schedulerNames(), (n: string) => getScheduler(n)!.options],
      ['workloadOptions', workloadNames(), (n: string) => getWorkload(n)!.options],
    ] as const) {
      for (const n of names) {
        for (const k of Object.keys(get(n).shape)) {
          const d = committed.$defs[kind][n].properties[k].description;
          if (typeof d !== 'string' || d.length < 10) missing.push(`${kind}.${n}.${k}`);
        }
      }
    }
    expect(missing, 'add them to src/experiment/option-docs.ts').toEqual([]);
    for (const [docs, get] of [
      [SCHEDULER_OPTION_DOCS, (n: string) => getScheduler(n)?.options],
      [WORKLOAD_OPTION_DOCS, (n: string) => getWorkload(n)?.options],
    ] as const) {
      for (const [n, opts] of Object.entries(docs)) {
        const shape = get(n)?.shape;
        expect(shape, `option-docs.ts: type ${n}`).toBeDefined();
        for (const k of Object.keys(opts)) expect(Object.keys(shape!), `option-docs.ts: ${n}.${k}`).toContain(k);
      }
    }
    // The config's own fields: each top-level field is described, and each path in CONFIG_FIELD_DOCS exists.
    const at = (path: string): any =>
      path.split('.').reduce((s: any, k) => {
        const obj = s?.type === 'array' ? s.items : s;
        return obj?.properties?.[k];
      }, committed);
    for (const k of Object.keys(committed.properties)) {
      const p = committed.properties[k];
      expect(p.description ?? committed.$defs[k]?.description, `top-level field ${k}: add it to CONFIG_FIELD_DOCS`).toBeTypeOf('string');
    }
    for (const [path, d] of Object.entries(CONFIG_FIELD_DOCS)) expect(at(path)?.description, `CONFIG_FIELD_DOCS: ${path}`).toBe(d);
    expect(committed.$defs.scheduler.properties.type.description).toMatch(/clockwork/);
    expect(committed.$defs.workload.properties.slo.description).toMatch(/SLO|slo/);
  });
});
