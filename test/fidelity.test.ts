/**
 * servesim fidelity (src/live/fidelity.ts): the comparison on hand-made summaries with figures
 * computed by hand, then one short end-to-end run of the built CLI on a tiny zoo model (the one
 * test/live.test.ts uses): its files, the sim/ run against a separate `servesim run`, the report
 * rebuilt from the directories, and the output directory's safety rules.
 * Needs the built CLI and executor worker (dist/): `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyLiveConfig, tinyLiveProfileJson } from './helpers/live-fixture.js';
import { checkMachine, compareFidelity, configDifferences, compareMetric, profileDrift, type FidelityRun } from '../src/live/fidelity.js';
import { UserError } from '../src/util/errors.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'servesim-fidelity-'));

describe('compareMetric', () => {
  it('relative error, noise floor, 95% half-width and min-max of three live runs', () => {
    // live 100, 90, 110: mean 100, sd 10; half-width t(0.975, 2) x 10 / sqrt(3) = 4.30265273 x 5.77350269 = 24.841377.
    const m = compareMetric('goodput', 95, [100, 90, 110], 0.1);
    expect(m.liveMean).toBe(100);
    expect(m.liveMin).toBe(90);
    expect(m.liveMax).toBe(110);
    expect(m.relativeError).toBe(-0.05);
    expect(m.absoluteDifference).toBe(-5);
    expect(m.noiseFloor).toBe(0.1);
    expect(m.halfWidth95).toBe(24.841377);
    expect(m.withinGoal).toBe(true);
    expect(m.verdict).toBe('ok');
  });

  it('verdict boundaries: ok up to the goal, noise up to the noise floor, differs beyond both', () => {
    // mean 100, noise floor 0.2 (80 and 120 are 20% off).
    const live = [80, 120, 100];
    expect(compareMetric('p99Ms', 110, live, 0.1).verdict).toBe('ok'); // exactly the goal
    expect(compareMetric('p99Ms', 90, live, 0.1).verdict).toBe('ok'); // -10%: |error| counts
    expect(compareMetric('p99Ms', 110.5, live, 0.1).verdict).toBe('noise');
    expect(compareMetric('p99Ms', 120, live, 0.1).verdict).toBe('noise'); // exactly the noise floor
    expect(compareMetric('p99Ms', 75, live, 0.1).verdict).toBe('differs');
    const d = compareMetric('p99Ms', 121, live, 0.1);
    expect(d.verdict).toBe('differs');
    expect(d.relativeError).toBe(0.21);
    expect(d.withinGoal).toBe(false);
    // The goal is a parameter: 25% accepts what 10% calls noise.
    expect(compareMetric('p99Ms', 121, live, 0.25).verdict).toBe('ok');
  });

  it('a live mean of 0: no relative error, the absolute difference says it', () => {
    const same = compareMetric('late', 0, [0, 0], 0.1);
    expect(same.relativeError).toBeNull();
    expect(same.noiseFloor).toBeNull();
    expect(same.absoluteDifference).toBe(0);
    expect(same.verdict).toBe('ok');
    const other = compareMetric('late', 3, [0, 0], 0.1);
    expect(other.relativeError).toBeNull();
    expect(other.absoluteDifference).toBe(3);
    expect(other.withinGoal).toBe(false);
    expect(other.verdict).toBe('differs');
  });

  it('one live run: no interval, a noise floor of 0', () => {
    const m = compareMetric('goodput', 105, [100], 0.1);
    expect(m.halfWidth95).toBeNull();
    expect(m.noiseFloor).toBe(0);
    expect(m.relativeError).toBe(0.05);
    expect(m.verdict).toBe('ok');
    expect(compareMetric('goodput', 120, [100], 0.1).verdict).toBe('differs');
  });

  it('two live runs: the half-width uses t(0.975, 1) = 12.706205', () => {
    // 99, 101: mean 100, sd sqrt(2); half-width 12.7062047 x sqrt(2) / sqrt(2).
    const m = compareMetric('p50Ms', 100, [99, 101], 0.1);
    expect(m.halfWidth95).toBe(12.706205);
    expect(m.noiseFloor).toBe(0.01);
    expect(m.relativeError).toBe(0);
  });

  it('a missing value (no request answered) is n/a, not a verdict', () => {
    expect(compareMetric('p99Ms', null, [10, 12], 0.1).verdict).toBe('n/a');
    const m = compareMetric('p99Ms', 10, [10, null], 0.1);
    expect(m.verdict).toBe('n/a');
    expect(m.relativeError).toBeNull();
    expect(m.live).toEqual([10, null]);
  });
});

function run(goodput: number, p99: number, extra: Record<string, unknown> = {}, perModel: FidelityRun['perModel'] = []): FidelityRun {
  return {
    summary: {
      goodput,
      throughput: goodput + 1,
      sloAttainment: 0.9,
      requests: { total: 100, ok: 90, late: 10, timeout: 0, rejected: 0, failed: 0 },
      latencyMs: { p50: 5, p90: 8, p99, p999: p99 * 2, mean: 6 },
      ...extra,
    },
    perModel,
  };
}

describe('compareFidelity', () => {
  it('headline, every metric, per model and prediction errors side by side', () => {
    const pm = (model: string, goodput: number) => [{ model, goodput, sloAttainment: 1, p50Ms: 4, p99Ms: 9 }];
    const pred = (p50: number) => ({ predictionError: { INFER: { count: 7, absErrorMs: { p50, p90: 2, p99: 3 }, meanSignedErrorMs: -0.5, earlyFraction: 0.25 } } });
    const sim = run(50, 20, pred(0.1), [...pm('b', 30), ...pm('a', 20)]);
    const live = [run(48, 30, pred(1), [...pm('a', 19), ...pm('b', 29)]), run(52, 30, pred(2), [...pm('a', 21), ...pm('b', 31)])];
    const c = compareFidelity(sim, live, 0.1);
    expect(c.runs).toEqual(['sim', 'live 1', 'live 2']);
    expect(c.metrics.map((m) => m.metric)).toEqual(['goodput', 'sloAttainment', 'throughput', 'p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'meanMs', 'ok', 'late', 'timeout', 'rejected', 'failed']);
    // goodput 50 against mean 50: 0; p99 20 against 30: -1/3, beyond the goal and the (zero) noise floor.
    expect(c.headline.goodput).toEqual({ relativeError: 0, verdict: 'ok' });
    expect(c.headline.p99Ms).toEqual({ relativeError: -0.33333333, verdict: 'differs' });
    expect(c.headline.meetsGoal).toBe(false);
    expect(c.metrics.find((m) => m.metric === 'late')).toMatchObject({ sim: 10, live: [10, 10], relativeError: 0, verdict: 'ok' });
    // Per model: sorted by name, whatever the files' order.
    expect(c.perModel.map((m) => m.model)).toEqual(['a', 'b']);
    expect(c.perModel[1].metrics[0]).toMatchObject({ metric: 'goodput', sim: 30, liveMean: 30, noiseFloor: 0.03333333, verdict: 'ok' });
    // Prediction errors: sim then each live run, INFER then LOAD (absent: nulls).
    expect(c.predictionError.map((p) => `${p.run} ${p.kind} ${p.absP50Ms}`)).toEqual(['sim INFER 0.1', 'sim LOAD null', 'live 1 INFER 1', 'live 1 LOAD null', 'live 2 INFER 2', 'live 2 LOAD null']);
    expect(c.predictionError[0]).toMatchObject({ count: 7, absP90Ms: 2, absP99Ms: 3, meanSignedErrorMs: -0.5, earlyFraction: 0.25 });
    // Both within the goal when p99 matches.
    expect(compareFidelity(run(50, 30), [run(48, 30), run(52, 30)], 0.1).headline.meetsGoal).toBe(true);
    expect(() => compareFidelity(sim, [], 0.1)).toThrow(UserError);
  });

  it('profile drift: measured medians against the profile, judged on enough samples', () => {
    const measured = (b1: number, load: number) => ({
      live: {
        measured: {
          m: {
            exec: { '1': { count: 4, p50Ms: b1, p99Ms: b1 * 2, profileP50Ms: 10 }, '2': { count: 5, p50Ms: 21, p99Ms: 30, profileP50Ms: 20 } },
            load: { count: 1, p50Ms: load, p99Ms: load, profileP50Ms: 40 },
          },
        },
      },
    });
    // batch 1: run p50s 8 and 7 -> median 7.5, ratio 0.75 on 8 samples: drift; batch 2: 21/20 = 1.05: none;
    // load: 2 samples in all, too few to judge though 80/40 = 2.
    const rows = profileDrift([measured(8, 80), measured(7, 80)]);
    expect(rows.map((r) => `${r.model} ${r.what}`)).toEqual(['m exec batch 1', 'm exec batch 2', 'm load']);
    expect(rows[0]).toMatchObject({ count: 8, measuredP50Ms: 7.5, ratio: 0.75, judged: true, drift: true });
    expect(rows[0].runs).toEqual([{ count: 4, p50Ms: 8, p99Ms: 16 }, { count: 4, p50Ms: 7, p99Ms: 14 }]);
    expect(rows[1]).toMatchObject({ ratio: 1.05, judged: true, drift: false });
    expect(rows[2]).toMatchObject({ count: 2, ratio: 2, judged: false, drift: false });
    // The boundary: 15% off is not drift, 15.1% is.
    expect(profileDrift([measured(8.5, 40)])[0].drift).toBe(false);
    expect(profileDrift([measured(8.49, 40)])[0].drift).toBe(true);
    const c = compareFidelity(run(1, 1), [run(1, 1, measured(8, 80))]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/^profile drift: m exec batch 1: measured median 8 ms is 0.8x the profile's 10 ms/);
  });

  it('profile drift of first runs after a LOAD: judged on 10 samples, not 3; none without a profile figure', () => {
    const first = (count: number, profileP50Ms: number | null) => ({
      live: { measured: { m: { exec: {}, firstExec: { '2': { count, p50Ms: 40, p99Ms: 60, profileP50Ms } } } } },
    });
    // 40 / 10 = 4x the profile's: judged at 10 samples (5 + 5), not at 9 (5 + 4).
    expect(profileDrift([first(5, 10), first(5, 10)])[0]).toMatchObject({ what: 'first exec batch 2', count: 10, ratio: 4, judged: true, drift: true });
    expect(profileDrift([first(5, 10), first(4, 10)])[0]).toMatchObject({ count: 9, judged: false, drift: false });
    // No first-run figure in the profile: never judged, however many samples.
    expect(profileDrift([first(50, null)])[0]).toMatchObject({ profileP50Ms: null, ratio: null, judged: false, drift: false });
  });
});

describe('configDifferences', () => {
  it('a config whose GPUs overlap work gets a warning; a serial executor none', () => {
    const c = (executor?: 'lanes' | 'serial') => ({ cluster: { executor } }) as unknown as Parameters<typeof configDifferences>[0];
    expect(configDifferences(c())).toHaveLength(1);
    expect(configDifferences(c('lanes'))[0]).toMatch(/^cluster.executor is "lanes".*set cluster.executor to "serial"/);
    expect(configDifferences(c('serial'))).toEqual([]);
  });
});

describe('checkMachine', () => {
  const device = { name: 'Some CPU (2 logical cores)', kind: 'cpu', details: { cpuModel: 'Some CPU', logicalCores: 2 } };
  it('no difference on the machine the profile was measured on', () => {
    expect(checkMachine('p.json', device, 'cpu', { cpuModel: 'Some CPU', logicalCores: 2, gpu: null }).differences).toEqual([]);
  });
  it('names the CPU and core count that differ, and a profile that records no CPU', () => {
    const d = checkMachine('p.json', device, 'cpu', { cpuModel: 'Other CPU', logicalCores: 16, gpu: null }).differences;
    expect(d).toEqual(['the profile was measured on Some CPU, this machine has Other CPU', 'the profile was measured with 2 logical cores, this process may use 16']);
    expect(checkMachine('p.json', { name: 'x', kind: 'cpu' }, 'cpu', { cpuModel: 'Some CPU', logicalCores: 2, gpu: null }).differences[0]).toMatch(/does not record its CPU/);
  });
  it('with the cuda provider, the GPU name', () => {
    const gpu = { name: 'NVIDIA H100', kind: 'gpu', details: { cpuModel: 'Some CPU', logicalCores: 2 } };
    expect(checkMachine('p.json', gpu, 'cuda', { cpuModel: 'Other CPU', logicalCores: 8, gpu: 'NVIDIA H100' }).differences).toEqual([]);
    expect(checkMachine('p.json', gpu, 'cuda', { cpuModel: 'Some CPU', logicalCores: 2, gpu: 'NVIDIA A100' }).differences).toEqual(['the profile was measured on NVIDIA H100, this machine\'s GPU 0 is NVIDIA A100']);
  });
});

// ------------------------------------------------------------------ end to end (built CLI)

const profilePath = join(dir, 'tiny.json');
writeFileSync(profilePath, JSON.stringify(tinyLiveProfileJson()));
const configPath = join(dir, 'tiny-fidelity.json');
writeFileSync(configPath, JSON.stringify(tinyLiveConfig('tiny-fidelity', profilePath, 'clockwork')));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'servesim.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

const REPORT_FILES = ['fidelity.json', 'fidelity.md', 'charts/latency-cdf.png', 'charts/latency-cdf.csv', 'charts/goodput.png', 'charts/goodput.csv'];
const bytes = (d: string, files: readonly string[]) => Object.fromEntries(files.map((f) => [f, readFileSync(join(d, f)).toString('base64')]));

describe('servesim fidelity (command line)', () => {
  it('runs sim and 2 live runs, writes the comparison, rebuilds it byte for byte, and keeps to the output rules', { timeout: 300_000 }, () => {
    const out = join(dir, 'out');
    // spin 0: plain timers, so the run does not keep a core busy beside the rest of the suite.
    const res = cli('fidelity', configPath, '--repeat', '2', '--spin', '0', '--out', out, '--json');
    expect(res.stderr).not.toMatch(/Error/);
    expect(res.status).toBe(0);
    // Progress lines and the machine warning (the fixture profile records no CPU).
    expect(res.stderr).toMatch(/^sim: /m);
    expect(res.stderr).toMatch(/^live 1\/2: /m);
    expect(res.stderr).toMatch(/^live 2\/2: /m);
    expect(res.stderr).toMatch(/warning: the profile does not record its CPU/);
    // The config leaves cluster.executor at "lanes", which live executors are not.
    expect(res.stderr).toMatch(/warning: cluster.executor is "lanes"/);
    expect(readFileSync(join(out, 'fidelity.md'), 'utf8')).toMatch(/config: cluster.executor is "lanes"/);

    for (const f of ['setup.json', ...REPORT_FILES]) expect(existsSync(join(out, f)), f).toBe(true);
    for (const d of ['sim', 'live-1', 'live-2']) for (const f of ['summary.json', 'per-model.csv', 'timeseries.csv', 'latency-histogram.json']) expect(existsSync(join(out, d, f)), `${d}/${f}`).toBe(true);

    // --json printed fidelity.json.
    const fj = JSON.parse(readFileSync(join(out, 'fidelity.json'), 'utf8'));
    expect(JSON.parse(res.stdout)).toEqual(fj);
    expect(fj.runs).toEqual(['sim', 'live 1', 'live 2']);
    expect(fj.repeat).toBe(2);
    expect(fj.goal).toBe(0.1);
    const sim = JSON.parse(readFileSync(join(out, 'sim', 'summary.json'), 'utf8'));
    const live = [1, 2].map((i) => JSON.parse(readFileSync(join(out, `live-${i}`, 'summary.json'), 'utf8')));
    expect(live.map((s) => s.mode)).toEqual(['live', 'live']);
    // The profile as served: pooled and simulated when a live run measured enough to replace a distribution.
    const anyReplaced = live.some((s) => s.live.measuredProfile.replaced.length > 0);
    const asServedFiles = anyReplaced ? ['measured-profile.json', 'sim-measured'] : [];
    expect(readdirSync(out).filter((e) => !e.startsWith('.')).sort()).toEqual(['charts', 'fidelity.json', 'fidelity.md', 'live-1', 'live-2', 'setup.json', 'sim', ...asServedFiles].sort());
    if (anyReplaced) {
      const simMeasured = JSON.parse(readFileSync(join(out, 'sim-measured', 'summary.json'), 'utf8'));
      expect(fj.asServed.metrics.find((m: { metric: string }) => m.metric === 'goodput').sim).toBe(simMeasured.goodput);
      expect(fj.asServed.metrics.map((m: { metric: string }) => m.metric)).toEqual(fj.metrics.map((m: { metric: string }) => m.metric));
      // It names the profile where it is, not the temporary directory it was simulated from.
      expect(JSON.parse(readFileSync(join(out, 'sim-measured', 'config.resolved.json'), 'utf8')).derived.profile).toBe('../measured-profile.json');
      const pooled = JSON.parse(readFileSync(join(out, 'measured-profile.json'), 'utf8'));
      expect(pooled.provenance.measuredWhileServing.replaced).toEqual(fj.asServed.replaced);
      expect(readFileSync(join(out, 'fidelity.md'), 'utf8')).toContain('## The simulation with the durations measured live');
    } else expect(fj.asServed).toBeUndefined();
    const goodput = fj.metrics.find((m: { metric: string }) => m.metric === 'goodput');
    expect(goodput.sim).toBe(sim.goodput);
    expect(goodput.live).toEqual(live.map((s) => s.goodput));
    const p99 = fj.metrics.find((m: { metric: string }) => m.metric === 'p99Ms');
    expect(p99.live).toEqual(live.map((s) => s.latencyMs.p99));
    expect(fj.headline.p99Ms.relativeError).toBe(p99.relativeError);
    expect(fj.perModel.map((m: { model: string }) => m.model)).toEqual(['tiny#0', 'tiny#1']); // two copies of the model
    expect(fj.profileDrift.length).toBeGreaterThan(0);
    expect(fj.timerLatenessUs.map((t: { run: string }) => t.run)).toEqual(['live 1', 'live 2']);
    expect(fj.definitions.noiseFloor).toMatch(/largest relative deviation/);
    const md = readFileSync(join(out, 'fidelity.md'), 'utf8');
    for (const h of ['## Setup', '## Headline', '## Metrics', '## Per model', '## Prediction errors', '## Profile drift', '## Timer lateness']) expect(md).toContain(h);
    // The charts overlay the sim and both live runs under their labels.
    const cdf = readFileSync(join(out, 'charts', 'latency-cdf.csv'), 'utf8');
    for (const label of ['sim', 'live 1', 'live 2']) expect(cdf).toMatch(new RegExp(`^${label},`, 'm'));

    // sim/ is a normal run: the same summary, byte for byte, as `servesim run` of the config.
    const alone = join(dir, 'alone');
    expect(cli('run', configPath, '--out', alone, '--quiet').status).toBe(0);
    expect(readFileSync(join(out, 'sim', 'summary.json'), 'utf8')).toBe(readFileSync(join(alone, 'summary.json'), 'utf8'));

    // The report rebuilt from the directories: the same bytes.
    const before = bytes(out, REPORT_FILES);
    const re = cli('fidelity', '--from', out, '--quiet');
    expect(re.status).toBe(0);
    expect(bytes(out, REPORT_FILES)).toEqual(before);
    // ... and with another goal, another fidelity.json (the goal is applied, not copied).
    expect(cli('fidelity', '--from', out, '--goal', '50%', '--quiet').status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'fidelity.json'), 'utf8')).goal).toBe(0.5);
    expect(cli('fidelity', '--from', alone, '--quiet').stderr).toMatch(/--from .*alone: not a directory "servesim fidelity" wrote/);

    // An existing fidelity directory is replaced only with --force.
    const again = cli('fidelity', configPath, '--repeat', '1', '--spin', '0', '--out', out, '--quiet');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/output directory exists and is not empty/);

    // A directory holding a person's files is refused, with --force too, and nothing in it is touched.
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    for (const force of [[], ['--force']]) {
      const r = cli('fidelity', configPath, '--repeat', '1', '--spin', '0', '--out', foreign, '--quiet', ...force);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/was not written by servesim/);
    }
    expect(readdirSync(foreign)).toEqual(['notes.txt']);

    // --force replaces only what servesim wrote: a person's file put into the fidelity directory
    // makes it theirs (refused); a file beside it is not touched; without it, --force replaces it
    // whole (one live run now).
    writeFileSync(join(out, 'mine.txt'), 'mine');
    writeFileSync(join(dir, 'beside.txt'), 'mine');
    const mixed = cli('fidelity', configPath, '--repeat', '1', '--spin', '0', '--out', out, '--quiet', '--force');
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/mine\.txt is not a file servesim wrote/);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(out, 'live-2', 'summary.json'))).toBe(true);
    spawnSync('rm', [join(out, 'mine.txt')]);
    const forced = cli('fidelity', configPath, '--repeat', '1', '--spin', '0', '--out', out, '--quiet', '--force');
    expect(forced.status).toBe(0);
    expect(existsSync(join(out, 'live-2'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'fidelity.json'), 'utf8')).runs).toEqual(['sim', 'live 1']);
    expect(readFileSync(join(dir, 'beside.txt'), 'utf8')).toBe('mine');
  });

  it('--help describes the command, its files and the noise floor; bad input names the option', { timeout: 60_000 }, () => {
    const h = cli('fidelity', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^Usage: servesim fidelity \[options\] \[config\]/);
    for (const flag of ['--repeat', '--goal', '--profile', '--from', '--out', '--force', '--set', '--seed', '--json', '--quiet', '--provider', '--threads', '--pin', '--spin']) expect(h.stdout).toContain(flag);
    expect(h.stdout).toContain('fidelity.md');
    expect(h.stdout).toMatch(/noise floor/i);
    expect(cli('fidelity', configPath, '--repeat', '0').stderr).toMatch(/--repeat/);
    expect(cli('fidelity', configPath, '--goal', 'ten').stderr).toMatch(/--goal expects a percentage/);
    expect(cli('fidelity', configPath, '--profile', join(dir, 'nope.json')).stderr).toMatch(/--profile .*nope\.json: no such file/);
    expect(cli('fidelity', join(ROOT, 'experiments', 'quickstart.json'), '--out', join(dir, 'never')).stderr).toMatch(/fidelity runs one point, and this config has a "sweep"/);
    expect(cli('fidelity').stderr).toMatch(/give a config file/);
    expect(cli('fidelity', '--from', dir, '--out', join(dir, 'x')).stderr).toMatch(/--out applies to a new run, not to rebuilding a report/);
  });
});
