/**
 * Unit tests of src/schedulers/clipper.ts written against its documented bounds and hand-computed
 * values (issue 16: the mutants the scheduler-level tests leave alive).
 */
import { describe, expect, it } from 'vitest';
import { resolveExperiment } from '../src/experiment/config.js';
import { Aimd, LatencyRegression, clipperCodeOptions } from '../src/schedulers/clipper.js';
import { getScheduler } from '../src/schedulers/index.js';
import { Rng } from '../src/sim/random.js';
import type { Request } from '../src/sim/types.js';
import { UserError } from '../src/util/errors.js';
import { MAX_COUNT, MAX_FACTOR } from '../src/util/units-zod.js';
import { run, weightActions } from './helpers/baseline-sim.js';

const base = (scheduler: Record<string, unknown>) => ({
  name: 'opts',
  duration: '1s',
  cluster: { profile: 'hw-profiles/v100-clockwork.json' },
  models: [{ profile: 'resnet50_v2', copies: 2 }],
  workload: { type: 'closed-loop', concurrency: 2 },
  scheduler,
});

function resolved(scheduler: Record<string, unknown>): Record<string, unknown> {
  return resolveExperiment(base(scheduler), 'exp.json').scheduler.options as Record<string, unknown>;
}

function errorOf(scheduler: Record<string, unknown>): string {
  try {
    resolveExperiment(base(scheduler), 'exp.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(scheduler)} to be rejected`);
}

// Documented bounds (README "Reactive baselines", src/experiment/option-docs.ts):
// [option, documented default, smallest valid, largest valid, first invalid values].
type Row = [string, unknown, unknown, unknown, unknown[]];
const POS_INT = (name: string, def: number): Row => [name, def, 1, MAX_COUNT, [0, 1.5, MAX_COUNT + 1]];
const NONNEG_INT = (name: string, def: number): Row => [name, def, 0, MAX_COUNT, [-1, 1.5, MAX_COUNT + 1]];
const NONNEG_FACTOR = (name: string, def: number): Row => [name, def, 0, MAX_FACTOR, [-1, MAX_FACTOR * 2]];
const AIMD: Row[] = [
  POS_INT('initialBatch', 1),
  POS_INT('additiveIncrease', 1),
  ['multiplicativeDecrease', 0.9, 0.01, 0.99, [0, 1]],
  ['budgetFraction', 0.92, 0.01, 1, [0, 1.01]],
  ['batchTimeout', 0, 0, '1s', [-1, 'soon']],
  NONNEG_INT('maxBatch', 0),
  NONNEG_INT('execConcurrency', 0),
];
const TABLE: Record<string, Row[]> = {
  clipper: [POS_INT('replicas', 1), ...AIMD],
  'clipper-lru': AIMD,
  'clipper-code': [
    POS_INT('replicas', 1),
    ['budgetDecay', 0.92, 0.01, 1, [0, 1.01]],
    POS_INT('minSamples', 5),
    NONNEG_FACTOR('zScore', 3),
    POS_INT('additiveThreshold', 10),
    NONNEG_FACTOR('exploreMean', 0.1),
    NONNEG_FACTOR('exploreStd', 0.05),
    NONNEG_INT('maxBatch', 0),
    NONNEG_INT('execConcurrency', 0),
  ],
};
const cases = Object.entries(TABLE).flatMap(([type, rows]) => rows.map((r) => [type, ...r] as [string, ...Row]));

describe('clipper family options: documented defaults and bounds', () => {
  it('each type resolves exactly its documented options, all defaulted', () => {
    for (const [type, rows] of Object.entries(TABLE)) {
      expect(resolved({ type })).toEqual(Object.fromEntries(rows.map(([name, def]) => [name, def])));
    }
  });

  it.each(cases)('%s.%s: default %j, accepts %j and %j', (type, name, def, lo, hi) => {
    expect(resolved({ type })[name]).toEqual(def);
    const loValue = resolved({ type, [name]: lo })[name];
    const hiValue = resolved({ type, [name]: hi })[name];
    if (name === 'batchTimeout') {
      expect(loValue).toBe(0);
      expect(hiValue).toBe(1e9);
    } else {
      expect(loValue).toBe(lo);
      expect(hiValue).toBe(hi);
    }
  });

  it.each(cases)('%s.%s: rejects the first invalid values', (type, name, _def, _lo, _hi, bad) => {
    for (const v of bad) {
      const msg = errorOf({ type, [name]: v });
      expect(msg).toContain(`scheduler.${name}`);
    }
  });

  it('clipper-lru has no replicas option (deployment is reactive)', () => {
    expect(errorOf({ type: 'clipper-lru', replicas: 1 })).toContain('replicas');
  });
});

describe('clipper family registrations', () => {
  it.each([
    ['clipper', /^Clipper \(NSDI'17\)/],
    ['clipper-lru', /^Variant of clipper/],
    ['clipper-code', /^Clipper as released/],
  ])('%s is registered under its name, with its description, factory and engine caps', (name, description) => {
    const t = getScheduler(name)!;
    expect(t).toBeDefined();
    expect(t.name).toBe(name);
    expect(t.description).toMatch(description);
    const o = t.options.parse({ execConcurrency: 3 });
    const s = t.create(o);
    expect(s.name).toBe(name);
    expect(t.engine!(o)).toEqual({ execConcurrency: 3 });
    expect(t.engine!(t.options.parse({}))).toEqual({ execConcurrency: Number.MAX_SAFE_INTEGER });
  });
});

// ------------------------------------------------------------------ AIMD

describe('Aimd', () => {
  const o = { initialBatch: 4, additiveIncrease: 2, multiplicativeDecrease: 0.5, budgetFraction: 0.5 };
  it('grows when the latency is at most SLO x budgetFraction (boundary included), else cuts', () => {
    // SLO 10 -> budget 5: latency 5 is within it (4 + 2 = 6).
    const a = new Aimd(o, 100);
    expect(a.limit()).toBe(4);
    a.observe(4, 5, 10);
    expect(a.maxBatch).toBe(6);
    // 6 > 5 (but <= 10 / 0.5 = 20): cut to floor(6 x 0.5) = 3.
    a.observe(6, 6, 10);
    expect(a.maxBatch).toBe(3);
  });
  it('starts at min(cap, initialBatch) and never grows past the cap', () => {
    const a = new Aimd(o, 5);
    expect(a.maxBatch).toBe(4);
    a.observe(4, 1, 10);
    expect(a.maxBatch).toBe(5);
  });
});

// ------------------------------------------------------------------ latency regression

const head = (deadline: number): Request => ({ deadline }) as unknown as Request;
const code = (over: Record<string, unknown>) => clipperCodeOptions.parse({ budgetDecay: 1, zScore: 1, minSamples: 2, ...over });

describe('LatencyRegression', () => {
  it('fits batch size on mean + zScore x pooled std over the sizes with >= minSamples samples', () => {
    // cap 9, minSamples 2, zScore 1, budgetDecay 1 (budget = deadline - now).
    // Size 1: latencies 1, 3 -> mean 2, M2 = 1 + 1 = 2. Size 9 (the cap): 4, 8 -> mean 6, M2 = 4 + 4 = 8.
    // Pooled variance = (2 + 8) / ((2 - 1) + (2 - 1)) = 5, std = sqrt(5) = 2.2361.
    // Points (p99, size): (2 + 2.2361, 1), (6 + 2.2361, 9): slope 8 / 4 = 2, mean x = 6.2361, mean y = 5.
    // Budget 8 (<= the largest latency seen, 8, so no exploring): 5 + 2 x (8 - 6.2361) = 8.53 -> 8.
    const r = new LatencyRegression(code({}), 9, new Rng(1));
    for (const [size, lat] of [[1, 1], [1, 3], [9, 4], [9, 8]]) r.observe(size, lat);
    expect(r.limit(0, head(8))).toBe(8);
    // Budget 6: 5 + 2 x (6 - 6.2361) = 4.53 -> 4.
    expect(r.limit(0, head(6))).toBe(4);
    // Budget 4.5: 5 + 2 x (4.5 - 6.2361) = 1.53 -> 1; budget 1: negative -> at least 1.
    expect(r.limit(0, head(4.5))).toBe(1);
    expect(r.limit(0, head(1))).toBe(1);
    // The budget is (deadline - now) x budgetDecay.
    expect(r.limit(2, head(10))).toBe(8);
  });

  it('leaves sizes with fewer than minSamples samples out of the pooled std', () => {
    // As above, but size 9 has one more sample (8 -> 3 samples: 4, 8, 6: mean 6, M2 = 8) and size 1
    // only one (latency 2: mean 2, M2 0): only size 9 is pooled: variance 8 / 2 = 4, std 2.
    // Points (4, 1), (8, 9): slope 2, mean x 6, mean y 5. Budget 8: 5 + 2 x 2 = 9; budget 7: 7.
    const r = new LatencyRegression(code({ minSamples: 3 }), 9, new Rng(1));
    for (const [size, lat] of [[1, 2], [9, 4], [9, 8], [9, 6]]) r.observe(size, lat);
    expect(r.limit(0, head(7))).toBe(7);
    expect(r.limit(0, head(6.5))).toBe(6);
  });

  it('pools a size with exactly minSamples samples, and the zScore scales the std', () => {
    // minSamples 2, zScore 0.5. Size 1: 1, 3 (mean 2, M2 2); size 5: 5, 7 (mean 6, M2 2); cap 16.
    // Pooled variance 4 / 2 = 2, std 1.4142, 0.5 x std = 0.7071. Points (2.7071, 1), (6.7071, 5):
    // slope 1, mean x 4.7071, mean y 3. Budget 7: 3 + 2.2929 = 5.29 -> 5; budget 6: 4.29 -> 4.
    const r = new LatencyRegression(code({ zScore: 0.5 }), 16, new Rng(1));
    for (const [size, lat] of [[1, 1], [1, 3], [5, 5], [5, 7]]) r.observe(size, lat);
    expect(r.limit(0, head(7))).toBe(5);
    expect(r.limit(0, head(6))).toBe(4);
    expect(r.limit(0, head(3))).toBe(1);
  });

  it('with one batch size seen, predicts that size', () => {
    // One point (4, 3): the fit is the constant 3 for a budget within the latency seen.
    const r = new LatencyRegression(code({}), 16, new Rng(1));
    r.observe(3, 4);
    expect(r.limit(0, head(4))).toBe(3);
  });

  it('with several sizes of the same p99, predicts their mean size', () => {
    // Sizes 1 and 4 both measured at 5: no spread in x, so the fit is the constant (1 + 4) / 2 = 2.5 -> 2.
    const r = new LatencyRegression(code({}), 16, new Rng(1));
    r.observe(1, 5);
    r.observe(4, 5);
    expect(r.limit(0, head(5))).toBe(2);
  });

  it('a batch size of 0 leaves no fit (the estimate is 1)', () => {
    const r = new LatencyRegression(code({}), 16, new Rng(1));
    r.observe(0, 5);
    expect(r.limit(0, head(5))).toBe(1);
  });
});

// ------------------------------------------------------------------ the scheduler's summary and dispatch

describe('clipper summary and dispatch', () => {
  // Batch 1/2/4/8/16 cost 10/12/14/16/20 ms; LOAD 5 ms; the network takes no time.
  const EXEC = { 1: 10, 2: 12, 4: 14, 8: 16, 16: 20 };

  it('summary: batches sent and finalMaxBatch min / max / mean over every replica', () => {
    // Two models, one GPU, one replica each. Model 0: three requests far apart, each a batch of 1
    // within budget (10 ms <= 100 x 0.92): maxBatch 1 -> 2 -> 3 -> 4. Model 1: no request, stays 1.
    // finalMaxBatch: min 1, max 4, mean (1 + 4) / 2 = 2.5.
    const r = run({
      scheduler: 'clipper',
      exec: EXEC,
      models: 2,
      arrivals: [
        [10, 0, 100],
        [50, 0, 100],
        [90, 0, 100],
      ],
      duration: 200,
    });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [10, 1],
      [50, 1],
      [90, 1],
    ]);
    expect(r.stats).toEqual({ batches: 3, dropped: 0, loads: 0, evictions: 0, finalMaxBatch: { min: 1, max: 4, mean: 2.5 }, unservedModels: 0 });
  });

  it('clipper-code drops a request whose deadline is now (deadline <= now) and counts it', () => {
    // The LOAD is back at 5. A at 6 (SLO 100) is sent at once, alone, and returns at 16. B at 7 with
    // SLO 9 has its deadline at 16: when the replica is free again at 16 it has expired and is
    // answered timeout, not sent. C at 8 (SLO 100) is sent at 16, alone.
    const r = run({
      scheduler: 'clipper-code',
      exec: EXEC,
      arrivals: [
        [6, 0, 100],
        [7, 0, 9],
        [8, 0, 100],
      ],
      duration: 200,
    });
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toContainEqual([1, 'timeout', 16]);
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [6, 1],
      [16, 1],
    ]);
    expect(r.stats).toMatchObject({ batches: 2, dropped: 1 });
  });
  it('AIMD judges a batch by the tightest SLO in it', () => {
    // initialBatch 2. A (SLO 10) and B (SLO 100) queue while the LOAD runs; sent together at 5,
    // they take 12 ms: over A's budget 10 x 0.92 = 9.2 (within B's 92), so maxBatch is cut to
    // max(1, floor(2 x 0.9)) = 1.
    const r = run({
      scheduler: 'clipper',
      options: { initialBatch: 2 },
      exec: EXEC,
      arrivals: [
        [0, 0, 10],
        [1, 0, 100],
      ],
      duration: 100,
    });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([[5, 2]]);
    expect(r.stats.finalMaxBatch).toEqual({ min: 1, max: 1, mean: 1 });
  });

  it('a failed INFER teaches AIMD nothing', () => {
    // The first INFER (t = 10) fails at its worker; the replica is free again but maxBatch stays 1.
    const r = run({ scheduler: 'clipper', exec: EXEC, arrivals: [[10, 0, 100]], duration: 100, fail: (a, i) => a.type === 'INFER' && i === 0 });
    expect(r.responses.map((x) => x.outcome)).toEqual(['failed']);
    expect(r.stats).toMatchObject({ batches: 1, finalMaxBatch: { min: 1, max: 1, mean: 1 } });
  });

  it('two replicas on two GPUs: each LOAD and INFER result frees the replica on its own GPU', () => {
    // replicas 2: the model is loaded on g0 and g1 (back at 5). Two requests at 10 go one to each
    // GPU (maxBatch 1), back at 20; two more at 30 again go one to each (each replica: 1 -> 2 -> 3).
    const r = run({
      scheduler: 'clipper',
      options: { replicas: 2 },
      exec: EXEC,
      gpus: 2,
      arrivals: [
        [10, 0, 100],
        [10, 0, 100],
        [30, 0, 100],
        [30, 0, 100],
      ],
      duration: 100,
    });
    expect(r.infers.map((b) => [b.t, b.gpu, b.n])).toEqual([
      [10, 0, 1],
      [10, 1, 1],
      [30, 0, 1],
      [30, 1, 1],
    ]);
    expect(r.stats.finalMaxBatch).toEqual({ min: 3, max: 3, mean: 3 });
  });
});

describe('clipper-lru', () => {
  const EXEC = { 1: 10, 2: 12, 4: 14, 8: 16, 16: 20 };

  it('serves its queue in arrival order (FIFO, not EDF)', () => {
    // Request 0 at 0 loads the model (back at 5); 1 (SLO 100) and 2 (SLO 20, the earliest deadline)
    // queue behind it. Sent in arrival order: 0 alone at 5 (maxBatch 1; EDF would send 2 first),
    // then 1 and 2 together at 15 (maxBatch 2).
    const r = run({
      scheduler: 'clipper-lru',
      exec: EXEC,
      arrivals: [
        [0, 0, 100],
        [1, 0, 100],
        [2, 0, 20],
      ],
      duration: 100,
    });
    expect(r.infers.map((b) => [b.t, ...b.ids])).toEqual([
      [5, 0],
      [15, 1, 2],
    ]);
  });

  it('loads a model on the GPU with the fewest pending requests, then the lower GPU index', () => {
    // Two GPUs. Model 0's request at 0: both GPUs idle and empty -> g0. Model 1's at 1: g0 has one
    // pending request of its model, g1 none -> g1.
    const r = run({
      scheduler: 'clipper-lru',
      exec: EXEC,
      models: 2,
      gpus: 2,
      arrivals: [
        [0, 0, 100],
        [1, 1, 100],
      ],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=1']);
  });
});

describe('clipper-lru: waiting for room', () => {
  it('a model waiting for room is loaded once, when the GPU frees up', () => {
    // One GPU with room for one model. Model 0's request at 0 loads it (LOAD back at 5, INFER 5..15).
    // Model 1's requests at 1 and 2 find no room (model 0 has pending work): model 1 waits, once.
    // At 15 model 0 is idle: it is evicted and model 1 loaded (back at 20); its new replica starts
    // at maxBatch 1: one request at 20, the other when that batch is back at 30.
    const r = run({
      scheduler: 'clipper-lru',
      exec: { 1: 10, 2: 12, 4: 14, 8: 16, 16: 20 },
      models: 2,
      modelPages: 1,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 100],
        [1, 1, 100],
        [2, 1, 100],
      ],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=15', 'LOAD m1@g0 t=15']);
    expect(r.infers.map((b) => [b.t, b.model, b.n])).toEqual([
      [5, 0, 1],
      [20, 1, 1],
      [30, 1, 1],
    ]);
    expect(r.stats).toMatchObject({ batches: 3, loads: 2, evictions: 1 });
  });
  it('a model that waits is queued for room once, however many requests arrive meanwhile', () => {
    // Two GPUs with room for one model each. Model 0 at 0 -> g0 (LOAD 0..5, INFER 5..15); model 1
    // at 0.5 -> g1, the less loaded (LOAD 0.5..5.5, INFER 5.5..15.5). Model 2's requests at 1 and 2
    // find no room: it waits (once). At 15 g0 is idle: model 0 is evicted and model 2 loaded there.
    // At 15.5 g1 is idle too, but model 2 no longer waits: model 1 stays.
    const r = run({
      scheduler: 'clipper-lru',
      exec: { 1: 10, 2: 12, 4: 14, 8: 16, 16: 20 },
      models: 3,
      gpus: 2,
      modelPages: 1,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 100],
        [0.5, 1, 100],
        [1, 2, 100],
        [2, 2, 100],
      ],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0.5', 'EVICT m0@g0 t=15', 'LOAD m2@g0 t=15']);
    expect(r.stats).toMatchObject({ loads: 3, evictions: 1 });
  });
  it('evicts the model least recently used, where sending it a batch is a use', () => {
    // One GPU with room for two models. Model 0: LOAD 0..5, INFER 5..15. Model 1: LOAD 20..25,
    // INFER 25..35. Model 0: request at 40 sent at once (40..50); one at 45 waits for it. Model 1:
    // request at 47, sent at once (last use 47). Model 0's second request is sent at 50 (last use
    // 50). execConcurrency 1: the GPU runs them one after another (40..50, 50..60, 60..70). Model 2
    // at 80 needs room: model 1 is the least recently used.
    const r = run({
      scheduler: 'clipper-lru',
      options: { execConcurrency: 1 },
      exec: { 1: 10, 2: 12, 4: 14, 8: 16, 16: 20 },
      models: 3,
      modelPages: 1,
      pagesPerGpu: 2,
      arrivals: [
        [0, 0, 100],
        [20, 1, 100],
        [40, 0, 100],
        [45, 0, 100],
        [47, 1, 100],
        [80, 2, 100],
      ],
      duration: 150,
    });
    expect(r.infers.slice(0, 5).map((b) => [b.t, b.model])).toEqual([
      [5, 0],
      [25, 1],
      [40, 0],
      [47, 1],
      [50, 0],
    ]);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=20', 'EVICT m1@g0 t=80', 'LOAD m2@g0 t=80']);
  });
});
