/**
 * `--shard auto` (README.md, "Sweeps on a cluster"): the shard of a Slurm job array task or a
 * Kubernetes Indexed Job pod, read from the environment; and the examples in examples/slurm and
 * examples/k8s run as a cluster would run them, merged, against the same sweep run whole.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveShard, shardFromEnv } from '../src/experiment/sweep.js';
import { CLI, ensureBuilt, ROOT, snapshot, tinyConfig, tmp, writeConfig } from './helpers/results.js';

/** A Slurm array task's variables, as Slurm sets them for `--array=MIN-MAX[:STEP]`. */
function slurm(id: number, min: number, max: number, step = 1): Record<string, string> {
  const ids: number[] = [];
  for (let k = min; k <= max; k += step) ids.push(k);
  const env: Record<string, string> = {
    SLURM_JOB_ID: '4242',
    SLURM_ARRAY_JOB_ID: '4242',
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_COUNT: String(ids.length),
  };
  if (step !== 1) env.SLURM_ARRAY_TASK_STEP = String(step);
  return env;
}

describe('--shard auto: the shard from the environment', () => {
  it('a Slurm array gives each task its own shard, 0-based, 1-based or stepped', () => {
    for (const [min, max, step] of [
      [0, 7, 1],
      [1, 8, 1],
      [5, 7, 1],
      [0, 14, 2],
      [3, 3, 1],
    ]) {
      const ids: number[] = [];
      for (let k = min; k <= max; k += step) ids.push(k);
      const got = ids.map((id) => shardFromEnv(slurm(id, min, max, step)));
      // Task j (in id order) runs shard j + 1 of the number of tasks: every shard exactly once.
      expect(got.map((s) => [s.index, s.count])).toEqual(ids.map((_, j) => [j + 1, ids.length]));
    }
    expect(shardFromEnv(slurm(3, 0, 7))).toMatchObject({ index: 4, count: 8, from: 'Slurm array task 3 of 0-7' });
    expect(shardFromEnv(slurm(1, 1, 8))).toMatchObject({ index: 1, count: 8 });
    expect(shardFromEnv(slurm(6, 0, 14, 2))).toMatchObject({ index: 4, count: 8, from: 'Slurm array task 6 of 0-14:2' });
  });

  it('a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) of SERVESIM_SHARD_COUNT', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0', SERVESIM_SHARD_COUNT: '3' })).toMatchObject({ index: 1, count: 3 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2', SERVESIM_SHARD_COUNT: '3' })).toMatchObject({ index: 3, count: 3 });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0', SERVESIM_SHARD_COUNT: '1' })).toMatchObject({ index: 1, count: 1 });
  });

  it('"i/n" is still taken as given, "auto" reads the environment', () => {
    expect(resolveShard('2/3', slurm(0, 0, 7))).toEqual({ index: 2, count: 3 });
    expect(resolveShard('auto', slurm(7, 0, 7))).toMatchObject({ index: 8, count: 8 });
    expect(() => resolveShard('auto', {})).toThrow(/--shard auto/);
  });

  it('refuses missing, malformed and inconsistent variables, naming the variable and its value', () => {
    const err = (env: Record<string, string>): string => {
      try {
        shardFromEnv(env);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({})).toMatch(/neither a Slurm job array \(SLURM_ARRAY_TASK_ID\) nor a Kubernetes Indexed Job \(JOB_COMPLETION_INDEX\).*--shard i\/n/);
    expect(err({ SLURM_JOB_ID: '77' })).toMatch(/SLURM_JOB_ID=77 is set, but this job is not an array: submit with sbatch --array/);
    expect(err({ ...slurm(0, 0, 3), JOB_COMPLETION_INDEX: '1', SERVESIM_SHARD_COUNT: '4' })).toMatch(/both .*SLURM_ARRAY_TASK_ID=0.*JOB_COMPLETION_INDEX=1/);
    expect(err({ ...slurm(2, 0, 3), SLURM_ARRAY_TASK_ID: 'two' })).toMatch(/SLURM_ARRAY_TASK_ID expects a non-negative integer, found "two"/);
    expect(err({ ...slurm(2, 0, 3), SLURM_ARRAY_TASK_COUNT: '-4' })).toMatch(/SLURM_ARRAY_TASK_COUNT expects a non-negative integer, found "-4"/);
    const noMin = slurm(2, 0, 3);
    delete noMin.SLURM_ARRAY_TASK_MIN;
    expect(err(noMin)).toMatch(/SLURM_ARRAY_TASK_ID=2 is set .*but SLURM_ARRAY_TASK_MIN is not/);
    // --array=1,2,7: three tasks, but ids 1..7 are not evenly spaced.
    expect(err({ ...slurm(2, 1, 7), SLURM_ARRAY_TASK_COUNT: '3' })).toMatch(/SLURM_ARRAY_TASK_COUNT=3, but ids 1\.\.7 make 7 tasks.*evenly spaced/);
    expect(err({ ...slurm(2, 0, 3), SLURM_ARRAY_TASK_ID: '9' })).toMatch(/SLURM_ARRAY_TASK_ID=9 is outside SLURM_ARRAY_TASK_MIN\.\.SLURM_ARRAY_TASK_MAX = 0\.\.3/);
    expect(err({ ...slurm(2, 0, 3), SLURM_ARRAY_TASK_MAX: '0', SLURM_ARRAY_TASK_MIN: '3' })).toMatch(/SLURM_ARRAY_TASK_MAX=0 is below SLURM_ARRAY_TASK_MIN=3/);
    expect(err({ ...slurm(4, 0, 8, 2), SLURM_ARRAY_TASK_ID: '3' })).toMatch(/SLURM_ARRAY_TASK_ID=3 is not SLURM_ARRAY_TASK_MIN=0 plus a multiple of SLURM_ARRAY_TASK_STEP=2/);
    expect(err({ ...slurm(4, 0, 8, 2), SLURM_ARRAY_TASK_STEP: '0' })).toMatch(/SLURM_ARRAY_TASK_STEP expects a positive integer, found "0"/);
    expect(err({ JOB_COMPLETION_INDEX: '1' })).toMatch(/JOB_COMPLETION_INDEX=1 is set .*but SERVESIM_SHARD_COUNT is not: set it .*spec\.completions/);
    expect(err({ JOB_COMPLETION_INDEX: '3', SERVESIM_SHARD_COUNT: '3' })).toMatch(/JOB_COMPLETION_INDEX=3 is not below SERVESIM_SHARD_COUNT=3/);
    expect(err({ JOB_COMPLETION_INDEX: '0', SERVESIM_SHARD_COUNT: '0' })).toMatch(/SERVESIM_SHARD_COUNT expects a positive integer .*found "0"/);
    expect(err({ JOB_COMPLETION_INDEX: '0', SERVESIM_SHARD_COUNT: '2.5' })).toMatch(/SERVESIM_SHARD_COUNT expects a non-negative integer, found "2.5"/);
  });
});

/** The folded (`>-`) args string of a Job in examples/k8s: its lines joined by spaces. */
function foldedArgs(yaml: string): string {
  const m = /args:\n\s*- >-\n((?:[ ]{14}\S.*\n)+)/.exec(yaml);
  if (!m) throw new Error('no "args: - >-" block');
  return m[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

describe('the cluster examples, run as the cluster would (built dist/)', () => {
  beforeAll(() => ensureBuilt(), 120_000);
  const notWallClock = (rel: string): boolean => rel.endsWith('run.json') || rel === 'sweep.json';

  /** A sweep of 3 points, its unsharded run, and a check that `merged` holds the same results. */
  function tinySweep(dir: string): { file: string; expectSameAsWhole: (merged: string) => void } {
    const file = writeConfig(dir, tinyConfig({ duration: '1s', warmup: '200ms', drain: '1s', sweep: { 'workload.rate': [100, 200, 300] } }));
    const whole = join(dir, 'whole');
    const r = spawnSync(process.execPath, [CLI, 'run', file, '--out', whole, '--jobs', '1', '--quiet'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return {
      file,
      expectSameAsWhole: (merged) => {
        const a = snapshot(whole, notWallClock);
        expect(Object.keys(a).filter((k) => k.endsWith('summary.json'))).toHaveLength(3);
        expect(snapshot(merged, notWallClock)).toEqual(a);
        expect(JSON.parse(readFileSync(join(merged, 'sweep.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(whole, 'sweep.json'), 'utf8')));
      },
    };
  }

  it('examples/slurm: each array task of a 1-based array (one task more than points), then merge.sbatch, equals the sweep run whole', () => {
    const dir = tmp();
    const { file, expectSameAsWhole } = tinySweep(dir);
    const shards = join(dir, 'shards');
    const merged = join(dir, 'merged');
    const env = { ...process.env, CONFIG: file, OUT: shards, MERGED: merged, SERVESIM: `${process.execPath} ${CLI}` };
    delete env.JOB_COMPLETION_INDEX;
    for (let id = 1; id <= 4; id++) {
      const r = spawnSync('bash', [join(ROOT, 'examples/slurm/sweep.sbatch')], { cwd: dir, env: { ...env, ...slurm(id, 1, 4) }, encoding: 'utf8' });
      expect(r.stderr).toContain(`--shard auto: Slurm array task ${id} of 1-4: shard ${id}/4`);
      expect(r.status).toBe(0);
    }
    // Shard 4 of 4 has no point of the 3 (k mod 4 = 3); shard 2 has the second.
    expect(JSON.parse(readFileSync(join(shards, 'shard-4', 'index.json'), 'utf8'))).toHaveLength(0);
    expect(JSON.parse(readFileSync(join(shards, 'shard-2', 'sweep.json'), 'utf8')).shard).toBe('2/4');
    const m = spawnSync('bash', [join(ROOT, 'examples/slurm/merge.sbatch')], { cwd: dir, env, encoding: 'utf8' });
    expect(m.stderr).toMatch(/merged 3 points \(3 copied\)/);
    expect(m.status).toBe(0);
    expect(m.stdout).toMatch(/fifo: rate=100 +fifo: rate=200 +fifo: rate=300/); // the compare table of the merged sweep
    expectSameAsWhole(merged);
  }, 180_000);

  it('examples/k8s: the Job\'s command for every completion index, then the merge Job\'s, equals the sweep run whole', () => {
    const sweepYaml = readFileSync(join(ROOT, 'examples/k8s/sweep-job.yaml'), 'utf8');
    const mergeYaml = readFileSync(join(ROOT, 'examples/k8s/merge-job.yaml'), 'utf8');
    // The pods' SERVESIM_SHARD_COUNT is the Job's completions, and the Job is Indexed.
    const completions = /\n  completions: (\d+)\n/.exec(sweepYaml)?.[1];
    expect(completions).toBeDefined();
    expect(/name: SERVESIM_SHARD_COUNT\n\s*value: "(\d+)"/.exec(sweepYaml)?.[1]).toBe(completions);
    expect(sweepYaml).toMatch(/\n  completionMode: Indexed\n/);

    const dir = tmp();
    const { file, expectSameAsWhole } = tinySweep(dir);
    const shards = join(dir, 'shards');
    const merged = join(dir, 'merged');
    // The containers' commands, pointed at the tiny sweep and this test's directories.
    const local = (cmd: string): string =>
      cmd
        .replaceAll('experiments/fig5.json', file)
        .replaceAll('/work/results/fig5-shards', shards)
        .replaceAll('/work/results/fig5', merged)
        .replaceAll('node bin/servesim.js', `${process.execPath} ${CLI}`);
    const run = local(foldedArgs(sweepYaml));
    expect(run).toContain('--shard auto');
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('SLURM_')) delete env[k];
    for (let i = 0; i < 2; i++) {
      // Two pods for three points (SERVESIM_SHARD_COUNT as the pod spec would set it for completions: 2).
      const r = spawnSync('bash', ['-c', run], { cwd: ROOT, env: { ...env, JOB_COMPLETION_INDEX: String(i), SERVESIM_SHARD_COUNT: '2' }, encoding: 'utf8' });
      expect(r.stderr).toContain(`--shard auto: Kubernetes completion index ${i} of 2: shard ${i + 1}/2`);
      expect(r.status).toBe(0);
    }
    const m = spawnSync('bash', ['-c', local(foldedArgs(mergeYaml))], { cwd: ROOT, env, encoding: 'utf8' });
    expect(m.stderr).toMatch(/merged 3 points/);
    expect(m.status).toBe(0);
    expectSameAsWhole(merged);
  }, 180_000);

  it('servesim run --shard auto outside a job array is a one-line error naming the variables', () => {
    const dir = tmp();
    const file = writeConfig(dir, tinyConfig({ duration: '1s', warmup: '200ms', sweep: { 'workload.rate': [100, 200] } }));
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('SLURM_') || k === 'JOB_COMPLETION_INDEX') delete env[k];
    const r = spawnSync(process.execPath, [CLI, 'run', file, '--shard', 'auto', '--out', join(dir, 'out')], { cwd: dir, env: { ...env, JOB_COMPLETION_INDEX: '5', SERVESIM_SHARD_COUNT: '4' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['servesim: --shard auto: JOB_COMPLETION_INDEX=5 is not below SERVESIM_SHARD_COUNT=4 (indexes count from 0: set SERVESIM_SHARD_COUNT to the Job\'s spec.completions)']);
  }, 60_000);
});
