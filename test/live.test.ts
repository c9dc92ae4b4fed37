/**
 * Short live runs (servesim live, src/live): a tiny generated model (a 32x32 ResNet-18 of width 8
 * from the zoo) on one real executor for about a second. Real time on a shared 2-core machine is
 * noisy, so the assertions are about accounting and order, which hold however slow the machine is:
 * every request answered exactly once, outcome counts that add up, windows honoured, LOAD before
 * INFER, the registry's scheduler class driving the run, and the same output files as `run`.
 * Needs the built executor worker (dist/live/executor-worker.js): `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runToDirectory } from '../src/experiment/runner.js';
import { liveModel, modelSource } from '../src/live/models.js';
import { runLiveToDirectory } from '../src/live/runner.js';
import { loadProfile, resolveProfile } from '../src/models/profile.js';
import { getScheduler } from '../src/schedulers/index.js';
import type { SimObserver } from '../src/sim/observer.js';
import type { Action, ActionError, Outcome, Request } from '../src/sim/types.js';
import { UserError } from '../src/util/errors.js';
import { tinyLiveConfig, tinyLiveProfileJson } from './helpers/live-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'servesim-live-'));
const ROOT = join(import.meta.dirname, '..');

const profilePath = join(dir, 'tiny-live.json');
writeFileSync(profilePath, JSON.stringify(tinyLiveProfileJson()));

function writeConfig(name: string, scheduler: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(tinyLiveConfig(name, profilePath, scheduler, { output: { requests: true } })));
  return file;
}

/** Everything the engine reports, recorded for checks made independently of the metrics collector. */
class Recorder implements SimObserver {
  submitted: Request[] = [];
  answers = new Map<number, Outcome[]>();
  sent: Action[] = [];
  done: Array<{ gpu: number; a: Action; error: ActionError | null; start: number; end: number; padded: number }> = [];
  onSubmit(r: Request) {
    this.submitted.push(r);
  }
  onResponse(r: Request, outcome: Outcome) {
    this.answers.set(r.id, [...(this.answers.get(r.id) ?? []), outcome]);
  }
  onActionSent(a: Action) {
    this.sent.push(a);
  }
  onActionDone(gpu: number, a: Action, error: ActionError | null, start: number, end: number, padded: number) {
    this.done.push({ gpu, a, error, start, end, padded });
  }
}

async function liveRun(scheduler: string) {
  const file = writeConfig(`live-${scheduler}`, scheduler);
  const { points } = loadExperiment(file);
  const rec = new Recorder();
  // spin 0: plain setTimeout timers, so that these runs do not keep a core busy polling while the
  // rest of the suite runs beside them on a 2-core machine (the polling is tested in
  // live-clock.test.ts and live-engine.test.ts); nothing here depends on timer precision.
  const out = await runLiveToDirectory(points[0].resolved, join(dir, `out-${scheduler}`), false, { observers: [rec], progress: false, spin: 0 });
  return { file, rec, out, r: points[0].resolved };
}

function checkAccounting(rec: Recorder, summary: Record<string, any>, warmup: number, duration: number) {
  // Every request answered exactly once, none left.
  expect(rec.submitted.length).toBeGreaterThan(0);
  for (const r of rec.submitted) expect(rec.answers.get(r.id), `request ${r.id}`).toHaveLength(1);
  expect(rec.answers.size).toBe(rec.submitted.length);
  // Outcome counts add up, and match the requests sent in the measured window as recorded here.
  const c = summary.requests;
  expect(c.ok + c.late + c.timeout + c.rejected + c.failed + c.unfinished).toBe(c.total);
  expect(c.unfinished).toBe(0);
  const inWindow = rec.submitted.filter((r) => r.sentAt >= warmup && r.sentAt < duration);
  expect(c.total).toBe(inWindow.length);
  const outcomes = { ok: 0, late: 0, timeout: 0, rejected: 0, failed: 0 };
  for (const r of inWindow) outcomes[rec.answers.get(r.id)![0]]++;
  expect({ ok: c.ok, late: c.late, timeout: c.timeout, rejected: c.rejected, failed: c.failed }).toEqual(outcomes);
  // Every action sent got exactly one result.
  expect(rec.done.length).toBe(rec.sent.length);
  expect(new Set(rec.done.map((d) => d.a.id)).size).toBe(rec.done.length);
  // Windows honoured: an action that ran began inside [earliest, latest] (exec start for an INFER).
  for (const d of rec.done) {
    if (d.error !== null) continue;
    expect(d.start, `${d.a.type} ${d.a.id}`).toBeGreaterThanOrEqual(d.a.earliest);
    expect(d.start, `${d.a.type} ${d.a.id}`).toBeLessThanOrEqual(d.a.latest);
    expect(d.end).toBeGreaterThanOrEqual(d.start);
  }
  // LOAD before INFER: each INFER that ran started after a successful LOAD of its model on its GPU ended.
  const infers = rec.done.filter((d) => d.a.type === 'INFER' && d.error === null);
  expect(infers.length).toBeGreaterThan(0);
  for (const d of infers) {
    const loaded = rec.done.some((l) => l.a.type === 'LOAD' && l.error === null && l.gpu === d.gpu && l.a.model === d.a.model && l.end <= d.start);
    expect(loaded, `INFER ${d.a.id}`).toBe(true);
    // Padded to a profile batch size that holds its requests.
    expect([1, 2, 4]).toContain(d.padded);
    expect(d.padded).toBeGreaterThanOrEqual((d.a as { requests: unknown[] }).requests.length);
  }
}

describe('servesim live', () => {
  it('clockwork: accounting, windows, LOAD before INFER, the registry scheduler, and the same files as run', { timeout: 120_000 }, async () => {
    const { file, rec, out, r } = await liveRun('clockwork');
    const s = out.summary as Record<string, any>;
    checkAccounting(rec, s, r.config.warmup, r.config.duration);
    // The scheduler that ran is the registry's own class (unchanged code), and it reported its figures.
    const fresh = getScheduler('clockwork')!.create({});
    expect(out.engine.scheduler.constructor).toBe(fresh.constructor);
    expect(out.engine.scheduler.name).toBe(fresh.name);
    expect(s.scheduler).toBe('clockwork');
    expect(s.schedulerStats).toBeDefined();
    // Live facts in summary.json and run.json.
    expect(s.mode).toBe('live');
    expect(out.manifest.mode).toBe('live');
    expect(s.live.executors).toBe(1);
    expect(s.live.provider).toBe('cpu');
    expect([s.live.timerSpinUs, s.live.timerSpinChoice]).toEqual([0, 'option']);
    expect(s.live.models).toEqual({ tiny: 'zoo:resnet18 (seed 1) {"image":32,"width":8,"classes":10}' });
    expect(s.live.actions.actionsSent).toBe(rec.sent.length + s.live.actions.networkDrops);
    expect(s.live.actions.resultsReceived).toBe(rec.sent.length);
    // Measured durations: as many exec samples per batch size as INFERs ran at it, the session's
    // first run at each batch size after each LOAD apart (firstExec); as many LOAD samples as LOADs
    // succeeded. Worked out from the results in the order the one executor finished them.
    const firsts = new Map<number, number>();
    const later = new Map<number, number>();
    const ran = new Map<string, Set<number>>();
    for (const d of rec.done) {
      const key = `${d.gpu}/${d.a.model}`;
      if (d.a.type === 'LOAD' && d.error === null) ran.set(key, new Set());
      if (d.a.type !== 'INFER' || (d.error !== null && d.error !== 'weights-changed')) continue;
      const isFirst = !ran.get(key)!.has(d.padded);
      ran.get(key)!.add(d.padded);
      if (d.error !== null) continue;
      const by = isFirst ? firsts : later;
      by.set(d.padded, (by.get(d.padded) ?? 0) + 1);
    }
    expect(firsts.size).toBeGreaterThan(0);
    const counts = (x: Record<string, { count: number; p50Ms: number; p99Ms: number }> | undefined) => {
      for (const st of Object.values(x ?? {})) expect(st.p50Ms).toBeLessThanOrEqual(st.p99Ms);
      return new Map(Object.entries(x ?? {}).map(([b, st]) => [Number(b), st.count]));
    };
    expect(counts(s.live.measured.tiny.exec)).toEqual(later);
    expect(counts(s.live.measured.tiny.firstExec)).toEqual(firsts);
    expect(Object.values(s.live.measured.tiny.firstExec).every((st: any) => st.profileP50Ms === null)).toBe(true);
    expect(s.live.measured.tiny.load.count).toBe(rec.done.filter((d) => d.a.type === 'LOAD' && d.error === null).length);
    expect(s.live.measured.tiny.exec['1']?.profileP50Ms ?? 2).toBe(2);
    const late = s.live.timerLatenessUs.controller;
    expect(late.count).toBeGreaterThan(0);
    expect(late.p50).toBeGreaterThanOrEqual(0);
    expect(late.p50).toBeLessThanOrEqual(late.p99);
    expect(late.p99).toBeLessThanOrEqual(late.max);
    // The same files as a simulated run of the same config.
    const live = readdirSync(join(dir, 'out-clockwork')).sort();
    const { points } = loadExperiment(file);
    await runToDirectory(points[0].resolved, join(dir, 'sim-clockwork'), false);
    // ... plus the profile as served: what it replaced is what summary.json says, and it loads.
    expect(live).toEqual([...readdirSync(join(dir, 'sim-clockwork')), 'measured-profile.json'].sort());
    const asServed = JSON.parse(readFileSync(join(dir, 'out-clockwork', 'measured-profile.json'), 'utf8'));
    expect(asServed.provenance.measuredWhileServing.replaced).toEqual(s.live.measuredProfile.replaced);
    const execs = s.live.measured.tiny.exec['1']?.count ?? 0;
    expect(s.live.measuredProfile.replaced.some((x: string) => x.startsWith('tiny exec batch 1 '))).toBe(execs >= 20);
    expect(loadProfile(join(dir, 'out-clockwork', 'measured-profile.json')).models.has('tiny')).toBe(true);
    expect(live).toContain('requests.csv');
    // requests.csv lists every request once, `measured` (last column) for those sent in the window.
    const rows = readFileSync(join(dir, 'out-clockwork', 'requests.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(rec.submitted.length);
    expect(new Set(rows.map((l) => l.split(',')[0])).size).toBe(rec.submitted.length);
    expect(rows.filter((l) => l.endsWith(',1'))).toHaveLength(s.requests.total);
  });

  it('fifo: the same accounting holds for a reactive scheduler', { timeout: 120_000 }, async () => {
    const { rec, out, r } = await liveRun('fifo');
    checkAccounting(rec, out.summary as Record<string, any>, r.config.warmup, r.config.duration);
    expect(out.engine.scheduler.constructor).toBe(getScheduler('fifo')!.create({}).constructor);
  });
});

describe('live models', () => {
  it('builds a zoo model from source, reads old profiles\' "zoo:NAME (seed S)" provenance, and refuses a model with no source', () => {
    const p = resolveProfile(tinyLiveProfileJson(), 'p.json');
    const m = liveModel(p, 'tiny');
    expect(m.specs).toHaveLength(1);
    expect(m.specs[0].dims).toEqual(['batch', 3, 32, 32]);
    expect(m.bytes.byteLength).toBeGreaterThan(1000);
    const old = resolveProfile(tinyLiveProfileJson(null, { source: 'zoo:resnet18 (seed 7)' }), 'old.json');
    expect(modelSource(old.models.get('tiny')!)).toEqual({ zoo: 'resnet18', seed: '7' });
    const none = resolveProfile(tinyLiveProfileJson(null, { source: '/somewhere/model.onnx' }), 'none.json');
    expect(modelSource(none.models.get('tiny')!)).toBeNull();
    expect(() => liveModel(none, 'tiny')).toThrow(UserError);
    expect(() => liveModel(none, 'tiny')).toThrow(/model "tiny" does not record where it came from.*re-profile/);
  });

  it('an ONNX source must exist and have the recorded hash', () => {
    const sub = join(dir, 'onnx');
    mkdirSync(sub, { recursive: true });
    const bytes = liveModel(resolveProfile(tinyLiveProfileJson(), 'p.json'), 'tiny').bytes;
    writeFileSync(join(sub, 'tiny.onnx'), bytes);
    const wrong = '0'.repeat(64);
    const p = resolveProfile(tinyLiveProfileJson({ onnx: 'tiny.onnx', sha256: wrong }), join(sub, 'profile.json'));
    expect(() => liveModel(p, 'tiny')).toThrow(/has sha256 [0-9a-f]{64}, not the 0{64} it was profiled with/);
    const missing = resolveProfile(tinyLiveProfileJson({ onnx: 'nope.onnx', sha256: wrong }), join(sub, 'profile.json'));
    expect(() => liveModel(missing, 'tiny')).toThrow(/nope\.onnx.*not found/);
  });
});

describe('servesim live (command line)', () => {
  it('--help describes it and its options', { timeout: 60_000 }, () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'servesim.js'), 'live', '--help'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Usage: servesim live \[options\] <config>/);
    for (const flag of ['--out', '--force', '--set', '--seed', '--json', '--quiet', '--provider', '--threads', '--pin', '--spin']) expect(res.stdout).toContain(flag);
  });

  it('refuses a sweep config with a clear message', { timeout: 60_000 }, () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'servesim.js'), 'live', join(ROOT, 'experiments', 'quickstart.json'), '--out', join(dir, 'never')], {
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/live runs one point, and this config has a "sweep" \(3 points\)/);
  });
});
