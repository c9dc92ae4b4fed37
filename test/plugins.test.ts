/**
 * Plugins (docs/writing-a-scheduler.md): the two examples run end to end through the real CLI
 * (built dist/, as a user runs them) and behave as their formulas say; configs naming plugins
 * validate and record provenance; every way a plugin can be broken is a UserError naming the module.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { experimentJsonSchema, loadExperimentWithPlugins, resolveExperiment } from '../src/experiment/config.js';
import { isPluginRef, pluginUses } from '../src/experiment/plugins.js';
import { runExperiment } from '../src/experiment/runner.js';
import { Residency } from '../src/sim/gpu.js';
import { RESIDENCY } from '../src/index.js';
import { UserError } from '../src/util/errors.js';
import Ajv2020 from 'ajv/dist/2020.js';
import { testProfileJson } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'servesim.js');
const EDF = join(ROOT, 'examples', 'edf-scheduler', 'edf.js');
const cli = (args: string[], cwd = ROOT, nodeArgs: string[] = []) =>
  spawnSync(process.execPath, [...nodeArgs, CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
/** A user's project directory with servesim installed as a dependency (node_modules/servesim -> this package). */
function userProject(d: string): void {
  mkdirSync(join(d, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(d, 'node_modules', 'servesim'), 'dir');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'servesim-plugins-'));
});

/**
 * One GPU, one model M (one page, batch 1 only, exec exactly 10 ms, LOAD 5 ms), no network or
 * PCIe delays: every time in a run is a sum of these numbers.
 */
function tinySetup(d: string): void {
  const profile = testProfileJson({
    pageSize: 1_000_000,
    pages: 2,
    pcie: { bandwidth: 1e12, latency: 0 },
    source: 'plugins test',
    models: { M: { weightsBytes: 1_000_000, exec: { 1: 10 }, load: 5 } },
  });
  writeFileSync(join(d, 'tiny.json'), JSON.stringify(profile));
}
const tinyConfig = (scheduler: Record<string, unknown>, workload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'tiny',
  duration: '1s',
  drain: '1s',
  cluster: { profile: 'tiny.json', network: { clientLatency: 0, workerLatency: 0, inferInputs: 'none' } },
  models: [{ profile: 'M' }],
  workload,
  scheduler,
  ...extra,
});

describe('the EDF example (examples/edf-scheduler)', () => {
  it('admits a burst only as far as the queued work lets each request meet its deadline', () => {
    const d = join(dir, 'edf-tiny');
    mkdirSync(d);
    tinySetup(d);
    // One request at 0 ms (queued while M loads), then six at once at 100 ms, SLO 35 ms.
    writeFileSync(join(d, 'arrivals.csv'), 't\n0\n100\n100\n100\n100\n100\n100\n');
    const cfg = tinyConfig({ type: EDF, inflight: 2 }, { type: 'timestamps', file: 'arrivals.csv', unit: 'ms', slo: '35ms' }, { output: { requests: true } });
    writeFileSync(join(d, 'exp.json'), JSON.stringify(cfg));
    const r = cli(['run', join(d, 'exp.json'), '-o', join(d, 'out'), '-q']);
    expect(r.status, r.stderr).toBe(0);
    const s = json(join(d, 'out', 'summary.json'));
    // The burst at 100 ms: ends at 110, 120, 130 ms fit 135 ms; a fourth would end at 140 ms.
    expect(s.scheduler).toBe('edf');
    expect(s.requests).toMatchObject({ total: 7, ok: 4, late: 0, timeout: 0, rejected: 3, failed: 0 });
    expect(s.schedulerStats).toEqual({ admitted: 4, rejected: 3, dropped: 0 });
    const rows = readFileSync(join(d, 'out', 'requests.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    // id,model,group,sentNs,arrivalNs,deadlineNs,responseNs,latencyNs,outcome,measured
    const burst = rows.filter((x) => Number(x[3]) === 100e6).sort((x, y) => Number(x[0]) - Number(y[0]));
    expect(burst.map((x) => x[8])).toEqual(['ok', 'ok', 'ok', 'rejected', 'rejected', 'rejected']);
    expect(burst.slice(0, 3).map((x) => Number(x[7]))).toEqual([10e6, 20e6, 30e6]);
    // The first waits for the LOAD (5 ms), then runs 10 ms.
    expect(Number(rows.find((x) => x[3] === '0')![7])).toBe(15e6);
  }, 60_000);

  it('edf.json runs through the CLI; the manifest and config.resolved.json record the module and its options', () => {
    const out = join(dir, 'edf-example');
    const r = cli(['run', 'edf.json', '-o', out, '-q', '--set', 'duration=4s', '--set', 'warmup=0s'], join(ROOT, 'examples', 'edf-scheduler'));
    expect(r.status, r.stderr).toBe(0);
    const manifest = json(join(out, 'manifest.json'));
    expect(manifest.plugins).toEqual([{ kind: 'scheduler', type: './edf.js', path: EDF, sha256: sha(EDF) }]);
    const resolved = json(join(out, 'config.resolved.json'));
    expect(resolved.derived.schedulerOptions).toEqual({ inflight: 2, percentile: 0.99, window: 10 });
    expect(resolved.derived.plugins[0]).toMatchObject({ kind: 'scheduler', type: './edf.js', name: 'edf', path: EDF });
    expect(Object.keys(resolved.derived.plugins[0].optionsSchema.properties)).toEqual(['inflight', 'percentile', 'window']);
    const s = json(join(out, 'summary.json'));
    // 600 r/s offered; batch 1 serves at most 1 / (batch-1 exec) requests per second: the rest is rejected.
    const v100 = json(join(ROOT, 'hw-profiles', 'v100-clockwork.json'));
    const p0 = v100.models.resnet50_v2.exec['1'];
    expect(p0).toBeDefined();
    expect(s.requests.rejected).toBeGreaterThan(0);
    // No warmup: the scheduler's own counts are the summary's.
    expect(s.schedulerStats.admitted + s.schedulerStats.rejected).toBe(s.requests.total);
    expect(s.schedulerStats.rejected).toBe(s.requests.rejected);
    expect(s.schedulerStats.dropped).toBe(s.requests.timeout);
    expect(s.requests.failed).toBe(0);
  }, 60_000);

  it('compare.json sweeps the plugin and clockwork in parallel worker processes', () => {
    const out = join(dir, 'compare');
    const r = cli(['run', 'compare.json', '-o', out, '-q', '-j', '2', '--set', 'duration=3s', '--set', 'warmup=1s', '--set', 'output.charts=false'], join(ROOT, 'examples', 'edf-scheduler'));
    expect(r.status, r.stderr).toBe(0);
    const index = json(join(out, 'index.json'));
    expect(index.map((p: any) => p.params['scheduler.type'])).toEqual(['./edf.js', './edf.js', './edf.js', './edf.js', 'clockwork', 'clockwork', 'clockwork', 'clockwork']);
    expect(index.map((p: any) => p.metrics.scheduler)).toEqual(['edf', 'edf', 'edf', 'edf', 'clockwork', 'clockwork', 'clockwork', 'clockwork']);
    // Only the points that ran the plugin record it.
    expect(json(join(out, index[0].dir, 'manifest.json')).plugins[0].sha256).toBe(sha(EDF));
    expect(json(join(out, index[4].dir, 'manifest.json')).plugins).toBeUndefined();
  }, 120_000);

  it('validate loads the plugin and names it', () => {
    const r = cli(['validate', 'compare.json'], join(ROOT, 'examples', 'edf-scheduler'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes(`scheduler plugin edf from ${EDF}`))).toHaveLength(4);
  }, 60_000);
});

describe('sweeps with plugins', () => {
  it('--resume skips points made with the same plugin file, and refuses points made with another version of it', () => {
    const d = join(dir, 'resume');
    mkdirSync(d);
    tinySetup(d);
    const reject = "export default { create: () => { let ctx; return { name: 'r', start(c) { ctx = c; }, onRequest(r) { ctx.respond(r, 'rejected'); }, onResult() {} }; } };\n";
    writeFileSync(join(d, 'reject.mjs'), reject);
    writeFileSync(join(d, 'exp.json'), JSON.stringify(tinyConfig({ type: './reject.mjs' }, { type: 'poisson', rate: 10 }, { sweep: { 'workload.rate': [10, 20] } })));
    const run = (...extra: string[]) => cli(['run', join(d, 'exp.json'), '-o', join(d, 'out'), '-j', '1', ...extra]);
    expect(run('-q').status).toBe(0);
    const again = run('--resume');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 already complete, running 0/);
    writeFileSync(join(d, 'reject.mjs'), reject + '// changed\n');
    const changed = run('--resume', '-q');
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/workload\.rate=10: exists but was not produced by this config's point \(manifest configHash differs, or a plugin file changed since\); use --force to rerun it/);
    const forced = run('--resume', '--force', '-q');
    expect(forced.status, forced.stderr).toBe(0);
    expect(json(join(d, 'out', 'workload.rate=10', 'manifest.json')).plugins[0].sha256).toBe(sha(join(d, 'reject.mjs')));
  }, 120_000);
});

describe('plugins named by --set', () => {
  it('--set scheduler=... may name a plugin, relative to the config file', () => {
    const r = cli(['validate', 'diurnal.json', '--set', 'scheduler={"type":"../edf-scheduler/edf.js","inflight":1}'], join(ROOT, 'examples', 'custom-workload'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`, edf on 1 x `);
    expect(r.stdout).toContain(`; scheduler plugin edf from ${EDF} (sha256 ${sha(EDF).slice(0, 12)})`);
    expect(r.stdout).toContain(`; workload plugin diurnal from ${join(ROOT, 'examples', 'custom-workload', 'diurnal.js')}`);
  }, 60_000);
});

describe('the custom workload example (examples/custom-workload)', () => {
  it('sends arrivals at mean * (1 + amplitude sin(2 pi t / period)): counts per half-cycle match the integral', () => {
    const out = join(dir, 'diurnal');
    const r = cli(['run', 'diurnal.json', '-o', out, '-q', '--set', 'output.requests=true', '--set', 'output.charts=false'], join(ROOT, 'examples', 'custom-workload'));
    expect(r.status, r.stderr).toBe(0);
    const sent = readFileSync(join(out, 'requests.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3]) / 1e9);
    // mean 300/s, amplitude 0.8, period 20 s, 40 s: rising halves [0,10) and [20,30) s, falling halves the others.
    // Integral of the rate over a rising half: mean (P/2 + a P / pi); over a falling half: mean (P/2 - a P / pi).
    const [mean, a, P] = [300, 0.8, 20];
    const high = 2 * mean * (P / 2 + (a * P) / Math.PI); // 9055.8
    const low = 2 * mean * (P / 2 - (a * P) / Math.PI); // 2944.2
    const nHigh = sent.filter((t) => t % P < P / 2).length;
    const nLow = sent.length - nHigh;
    // Poisson counts: within 5 standard deviations (sqrt of the mean).
    expect(Math.abs(nHigh - high)).toBeLessThan(5 * Math.sqrt(high));
    expect(Math.abs(nLow - low)).toBeLessThan(5 * Math.sqrt(low));
    // The peak quarter (around t = 5 s) against the trough quarter (around 15 s): mean (P/4 +- a sqrt(2) P / (2 pi)) each.
    const q = (from: number) => sent.filter((t) => (t % P) >= from && (t % P) < from + P / 4).length;
    const peak = 2 * mean * (P / 4 + (a * Math.SQRT2 * P) / (2 * Math.PI));
    const trough = 2 * mean * (P / 4 - (a * Math.SQRT2 * P) / (2 * Math.PI));
    expect(Math.abs(q(2.5) - peak)).toBeLessThan(5 * Math.sqrt(peak));
    expect(Math.abs(q(12.5) - trough)).toBeLessThan(5 * Math.sqrt(trough));
    const resolved = json(join(out, 'config.resolved.json'));
    expect(resolved.derived.workloads[0]).toMatchObject({ name: 'diurnal', type: 'diurnal', options: { mean: 300, amplitude: 0.8, period: 20e9 } });
    expect(resolved.derived.workloads[0].resolved.peakRate).toBeCloseTo(540, 9);
    expect(resolved.derived.workloads[0].resolved.troughRate).toBeCloseTo(60, 9);
  }, 60_000);
});

describe('plugin configs', () => {
  it('a module path is a plugin; names are not', () => {
    for (const t of ['./a.js', '../x/b.mjs', '/abs/c.js', 'file:///abs/d.js']) expect(isPluginRef(t), t).toBe(true);
    for (const t of ['clockwork', 'a.js', 'x/./y.js', '', 3]) expect(isPluginRef(t), String(t)).toBe(false);
    expect(
      pluginUses({
        scheduler: { type: './s.js', './t.js': { x: 1 }, clockwork: {} },
        workload: [{ type: 'poisson' }, { type: '../w.js' }],
      }),
    ).toEqual([
      { kind: 'scheduler', ref: './s.js', field: 'scheduler.type' },
      { kind: 'scheduler', ref: './t.js', field: 'scheduler["./t.js"]' },
      { kind: 'workload', ref: '../w.js', field: 'workload[1].type' },
    ]);
  });

  it('the JSON Schema accepts a plugin path as scheduler or workload type and still flags a misspelt name', () => {
    const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(experimentJsonSchema() as object);
    const base = json(join(ROOT, 'examples', 'edf-scheduler', 'compare.json'));
    delete base.$schema;
    expect(validate(base), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(json(join(ROOT, 'examples', 'custom-workload', 'diurnal.json')))).toBe(true);
    expect(validate({ ...base, scheduler: { type: 'clockwrk' } })).toBe(false);
    expect(validate({ ...base, scheduler: { type: './edf' } })).toBe(false); // no module extension
    expect(validate({ ...base, scheduler: { type: 'fifo', './edf.js': { inflight: 1 }, maxBatch: 8 } })).toBe(false); // fifo has no maxBatch
  });

  it('RESIDENCY (for JavaScript plugins) has the engine\'s values', () => {
    expect(RESIDENCY).toEqual({ NONE: Residency.NONE, LOADING: Residency.LOADING, LOADED: Residency.LOADED });
  });
});

describe('plugin errors name the module', () => {
  let d: string;
  beforeAll(() => {
    d = join(dir, 'errors');
    mkdirSync(d);
    tinySetup(d);
    userProject(d);
    writeFileSync(join(d, 'ok-workload.mjs'), "export default { create: () => ({ start(ctx) { ctx.at(0, () => ctx.submit(ctx.targets[0])); } }) };\n");
  });
  /** The message of loading and running a config whose scheduler is `module` (written to d). */
  async function errorOf(file: string, source: string | undefined, scheduler: Record<string, unknown> = { type: `./${file}` }, run = false): Promise<string> {
    if (source !== undefined) writeFileSync(join(d, file), source);
    const cfgFile = join(d, `${file}.json`);
    writeFileSync(cfgFile, JSON.stringify(tinyConfig(scheduler, { type: './ok-workload.mjs', slo: '50ms' })));
    try {
      const { points } = await loadExperimentWithPlugins(cfgFile);
      if (run) await runExperiment(points[0].resolved);
      return '';
    } catch (e) {
      if (e instanceof UserError) return e.message.replace(cfgFile, 'CFG').replaceAll(d, 'DIR');
      throw e;
    }
  }
  const good = "export default { create: () => ({ start() {}, onRequest() {}, onResult() {} }) };\n";

  it('module not found', async () => {
    expect(await errorOf('missing.js', undefined)).toBe('CFG: scheduler.type: scheduler plugin "./missing.js": module not found: no file DIR/missing.js (paths are relative to the config file\'s directory)');
  });
  it('a path that is not a module file', async () => {
    expect(await errorOf('edf.txt', 'x')).toBe('CFG: scheduler.type: scheduler plugin "./edf.txt": expected a module file ending in .js, .mjs or .cjs (or .ts with a TypeScript loader), found "./edf.txt"');
  });
  it('no default export', async () => {
    expect(await errorOf('nodefault.mjs', 'export const scheduler = {};\n')).toBe(
      'CFG: scheduler.type: scheduler plugin "./nodefault.mjs": DIR/nodefault.mjs has no default export (expected `export default { name, options, create }`; it exports scheduler)',
    );
  });
  it('a default export of the wrong shape', async () => {
    expect(await errorOf('fn.mjs', 'export default function () {}\n')).toMatch(/^CFG: scheduler\.type: scheduler plugin "\.\/fn\.mjs": expected the default export to be an object .*, found a function$/);
    expect(await errorOf('nocreate.mjs', 'export default { name: "x" };\n')).toMatch(/^CFG: scheduler\.type: scheduler plugin "\.\/nocreate\.mjs": expected the default export to have a create\(\) function .*, found nothing$/);
    expect(await errorOf('badopts.mjs', 'export default { options: { inflight: 2 }, create() {} };\n')).toMatch(
      /^CFG: scheduler\.type: scheduler plugin "\.\/badopts\.mjs": expected "options" of the default export to be a zod object schema/,
    );
  });
  it('importing the module throws', async () => {
    expect(await errorOf('throws.mjs', "throw new Error('no GPU budget configured');\n")).toMatch(
      /^CFG: scheduler\.type: scheduler plugin "\.\/throws\.mjs": importing DIR\/throws\.mjs failed: no GPU budget configured \(at /,
    );
    // Where: the place in the module (node's stack; the test runner's own loader hides it).
    const r = cli(['validate', join(d, 'throws.mjs.json')]);
    expect(r.stderr).toBe(
      `servesim: ${join(d, 'throws.mjs.json')}: scheduler.type: scheduler plugin "./throws.mjs": importing ${join(d, 'throws.mjs')} failed: no GPU budget configured (at file://${join(d, 'throws.mjs')}:1:7)\n`,
    );
    expect(await errorOf('syntax.mjs', 'export default {\n')).toMatch(/^CFG: scheduler\.type: scheduler plugin "\.\/syntax\.mjs": importing DIR\/syntax\.mjs failed: /);
  }, 60_000);
  it('a syntax error names the line (through the CLI, as node reports it)', async () => {
    await errorOf('syntax2.mjs', 'export default {\n  create() {\n');
    const r = cli(['validate', join(d, 'syntax2.mjs.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `servesim: ${join(d, 'syntax2.mjs.json')}: scheduler.type: scheduler plugin "./syntax2.mjs": importing ${join(d, 'syntax2.mjs')} failed: SyntaxError: Unexpected end of input (at ${join(d, 'syntax2.mjs')}:3)\n`,
    );
  }, 60_000);
  it('create() throws, or returns no scheduler', async () => {
    expect(await errorOf('create-throws.mjs', "export default { create() { throw new Error('bad seed'); } };\n", undefined, true)).toMatch(
      /^scheduler plugin DIR\/create-throws\.mjs: create\(\) threw: bad seed/,
    );
    expect(await errorOf('create-empty.mjs', 'export default { create: () => ({ start() {} }) };\n', undefined, true)).toBe(
      'scheduler plugin DIR/create-empty.mjs: create() returned an object without onRequest, onResult, expected a Scheduler (start, onRequest, onResult)',
    );
  });
  it('the scheduler throws during the run', async () => {
    const src = "export default { create: () => ({ start() {}, onRequest() { throw new RangeError('queue full'); }, onResult() {} }) };\n";
    expect(await errorOf('run-throws.mjs', src, undefined, true)).toMatch(/^scheduler plugin DIR\/run-throws\.mjs threw during the run: RangeError: queue full\n {2}at .*run-throws\.mjs/);
  });
  it('options are validated against the plugin\'s schema, and a plugin without one takes none', async () => {
    const withSchema = "import { z } from 'servesim';\nexport default { options: z.strictObject({ inflight: z.number().int().positive().default(2) }), create: () => ({ start() {}, onRequest() {}, onResult() {} }) };\n";
    expect(await errorOf('opts.mjs', withSchema, { type: './opts.mjs', inflight: 0 })).toMatch(/^CFG: scheduler\.inflight: /);
    expect(await errorOf('opts.mjs', undefined, { type: './opts.mjs', inflgiht: 2 })).toMatch(/^CFG: scheduler: .*inflgiht/);
    expect(await errorOf('good.mjs', good, { type: './good.mjs', inflight: 2 })).toMatch(/^CFG: scheduler: .*inflight/);
    expect(await errorOf('good.mjs', undefined, { type: './good.mjs' }, true)).toBe('');
  });
  it('a per-type block keyed by a plugin path is checked against that plugin\'s options, selected or not', async () => {
    expect(await errorOf('good.mjs', good, { type: 'fifo', './good.mjs': { x: 1 } })).toBe('CFG: scheduler["./good.mjs"]: unknown field "x"');
    expect(await errorOf('good.mjs', good, { type: 'fifo', './good.mjs': {} }, true)).toBe('');
  });
  it('a workload plugin that is missing names workload.type', async () => {
    const cfgFile = join(d, 'w.json');
    writeFileSync(cfgFile, JSON.stringify(tinyConfig({ type: 'fifo' }, { type: '../nowhere/w.js' })));
    await expect(loadExperimentWithPlugins(cfgFile)).rejects.toThrow(`${cfgFile}: workload.type: workload plugin "../nowhere/w.js": module not found: no file ${join(dir, 'nowhere', 'w.js')}`);
  });
  it('resolveExperiment without loadPlugins says so', () => {
    const cfg = tinyConfig({ type: './never-loaded.mjs' }, { type: 'poisson', rate: 1 });
    expect(() => resolveExperiment(cfg, join(d, 'x.json'))).toThrow(/scheduler\.type: scheduler plugin "\.\/never-loaded\.mjs" was not loaded/);
  });
});

describe('TypeScript plugins', () => {
  const src = [
    "import { defineScheduler, type Request, type SchedulerContext } from 'servesim';",
    'let ctx: SchedulerContext;',
    "export default defineScheduler({ create: () => ({ name: 'reject-all', start(c: SchedulerContext) { ctx = c; }, onRequest(r: Request) { ctx.respond(r, 'rejected'); }, onResult() {} }) });",
  ].join('\n');
  it('plain node says how to run them; node --import tsx runs them', () => {
    // A user's project with servesim installed: 'servesim' resolves through its node_modules.
    const d = join(dir, 'ts-project');
    mkdirSync(d);
    userProject(d);
    writeFileSync(join(d, 'package.json'), JSON.stringify({ type: 'module', dependencies: { servesim: '*' } }));
    {
      tinySetup(d);
      writeFileSync(join(d, 'reject.ts'), src);
      writeFileSync(join(d, 'exp.json'), JSON.stringify(tinyConfig({ type: './reject.ts' }, { type: 'poisson', rate: 10 })));
      const plain = cli(['run', join(d, 'exp.json'), '-o', join(d, 'out1'), '-q']);
      expect(plain.status).toBe(1);
      expect(plain.stderr).toMatch(/scheduler plugin "\.\/reject\.ts": node cannot import TypeScript by itself: .*node --import tsx/);
      const tsx = cli(['run', join(d, 'exp.json'), '-o', join(d, 'out2'), '-q'], ROOT, ['--import', 'tsx']);
      expect(tsx.status, tsx.stderr).toBe(0);
      const s = json(join(d, 'out2', 'summary.json'));
      expect(s.scheduler).toBe('reject');
      expect(s.requests.rejected).toBe(s.requests.total);
      expect(s.requests.total).toBeGreaterThan(0);
    }
  }, 60_000);
});
