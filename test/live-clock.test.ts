/**
 * The real-time pieces of live mode (src/live/clock.ts, src/live/executor.ts): precise timers and
 * an executor with a fake backend. Real time on a shared machine is noisy, so nothing here asserts
 * how late a timer fires: only orders, "never before due", windows that a delay can only make fail
 * (latest in the past), and accounting.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPIN, PreciseTimers, RealClock, autoSpin, latenessSummary } from '../src/live/clock.js';
import { Executor, type ActionMsg, type Backend, type ResultMsg } from '../src/live/executor.js';
import { MS } from '../src/sim/time.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RealClock', () => {
  it('counts ns from its origin and never goes backwards; two clocks with one origin agree', () => {
    const a = new RealClock();
    const b = new RealClock(a.origin);
    const t1 = a.now();
    const t2 = b.now();
    const t3 = a.now();
    expect(t1).toBeGreaterThanOrEqual(0);
    expect(t2).toBeGreaterThanOrEqual(t1);
    expect(t3).toBeGreaterThanOrEqual(t2);
  });
});

describe('autoSpin (--spin auto)', () => {
  it('spins DEFAULT_SPIN only when a CPU is left beyond one per executor, for the controller', () => {
    expect(autoSpin(1, 1, 2).spin).toBe(DEFAULT_SPIN);
    expect(autoSpin(2, 1, 2).spin).toBe(0);
    expect(autoSpin(2, 1, 3).spin).toBe(DEFAULT_SPIN);
    expect(autoSpin(4, 1, 2).spin).toBe(0);
    // Intra-op threads count: 1 executor x 2 threads fill 2 CPUs; 3 CPUs leave one.
    expect(autoSpin(1, 2, 2).spin).toBe(0);
    expect(autoSpin(1, 2, 3).spin).toBe(DEFAULT_SPIN);
    expect(autoSpin(2, 1, 2).why).toBe('auto: 2 CPUs for 2 executors x 1 thread leave none for the controller, so no polling');
    expect(autoSpin(1, 2, 4).why).toBe('auto: 4 CPUs for 1 executor x 2 threads leave one for the controller');
  });
});

describe('latenessSummary', () => {
  it('nearest-rank percentiles in microseconds, mean and max', () => {
    // 1..1000 us in ns, shuffled: p50 = 500 us, p90 = 900, p99 = 990, p99.9 = 999, max 1000, mean 500.5.
    const xs = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) * 1000 + 1000);
    const s = latenessSummary(xs);
    expect(s).toEqual({ count: 1000, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 500.5 });
    expect(latenessSummary([], 3)).toEqual({ count: 3, p50: null, p90: null, p99: null, p999: null, max: null, mean: null });
  });
});

describe('PreciseTimers', () => {
  it('fires every timer once, never before it is due, in (due, creation) order (one set in the past: first), and records lateness >= 0', async () => {
    const clock = new RealClock();
    const timers = new PreciseTimers(clock);
    const fired: Array<{ tag: number; at: number; due: number }> = [];
    const base = clock.now();
    // Due times out of creation order, two equal, one already past (due when it is set: the gaps
    // are tens of ms so that a stall of the test itself while setting them cannot reorder them).
    const dues = [base + 120 * MS, base + 60 * MS, base + 60 * MS, base - 10 * MS, base + 250 * MS, base + 25 * MS];
    dues.forEach((due, tag) => timers.set(due, () => fired.push({ tag, at: clock.now(), due })));
    expect(timers.pending).toBe(6);
    await sleep(260);
    for (let i = 0; i < 300 && fired.length < 6; i++) await sleep(10);
    expect(fired.map((f) => f.tag)).toEqual([3, 5, 1, 2, 0, 4]);
    for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(f.due);
    expect(timers.pending).toBe(0);
    expect(timers.firedCount).toBe(6);
    const late = timers.latenessSamples();
    expect(late).toHaveLength(6);
    for (const x of late) expect(x).toBeGreaterThanOrEqual(0);
    timers.stop();
  });

  it('a cancelled timer never fires; stop() drops the pending ones; timers set from a handler fire', async () => {
    const clock = new RealClock();
    const timers = new PreciseTimers(clock, 0);
    const fired: string[] = [];
    const now = clock.now();
    const c = timers.set(now + 2 * MS, () => fired.push('cancelled'));
    timers.set(now + 4 * MS, () => {
      fired.push('first');
      timers.set(clock.now() + MS, () => fired.push('chained'));
    });
    timers.cancel(c);
    timers.cancel(c); // twice is harmless
    expect(timers.pending).toBe(1);
    for (let i = 0; i < 300 && fired.length < 2; i++) await sleep(5);
    expect(fired).toEqual(['first', 'chained']);
    timers.set(clock.now() + 5 * MS, () => fired.push('after stop'));
    timers.stop();
    await sleep(30);
    expect(fired).toEqual(['first', 'chained']);
  });
});

/** A backend that records calls; run takes `execMs` of real time (a sleep, so the thread stays free). */
class FakeBackend implements Backend {
  calls: string[] = [];
  constructor(private readonly execMs = 1) {}
  async load(m: number) {
    this.calls.push(`load ${m}`);
  }
  async release(m: number) {
    this.calls.push(`release ${m}`);
  }
  copyInput(m: number, n: number, padded: number) {
    this.calls.push(`in ${m} ${n}/${padded}`);
  }
  async run(m: number, padded: number) {
    this.calls.push(`run ${m} ${padded}`);
    await sleep(this.execMs);
  }
  copyOutput(m: number, n: number) {
    this.calls.push(`out ${m} ${n}`);
  }
}

function executor(pages = 4, modelPages = [2, 3]) {
  const clock = new RealClock();
  const timers = new PreciseTimers(clock);
  const backend = new FakeBackend();
  const results: ResultMsg[] = [];
  const errors: unknown[] = [];
  const residency = new Uint8Array(modelPages.length);
  const ex = new Executor(
    modelPages.map((p) => ({ pages: p, batchSizes: [1, 2, 4] })),
    pages,
    residency,
    5 * MS,
    timers,
    backend,
    (r) => results.push(r),
    (e) => errors.push(e),
  );
  const wait = async (n: number) => {
    for (let i = 0; i < 400 && results.length < n; i++) await sleep(5);
    expect(errors).toEqual([]);
    expect(results).toHaveLength(n);
  };
  return { clock, timers, backend, results, residency, ex, wait };
}

const FAR = 3_600_000 * MS;
let nextId = 0;
const act = (type: ActionMsg['type'], model: number, earliest: number, latest: number, n = 0, padTo?: number): ActionMsg => ({
  id: nextId++,
  type,
  model,
  earliest,
  latest,
  n,
  ...(padTo !== undefined ? { padTo } : {}),
});

describe('Executor (fake backend)', () => {
  it('LOAD then INFER: pads to a supported batch, measures exec, honours earliest; INFER before its LOAD fails not-loaded', async () => {
    const { clock, results, residency, ex, backend, wait, timers } = executor();
    const now = clock.now();
    const early = act('INFER', 0, now, now + FAR, 1);
    ex.submit(early);
    await wait(1);
    expect(results[0]).toMatchObject({ id: early.id, error: 'not-loaded', padded: 1 });
    const load = act('LOAD', 0, clock.now(), clock.now() + FAR);
    ex.submit(load);
    await wait(2);
    expect(results[1]).toMatchObject({ id: load.id, error: null });
    expect(results[1].end).toBeGreaterThanOrEqual(results[1].start);
    expect(residency[0]).toBe(2);
    const earliest = clock.now() + 10 * MS;
    const infer = act('INFER', 0, earliest, earliest + FAR, 3);
    ex.submit(infer);
    await wait(3);
    const r = results[2];
    expect(r).toMatchObject({ id: infer.id, error: null, padded: 4 });
    // Never before earliest; the fake run sleeps 1 ms, so end > start.
    expect(r.start).toBeGreaterThanOrEqual(earliest);
    expect(r.end).toBeGreaterThan(r.start);
    expect(r.phases.inStart!).toBeLessThanOrEqual(r.phases.inEnd!);
    expect(r.phases.inEnd!).toBeLessThanOrEqual(r.start);
    expect(r.phases.outStart!).toBeGreaterThanOrEqual(r.end);
    expect(r.doneAt).toBe(r.phases.outEnd);
    // The failed INFER still made its input copy (as the simulated GPU does: the model is checked at exec start).
    expect(backend.calls).toEqual(['in 0 1/1', 'load 0', 'in 0 3/4', 'run 0 4', 'out 0 3']);
    timers.stop();
  });

  it('fails too-late when the window has passed, and bad-batch, already-loaded, no-pages, not-loaded EVICT as the simulated GPU does', async () => {
    const { clock, results, ex, wait, residency, backend, timers } = executor(4, [2, 3]);
    const now = clock.now();
    ex.submit(act('LOAD', 0, now - 10 * MS, now - 5 * MS)); // latest already past
    ex.submit(act('LOAD', 0, now, now + FAR));
    ex.submit(act('LOAD', 0, now, now + FAR)); // already loaded
    ex.submit(act('LOAD', 1, now, now + FAR)); // 2 + 3 > 4 pages
    ex.submit(act('EVICT', 1, now, now + FAR)); // nothing to evict
    ex.submit(act('INFER', 0, now, now + FAR, 5)); // larger than the largest batch size
    ex.submit(act('INFER', 0, now + 20 * MS, now + FAR, 1, 2)); // padTo 2, after the LOADs
    ex.submit(act('INFER', 0, now - 20 * MS, now - 10 * MS, 1)); // too late
    await wait(8);
    const byId = new Map(results.map((r) => [r.id, r]));
    const errs = [...byId.values()].sort((a, b) => a.id - b.id).map((r) => r.error);
    expect(errs).toEqual(['too-late', null, 'already-loaded', 'no-pages', 'not-loaded', 'bad-batch', null, 'too-late']);
    expect(results.find((r) => r.padded === 2 && r.error === null)).toBeDefined();
    // Evicting model 0 frees its pages: model 1 then fits.
    ex.submit(act('EVICT', 0, clock.now(), clock.now() + FAR));
    ex.submit(act('LOAD', 1, clock.now(), clock.now() + FAR));
    await wait(10);
    expect(results.slice(8).map((r) => r.error)).toEqual([null, null]);
    expect([residency[0], residency[1]]).toEqual([0, 2]);
    expect(backend.calls.filter((c) => c.startsWith('load') || c.startsWith('release'))).toEqual(['load 0', 'release 0', 'load 1']);
    timers.stop();
  });

  it('holds an action until it arrives (arriveAt): a LOAD whose window opened starts then, not when posted', async () => {
    const { clock, results, ex, wait, timers } = executor(8, [2, 3]);
    const posted = clock.now();
    const arriveAt = posted + 30 * MS;
    // Ready at once (earliest now), but on the link until arriveAt; the next one has no arriveAt.
    ex.submit({ ...act('LOAD', 0, posted, posted + FAR), arriveAt });
    ex.submit(act('LOAD', 1, posted, posted + FAR));
    await wait(2);
    expect(results.map((r) => r.error)).toEqual([null, null]);
    // The one without arriveAt ran first; the held one started at its arrival, never before.
    expect(results[0].id).toBe(results[1].id + 1);
    expect(results[1].start).toBeGreaterThanOrEqual(arriveAt);
    expect(results[0].start).toBeLessThan(arriveAt);
    timers.stop();
  });

  it('runs ready actions in order of ready time (earliest; an INFER inputLead before it), then arrival', async () => {
    const { clock, results, ex, wait, timers } = executor(8, [2, 3]);
    const base = clock.now() + 100 * MS; // far enough that a stall while submitting cannot start one early
    ex.submit(act('LOAD', 0, base + 12 * MS, base + FAR)); // ready at +12
    ex.submit(act('LOAD', 1, base, base + FAR)); // ready at +0
    ex.submit(act('INFER', 1, base + 10 * MS, base + FAR, 1)); // input copy ready at +5
    await wait(3);
    const order = results.map((r) => r.id);
    const ids = results.map((r) => r.id).sort((a, b) => a - b);
    expect(order).toEqual([ids[1], ids[2], ids[0]]);
    for (const r of results) expect(r.error).toBeNull();
    timers.stop();
  });
});
