import { describe, expect, it } from 'vitest';
import { LatencyRegression } from '../src/schedulers/clipper.js';
import { clipperCodeOptions } from '../src/schedulers/clipper.js';
import { Rng } from '../src/sim/random.js';
import { MS } from '../src/sim/time.js';
import type { Request } from '../src/sim/types.js';
import { run, weightActions } from './helpers/baseline-sim.js';

// Batch 1/2/4/8/16 cost 1/2/3/5/12 ms; the network and copies take no time, so a batch's measured
// round trip is exactly its (padded) execution time.
const EXEC = { 1: 1, 2: 2, 4: 3, 8: 5, 16: 12 };

describe('clipper: AIMD adaptive batching', () => {
  it('grows by 1 while batches stay within SLO x 0.92 and cuts x0.9 (floored) when one exceeds it', () => {
    // SLO 10 ms -> budget 9.2 ms. Sizes 1..8 run within it (<= 5 ms); 9 pads to 16 (12 ms) and
    // exceeds it: floor(9 x 0.9) = 8, which fits again, so it oscillates 8, 9, 8, 9...
    const r = run({ scheduler: 'clipper', exec: EXEC, closedLoop: { clients: 32, slo: 10 }, duration: 80 });
    expect(r.infers.slice(0, 14).map((b) => b.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 9, 8, 9, 8]);
    // The first once the LOAD (5 ms) is back, then back to back: each as soon as the previous result is.
    expect(r.infers.slice(0, 4).map((b) => b.t)).toEqual([5, 6, 8, 11]);
  });

  it('cuts multiplicatively from a large start and never below 1', () => {
    const big = run({ scheduler: 'clipper', options: { initialBatch: 12 }, exec: EXEC, closedLoop: { clients: 32, slo: 10 }, duration: 80 });
    // 12 (12 ms > 9.2) -> floor(10.8) = 10 (12 ms) -> 9 (12 ms) -> floor(8.1) = 8 (5 ms) -> 9 -> 8
    expect(big.infers.slice(0, 6).map((b) => b.n)).toEqual([12, 10, 9, 8, 9, 8]);
    // Every size over budget: stays at 1 (floor(0.9) = 0 is raised to 1).
    const slow = run({ scheduler: 'clipper', exec: { 1: 20, 2: 30 }, closedLoop: { clients: 4, slo: 10 }, duration: 100 });
    expect(slow.infers.slice(0, 4).map((b) => b.n)).toEqual([1, 1, 1, 1]);
    // Late results are still returned (no timeouts, no rejections).
    expect(slow.summary.requests).toMatchObject({ ok: 0, timeout: 0, rejected: 0, failed: 0 });
    expect((slow.summary.requests as { late: number }).late).toBeGreaterThan(0);
  });

  it('honours the AIMD constants from the options', () => {
    // +2 per success, halve on violation: 1, 3, 5, 7, 9 (pads to 16: 12 ms > 9.2) -> floor(4.5) = 4 -> 6 ...
    const r = run({
      scheduler: 'clipper',
      options: { additiveIncrease: 2, multiplicativeDecrease: 0.5 },
      exec: EXEC,
      closedLoop: { clients: 32, slo: 10 },
      duration: 80,
    });
    expect(r.infers.slice(0, 8).map((b) => b.n)).toEqual([1, 3, 5, 7, 9, 4, 6, 8]);
  });

  it('waits up to batchTimeout for a batch to fill, and sends at once when it is full', () => {
    // maxBatch starts at 4. Requests at 0, 1, 2 ms: sent as a batch of 3 at 0 + 5 ms.
    // The batch took 3 ms (<= 92 ms budget): maxBatch 5. Requests at 20..24: sent at 24 when 5 are queued.
    const arrivals: Array<[number, number, number]> = [
      [0, 0, 100],
      [1, 0, 100],
      [2, 0, 100],
      ...[20, 21, 22, 23, 24].map((t): [number, number, number] => [t, 0, 100]),
    ];
    const r = run({ scheduler: 'clipper', options: { initialBatch: 4, batchTimeout: '5ms' }, exec: EXEC, arrivals, duration: 50 });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [5, 3],
      [24, 5],
    ]);
  });

  it('deploys statically: a model that fits nowhere is not served and its requests fail', () => {
    // Two models of 3 pages on a GPU of 4 pages: model 0 is loaded, model 1 is not.
    const r = run({
      scheduler: 'clipper',
      exec: EXEC,
      models: 2,
      modelPages: 3,
      pagesPerGpu: 4,
      arrivals: [
        [10, 0, 100],
        [10, 1, 100],
      ],
      duration: 50,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(r.responses.map((x) => [x.model, x.outcome])).toEqual([
      [1, 'failed'],
      [0, 'ok'],
    ]);
    expect(r.stats.unservedModels).toBe(1);
  });

  it('lets different models\' containers execute concurrently through the engine\'s interference model', () => {
    // Two models, one request each at t=10: both batches overlap on the GPU. Processor sharing
    // with speed-up 1.25 for 2: each runs at 1.25/2 of its speed, so 4 ms of work takes 6.4 ms.
    const arrivals: Array<[number, number, number]> = [
      [10, 0, 100],
      [10, 1, 100],
    ];
    const shared = run({ scheduler: 'clipper', exec: { 1: 4, 2: 6 }, models: 2, arrivals, duration: 50 });
    const execs = shared.done.filter((d) => d.type === 'INFER').map((d) => [d.start, d.end]);
    expect(execs).toEqual([
      [10, 16.4],
      [10, 16.4],
    ]);
    // execConcurrency 1: one at a time.
    const serial = run({ scheduler: 'clipper', options: { execConcurrency: 1 }, exec: { 1: 4, 2: 6 }, models: 2, arrivals, duration: 50 });
    expect(serial.done.filter((d) => d.type === 'INFER').map((d) => [d.start, d.end])).toEqual([
      [10, 14],
      [14, 18],
    ]);
  });
});

describe('clipper-lru (variant): reactive loading', () => {
  it('loads on first request, keeps requests waiting for the load, evicts the least recently used', () => {
    // A GPU with room for two models; loads take 5 ms.
    const r = run({
      scheduler: 'clipper-lru',
      exec: EXEC,
      models: 3,
      pagesPerGpu: 2,
      arrivals: [
        [0, 0, 100],
        [10, 1, 100],
        [20, 0, 100],
        [30, 2, 100], // evicts model 1 (last used at 15), not model 0 (used at 20)
        [40, 1, 100], // evicts model 0 (20), not model 2 (35)
      ],
      duration: 60,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=10', 'EVICT m1@g0 t=30', 'LOAD m2@g0 t=30', 'EVICT m0@g0 t=40', 'LOAD m1@g0 t=40']);
    expect(r.infers.map((b) => b.t)).toEqual([5, 15, 20, 35, 45]);
    expect(r.responses.every((x) => x.outcome === 'ok')).toBe(true);
  });
});

describe('clipper-code: the released code\'s EDF queue and latency regression', () => {
  it('serves the earliest deadline first and drops requests whose deadline has passed', () => {
    // exec b1 = 30 ms; the model is loaded by 5 ms. r0 (slo 50) runs alone at 10..40. Meanwhile
    // r1 (deadline 111), r2 (deadline 32) and r3 (deadline 53) queue. At 40: r2 has expired ->
    // dropped as a timeout; EDF puts r3 before r1. Budget (53 - 40) x 0.92 < 30 ms (the largest
    // latency seen), so the regression (one point: batch 1) picks batch 1: r3 runs 40..70 (late),
    // then r1 70..100 (ok).
    const r = run({
      scheduler: 'clipper-code',
      exec: { 1: 30, 2: 40 },
      arrivals: [
        [10, 0, 50],
        [11, 0, 100],
        [12, 0, 20],
        [13, 0, 40],
      ],
      duration: 20,
    });
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [10, [0]],
      [40, [3]],
      [70, [1]],
    ]);
    const byId = Object.fromEntries(r.responses.map((x) => [x.id, [x.outcome, x.at]]));
    expect(byId).toEqual({ 0: ['ok', 40], 1: ['ok', 100], 2: ['timeout', 40], 3: ['late', 70] });
  });

  const head = (deadline: number): Request => ({ id: 0, model: 0, group: 0, sentAt: 0, arrival: 0, slo: deadline, deadline });
  const opts = clipperCodeOptions.parse({});

  it('explores +1 once a batch size has 5 samples, while the budget exceeds every latency seen', () => {
    const p = new LatencyRegression(opts, 16, new Rng('t'));
    const seq: number[] = [];
    for (let i = 0; i < 12; i++) {
      const b = p.limit(0, head(1000 * MS));
      seq.push(b);
      p.observe(b, b * MS, 1000 * MS);
    }
    expect(seq).toEqual([2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4]);
  });

  it('picks the batch size that a regression of batch size on p99 latency predicts for the budget', () => {
    const p = new LatencyRegression(opts, 16, new Rng('t'));
    // Batch b always takes 10 b ms (std 0, so p99 = mean): the fit is b = latency / 10 ms.
    for (const b of [1, 2, 4]) for (let i = 0; i < 5; i++) p.observe(b, 10 * b * MS, 0);
    // Budget (deadline - now) x 0.92 below the largest latency seen (40 ms): estimate.
    expect(p.limit(0, head((35 * MS) / 0.92))).toBe(3);
    expect(p.limit(0, head((25 * MS) / 0.92))).toBe(2);
    expect(p.limit(0, head((5 * MS) / 0.92))).toBe(1);
  });
});

describe('clipper: paths the first tests left out (coverage)', () => {
  it('maxBatch caps AIMD\'s growth below the model\'s largest batch', () => {
    // Same closed loop as the first AIMD test (every size up to 8 fits the 9.2 ms budget), but
    // maxBatch 3: 1, 2, 3 and then 3 for ever.
    const r = run({ scheduler: 'clipper', options: { maxBatch: 3 }, exec: EXEC, closedLoop: { clients: 32, slo: 10 }, duration: 40 });
    expect(r.infers.slice(0, 6).map((b) => b.n)).toEqual([1, 2, 3, 3, 3, 3]);
    expect(Math.max(...r.infers.map((b) => b.n))).toBe(3);
  });

  it('sends a partial batch when batchTimeout expires (the timer path)', () => {
    // Loaded at 5. maxBatch 4; r0 at 20 opens the wait (due 20 + 5 = 25), r1 at 21 joins; nothing
    // else comes: at 25 the timer sends both (b2: 2 ms), answered at 27.
    const r = run({
      scheduler: 'clipper',
      options: { initialBatch: 4, batchTimeout: '5ms' },
      exec: EXEC,
      arrivals: [
        [20, 0, 100],
        [21, 0, 100],
      ],
      duration: 50,
    });
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([[25, [0, 1]]]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 27],
      [1, 'ok', 27],
    ]);
  });

  it('static: a failed LOAD leaves the model unserved; its queued and later requests fail', () => {
    // Two models on one GPU. LOAD m0 runs 0..5; LOAD m1 waits for the weights lane and starts at
    // 5, where the injected fault fails it. r0, r1 (m1, at 1 and 2) wait in m1's queue and fail at
    // 5; r2 (m0 at 3) runs 5..6; r3 (m1 at 10) fails at once.
    const r = run({
      scheduler: 'clipper',
      exec: EXEC,
      models: 2,
      arrivals: [
        [1, 1, 100],
        [2, 1, 100],
        [3, 0, 100],
        [10, 1, 100],
      ],
      duration: 50,
      fail: (a, i) => a.type === 'LOAD' && i === 1,
    });
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.model, d.error, d.end])).toEqual([
      [0, null, 5],
      [1, 'too-late', 5],
    ]);
    expect([...r.responses].sort((a, b) => a.id - b.id).map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'failed', 5],
      [1, 'failed', 5],
      [2, 'ok', 6],
      [3, 'failed', 10],
    ]);
    expect(r.stats.unservedModels).toBe(1);
  });

  it('static: with two replicas, a failed LOAD on one leaves the other serving', () => {
    // replicas 2 on 2 GPUs: LOAD m0@g0 fails at 0, LOAD m0@g1 runs 0..5. r0 (1) and r1 (2) queue;
    // at 5 g1 takes r0 (AIMD starts at 1): 5..6; then r1 6..7. Everything runs on g1.
    const r = run({
      scheduler: 'clipper',
      options: { replicas: 2 },
      exec: EXEC,
      gpus: 2,
      arrivals: [
        [1, 0, 100],
        [2, 0, 100],
      ],
      duration: 50,
      fail: (a, i) => a.type === 'LOAD' && i === 0,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0']);
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual([
      [5, 1, [0]],
      [6, 1, [1]],
    ]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 6],
      [1, 'ok', 7],
    ]);
    expect(r.stats.unservedModels).toBe(0);
  });
});

describe('clipper-lru: placement, waiting for room, failed loads (coverage)', () => {
  it('loads on the GPU with the least pending work, then the most free pages, then the lowest id', () => {
    // 2 GPUs, 4 models, exec b1 30 ms, loads 5 ms.
    // 0: m0 -> loads 0/0, free 100/100: g0 (id). Runs 5..35.
    // 40: m1 -> loads 0/0, free 99/100: g1 (free pages). Runs 45..75.
    // 80: m2 -> loads 0/0, free 99/99: g0 (id). Runs 85..115.
    // 120: m1 again, runs on g1 120..150 (pending 1 on g1).
    // 121: m3 -> loads g0 0 / g1 1: g0 (load), though g1 has more free pages (99 vs 98).
    const r = run({
      scheduler: 'clipper-lru',
      exec: { 1: 30, 2: 30 },
      models: 4,
      gpus: 2,
      arrivals: [
        [0, 0, 1000],
        [40, 1, 1000],
        [80, 2, 1000],
        [120, 1, 1000],
        [121, 3, 1000],
      ],
      duration: 200,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=40', 'LOAD m2@g0 t=80', 'LOAD m3@g0 t=121']);
  });

  it('a model that finds no room waits, and loads when a result frees its victim', () => {
    // Room for one model. m0 loads 0..5 and runs 5..35 (pinned). r1, r2 (m1 at 10 and 12) find
    // no room (m0 cannot be evicted): m1 waits (r2 does not try again). At 35 m0's result unpins
    // it: m1 evicts m0 and loads 35..40, then runs r1 40..70 and r2 70..100.
    const r = run({
      scheduler: 'clipper-lru',
      exec: { 1: 30, 2: 30 },
      models: 2,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 1000],
        [10, 1, 1000],
        [12, 1, 1000],
      ],
      duration: 200,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=35', 'LOAD m1@g0 t=35']);
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [5, [0]],
      [40, [1]],
      [70, [2]],
    ]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 35],
      [1, 'ok', 70],
      [2, 'ok', 100],
    ]);
    expect(r.stats).toMatchObject({ loads: 2, evictions: 1 });
  });

  it('a failed LOAD is retried at once', () => {
    // The first LOAD fails at 0; the scheduler loads again (0..5) and r0 runs 5..6.
    const r = run({ scheduler: 'clipper-lru', exec: EXEC, arrivals: [[0, 0, 100]], duration: 50, fail: (a, i) => a.type === 'LOAD' && i === 0 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g0 t=0']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.error, d.end])).toEqual([
      ['too-late', 0],
      [null, 5],
    ]);
    expect(r.responses.map((x) => [x.outcome, x.at])).toEqual([['ok', 6]]);
    expect(r.stats).toMatchObject({ loads: 2 });
  });

  it('with no replica anywhere (no request came), the summary has no finalMaxBatch', () => {
    const r = run({ scheduler: 'clipper-lru', exec: EXEC, duration: 10 });
    expect(r.stats).toEqual({ batches: 0, dropped: 0, loads: 0, evictions: 0, unservedModels: 0 });
  });
});

describe('clipper-code: LatencyRegression corners (coverage)', () => {
  const head = (deadline: number): Request => ({ id: 0, model: 0, group: 0, sentAt: 0, arrival: 0, slo: deadline, deadline });
  /** An Rng whose normal() returns `z`. */
  const fixedNormal = (z: number) => ({ normal: () => z }) as unknown as Rng;

  it('from additiveThreshold on, explores multiplicatively by 1 + max(0, exploreMean + exploreStd x N)', () => {
    // additiveThreshold 1, minSamples 1: every limit explores from the largest size so far.
    // N = 2: f = 0.5 + 0.25 x 2 = 1 -> doubling: 2, 4, 8, 16 (the cap).
    const o = clipperCodeOptions.parse({ additiveThreshold: 1, minSamples: 1, exploreMean: 0.5, exploreStd: 0.25 });
    const p = new LatencyRegression(o, 16, fixedNormal(2));
    const seq: number[] = [];
    for (let i = 0; i < 5; i++) {
      const b = p.limit(0, head(1000 * MS));
      seq.push(b);
      p.observe(b, MS);
    }
    expect(seq).toEqual([2, 4, 8, 16, 16]);
    // N = -3: 0.5 + 0.25 x -3 = -0.25, clamped to f = 0: from size 4 (the threshold) it stays at 4
    // (an unclamped factor would give floor(0.75 x 4) = 3).
    const q = new LatencyRegression(clipperCodeOptions.parse({ additiveThreshold: 4, minSamples: 1, exploreMean: 0.5, exploreStd: 0.25 }), 16, fixedNormal(-3));
    const s2: number[] = [];
    for (let i = 0; i < 5; i++) {
      const b = q.limit(0, head(1000 * MS));
      s2.push(b);
      q.observe(b, MS);
    }
    // 1 -> 2 -> 3 -> 4 (+1 below the threshold), then x(1 + 0) = 4.
    expect(s2).toEqual([2, 3, 4, 4, 4]);
    // N = 1: f = 0.75, floored: 2, 3, 4 (+1), then floor(1.75 x 4) = 7, floor(1.75 x 7) = 12 (12.25),
    // floor(1.75 x 12) = 21 -> the cap 16.
    const r = new LatencyRegression(clipperCodeOptions.parse({ additiveThreshold: 4, minSamples: 1, exploreMean: 0.5, exploreStd: 0.25 }), 16, fixedNormal(1));
    const s3: number[] = [];
    for (let i = 0; i < 6; i++) {
      const b = r.limit(0, head(1000 * MS));
      s3.push(b);
      r.observe(b, MS);
    }
    expect(s3).toEqual([2, 3, 4, 7, 12, 16]);
  });

  it('with nothing observed and a budget not above 0 (head already due), takes batch 1', () => {
    const p = new LatencyRegression(clipperCodeOptions.parse({}), 16, fixedNormal(0));
    expect(p.limit(10 * MS, head(10 * MS))).toBe(1);
    expect(p.maxBatchSize).toBe(1);
  });
});
