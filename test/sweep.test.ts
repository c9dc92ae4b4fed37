import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { mergeSweeps, parseShard, runSweep, shardPoints } from '../src/experiment/sweep.js';
import { CLI, ensureBuilt, ROOT, snapshot, tinyConfig, tmp, writeConfig } from './helpers/results.js';

const notWallClock = (rel: string): boolean => rel.endsWith('run.json') || rel === 'sweep.json';

describe('sweeps', () => {
  it('assigns points to shards round-robin and validates i/n', () => {
    expect(shardPoints([0, 1, 2, 3, 4], parseShard('1/2'))).toEqual([0, 2, 4]);
    expect(shardPoints([0, 1, 2, 3, 4], parseShard('2/2'))).toEqual([1, 3]);
    expect(() => parseShard('0/2')).toThrow(/count from 1/);
    expect(() => parseShard('3/2')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('x')).toThrow(/i\/n/);
  });

  it('a sweep split as 2 shards and merged equals the same sweep run whole', async () => {
    const dir = tmp();
    const file = writeConfig(dir, tinyConfig({ duration: '1s', warmup: '200ms', sweep: { 'workload.rate': [100, 200, 300], 'workload.slo': ['10ms', '40ms'] } }));
    const { input, points } = loadExperiment(file);
    const whole = join(dir, 'whole');
    const s1 = join(dir, 's1');
    const s2 = join(dir, 's2');
    const merged = join(dir, 'merged');
    await runSweep({ file, input, points, outDir: whole, jobs: 1 });
    const r1 = await runSweep({ file, input, points, outDir: s1, jobs: 1, shard: parseShard('1/2') });
    const r2 = await runSweep({ file, input, points, outDir: s2, jobs: 1, shard: parseShard('2/2') });
    expect(r1.rows.length + r2.rows.length).toBe(6);
    expect(() => mergeSweeps([s1], { out: merged })).toThrow(/3 of 6 points are in none/);
    const m = mergeSweeps([s1, s2], { out: merged });
    expect(m).toMatchObject({ points: 6, copied: 6, missing: [] });
    const a = snapshot(whole, notWallClock);
    expect(Object.keys(a)).toContain('index.json');
    expect(Object.keys(a).filter((k) => k.endsWith('summary.json'))).toHaveLength(6);
    expect(snapshot(merged, notWallClock)).toEqual(a);
    // sweep.json of the merge describes the whole sweep, as the unsplit run's does.
    expect(JSON.parse(readFileSync(join(merged, 'sweep.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(whole, 'sweep.json'), 'utf8')));
    // Merging a different sweep is refused.
    const other = writeConfig(dir, tinyConfig({ seed: 8, duration: '1s', sweep: { 'workload.rate': [100] } }), 'other.json');
    const o = loadExperiment(other);
    await runSweep({ file: other, input: o.input, points: o.points, outDir: join(dir, 'other'), jobs: 1 });
    expect(() => mergeSweeps([s1, join(dir, 'other')], { out: join(dir, 'bad') })).toThrow(/different sweep/);
  }, 30_000);

  describe('through the CLI (built dist/)', () => {
    beforeAll(() => ensureBuilt(), 120_000);

    it('a sweep killed midway and resumed ends with every point complete and none corrupted; --jobs 2 gives the same results', async () => {
      const dir = tmp();
      // Points of ~0.3 s wall each, so the kill lands midway.
      const file = writeConfig(dir, tinyConfig({ duration: '30s', warmup: '1s', sweep: { 'workload.slo': ['5ms', '10ms', '20ms', '40ms', '80ms', '160ms'] } }));
      const out = join(dir, 'out');
      const child = spawn(process.execPath, [CLI, 'run', file, '--out', out, '--jobs', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      await new Promise<void>((res, rej) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          // Kill as soon as the first point is done (the second is then running).
          if (/\[1\/6\] .*done/.test(err)) {
            child.kill('SIGKILL');
            res();
          }
        });
        child.on('exit', () => rej(new Error(`sweep ended before it could be killed:\n${err}`)));
      });
      await new Promise((r) => child.on('exit', r));
      const complete = (): string[] => readdirSync(out).filter((n) => existsSync(join(out, n, 'manifest.json')));
      const before = complete();
      expect(before.length).toBeGreaterThanOrEqual(1);
      expect(before.length).toBeLessThan(6);
      // Without --resume the existing output is refused.
      const refused = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '-q'], { cwd: ROOT, encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/--resume/);

      const resumed = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--resume', '--jobs', '2'], { cwd: ROOT, encoding: 'utf8' });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`${before.length} already complete, running ${6 - before.length}`));
      // Every point complete, no temporary directories left, every summary parses.
      expect(complete()).toHaveLength(6);
      expect(readdirSync(out).filter((n) => n.includes('.tmp-'))).toEqual([]);
      const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
      expect(index.map((e: any) => e.params['workload.slo'])).toEqual(['5ms', '10ms', '20ms', '40ms', '80ms', '160ms']);

      // The same sweep run whole with --jobs 1 matches byte for byte.
      const fresh = join(dir, 'fresh');
      const whole = spawnSync(process.execPath, [CLI, 'run', file, '--out', fresh, '--jobs', '1', '-q'], { cwd: ROOT, encoding: 'utf8' });
      expect(whole.status, whole.stderr).toBe(0);
      expect(snapshot(out, notWallClock)).toEqual(snapshot(fresh, notWallClock));
    }, 120_000);
  });
});
