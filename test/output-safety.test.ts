/**
 * Output safety (issue 11): servesim replaces only what it wrote, a crash leaves the old or the new
 * results, one writer at a time, stale temporaries are cleaned, and every path error is one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/runner.js';
import { mergeSweeps, runSweep } from '../src/experiment/sweep.js';
import { RequestLog } from '../src/metrics/request-log.js';
import { schedulerNames } from '../src/schedulers/index.js';
import { UserError } from '../src/util/errors.js';
import {
  acquireLock,
  beginDir,
  checkOutputPath,
  MARKER,
  OutputDir,
  releaseLock,
  writeOutputFile,
} from '../src/util/output.js';
import { assertSafeSegment } from '../src/util/paths.js';
import { CLI, ensureBuilt, ROOT, snapshot, tinyConfig, tmp, writeConfig } from './helpers/results.js';

/** A process id that is not running (the kernel's limit is below 2^22 on Linux). */
const DEAD_PID = 4_194_000 + 301;

const cli = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });

/** Exactly one line on stderr, starting "servesim: ", no stack trace; exit status 1. */
function expectUserError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.stderr.trim()).toMatch(pattern);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^servesim: /);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.status).toBe(1);
}

function transient(dir: string): string[] {
  return readdirSync(dir).filter((e) => /servesim-(tmp|old|lock)|\.tmp-\d+$/.test(e));
}

beforeAll(() => ensureBuilt(), 120_000);

describe('output paths are checked before anything is created', () => {
  it('rejects empty, root, pseudo-file-system, through-a-file and too-long paths with one-line errors', () => {
    const d = tmp('servesim-out-');
    writeFileSync(join(d, 'file'), 'x');
    expect(() => checkOutputPath('')).toThrow(/^--out is empty/);
    expect(() => checkOutputPath('/')).toThrow(/cannot write to the root directory/);
    expect(() => checkOutputPath('/proc/x')).toThrow(/\/proc is a system directory/);
    expect(() => checkOutputPath('/sys/x/y')).toThrow(/\/sys is a system directory/);
    expect(() => checkOutputPath('/dev/null')).toThrow(/\/dev\/null is a system directory/);
    expect(() => checkOutputPath(join(d, 'file', 'sub'))).toThrow(/^--out .*file\/sub: .*\/file is not a directory \(it is a file\)$/);
    expect(() => checkOutputPath(join(d, 'a'.repeat(300)))).toThrow(/300 bytes long/);
    expect(checkOutputPath(join(d, 'new', 'deeper'))).toBe(join(d, 'new', 'deeper'));
    expect(existsSync(join(d, 'new'))).toBe(false); // checking creates nothing
  });

  it('accepts only single safe path segments as names', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', '.hidden', 'x'.repeat(201), 'nul\0']) {
      expect(() => assertSafeSegment(bad, 'config name'), bad).toThrow(UserError);
    }
    expect(() => assertSafeSegment('..', 'config name')).toThrow(/^config name: expected a single directory name .*, found "\.\." \("\.\." names a directory itself\)$/);
    expect(() => assertSafeSegment('scheduler.type=clockwork', 'p')).not.toThrow();
  });
});

describe('results directories: replace only what servesim wrote', () => {
  const make = (target: string, files: Record<string, string>, force = false): void => {
    const p = beginDir(target, 'run', { force });
    for (const [n, t] of Object.entries(files)) writeFileSync(join(p.tmp, n), t);
    p.commit();
  };

  it('never touches a file, a symbolic link or a foreign directory at the target, --force or not', () => {
    const d = tmp('servesim-out-');
    const file = join(d, 'thesis.pdf');
    writeFileSync(file, 'precious');
    const foreign = join(d, 'paper');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'thesis.tex'), 'tex');
    const link = join(d, 'link');
    symlinkSync(foreign, link);
    for (const force of [false, true]) {
      expect(() => beginDir(file, 'run', { force })).toThrow(/exists and is not a directory \(a file or device\); refusing to replace it/);
      expect(() => beginDir(foreign, 'run', { force })).toThrow(/exists and was not written by servesim \(no \.servesim\.json marker\); refusing to replace it, even with --force/);
      expect(() => beginDir(link, 'run', { force })).toThrow(/is a symbolic link; refusing to replace it/);
    }
    expect(readFileSync(file, 'utf8')).toBe('precious');
    expect(readdirSync(foreign)).toEqual(['thesis.tex']);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(transient(d)).toEqual([]);
  });

  it('replaces its own directory only with --force, and not once a person put a file into it', () => {
    const d = tmp('servesim-out-');
    const target = join(d, 'r');
    make(target, { 'summary.json': 'old' });
    expect(JSON.parse(readFileSync(join(target, MARKER), 'utf8'))).toEqual({ servesim: true, kind: 'run', files: ['summary.json'] });
    expect(() => beginDir(target, 'run')).toThrow(/output directory exists and is not empty \(use --force/);
    make(target, { 'summary.json': 'new', 'extra.csv': 'e' }, true);
    expect(readFileSync(join(target, 'summary.json'), 'utf8')).toBe('new');
    expect(readdirSync(target).sort()).toEqual([MARKER, 'extra.csv', 'summary.json'].sort());
    writeFileSync(join(target, 'notes.txt'), 'mine');
    expect(() => beginDir(target, 'run', { force: true })).toThrow(/notes\.txt is not a file servesim wrote\); refusing to replace it, even with --force/);
    expect(readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('mine');
    // A sweep directory is not replaced by a single run, nor the other way round.
    const sweep = new OutputDir(join(d, 's'), 'sweep');
    sweep.write('sweep.json', '{}');
    sweep.close();
    expect(() => beginDir(join(d, 's'), 'run', { force: true })).toThrow(/holds servesim sweep output, not run output/);
    expect(transient(d)).toEqual([]);
  });

  it('results written before the marker existed are recognised by their manifest or sweep.json, and still protect a person\'s file', () => {
    const d = tmp('servesim-out-');
    const old = join(d, 'old');
    mkdirSync(join(old, 'charts'), { recursive: true });
    writeFileSync(join(old, 'manifest.json'), JSON.stringify({ servesim: '0.1.0', configHash: 'abc' }));
    writeFileSync(join(old, 'summary.json'), '{}');
    writeFileSync(join(old, 'charts', 'goodput.png'), 'png');
    expect(() => beginDir(old, 'run')).toThrow(/output directory exists and is not empty \(use --force/);
    make(old, { 'summary.json': 'new' }, true);
    expect(readdirSync(old).sort()).toEqual([MARKER, 'summary.json']);
    const mixed = join(d, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'manifest.json'), JSON.stringify({ servesim: '0.1.0', configHash: 'abc' }));
    writeFileSync(join(mixed, 'thesis.tex'), 'tex');
    expect(() => beginDir(mixed, 'run', { force: true })).toThrow(/thesis\.tex is not a file servesim wrote/);
    const sweep = join(d, 'sweep');
    mkdirSync(join(sweep, 'p1'), { recursive: true });
    writeFileSync(join(sweep, 'sweep.json'), JSON.stringify({ servesim: '0.1.0', points: [] }));
    writeFileSync(join(sweep, 'p1', 'manifest.json'), JSON.stringify({ servesim: '0.1.0', configHash: 'abc' }));
    const s = new OutputDir(sweep, 'sweep'); // a legacy sweep is servesim's: a sweep may write into it
    s.close();
    beginDir(sweep, 'sweep', { force: true }).abort();
    expect(transient(d)).toEqual([]);
  });

  it('an interrupted replacement is repaired by the next writer: old results moved back, temporaries removed', () => {
    const d = tmp('servesim-out-');
    const target = join(d, 'r');
    make(target, { 'summary.json': 'old' });
    // The state a kill -9 between the two renames leaves: the old results aside, no target.
    const aside = join(d, `.r.servesim-old-${DEAD_PID}`);
    rmSync(aside, { recursive: true, force: true });
    mkdirSync(aside);
    for (const e of readdirSync(target)) writeFileSync(join(aside, e), readFileSync(join(target, e)));
    rmSync(target, { recursive: true });
    // Temporaries of dead processes (this version's and the earlier naming), and a live one's.
    mkdirSync(join(d, `.r.servesim-tmp-${DEAD_PID}-1`));
    // A person's file that merely looks like a temporary of another program is never touched.
    mkdirSync(join(d, `.r.tmp-${DEAD_PID}`));
    writeFileSync(join(d, `.r.tmp-${DEAD_PID}`, 'data'), 'precious');
    const live = join(d, `.r.servesim-tmp-${process.ppid}-7`);
    mkdirSync(live);
    expect(() => beginDir(target, 'run')).toThrow(/output directory exists and is not empty/); // the old results are back
    expect(readFileSync(join(target, 'summary.json'), 'utf8')).toBe('old');
    expect(transient(d).sort()).toEqual([`.r.servesim-tmp-${process.ppid}-7`, `.r.tmp-${DEAD_PID}`]);
    expect(readFileSync(join(d, `.r.tmp-${DEAD_PID}`, 'data'), 'utf8')).toBe('precious');
    rmSync(live, { recursive: true });
    rmSync(join(d, `.r.tmp-${DEAD_PID}`), { recursive: true });
  });

  it('a second writer of the same place fails while the first holds the lock; a dead holder\'s lock is broken', () => {
    const d = tmp('servesim-out-');
    const target = join(d, 'r');
    const lock = acquireLock(target);
    expect(() => beginDir(target, 'run')).toThrow(new RegExp(`another servesim \\(process ${process.pid}\\) is writing here`));
    releaseLock(lock);
    writeFileSync(join(d, '.r.servesim-lock'), JSON.stringify({ pid: DEAD_PID, host: hostname() }));
    make(target, { 'summary.json': 'x' });
    expect(transient(d)).toEqual([]);
    // A writer killed between creating its lock and writing it leaves an empty lock: stale once old.
    writeFileSync(join(d, '.r.servesim-lock'), '');
    utimesSync(join(d, '.r.servesim-lock'), new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    make(target, { 'summary.json': 'y' }, true);
    expect(transient(d)).toEqual([]);
  });
});

describe('found by an adversarial review', () => {
  it('a person\'s files that look like temporaries or locks protect a results directory', () => {
    const d = tmp('servesim-out-');
    const target = join(d, 'r');
    const p = beginDir(target, 'run');
    writeFileSync(join(p.tmp, 'summary.json'), 'x');
    p.commit();
    writeFileSync(join(target, '.thesis.tmp-2'), 'my thesis');
    expect(() => beginDir(target, 'run', { force: true })).toThrow(/\.thesis\.tmp-2 is not a file servesim wrote/);
    rmSync(join(target, '.thesis.tmp-2'));
    writeFileSync(join(target, '.notes.servesim-lock'), 'not a lock record');
    expect(() => beginDir(target, 'run', { force: true })).toThrow(/\.notes\.servesim-lock is not a file servesim wrote/);
    expect(readFileSync(join(target, '.notes.servesim-lock'), 'utf8')).toBe('not a lock record');
  });

  it('a FIFO where servesim reads its own marker is an error at once, not a hang', () => {
    const d = tmp('servesim-out-');
    mkdirSync(join(d, 'r'));
    expect(spawnSync('mkfifo', [join(d, 'r', MARKER)]).status).toBe(0);
    writeFileSync(join(d, 'r', 'file'), 'x');
    const cfg = writeConfig(d, tinyConfig({ duration: '200ms', warmup: '0s', drain: '0s' }));
    const r = spawnSync(process.execPath, [CLI, 'run', cfg, '--out', join(d, 'r'), '--force', '-q'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expectUserError(r, /r: exists and was not written by servesim \(no \.servesim\.json marker\)/);
  }, 30_000);

  it('a run into a directory inside one another live servesim is writing fails', () => {
    const d = tmp('servesim-out-');
    // The parent of this test process is alive and is not this process: it stands for a sweep's writer.
    writeFileSync(join(d, '.sweep.servesim-lock'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    mkdirSync(join(d, 'sweep'));
    expect(() => beginDir(join(d, 'sweep', 'p1'), 'run')).toThrow(new RegExp(`another servesim \\(process ${process.ppid}\\) is writing .*sweep, which holds it`));
    rmSync(join(d, '.sweep.servesim-lock'));
    beginDir(join(d, 'sweep', 'p1'), 'run').abort();
    expect(transient(join(d, 'sweep'))).toEqual([]);
  });

  it('names too long once servesim\'s suffix is added are refused before anything is created', () => {
    const d = tmp('servesim-out-');
    expect(() => checkOutputPath(join(d, 'a'.repeat(230)))).toThrow(/the name is 230 bytes long; servesim needs names of at most 220 bytes/);
    expect(checkOutputPath(join(d, 'a'.repeat(220)))).toBe(join(d, 'a'.repeat(220)));
  });

  it('merge never writes into another sweep, copies nothing when points are missing, and replaces a differing point only with --force', async () => {
    const d = tmp('servesim-out-');
    const fileA = writeConfig(d, tinyConfig({ duration: '300ms', warmup: '0s', drain: '0s', sweep: { 'workload.rate': [100, 200] } }), 'a.json');
    const fileB = writeConfig(d, tinyConfig({ seed: 9, duration: '300ms', warmup: '0s', drain: '0s', sweep: { 'workload.rate': [100, 200] } }), 'b.json');
    const a = loadExperiment(fileA);
    const b = loadExperiment(fileB);
    await runSweep({ file: fileA, input: a.input, points: a.points, outDir: join(d, 'shard1'), jobs: 1, shard: { index: 1, count: 2 } });
    await runSweep({ file: fileA, input: a.input, points: a.points, outDir: join(d, 'shard2'), jobs: 1, shard: { index: 2, count: 2 } });
    await runSweep({ file: fileB, input: b.input, points: b.points, outDir: join(d, 'other'), jobs: 1 });
    const other = snapshot(join(d, 'other'));
    expect(() => mergeSweeps([join(d, 'shard1')], { out: join(d, 'other') })).toThrow(/points are in none of the inputs/);
    expect(() => mergeSweeps([join(d, 'shard1')], { out: join(d, 'other'), allowPartial: true })).toThrow(/holds a different sweep/);
    expect(snapshot(join(d, 'other'))).toEqual(other);
    // A point in --out that differs from the shard's (here: made by hand from the other sweep).
    mergeSweeps([join(d, 'shard1'), join(d, 'shard2')], { out: join(d, 'm') });
    const m = snapshot(join(d, 'm'));
    mergeSweeps([join(d, 'shard1'), join(d, 'shard2')], { out: join(d, 'm') }); // same points: nothing to replace
    expect(snapshot(join(d, 'm'))).toEqual(m);
    rmSync(join(d, 'm', 'workload.rate=100'), { recursive: true });
    const p = beginDir(join(d, 'm', 'workload.rate=100'), 'run');
    for (const f of readdirSync(join(d, 'other', 'workload.rate=100'))) if (f !== MARKER) writeFileSync(join(p.tmp, f), readFileSync(join(d, 'other', 'workload.rate=100', f)));
    p.commit();
    expect(() => mergeSweeps([join(d, 'shard1'), join(d, 'shard2')], { out: join(d, 'm') })).toThrow(/workload\.rate=100: output directory exists and is not empty \(use --force to replace it with the shard's/);
    mergeSweeps([join(d, 'shard1'), join(d, 'shard2')], { out: join(d, 'm'), force: true });
    expect(snapshot(join(d, 'm'))).toEqual(m);
  }, 30_000);
});

describe('single output files (profiles, models, schemas)', () => {
  it('replaces a file servesim wrote, a foreign file only with --force, never a directory, link or device', () => {
    const d = tmp('servesim-out-');
    const f = join(d, 'p.json');
    const o = { what: 'hardware profile', isOurs: (b: Buffer) => b.toString().includes('"format": "servesim-hw-profile"') };
    writeFileSync(f, 'my notes');
    expect(() => writeOutputFile(f, 'new', o)).toThrow(/exists and is not a hardware profile servesim wrote; refusing to replace it \(use --force/);
    expect(readFileSync(f, 'utf8')).toBe('my notes');
    writeOutputFile(f, '{"format": "servesim-hw-profile"}', { ...o, force: true });
    writeOutputFile(f, '{"format": "servesim-hw-profile", "v": 2}', o); // ours now: no --force needed
    expect(readFileSync(f, 'utf8')).toBe('{"format": "servesim-hw-profile", "v": 2}');
    mkdirSync(join(d, 'dir'));
    symlinkSync(f, join(d, 'lnk'));
    expect(() => writeOutputFile(join(d, 'dir'), 'x', { ...o, force: true })).toThrow(/is a directory/);
    expect(() => writeOutputFile(join(d, 'lnk'), 'x', { ...o, force: true })).toThrow(/is a symbolic link/);
    expect(() => writeOutputFile('/dev/full', 'x', { ...o, force: true })).toThrow(/system directory/);
    expect(transient(d)).toEqual([]);
  });

  it('a directory servesim adds files to refuses a foreign directory and a person\'s file in its own', () => {
    const d = tmp('servesim-out-');
    mkdirSync(join(d, 'mine'));
    writeFileSync(join(d, 'mine', 'a.png'), 'x');
    expect(() => new OutputDir(join(d, 'mine'), 'charts')).toThrow(/holds files servesim did not write; refusing to write into it/);
    const c = new OutputDir(join(d, 'charts'), 'charts');
    c.write('goodput.png', 'png');
    c.close();
    writeFileSync(join(d, 'charts', 'latency-cdf.png'), 'a person\'s');
    const again = new OutputDir(join(d, 'charts'), 'charts');
    again.write('goodput.png', 'png2'); // servesim's own: replaced
    expect(() => again.write('latency-cdf.png', 'png')).toThrow(/exists and was not written by servesim; refusing to replace it/);
    again.close();
    expect(readFileSync(join(d, 'charts', 'latency-cdf.png'), 'utf8')).toBe('a person\'s');
    expect(transient(d)).toEqual([]);
  });

  it('a full disk while streaming requests.csv is a one-line error naming the file', () => {
    const log = new RequestLog('/dev/full', ['m'], ['g'], 0, 1);
    expect(() => log.close()).toThrow(/^\/dev\/full: cannot write: no space left on device \(ENOSPC\)$/);
  });
});

describe('the CLI never destroys what it did not write (issue 11 defects 1-5, 7, 8)', () => {
  it('--out FILE, a foreign directory with --force, "" and paths through files or into /proc are refused, untouched', () => {
    const d = tmp('servesim-out-');
    const cfg = writeConfig(d, tinyConfig({ duration: '1s', warmup: '0s', drain: '0s' }));
    writeFileSync(join(d, 'f.txt'), 'hello');
    mkdirSync(join(d, 'thesis'));
    writeFileSync(join(d, 'thesis', 'thesis.tex'), 'tex');
    expectUserError(cli(['run', cfg, '--out', join(d, 'f.txt'), '-q']), /f\.txt: exists and is not a directory/);
    expectUserError(cli(['run', cfg, '--out', join(d, 'thesis'), '--force', '-q']), /thesis: exists and was not written by servesim/);
    expectUserError(cli(['run', cfg, '--out', '', '-q']), /--out is empty/);
    expectUserError(cli(['run', cfg, '--out', join(d, 'f.txt', 'sub'), '-q']), /is not a directory/);
    expectUserError(cli(['run', cfg, '--out', '/proc/x', '-q']), /system directory/);
    expectUserError(cli(['schema', '--out', join(d, 'thesis')]), /thesis: is a directory; expected a JSON Schema file name/);
    expect(readFileSync(join(d, 'f.txt'), 'utf8')).toBe('hello');
    expect(readdirSync(join(d, 'thesis'))).toEqual(['thesis.tex']);
    expect(readdirSync(d).sort()).toEqual(['config.json', 'f.txt', 'thesis']);
  }, 30_000);

  it('merge refuses a shard whose point ids leave --out', async () => {
    const d = tmp('servesim-out-');
    const file = writeConfig(d, tinyConfig({ duration: '500ms', warmup: '0s', drain: '0s', sweep: { 'workload.rate': [100] } }));
    const { input, points } = loadExperiment(file);
    const shard = join(d, 'shard');
    await runSweep({ file, input, points, outDir: shard, jobs: 1 });
    const important = join(d, 'important');
    mkdirSync(important);
    writeFileSync(join(important, 'data'), 'keep');
    const sf = JSON.parse(readFileSync(join(shard, 'sweep.json'), 'utf8'));
    sf.points[0].id = '../important';
    writeFileSync(join(shard, 'sweep.json'), JSON.stringify(sf));
    expect(() => mergeSweeps([shard], { out: join(d, 'merged') })).toThrow(/sweep\.json: points\[0\]\.id: expected a single directory name .*found "\.\.\/important"/);
    expect(readdirSync(important)).toEqual(['data']);
    expect(readFileSync(join(important, 'data'), 'utf8')).toBe('keep');
  });

  it('a run killed with SIGKILL leaves the old results whole; the next run cleans its temporaries; a concurrent writer is refused', async () => {
    const d = tmp('servesim-out-');
    const quick = writeConfig(d, tinyConfig({ duration: '1s', warmup: '0s', drain: '0s' }), 'quick.json');
    const slow = writeConfig(d, tinyConfig({ duration: '2h', warmup: '0s', drain: '0s' }), 'slow.json');
    const out = join(d, 'out');
    expect(cli(['run', quick, '--out', out, '-q']).status).toBe(0);
    const before = snapshot(out);
    const child = spawn(process.execPath, [CLI, 'run', slow, '--out', out, '--force', '-q'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    // Wait until it is writing (its temporary directory exists), then try a second writer.
    for (let i = 0; i < 200 && !readdirSync(d).some((e) => e.startsWith('.out.servesim-tmp-')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(d).some((e) => e.startsWith('.out.servesim-tmp-'))).toBe(true);
    expectUserError(cli(['run', quick, '--out', out, '--force', '-q']), new RegExp(`another servesim \\(process ${child.pid}\\) is writing here`));
    child.kill('SIGKILL');
    await exited;
    expect(snapshot(out)).toEqual(before); // the old results, whole
    expect(transient(d).length).toBeGreaterThan(0); // its lock and temporary are left...
    expect(cli(['run', quick, '--out', out, '--force', '-q']).status).toBe(0);
    expect(transient(d)).toEqual([]); // ...and cleaned by the next run into the same place
    expect(snapshot(out, (rel) => rel === 'run.json')).toEqual(Object.fromEntries(Object.entries(before).filter(([k]) => k !== 'run.json')));
  }, 60_000);

  it('run --json prints one JSON object for a sweep, with every point', () => {
    const d = tmp('servesim-out-');
    const file = writeConfig(d, tinyConfig({ duration: '500ms', warmup: '0s', drain: '0s', sweep: { 'workload.rate': [100, 200] } }));
    const r = cli(['run', file, '--out', join(d, 'o'), '--json', '-q', '--jobs', '1']);
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.points.map((p: { point: string }) => p.point)).toEqual(['workload.rate=100', 'workload.rate=200']);
    expect(v.points[1].summary.requests.total).toBe(JSON.parse(readFileSync(join(d, 'o', 'workload.rate=200', 'summary.json'), 'utf8')).requests.total);
  }, 30_000);
});

describe('failures after the temporary directory exists leave nothing behind', () => {
  it('a run that fails on its trace file leaves no temporary and the old results whole', async () => {
    const d = tmp('servesim-out-');
    const good = writeConfig(d, tinyConfig({ duration: '500ms', warmup: '0s', drain: '0s' }), 'good.json');
    const bad = writeConfig(
      d,
      tinyConfig({ duration: '500ms', warmup: '0s', drain: '0s', workload: { type: 'timestamps', file: join(d, 'missing.csv'), slo: '25ms' } }),
      'bad.json',
    );
    const out = join(d, 'out');
    expect(cli(['run', good, '--out', out, '-q']).status).toBe(0);
    const before = snapshot(out);
    expectUserError(cli(['run', bad, '--out', out, '--force', '-q']), /missing\.csv/);
    expect(snapshot(out)).toEqual(before);
    expect(transient(d)).toEqual([]);
  }, 30_000);

  // Real read-only and full file systems: small tmpfs mounts (needs root, as CI runs).
  const canMount = ((): boolean => {
    if (process.getuid?.() !== 0) return false;
    const probe = tmp('servesim-mount-');
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (ok) spawnSync('umount', [probe]);
    return ok;
  })();
  it.runIf(canMount)('a read-only or full file system is a one-line error, and a full one keeps the old results', () => {
    const d = tmp('servesim-out-');
    const cfg = writeConfig(d, tinyConfig({ duration: '3s', warmup: '0s', drain: '0s', output: { requests: true } }));
    const ro = join(d, 'ro');
    const small = join(d, 'small');
    mkdirSync(ro);
    mkdirSync(small);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro]).status).toBe(0);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', small]).status).toBe(0);
    try {
      expectUserError(cli(['run', cfg, '--out', join(ro, 'r'), '-q']), /ro\/\.r\.servesim-lock: cannot create lock file: read-only file system \(EROFS\)$/);
      const tiny = writeConfig(d, tinyConfig({ duration: '200ms', warmup: '0s', drain: '0s' }), 'tiny.json');
      expect(cli(['run', tiny, '--out', join(small, 'r'), '-q']).status).toBe(0);
      const before = snapshot(join(small, 'r'));
      expectUserError(cli(['run', cfg, '--out', join(small, 'r'), '--force', '-q']), /small\/r\/[a-z.-]+: cannot write: no space left on device \(ENOSPC\)$/);
      expect(snapshot(join(small, 'r'))).toEqual(before);
      expect(transient(small)).toEqual([]);
      // A mount point cannot be replaced by renaming: refused before the run.
      expectUserError(cli(['run', tiny, '--out', small, '--force', '-q']), /small: is a mount point; servesim replaces a results directory by renaming/);
    } finally {
      spawnSync('umount', [ro]);
      spawnSync('umount', [small]);
    }
  }, 60_000);
});

describe('CLI messages', () => {
  it('help for an unknown command names it (defect 15)', () => {
    expectUserError(cli(['help', 'bogus']), /^servesim: help: unknown command "bogus" \(commands: run, live, fidelity, plot,/);
    expect(cli(['help', 'run']).stdout).toMatch(/^Usage: servesim run/);
  });

  it('commander\'s own errors are one line like every other', () => {
    expectUserError(cli(['run', '--bogus']), /^servesim: unknown option '--bogus' \(run with --help for usage\)$/);
    expectUserError(cli(['run']), /^servesim: missing required argument 'config' \(run with --help for usage\)$/);
  });
});

describe('--trace-events works for every scheduler (defect 6)', () => {
  it.each(schedulerNames())('%s', async (name) => {
    const d = tmp('servesim-out-');
    const file = writeConfig(d, tinyConfig({ duration: '1s', warmup: '0s', drain: '500ms', scheduler: { type: name } }));
    const { points } = loadExperiment(file);
    const out = await runExperiment(points[0].resolved, { traceEvents: { from: 0, to: 1e9 } });
    const events = JSON.parse(out.files['trace-events.json']) as { traceEvents: Array<{ ph: string; cat?: string; name: string; args?: { name?: string } }> };
    const execs = events.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'EXEC');
    expect(execs.length).toBeGreaterThan(0);
    // Every exec thread an event lands on has a name.
    const named = new Set(events.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${(e as any).pid}/${(e as any).tid}`));
    for (const e of execs) expect(named.has(`${(e as any).pid}/${(e as any).tid}`)).toBe(true);
  });
});
