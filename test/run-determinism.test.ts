import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadExperiment } from '../src/experiment/config.js';
import { runToDirectory } from '../src/experiment/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-run-'));
const config = {
  name: 'det',
  seed: 3,
  duration: '3s',
  warmup: '500ms',
  cluster: { profile: 'hw-profiles/v100-clockwork.json', workers: 2 },
  models: [{ profile: 'resnet50_v2', copies: 4 }, { profile: 'densenet121', copies: 2 }],
  workload: { type: 'poisson', rate: 300, slo: '50ms' },
  scheduler: { type: 'fifo' },
};
const cfgFile = join(dir, 'det.json');
writeFileSync(cfgFile, JSON.stringify(config));
const DETERMINISTIC = ['summary.json', 'config.json', 'config.resolved.json', 'manifest.json'];

async function runTo(out: string, seed?: number) {
  const r = loadExperiment(cfgFile, { seed }).points[0].resolved;
  return runToDirectory(r, out, false);
}

describe('runs', () => {
  it('the same config and seed give byte-identical outputs; another seed does not', async () => {
    await runTo(join(dir, 'a'));
    await runTo(join(dir, 'b'));
    await runTo(join(dir, 'c'), 4);
    for (const f of DETERMINISTIC) {
      expect(readFileSync(join(dir, 'b', f), 'utf8'), f).toBe(readFileSync(join(dir, 'a', f), 'utf8'));
    }
    // Another seed, other arrivals and service times: compare what does not record the seed itself.
    for (const f of ['timeseries.csv', 'per-model.csv', 'latency-histogram.json']) {
      expect(readFileSync(join(dir, 'c', f), 'utf8'), f).not.toBe(readFileSync(join(dir, 'a', f), 'utf8'));
    }
    const bare = (d: string) => {
      const { seed, ...rest } = JSON.parse(readFileSync(join(dir, d, 'summary.json'), 'utf8'));
      return { seed, rest };
    };
    expect(bare('c').seed).toBe(4);
    expect(bare('c').rest.requests.total).not.toBe(bare('a').rest.requests.total);
    const s = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8'));
    // Poisson 300 r/s over the 2.5 s window: about 750 requests, every one answered.
    expect(s.requests.total).toBeGreaterThan(650);
    expect(s.requests.total).toBeLessThan(850);
    expect(s.requests.ok + s.requests.late).toBe(s.requests.total);
    // Both workers' GPUs served (fifo spreads over every GPU), neither saturated at 300 r/s.
    expect(s.gpuUtilization).toHaveLength(2);
    for (const u of s.gpuUtilization) {
      expect(u).toBeGreaterThan(0.05);
      expect(u).toBeLessThan(0.95);
    }
    const run = JSON.parse(readFileSync(join(dir, 'a', 'run.json'), 'utf8'));
    expect(run.events).toBeGreaterThan(0);
    expect(run.simulatedRequestsPerWallSecond).toBeGreaterThan(0);
  });

  it('refuses to overwrite a non-empty output directory without force, and one servesim did not write even with it', async () => {
    const out = join(dir, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    await expect(runTo(out)).rejects.toThrow(
      `${out}: exists and was not written by servesim (no .servesim.json marker); refusing to replace it, even with --force (choose another --out, or move your files away)`,
    );
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('servesim-'))).toEqual([]);
  });
});

describe('CLI', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  function capture() {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
    return { out: () => out, err: () => err };
  }

  it('validate prints a one-line description; a bad config exits 1 with one message and no stack', async () => {
    const io = capture();
    await main(['node', 'servesim', 'validate', cfgFile]);
    expect(process.exitCode).toBeUndefined();
    expect(io.out()).toContain(`${cfgFile}: ok: det, fifo on 2 x NVIDIA Tesla V100 32GB (Clockwork testbed) (1376 pages of 16777216 B), 6 model instances`);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...config, duration: 'soon' }));
    await main(['node', 'servesim', 'run', bad]);
    expect(process.exitCode).toBe(1);
    expect(io.err()).toMatch(/^servesim: .*bad\.json: duration: expected a duration such as/);
    expect(io.err()).not.toMatch(/at .*\.ts:\d+/);
  });

  it('run writes the outputs and a sweep writes one directory per point plus an index', async () => {
    const io = capture();
    const sweepCfg = join(dir, 'sweep.json');
    writeFileSync(sweepCfg, JSON.stringify({ ...config, duration: '1s', warmup: 0, sweep: { 'workload.slo': ['10ms', '100ms'] } }));
    const out = join(dir, 'sweep-out');
    await main(['node', 'servesim', 'run', sweepCfg, '--out', out, '--quiet', '--jobs', '1']);
    expect(process.exitCode).toBeUndefined();
    expect(readdirSync(out).sort()).toEqual(['.servesim.json', 'index.csv', 'index.json', 'sweep.json', 'workload.slo=100ms', 'workload.slo=10ms']);
    const csv = readFileSync(join(out, 'index.csv'), 'utf8').split('\n');
    expect(csv[0]).toMatch(/^point,workload\.slo,scheduler,requests,ok,late/);
    expect(csv[1]).toMatch(/^workload\.slo=10ms,10ms,fifo,/);
    expect(existsSync(join(out, 'workload.slo=10ms', 'manifest.json'))).toBe(true);
    expect(io.err()).toBe('');
  });
});
