/**
 * The clockwork scheduler, rule by rule (README.md, "The `clockwork` scheduler"), on hand-computed
 * scenarios. Fixture (clockwork-helpers.ts): constant execution times b1 2 ms, b2 3 ms, b4 4 ms,
 * b8 6 ms, LOAD 8 ms (SLOW: 50 ms); options scheduleAhead 5 ms, maxBatch 8, the rest defaults
 * (buffer 5 ms, startDelay 1 ms, networkSlack 5 ms, lag 10 ms).
 */
import { describe, expect, it } from 'vitest';
import { resolveExperiment } from '../src/experiment/config.js';
import fc from 'fast-check';
import { quantileSorted } from 'd3-array';
import { interpolatedPercentile, WindowEstimator } from '../src/schedulers/clockwork/estimator.js';
import { ClockworkScheduler, clockworkOptions } from '../src/schedulers/clockwork/index.js';
import { Timeline } from '../src/schedulers/clockwork/timeline.js';
import type { Action, InferAction } from '../src/sim/types.js';
import { FakeContext, instances, MS, profile } from './clockwork-helpers.js';
import { makeSim, ScriptedWorkload } from './helpers.js';

const OPTS = { scheduleAhead: '5ms', maxBatch: 8 };
const NS = 1;

/** Answer every outstanding LOAD and INFER until the models are loaded and the GPU is idle again. */
function warm(ctx: FakeContext, models: number[]): void {
  for (const m of models) ctx.request(m);
  const answered = new Set<number>();
  for (let step = 0; step < 300; step++) {
    for (const a of [...ctx.sent]) {
      if (answered.has(a.id!) || a.type === 'EVICT') continue;
      answered.add(a.id!);
      const d = a.type === 'LOAD' ? 8 * MS : 2 * MS;
      ctx.ok(a, ctx.t - d, ctx.t);
    }
    ctx.advance(ctx.t + MS);
  }
  ctx.sent.length = 0;
  ctx.responses.length = 0;
  ctx.predictions.length = 0;
}

describe('clockwork predictions', () => {
  it('estimates the interpolated 99th percentile of the last 10 measurements, the profile value until the first', () => {
    const e = new WindowEstimator(10, 0.99, 5 * MS);
    expect(e.value).toBe(5 * MS); // no measurement yet: the profile's value
    e.add(1 * MS);
    expect(e.value).toBe(1 * MS); // the window holds the measurement alone
    for (const x of [2, 3]) e.add(x * MS);
    // window [1, 2, 3]; position 0.99 x 2 = 1.98 -> 2 + 0.98 x 1 = 2.98
    expect(e.value).toBe(2.98 * MS);
    for (const x of [4, 5, 6, 7, 8, 9, 10]) e.add(x * MS);
    // last ten: 1..10: position 8.91 -> 9 + 0.91 = 9.91
    expect(e.value).toBe(9.91 * MS);
    e.add(1 * MS); // window 2..10, 1
    expect(e.value).toBe(9.91 * MS);
    e.add(20 * MS); // window 3..10, 1, 20: sorted [1, 3..10, 20] -> 10 + 0.91 x 10 = 19.1
    expect(e.value).toBe(19.1 * MS);
    expect(interpolatedPercentile([4, 1, 3, 2], 4, 0.5)).toBe(2.5);
  });

  it('keeps the window sorted as values come and go: equal to sorting the last w values (d3 quantileSorted) after every measurement', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 0.5, 0.9, 0.99, 1),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 60 }),
        (w, p, xs) => {
          const e = new WindowEstimator(w, p, 123);
          xs.forEach((x, i) => {
            e.add(x * MS);
            const last = xs.slice(Math.max(0, i + 1 - w), i + 1).map((v) => v * MS).sort((a, b) => a - b);
            expect(e.value).toBe(Math.round(quantileSorted(last, p)!));
          });
        },
      ),
    );
  });

  it('with the seed in the window (estimatorSeed "inWindow"), the seed weighs until 10 measurements rotate it out', () => {
    const e = new WindowEstimator(10, 0.99, 5 * MS, true);
    expect(e.value).toBe(5 * MS);
    for (const x of [1, 2, 3]) e.add(x * MS);
    // window [5, 1, 2, 3] -> sorted [1, 2, 3, 5]; position 0.99 x 3 = 2.97 -> 3 + 0.97 x 2 = 4.94
    expect(e.value).toBe(4.94 * MS);
    for (const x of [4, 5, 6, 7, 8, 9, 10]) e.add(x * MS);
    expect(e.value).toBe(9.91 * MS); // last ten: 1..10, the seed rotated out
  });

  it('updates the (model, batch) estimate from every INFER result: ten measurements replace the seed', () => {
    const ctx = new FakeContext(instances(profile(), ['A']));
    const s = ctx.start(OPTS);
    expect(s.estimate(0, 1)).toBe(2 * MS); // seeded with the profile's p99
    expect(s.loadEstimate(0)).toBe(8 * MS);
    warm(ctx, [0]);
    for (let i = 1; i <= 10; i++) {
      ctx.advance(ctx.t + 50 * MS);
      ctx.request(0);
      const a = ctx.infers().at(-1)!;
      ctx.advance(ctx.t + 20 * MS);
      ctx.ok(a, ctx.t - i * MS, ctx.t);
    }
    expect(s.estimate(0, 1)).toBe(9.91 * MS);
    expect(s.estimate(0, 2)).toBe(3 * MS);
  });

  it('keeps a timeline free_at = max(work_begin + outstanding estimates, now + 1 ms), with the lag rule', () => {
    const t = new Timeline(1 * MS, 10 * MS);
    expect(t.freeAt(0)).toBe(1 * MS);
    t.add(1, 6 * MS, 0); // added to an idle timeline: work_begin = now = 0
    expect(t.freeAt(0)).toBe(6 * MS);
    t.add(2, 4 * MS, 0); // behind outstanding work: work_begin stays
    t.add(3, 20 * MS, 0);
    expect(t.freeAt(0)).toBe(30 * MS);
    t.complete(1, 5 * MS); // measured end 5 ms: work_begin = 5 ms
    expect(t.freeAt(5 * MS)).toBe(29 * MS);
    // Action 2 was expected to end at 9 ms; at 19 ms it is overdue by exactly lag: no change.
    expect(t.freeAt(19 * MS)).toBe(29 * MS);
    // At 30 ms it is overdue by 21 ms > lag: assume it started at 30 - 10 - 4 = 16 ms.
    expect(t.freeAt(30 * MS)).toBe(16 * MS + 4 * MS + 20 * MS);
    t.complete(2, undefined); // failed: work_begin unchanged
    expect(t.freeAt(6 * MS)).toBe(25 * MS);
    t.complete(3, 40 * MS);
    expect(t.freeAt(50 * MS)).toBe(51 * MS); // idle: the now + startDelay floor
    t.add(4, 6 * MS, 50 * MS); // idle again: work_begin = 50 ms, not the floor's 51 ms
    expect(t.freeAt(50 * MS)).toBe(56 * MS);
  });
});

describe('clockwork INFER scheduling', () => {
  it('loads on the first request, then dispatches with the exact windows and predictions', () => {
    const ctx = new FakeContext(instances(profile(), ['A']));
    const s = ctx.start(OPTS);
    ctx.request(0);
    const [load] = ctx.of('LOAD');
    // pcie free_at = now + 1 ms; latest = max(now + 1 ms + 5 ms, 1 ms + 5 ms); no sendBy (only INFERs have one)
    expect(load).toMatchObject({ gpu: 0, model: 0, earliest: 0, latest: 6 * MS });
    expect(load.sendBy).toBeUndefined();
    expect(ctx.infers()).toHaveLength(0); // not before the LOAD result is back
    ctx.advance(9.5 * MS);
    ctx.ok(load, 1 * MS, 9 * MS);
    expect(ctx.predictions).toEqual([{ kind: 'LOAD', predicted: 9 * MS, actual: 9 * MS }]);
    const [i1] = ctx.infers();
    // exec free_at = 10.5 ms; latest = max(9.5 + 1 + 5, 10.5 + 5) = 15.5 ms
    expect(i1).toMatchObject({ model: 0, earliest: 9.5 * MS, latest: 15.5 * MS, sendBy: 10.5 * MS });
    expect(i1.requests.map((r) => r.id)).toEqual([0]);
    // The first INFER went to an idle GPU: work_begin = now = 9.5 ms, free_at = 9.5 + 2 = 11.5 ms.
    // A second request at the same instant is planned there: latest = max(now + 6 ms, 11.5 + 5 ms).
    ctx.request(0);
    const i2 = ctx.infers()[1];
    expect(i2).toMatchObject({ earliest: 9.5 * MS, latest: 16.5 * MS, sendBy: 11.5 * MS });
    ctx.advance(12.4 * MS);
    ctx.ok(i1, 10 * MS, 12 * MS);
    expect(ctx.predictions[1]).toEqual({ kind: 'INFER', predicted: 12.5 * MS, actual: 12 * MS });
    expect(s.summary()).toMatchObject({ infers: 2, loadsIssued: 1 });
  });

  it('chooses the largest batch whose queue holds enough requests, re-offering the model when a larger one fails', () => {
    const ctx = new FakeContext(instances(profile(), ['A']));
    const s = ctx.start(OPTS);
    for (let i = 0; i < 5; i++) ctx.request(0); // queued while A loads
    const [load] = ctx.of('LOAD');
    ctx.advance(9.5 * MS);
    ctx.ok(load, 1 * MS, 9 * MS);
    // Strategy (A, 8) comes first (latest start 95 - 6 ms) but queue 8 holds 5 < 8: fails, b* = 4.
    // (A, 4) then dispatches the 4 oldest at t = 10.5 ms (free_at of the idle GPU, now + 1 ms); the
    // timeline starts them at work_begin = now: free_at = 9.5 + 4 = 13.5 ms < now + 5 ms. The fifth
    // request's strategies: (A, 8), (A, 4), (A, 2) fail (one request), (A, 1) dispatches it at
    // t = 13.5 ms: latest = max(9.5 + 6, 13.5 + 5) = 18.5 ms; free_at = 15.5 ms: full.
    const inf = ctx.infers();
    expect(inf).toHaveLength(2);
    expect(inf[0].requests.map((r) => r.id)).toEqual([0, 1, 2, 3]);
    expect(inf[0]).toMatchObject({ earliest: 9.5 * MS, latest: 15.5 * MS });
    expect(inf[1].requests.map((r) => r.id)).toEqual([4]);
    expect(inf[1]).toMatchObject({ earliest: 9.5 * MS, latest: 18.5 * MS });
    expect(s.summary()).toMatchObject({ strategiesTried: 6, strategiesFailed: 4, batchSizes: { '1': 1, '4': 1 } });
  });

  it('orders strategies by latest start time: the tighter deadline goes first', () => {
    const ctx = new FakeContext(instances(profile(), ['A', 'B', 'C']));
    ctx.start(OPTS);
    warm(ctx, [0, 1, 2]);
    const T = ctx.t;
    // Three C requests fill the GPU: batch 1 planned at T+1 (the idle GPU's free_at), then T+2 and
    // T+4 ms (the idle timeline took work_begin = T); free_at = T+6 ms >= now + 5 ms.
    ctx.request(2);
    ctx.request(2);
    ctx.request(2);
    const a = ctx.request(0, 100 * MS); // deadline T+95: latest start T+89 (A,8) ... T+93 (A,1)
    const b = ctx.request(1, 30 * MS); // deadline T+25: latest start T+19 (B,8) ... T+23 (B,1)
    expect(ctx.infers()).toHaveLength(3);
    ctx.advance(T + 1 * MS); // the wake is at free_at - 5 ms + 1 ns
    expect(ctx.infers()).toHaveLength(3);
    ctx.advance(T + 1 * MS + NS); // B goes first, planned [T+6, T+8]
    let inf = ctx.infers();
    expect(inf).toHaveLength(4);
    expect(inf[3].requests.map((r) => r.id)).toEqual([b.id]);
    expect(inf[3].latest).toBe(T + 11 * MS);
    ctx.advance(T + 3 * MS + NS);
    inf = ctx.infers();
    expect(inf[4].requests.map((r) => r.id)).toEqual([a.id]);
    expect(inf[4].latest).toBe(T + 13 * MS);
  });
});

describe('clockwork deadlines', () => {
  it('drops at step 1 a request that cannot finish even alone when its strategy is tried, answering it at its internal deadline', () => {
    const ctx = new FakeContext(instances(profile(), ['A', 'B']));
    const s = ctx.start(OPTS);
    warm(ctx, [1]);
    const T = ctx.t;
    for (let i = 0; i < 16; i++) ctx.request(0); // queued while A loads
    const [load] = ctx.of('LOAD');
    expect(load.model).toBe(0);
    ctx.advance(T + 9 * MS);
    // Batch 8 planned at T+10 ms (free_at of the idle GPU); the timeline starts it at work_begin =
    // now = T+9: free_at = T+15 ms >= now + 5 ms.
    ctx.ok(load, T + 1 * MS, T + 9 * MS);
    ctx.advance(T + 12 * MS); // the wake at T+10 ms+1 ns: batch 8 at t = T+15 ms; free_at = T+21 ms
    expect(ctx.infers().map((a) => a.requests.length)).toEqual([8, 8]);
    // B with a 15.5 ms SLO: exec_slo = max(10.5, 5 + 5) = 10.5 ms -> deadline T+22.5 ms.
    const b = ctx.request(1, 15.5 * MS);
    expect(ctx.responses).toHaveLength(0); // free_at T+21 ms >= now + 5 ms: B waits
    ctx.advance(T + 16 * MS); // nothing before the next wake
    expect(ctx.responses).toHaveLength(0);
    ctx.advance(T + 22.5 * MS - NS);
    // At T+16 ms+1 ns, t = free_at = T+21 ms: 22.5 < 21 + 2, so B cannot finish even at batch 1:
    // it leaves the queues then and is answered at its internal deadline.
    expect(ctx.responses).toHaveLength(0);
    ctx.advance(T + 22.5 * MS);
    expect(ctx.responses).toEqual([{ id: b.id, outcome: 'timeout', at: T + 22.5 * MS }]);
    expect(ctx.infers()).toHaveLength(2);
    expect((s.summary() as any).timeouts).toMatchObject({ cannotFinish: 1, deadline: 0 });
  });

  it('times out an undispatched request exactly at its internal deadline; an SLO factor scales the batch-1 estimate', () => {
    const ctx = new FakeContext(instances(profile(), ['SLOW', 'A']));
    const s = ctx.start(OPTS);
    const slow = ctx.request(0, 30 * MS); // exec_slo 25 ms; its LOAD takes 50 ms and never returns here
    expect(ctx.of('LOAD')).toHaveLength(1);
    ctx.advance(2 * MS);
    // slo = 6 x 2 ms = 12 ms -> exec_slo = max(7, 10) = 10 ms -> deadline 12 ms; PCIe is busy with SLOW
    const f = ctx.request(1, 100 * MS, 6);
    ctx.advance(12 * MS - NS);
    expect(ctx.responses).toHaveLength(0);
    ctx.advance(12 * MS);
    expect(ctx.responses).toEqual([{ id: f.id, outcome: 'timeout', at: 12 * MS }]);
    ctx.advance(25 * MS - NS);
    expect(ctx.responses).toHaveLength(1);
    ctx.advance(40 * MS);
    expect(ctx.responses[1]).toEqual({ id: slow.id, outcome: 'timeout', at: 25 * MS });
    expect((s.summary() as any).timeouts).toMatchObject({ deadline: 2, cannotFinish: 0 });
  });

  it('never cancels a dispatched request, even when its result comes back after the deadline', () => {
    const ctx = new FakeContext(instances(profile(), ['A']));
    ctx.start(OPTS);
    warm(ctx, [0]);
    const T = ctx.t;
    ctx.request(0, 20 * MS); // deadline T+15 ms
    const [a] = ctx.infers();
    ctx.advance(T + 100 * MS);
    expect(ctx.responses).toHaveLength(0); // the engine answers it with the result
    ctx.ok(a, T + 97 * MS, T + 99 * MS);
    expect(ctx.responses).toHaveLength(0);
  });
});

describe('clockwork LOAD and EVICT', () => {
  it('loads the model with the most uncovered demand first, ties to the most recently requested', () => {
    const ctx = new FakeContext(instances(profile(), ['SLOW', 'D', 'E', 'C']));
    ctx.start({ ...OPTS, loadPolicy: 'intended' }); // uncovered demand: the paper's policy
    ctx.request(0); // LOAD SLOW: the weights lane is busy
    ctx.advance(1 * MS);
    ctx.request(1); // D: one request
    ctx.advance(2 * MS);
    ctx.request(2); // E: two requests
    ctx.request(2);
    ctx.request(3); // C: one request, more recent than D
    const [slowLoad] = ctx.of('LOAD');
    ctx.advance(10 * MS);
    ctx.ok(slowLoad, 1 * MS, 10 * MS); // lane free: free_at = 11 ms < now + 5 ms
    expect(ctx.of('LOAD').map((a) => a.model)).toEqual([0, 2]);
    ctx.advance(14 * MS + NS); // E's LOAD planned [11, 19] ms: the lane would idle within 5 ms
    expect(ctx.of('LOAD').map((a) => a.model)).toEqual([0, 2, 3]);
    ctx.advance(22 * MS + NS);
    expect(ctx.of('LOAD').map((a) => a.model)).toEqual([0, 2, 3, 1]);
  });

  it('lets load demand expire at arrival + weights_slo under loadPolicy "intended" ("released" never expires it: test/clockwork-load-policy.test.ts)', () => {
    const ctx = new FakeContext(instances(profile(), ['SLOW', 'D']));
    ctx.start({ ...OPTS, loadPolicy: 'intended' });
    ctx.request(0); // LOAD SLOW planned [1, 51] ms
    ctx.advance(1 * MS);
    // weights_slo = clamp(100 - (8 + 2 + 5 + 5), 10, 25) = 25 ms: D's demand lasts until 26 ms
    ctx.request(1);
    ctx.advance(60 * MS); // the lane would idle within 5 ms from 46 ms on: D's demand has expired
    expect(ctx.of('LOAD').map((a) => a.model)).toEqual([0]);
  });

  it('evicts the least recently used model without queued requests to make room', () => {
    // 4 pages: room for two 2-page models.
    const ctx = new FakeContext(instances(profile(4), ['A', 'B', 'C']), 1, 4);
    const s = ctx.start(OPTS);
    warm(ctx, [0, 1]);
    const use = (m: number) => {
      ctx.request(m);
      const a = ctx.infers().at(-1)!;
      ctx.advance(ctx.t + 3 * MS);
      ctx.ok(a, ctx.t - 2 * MS, ctx.t);
      ctx.advance(ctx.t + 10 * MS);
    };
    use(1);
    use(0); // A used last: B is least recently used
    ctx.sent.length = 0;
    ctx.request(2);
    expect(ctx.sent.map((a) => `${a.type} ${a.model}`)).toEqual(['EVICT 1', 'LOAD 2']);
    expect(s.summary()).toMatchObject({ evictionsIssued: 1 });
  });

  // B then A dispatched and still in flight when C's request needs a 2-page model's room.
  const bothInFlight = (evictInFlight?: string) => {
    const ctx = new FakeContext(instances(profile(4), ['A', 'B', 'C']), 1, 4);
    ctx.start(evictInFlight ? { ...OPTS, evictInFlight } : OPTS);
    warm(ctx, [0, 1]);
    ctx.advance(ctx.t + 10 * MS);
    ctx.request(1);
    ctx.advance(ctx.t + 10 * MS);
    ctx.request(0); // A in flight, most recent
    ctx.sent.length = 0;
    ctx.request(2);
    return ctx;
  };

  it('with evictInFlight "never", never evicts a model with an INFER in flight (nor loads when nothing else could make room)', () => {
    // Both in flight: nothing may be evicted, C is not loaded.
    expect(bothInFlight('never').sent.filter((a) => a.type !== 'INFER')).toEqual([]);
  });

  it('with evictInFlight "allowed" (released, default), evicts the least recently used one even with its INFER in flight', () => {
    // Neither has a queued request: B, used before A, goes (test/clockwork-engine.test.ts has what
    // the worker then does with B's INFER).
    expect(bothInFlight().sent.filter((a) => a.type !== 'INFER').map((a) => `${a.type} ${a.model}`)).toEqual(['EVICT 1', 'LOAD 2']);
  });

  it('charges decisionLatency of controller time per INFER or LOAD decision', () => {
    const ctx = new FakeContext(instances(profile(), ['A']));
    const s = ctx.start({ ...OPTS, decisionLatency: '100us' });
    for (let i = 0; i < 5; i++) ctx.request(0);
    ctx.advance(9.5 * MS);
    ctx.ok(ctx.of('LOAD')[0], 1 * MS, 9 * MS);
    ctx.advance(30 * MS);
    expect(ctx.infers()).toHaveLength(2);
    expect(ctx.spent).toBe(300_000);
    // The second INFER was decided after the controller's 100 us for the first one.
    expect((s.summary() as any).controllerBusyMs).toBe(0.3);
  });
});

describe('clockwork options', () => {
  const base = {
    name: 'x',
    duration: '1s',
    cluster: { profile: 'hw-profiles/v100-clockwork.json' },
    models: [{ profile: 'resnet50_v2' }],
    workload: { type: 'poisson', rate: 10 },
  };
  const err = (sched: Record<string, unknown>): string => {
    try {
      resolveExperiment({ ...base, scheduler: { type: 'clockwork', ...sched } }, 'exp.json');
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('has the source defaults', () => {
    expect(clockworkOptions.parse({})).toEqual({
      scheduleAhead: 10 * MS,
      buffer: 5 * MS,
      window: 10,
      percentile: 0.99,
      estimatorSeed: 'fallback',
      answerDrops: 'atDeadline',
      networkTooLateAt: 'released',
      evictInFlight: 'allowed',
      failedStrategy: 'stepDown',
      lag: 10 * MS,
      maxExec: 250 * MS,
      maxBatch: 16,
      maxLoadSlo: 25 * MS,
      sendConcurrency: 2,
      networkSlack: 5 * MS,
      startDelay: 1 * MS,
      defaultSlo: 100 * MS,
      decisionLatency: 0,
      loadPolicy: 'released',
    });
  });

  it('rejects bad options with a clear message', () => {
    // Negative duration strings get the project-wide duration message (test/config.test.ts pins it).
    const DUR = 'expected a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are ms)';
    expect(err({ scheduleAhead: '-5ms' })).toBe(`exp.json: scheduler.scheduleAhead: ${DUR}, found "-5ms"`);
    expect(err({ lag: '-1ms' })).toBe(`exp.json: scheduler.lag: ${DUR}, found "-1ms"`);
    expect(err({ lag: -1 })).toBe('exp.json: scheduler.lag: expected a non-negative duration, found -1');
    expect(err({ scheduleAhead: -5 })).toBe('exp.json: scheduler.scheduleAhead: expected a positive duration, found -5');
    expect(err({ percentile: 1.5 })).toBe('exp.json: scheduler.percentile: expected a percentile between 0 and 1 (e.g. 0.99), found 1.5');
    expect(err({ percentile: -0.1 })).toBe('exp.json: scheduler.percentile: expected a percentile between 0 and 1 (e.g. 0.99), found -0.1');
    expect(err({ window: 1.5 })).toBe('exp.json: scheduler.window: expected a whole number of measurements, found 1.5');
    expect(err({ sendConcurrency: -1 })).toBe('exp.json: scheduler.sendConcurrency: expected a number >= 0, found -1');
    expect(err({ estimatorSeed: 'x' })).toBe('exp.json: scheduler.estimatorSeed: expected one of "fallback", "inWindow", found "x"');
    // Zero is a valid buffer, lag, controller cost, start delay and network slack.
    expect(err({ buffer: 0, lag: 0, decisionLatency: 0, startDelay: 0, networkSlack: 0 })).toBe('accepted');
    // The ends are percentiles too: 0 is the window's minimum, 1 its maximum.
    for (const percentile of [0, 0.5, 1]) expect(err({ percentile })).toBe('accepted');
    expect(err({ maxBatch: 6 })).toBe('exp.json: scheduler.maxBatch: expected one of 1, 2, 4, 8, 16, found 6');
    expect(err({ clockwork: { maxBatch: 3 } })).toBe('exp.json: scheduler.clockwork.maxBatch: expected one of 1, 2, 4, 8, 16, found 3');
    expect(err({ window: 0 })).toBe('exp.json: scheduler.window: expected a number >= 1, found 0');
    expect(err({ maxBatch: 8, scheduleAhead: '5ms' })).toBe('accepted');
    // latest >= now + startDelay + scheduleAhead, so a networkSlack of 6 ms or more (defaults 1 + 5 ms
    // here) would put every send-by in the past; 5.999 ms still leaves 1 us.
    expect(err({ scheduleAhead: '5ms', networkSlack: '6ms' })).toBe(
      'exp.json: scheduler.networkSlack: expected less than startDelay + scheduleAhead (6 ms): with 6 ms every INFER would miss its send-by time as soon as it is made, found "6ms"',
    );
    expect(err({ scheduleAhead: '5ms', networkSlack: '5999us' })).toBe('accepted');
    // free_at >= now + startDelay, and a GPU is filled while free_at < now + scheduleAhead: with
    // scheduleAhead <= startDelay nothing is ever dispatched or loaded (and the GPUs' wake-ups,
    // at free_at - scheduleAhead + 1, came every nanosecond: a 200 ms run took minutes).
    expect(err({ scheduleAhead: '1ms', networkSlack: '0ms' })).toBe(
      'exp.json: scheduler.scheduleAhead: expected more than startDelay (1 ms): a GPU is filled while its predicted free time, at least now + startDelay, is less than now + scheduleAhead, so nothing would ever be dispatched, found "1ms"',
    );
    expect(err({ scheduleAhead: '2ms', startDelay: '2ms', networkSlack: '0ms' })).toMatch(/^exp.json: scheduler.scheduleAhead: expected more than startDelay \(2 ms\)/);
    expect(err({ scheduleAhead: '1001us', networkSlack: '0ms' })).toBe('accepted');
    expect(err({ scheduleAhead: '1ms', startDelay: 0, networkSlack: '0ms' })).toBe('accepted');
  });

  it('asks the engine for 2 concurrent sends by default', () => {
    const r = resolveExperiment({ ...base, scheduler: { type: 'clockwork', sendConcurrency: 3 } }, 'exp.json');
    expect(r.scheduler.type.engine!(r.scheduler.options)).toEqual({ sendConcurrency: 3, execConcurrency: 1 });
  });
});

describe('clockwork in the simulation', () => {
  function simulate(slo: number, models: string[], pages: number, script: Array<[number, number]>) {
    const sent: Action[] = [];
    const workload = new ScriptedWorkload(script);
    const sim = makeSim(new ClockworkScheduler(clockworkOptions.parse(OPTS)), {
      profile: profile(pages),
      models,
      slo,
      workload,
      setup: {
        duration: 10 * 1000 * MS,
        drain: 1000 * MS,
        pagesPerGpu: pages,
        network: { clientLatency: 0, clientBandwidth: 1e12, workerLatency: 0, workerBandwidth: 1e12 },
        sendConcurrency: 2,
      },
    });
    sim.addObserver({ onActionSent: (a) => sent.push(a) });
    sim.run();
    return { outcomes: workload.responses, sent, summary: sim.metrics.summary(['script']) as any };
  }

  it('times out a request whose model cannot be loaded in time, and serves the rest', () => {
    // SLOW's LOAD takes 50 ms > its 25 ms internal deadline (30 ms SLO); A loads in 8 ms.
    // A is requested first: its LOAD runs [0, 8] ms, its INFER [8, 10] ms (no network delays).
    const { outcomes } = simulate(30 * MS, ['SLOW', 'A'], 64, [
      [0, 1],
      [0, 0],
    ]);
    expect(outcomes).toEqual([
      { id: 0, outcome: 'ok', at: 10 * MS },
      { id: 1, outcome: 'timeout', at: 25 * MS },
    ]);
  });

  it('loads and evicts through PCIe when models do not all fit, serving every request', () => {
    // 4 pages hold two of the three models; requests cycle A, B, C every 40 ms.
    const script: Array<[number, number]> = [];
    for (let i = 0; i < 30; i++) script.push([i * 40 * MS, i % 3]);
    const { outcomes, sent, summary } = simulate(100 * MS, ['A', 'B', 'C'], 4, script);
    expect(outcomes.every((o) => o.outcome === 'ok')).toBe(true);
    expect(summary.evictions).toBeGreaterThanOrEqual(27);
    expect(summary.loads).toBe(30);
    expect(summary.predictionError.LOAD.count).toBe(30);
    // Every EVICT precedes the LOAD it makes room for, and the evicted model is the LRU one.
    const ev = sent.filter((a) => a.type === 'EVICT').slice(0, 3).map((a) => a.model);
    expect(ev).toEqual([0, 1, 2]);
  });
});

describe('clockwork offers after an eviction', () => {
  it('a model evicted with queued requests leaves the GPU offers at once (no outdated entry keeps a fill wake-up armed)', () => {
    // 4 pages: room for two 2-page models. evictInFlight "never", so that A (INFERs in flight) stays.
    const ctx = new FakeContext(instances(profile(4), ['A', 'B', 'C']), 1, 4);
    const s = ctx.start({ ...OPTS, evictInFlight: 'never' });
    warm(ctx, [0, 1]);
    const g = (s as any).gpus[0];
    // A's INFERs until the GPU is full (free_at >= now + scheduleAhead), then B queued behind them: on offer.
    while (g.exec.freeAt(ctx.t) < ctx.t + 5 * MS) ctx.request(0);
    ctx.request(1);
    expect(ctx.infers().map((a) => a.model)).not.toContain(1);
    expect(g.offers.has(1)).toBe(true);
    ctx.sent.length = 0;
    ctx.request(2); // C: B (queued, not executing) is evicted to load C
    expect(ctx.sent.map((a) => `${a.type} ${a.model}`)).toEqual(['EVICT 1', 'LOAD 2']);
    expect(g.offers.has(1)).toBe(false);
    expect(g.offers.size).toBe(0);
  });
});
