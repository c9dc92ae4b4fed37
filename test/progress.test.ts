/**
 * The progress display (src/util/progress.ts): exact frames on a fake terminal with an injected
 * clock, plain lines, nothing when quiet; and through the CLI, a parallel sweep's children's
 * progress reaching the parent, with outputs identical whichever display ran.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatEta, openProgress, progressMode, type ProgressMode } from '../src/util/progress.js';
import { CLI, ensureBuilt, snapshot, tinyConfig, tmp, writeConfig } from './helpers/results.js';

/** A fake stderr: collects what is written; a terminal of 80 columns unless told. */
function fakeStream(isTTY = true, columns = 80) {
  const s = {
    out: '',
    isTTY,
    columns,
    write(chunk: string): boolean {
      s.out += chunk;
      return true;
    },
    /** What was written since the last take(). */
    take(): string {
      const o = s.out;
      s.out = '';
      return o;
    },
  };
  return s;
}

function display(mode: ProgressMode, columns = 80) {
  const stream = fakeStream(mode === 'tty', columns);
  let now = 0;
  const d = openProgress({ mode, stream, now: () => now, hookExit: false });
  return { d, stream, at: (ms: number) => (now = ms) };
}

const S = 1e9;
const ESC = '\x1b[';
/** A frame as the display writes it: up over `up` lines, each line cleared and written, the rest erased. */
const frame = (up: number, lines: string[]): string => `${up > 0 ? `${ESC}${up}A` : ''}\r${lines.map((l) => `${ESC}2K${l}\n`).join('')}${ESC}J`;

describe('progressMode', () => {
  it('quiet wins; SERVESIM_PROGRESS chooses; else whether the stream is a terminal', () => {
    expect(progressMode({ quiet: true, env: { SERVESIM_PROGRESS: 'tty' } })).toBe('none');
    expect(progressMode({ env: { SERVESIM_PROGRESS: 'plain' }, stream: { isTTY: true } })).toBe('plain');
    expect(progressMode({ env: { SERVESIM_PROGRESS: 'TTY' }, stream: { isTTY: false } })).toBe('tty');
    expect(progressMode({ env: { SERVESIM_PROGRESS: 'none' } })).toBe('none');
    expect(progressMode({ env: {}, stream: { isTTY: true } })).toBe('tty');
    expect(progressMode({ env: { SERVESIM_PROGRESS: '' }, stream: {} })).toBe('plain');
    expect(() => progressMode({ env: { SERVESIM_PROGRESS: 'bars' } })).toThrow('SERVESIM_PROGRESS expects one of tty, plain, none, found "bars"');
  });
  it('formats ETAs', () => {
    expect([formatEta(0), formatEta(44.6), formatEta(185), formatEta(3600 + 7 * 60 + 59), formatEta(Infinity)]).toEqual(['0s', '45s', '3m05s', '1h07m', '?']);
  });
});

describe('the terminal display', () => {
  it('draws one line per job in place, at most every 200 ms, with percent, ETA, requests and x real time', () => {
    const { d, stream, at } = display('tty');
    const a = d.job('rate=100');
    a.update({ t: 0, total: 100 * S, requests: 0, events: 0 });
    expect(stream.take()).toBe(frame(0, ['rate=100 [--------------------]   0% ETA ?, 0 req, -']));
    // 1 s of wall time for 25 s of 100 s: 25%, ETA 1 s x 75/25 = 3 s, 25x real time.
    at(1000);
    a.update({ t: 25 * S, total: 100 * S, requests: 1234, events: 5e6 });
    expect(stream.take()).toBe(frame(1, ['rate=100 [#####---------------]  25% ETA 3s, 1,234 req, 25.0x']));
    // Within 200 ms of the last frame: nothing now (a timer draws it later).
    at(1100);
    a.update({ t: 30 * S, total: 100 * S, requests: 1500, events: 6e6 });
    expect(stream.take()).toBe('');
    // A second job: two lines, the cursor goes up over the one drawn before.
    at(1300);
    const b = d.job('rate=200');
    b.update({ t: 0, total: 50 * S, requests: 0, events: 0 });
    // rate=100: 30 of 100 s in 1.3 s: ETA 1.3 x 70/30 = 3.03 s; 30 / 1.3 = 23.1x.
    expect(stream.take()).toBe(frame(1, ['rate=100 [######--------------]  30% ETA 3s, 1,500 req, 23.1x', 'rate=200 [--------------------]   0% ETA ?, 0 req, -']));
    // rate=200 is past its 50 s (draining) 2 s after its start: 60 / 2 = 30x; rate=100 still at 30 s, now in 3.3 s.
    at(3300);
    b.update({ t: 60 * S, total: 50 * S, requests: 99, events: 1 });
    expect(stream.take()).toBe(frame(2, ['rate=100 [######--------------]  30% ETA 8s, 1,500 req, 9.1x', 'rate=200 [####################] 100% draining, 99 req, 30.0x']));
    // A job that ends leaves; the frame shrinks (the rest erased).
    at(3600);
    a.end();
    expect(stream.take()).toBe(frame(2, ['rate=200 [####################] 100% draining, 99 req, 26.1x']));
    d.close();
    expect(stream.take()).toBe(`${ESC}1A\r${ESC}J`);
  });

  it('prints other writes and log lines above the bars, and cleans up at the end', () => {
    const { d, stream, at } = display('tty');
    const a = d.job('p');
    a.update({ t: 0, total: 10 * S, requests: 0, events: 0 });
    d.sweep({ name: 'sw', points: 3, done: 0, failed: 0, jobs: 1 });
    at(500);
    a.update({ t: 5 * S, total: 10 * S, requests: 7, events: 0 });
    stream.take();
    // A warning written straight to the stream: bars off (up 2, erase), the warning, bars back.
    at(600);
    stream.write('p: warning: the trace ends early\n');
    // p: 5 of 10 s in 0.6 s: ETA 0.6 s; the sweep: no point done yet, so a point takes 0.6 + 0.6 = 1.2 s: 0.6 left of p + 2 pending x 1.2 = 3 s.
    const lines = ['sweep sw: 0/3 points done, 1 running, ETA 3s', 'p [##########----------]  50% ETA 1s, 7 req, 8.3x'];
    expect(stream.take()).toBe(`${ESC}2A\r${ESC}J` + 'p: warning: the trace ends early\n' + frame(0, lines));
    a.log('p: preparing workload');
    expect(stream.take()).toBe(`${ESC}2A\r${ESC}J` + 'p: preparing workload\n' + frame(0, lines));
    // A write without its newline: the next frame starts on a new line.
    stream.write('half a line');
    expect(stream.take()).toBe(`${ESC}2A\r${ESC}J` + 'half a line');
    at(1000);
    a.update({ t: 6 * S, total: 10 * S, requests: 8, events: 0 });
    expect(stream.take()).toMatch(/^\n\r/);
    d.close();
    expect(stream.take()).toBe(`${ESC}2A\r${ESC}J`);
    // Closed: writes pass straight through.
    stream.write('after\n');
    expect(stream.take()).toBe('after\n');
  });

  it('cuts lines to the terminal width', () => {
    const { d, stream } = display('tty', 40);
    d.job('workload.rate=100,scheduler.type=clockwork').update({ t: 0, total: S, requests: 0, events: 0 });
    const line = stream.take().split(`${ESC}2K`)[1].split('\n')[0];
    expect(line).toBe('worklo… [--------]   0% ETA ?, 0 req, -');
    expect(line.length).toBeLessThanOrEqual(39);
    d.close();
  });

  it('a sweep ETA from finished points\' wall times and running points\' fractions', () => {
    const { d, at } = display('tty');
    d.sweep({ name: 's', points: 4, done: 0, failed: 0, jobs: 2 });
    expect(d.sweepEta()).toBeUndefined();
    const j1 = d.job('p1');
    const j2 = d.job('p2');
    j1.update({ t: 0, total: 100, requests: 0, events: 0 });
    j2.update({ t: 0, total: 100, requests: 0, events: 0 });
    at(10_000);
    j1.end(); // one point: 10 s
    j2.update({ t: 40, total: 100, requests: 0, events: 0 });
    d.sweep({ name: 's', points: 4, done: 1, failed: 0, jobs: 2 });
    const j3 = d.job('p3');
    j3.update({ t: 0, total: 100, requests: 0, events: 0 });
    at(12_000);
    // p2: 40% in 12 s -> 18 s left by its rate, 0 by the typical 10 s; weighted 0.4 x 18 + 0.6 x 0 = 7.2.
    // p3: nothing simulated yet: 10 - 2 = 8 left. One point pending: 10. (7.2 + 8 + 10) / 2 jobs = 12.6.
    expect(d.sweepEta()).toBeCloseTo(12.6, 9);
    d.close();
  });
});

describe('plain and quiet', () => {
  it('plain: a job\'s line every 2 s of wall time and its last figures at its end; log lines as they come', () => {
    const { d, stream, at } = display('plain');
    const j = d.job('p');
    j.update({ t: 0, total: 40 * S, requests: 0, events: 0 });
    at(1000);
    j.update({ t: 10 * S, total: 40 * S, requests: 700, events: 2e6 });
    expect(stream.take()).toBe('');
    at(2000);
    j.update({ t: 20 * S, total: 40 * S, requests: 1500, events: 4e6 });
    expect(stream.take()).toBe('p: simulated 20s of 40s (50%), 1,500 requests measured, 2.00M events/s, 10.0x real time, ETA 2s\n');
    at(3000);
    j.update({ t: 30 * S, total: 40 * S, requests: 2000, events: 6e6 });
    d.log('[1/1] p: note');
    expect(stream.take()).toBe('[1/1] p: note\n');
    at(4000);
    j.update({ t: 41 * S, total: 40 * S, requests: 2500, events: 8e6 });
    expect(stream.take()).toBe('p: simulated 41s of 40s (100%), 2,500 requests measured, 2.00M events/s, 10.3x real time\n');
    j.end(); // just printed: nothing more
    expect(stream.take()).toBe('');
    const k = d.job('q');
    k.update({ t: 0, total: 10 * S, requests: 0, events: 0 });
    at(5000);
    k.update({ t: 10 * S, total: 10 * S, requests: 3, events: 1e6 });
    k.end();
    expect(stream.take()).toBe('q: simulated 10s of 10s (100%), 3 requests measured, 1.00M events/s, 10.0x real time\n');
    d.sweep({ name: 's', points: 1, done: 1, failed: 0, jobs: 1 });
    d.close();
    expect(stream.take()).toBe('');
  });

  it('none: nothing at all', () => {
    const { d, stream, at } = display('none');
    const j = d.job('p');
    d.sweep({ name: 's', points: 1, done: 0, failed: 0, jobs: 1 });
    for (let i = 0; i <= 5; i++) {
      at(i * 1000);
      j.update({ t: i * S, total: 5 * S, requests: i, events: i });
    }
    j.log('x');
    d.log('y');
    j.end();
    d.close();
    expect(stream.out).toBe('');
  });
});

describe('through the CLI', () => {
  beforeAll(() => ensureBuilt(), 120_000);
  const notWallClock = (rel: string): boolean => rel.endsWith('run.json');

  it('a sweep with --jobs 2 shows both children\'s progress; the outputs are the same with bars, plain lines or none', () => {
    const dir = tmp();
    const file = writeConfig(dir, tinyConfig({ duration: '2s', warmup: '200ms', drain: '1s', output: { charts: false }, sweep: { 'workload.rate': [100, 200] } }));
    const run = (mode: string, out: string, ...extra: string[]) =>
      spawnSync(process.execPath, [CLI, 'run', file, '--out', join(dir, out), '--jobs', '2', ...extra], { cwd: dir, encoding: 'utf8', env: { ...process.env, SERVESIM_PROGRESS: mode } });
    const plain = run('plain', 'plain');
    expect(plain.status, plain.stderr).toBe(0);
    // Each point's last figures, sent by the child that ran it.
    for (const id of ['workload.rate=100', 'workload.rate=200']) {
      expect(plain.stderr).toMatch(new RegExp(`^\\[\\d/2\\] ${id.replace('.', '\\.')}: running$`, 'm'));
      expect(plain.stderr).toMatch(new RegExp(`^${id.replace('.', '\\.')}: simulated [\\d.]+m?s of 2s \\(\\d+%\\), [\\d,]+ requests measured, [\\d.]+M events/s, [\\d.]+x real time`, 'm'));
      expect(plain.stderr).toMatch(new RegExp(`^\\[\\d/2\\] ${id.replace('.', '\\.')}: done in [\\d.]+ s`, 'm'));
    }
    expect(plain.stderr).not.toContain('\x1b[');
    const tty = run('tty', 'tty');
    expect(tty.status, tty.stderr).toBe(0);
    expect(tty.stderr).toContain('sweep tiny: ');
    expect(tty.stderr).toContain(`${ESC}2K`);
    expect(tty.stderr).toMatch(/wrote 2 points .*\n$/);
    const none = run('none', 'none');
    expect(none.status, none.stderr).toBe(0);
    expect(none.stderr).not.toMatch(/simulated|running|done in|\x1b\[/);
    const quiet = run('plain', 'quiet', '--quiet');
    expect(quiet.stderr).toBe('');
    const ref = snapshot(join(dir, 'none'), notWallClock);
    expect(Object.keys(ref)).toContain('index.json');
    for (const d of ['plain', 'tty', 'quiet']) expect(snapshot(join(dir, d), notWallClock)).toEqual(ref);
  }, 120_000);

  it('a bad SERVESIM_PROGRESS is an error naming it', () => {
    const dir = tmp();
    const file = writeConfig(dir, tinyConfig({ duration: '1s' }));
    const r = spawnSync(process.execPath, [CLI, 'run', file, '--out', join(dir, 'o')], { cwd: dir, encoding: 'utf8', env: { ...process.env, SERVESIM_PROGRESS: 'fancy' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('servesim: SERVESIM_PROGRESS expects one of tty, plain, none, found "fancy"\n');
  }, 60_000);
});
