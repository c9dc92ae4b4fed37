/**
 * Golden outputs: every file a set of runs writes (summaries, CSVs, histograms, requests.csv,
 * trace events, sweep index, and the Chart.js configuration of every chart) is hashed and compared
 * with test/golden/outputs.json. Refactors and performance work must leave them byte-identical;
 * a change that is meant to change results updates the file on purpose:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
 *
 * and the commit says why the numbers moved. Paths that depend on where the test runs (the
 * repository and the temporary directory) are replaced by <root> and <tmp> before hashing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const rendered: unknown[] = [];
vi.mock('chartjs-node-canvas', () => ({
  ChartJSNodeCanvas: class {
    async renderToBuffer(config: unknown): Promise<Buffer> {
      rendered.push(config);
      return Buffer.from(JSON.stringify(config));
    }
  },
}));

const { loadExperiment } = await import('../src/experiment/config.js');
const { runToDirectory } = await import('../src/experiment/runner.js');
const { runSweep } = await import('../src/experiment/sweep.js');
const { plotCharts } = await import('../src/charts/plot.js');
const { synthAzure } = await import('../src/traces/synth-azure.js');
const { ROOT, tmp, writeConfig } = await import('./helpers/results.js');

// Relative to the working directory (the repository when vitest runs): an absolute path would be
// part of the config hash in manifest.json, which then would differ between checkouts.
const PROFILE = 'hw-profiles/v100-clockwork.json';

const GOLDEN = join(ROOT, 'test', 'golden', 'outputs.json');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function digest(text: string, dir: string): string {
  const normal = text.split(dir).join('<tmp>').split(ROOT).join('<root>');
  return createHash('sha256').update(normal).digest('hex');
}

/** sha256 of every file under `dir` except run.json (wall-clock facts), by relative path. */
function hashTree(dir: string, base = dir, into: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(p, base, into);
    else if (name !== 'run.json') into[relative(base, p)] = digest(readFileSync(p, 'utf8'), base);
  }
  return into;
}

const base = {
  seed: 5,
  duration: '3s',
  warmup: '500ms',
  drain: '2s',
  cluster: { profile: PROFILE },
  output: { requests: true, charts: true },
};

/** Runs chosen to pass through every scheduler, workload type, lane and output. */
const RUNS: Record<string, Record<string, unknown>> = {
  'fifo-2workers-poisson': {
    ...base,
    cluster: { profile: PROFILE, workers: 2 },
    models: [{ profile: 'resnet50_v2', copies: 4 }, { profile: 'densenet121', copies: 2 }],
    workload: { type: 'poisson', rate: 600, slo: '30ms' },
    scheduler: { type: 'fifo' },
  },
  'clockwork-2gpus-evictions': {
    ...base,
    cluster: { profile: PROFILE, gpusPerWorker: 2, weightsMemory: '1GiB' },
    models: [{ profile: 'resnet50_v2', copies: 6, name: 'hot' }, { profile: 'resnet50_v2', copies: 12, name: 'cold' }],
    workload: [
      { type: 'poisson', name: 'hot', models: ['hot#*'], rate: 600, slo: '30ms' },
      { type: 'poisson', name: 'cold', models: ['cold#*'], rate: 150, slo: '60ms' },
    ],
    scheduler: { type: 'clockwork' },
  },
  'clockwork-closed-loop': {
    ...base,
    models: [{ profile: 'resnet50_v2', copies: 15 }],
    workload: { type: 'closed-loop', concurrency: 16, slo: '100ms' },
    scheduler: { type: 'clockwork', clockwork: { scheduleAhead: '5ms', maxBatch: 8 } },
  },
  'triton-closed-loop-think': {
    ...base,
    cluster: { profile: PROFILE, gpusPerWorker: 2 },
    models: [{ profile: 'resnet50_v2', copies: 3 }, { profile: 'inceptionv3', copies: 2 }],
    workload: { type: 'closed-loop', concurrency: 4, thinkTime: '2ms', slo: '50ms' },
    scheduler: { type: 'triton' },
  },
  'infaas-mixed': {
    ...base,
    models: [{ profile: 'resnet50_v2', copies: 3 }, { profile: 'densenet121', copies: 2 }],
    workload: [
      { type: 'closed-loop', name: 'closed', concurrency: 4, thinkTime: '2ms', slo: '40ms' },
      { type: 'poisson', name: 'open', rate: 200, slo: '20ms', models: ['densenet121#*'] },
    ],
    scheduler: { type: 'infaas' },
  },
  'clipper-poisson': {
    ...base,
    cluster: { profile: PROFILE, workers: 2 },
    models: [{ profile: 'resnet50_v2', copies: 5 }],
    workload: { type: 'poisson', rate: 500, slo: '30ms' },
    scheduler: { type: 'clipper' },
  },
  'clockwork-paper-workloads': {
    ...base,
    duration: '4s',
    models: [{ profile: 'resnet50_v2', copies: 6 }],
    workload: [
      { type: 'bursty-activation', name: 'bursty', majorRate: 400, minorRate: 50, interval: '1s' },
      { type: 'slo-ramp', name: 'ramp', rate: 100, ramp: { every: '1s', start: 2, max: 10 }, models: ['resnet50_v2#0'] },
    ],
    scheduler: { type: 'clockwork' },
  },
};

describe('golden outputs', () => {
  const dir = tmp('servesim-golden-');
  const actual: Record<string, Record<string, string>> = {};

  for (const [name, cfg] of Object.entries(RUNS)) {
    it(`run ${name}`, async () => {
      const file = writeConfig(dir, { name, ...cfg }, `${name}.json`);
      const out = join(dir, name);
      await runToDirectory(loadExperiment(file).points[0].resolved, out, false, { traceEvents: { from: 1e9, to: 1.2e9 } });
      actual[name] = hashTree(out);
      expect(Object.keys(actual[name])).toContain('requests.csv');
    }, 60_000);
  }

  it('run of trace replays (azure-2019 from a synthesized day, timestamps)', async () => {
    await synthAzure({ functions: 200, days: 1, seed: 4, out: join(dir, 'trace') });
    const stamps = Array.from({ length: 400 }, (_, i) => `${((i * 7919) % 3000) / 1000 + i / 1000},m${i % 3}`);
    writeFileSync(join(dir, 'stamps.csv'), `t,model\n${stamps.sort((a, b) => parseFloat(a) - parseFloat(b)).join('\n')}\n`);
    const name = 'traces';
    const file = writeConfig(dir, {
      name,
      ...base,
      cluster: { profile: PROFILE, gpusPerWorker: 2 },
      models: [{ profile: 'resnet50_v2', copies: 8 }],
      workload: [
        { type: 'azure-2019', name: 'azure', dir: 'trace', startMinute: 600, spread: 'poisson', scale: 0.05, slo: '100ms' },
        { type: 'timestamps', name: 'stamps', file: 'stamps.csv', assign: 'column', modelColumn: 'model', slo: '50ms' },
      ],
      scheduler: { type: 'clockwork' },
    }, `${name}.json`);
    const out = join(dir, name);
    await runToDirectory(loadExperiment(file).points[0].resolved, out, false, {});
    actual[name] = hashTree(out);
  }, 60_000);

  it('sweep with its index and sweep charts', async () => {
    const name = 'sweep';
    const file = writeConfig(dir, {
      name,
      ...base,
      output: { requests: false, charts: true },
      models: [{ profile: 'resnet50_v2', copies: 4 }],
      workload: { type: 'poisson', rate: 300, slo: '25ms' },
      scheduler: { type: 'fifo' },
      sweep: { 'workload.rate': [200, 800], 'scheduler.type': ['fifo', 'clockwork'] },
    }, `${name}.json`);
    const out = join(dir, name);
    const { input, points } = loadExperiment(file);
    await runSweep({ file, input, points, outDir: out, jobs: 1 });
    await plotCharts([out], join(dir, 'sweep-charts'));
    actual[name] = { ...hashTree(out), ...hashTree(join(dir, 'sweep-charts'), dir) };
  }, 120_000);

  it('every file matches test/golden/outputs.json', () => {
    expect(Object.keys(actual).length).toBe(Object.keys(RUNS).length + 2);
    if (UPDATE) {
      writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
      return;
    }
    expect(existsSync(GOLDEN), `${GOLDEN} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8'));
    expect(actual).toEqual(golden);
  });
});
