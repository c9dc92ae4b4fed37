/**
 * Clockwork's two LOAD policies (option `loadPolicy`; src/schedulers/clockwork/load-policy.ts,
 * docs/clockwork-load-policy.md) through the real engine (test/helpers/baseline-sim.ts: constant
 * durations, zero network and copy times), so every time below can be checked by hand.
 * Options: scheduleAhead 5 ms, maxBatch 8, defaults otherwise (buffer 5 ms, startDelay 1 ms,
 * defaultSlo 100 ms, maxLoadSlo 25 ms). Exec b1 2 ms, b2 3 ms, b4 4 ms, b8 6 ms.
 *
 * - intended: a request adds est1 x defaultSlo / exec_slo of load demand until arrival + weights_slo;
 *   only demand not covered by the holders' spare capacity loads a model elsewhere.
 * - released: a request adds est1 x defaultSlo / weights_slo while it is queued; any model with load
 *   demand that a GPU does not hold is loaded there (eager replication).
 * weights_slo = clamp(slo - (load estimate + est1 + buffer + scheduleAhead), 10 ms, 25 ms);
 * exec_slo = max(slo - 5 ms, 10 ms). The PCIe timeline predicts free_at = max(work_begin +
 * outstanding LOAD estimates, now + 1 ms); a lane is used when free_at < now + 5 ms, so a lane busy
 * until a predicted T is next looked at T - 5 ms + 1 ns.
 */
import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../src/models/profile.js';
import { ClockworkScheduler, clockworkOptions } from '../src/schedulers/clockwork/index.js';
import { createLoadPolicy } from '../src/schedulers/clockwork/load-policy.js';
import { MS } from '../src/sim/time.js';
import { run, weightActions, type Scenario } from './helpers/baseline-sim.js';
import { makeSim, ScriptedWorkload, testProfileJson } from './helpers.js';

const OPTS = { scheduleAhead: '5ms', maxBatch: 8 };
const EXEC = { 1: 2, 2: 3, 4: 4, 8: 6 };

const cw = (policy: 'released' | 'intended' | undefined, s: Omit<Scenario, 'scheduler'>) =>
  run({ scheduler: 'clockwork', options: policy ? { ...OPTS, loadPolicy: policy } : OPTS, exec: EXEC, load: 8, ...s });
const outcomes = (r: ReturnType<typeof run>) => r.responses.map((x) => `${x.id} ${x.outcome} ${x.at}`);

describe('clockwork loadPolicy: replication on 2 GPUs', () => {
  // One request at 0 (SLO 100 ms): execution demand 2 x 100 / 95 = 2.105 ms. g0 loads the model at
  // 0 (no GPU holds it), and all of its execution demand is allocated to g0, which has 97.9 ms of
  // spare capacity left. Then g1's lane is idle too:
  const scenario = (policy?: 'released' | 'intended') => cw(policy, { gpus: 2, arrivals: [[0, 0, 100]], duration: 50 });

  it('intended: a model whose demand one GPU covers is loaded on that GPU only', () => {
    // priority on g1 = load demand 2.105 ms - g0's spare capacity excluding the model (100 ms) < 0.
    const r = scenario('intended');
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 ok 10']); // LOAD [0, 8], INFER [8, 10] on g0
    expect(r.stats).toMatchObject({ loadsIssued: 1, loadPolicy: 'intended' });
  });

  it('released (the default): the same model is replicated on g1 at once (eager replication)', () => {
    // Load demand 2 x 100 / weights_slo 25 ms = 8 ms; g0 "serves" capacity x required / outstanding
    // = 100 x 2.105 / 2.105 = 100 ms of it, so its priority on g1 is 8 - 100 = -92 ms, but released
    // loads any model with demand that the GPU does not hold. Both LOADs run [0, 8]; the request
    // runs on g0 [8, 10] (g0's result is handled first).
    for (const r of [scenario('released'), scenario()]) {
      expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0']);
      expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.gpu, d.start, d.end])).toEqual([
        [0, 0, 8],
        [1, 0, 8],
      ]);
      expect(r.infers.map((x) => [x.gpu, x.t])).toEqual([[0, 8]]);
      expect(outcomes(r)).toEqual(['0 ok 10']);
      expect(r.stats).toMatchObject({ loadsIssued: 2, loadPolicy: 'released' });
    }
  });
});

describe('clockwork loadPolicy: expiry of load demand', () => {
  // LOAD 50 ms, 1 GPU, SLO 200 ms. Request 0 (m0) at 0: LOAD m0 sent at 0 to an idle lane (work_begin = now = 0),
  // predicted [0, 50] ms, run [0, 50]; INFER [50, 52]. Request 1 (m1) at 1 ms: the lane is busy
  // (free_at 50 >= 6), so it is looked at again at 50 - 5 + 1 ns = 45.000001 ms. weights_slo = clamp(200 - (50 + 2 + 5 + 5),
  // 10, 25) = 25 ms: under intended m1's load demand ends at 1 + 25 = 26 ms.
  const scenario = (policy: 'released' | 'intended') => cw(policy, { load: 50, models: 2, arrivals: [[0, 0, 200], [1, 1, 200]], duration: 300 });

  it('intended: demand has expired by the time the lane frees, so m1 is never loaded; its request times out at its internal deadline (1 + 195 ms)', () => {
    const r = scenario('intended');
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 ok 52', '1 timeout 196']);
  });

  it('released: demand lasts while the request is queued: m1 loads at 45.000001 ms (run [50, 100]) and its request is served [100, 102]', () => {
    const r = scenario('released');
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=45.000001']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.model, d.start, d.end])).toEqual([
      [0, 0, 50],
      [1, 50, 100],
    ]);
    expect(outcomes(r)).toEqual(['0 ok 52', '1 ok 102']);
  });
});

describe('clockwork loadPolicy: the load demand formula', () => {
  // LOAD 8 ms, 1 GPU. Request for m0 at 0 (SLO 100): LOAD m0 predicted [0, 8] ms (idle lane:
  // work_begin = now), so the lane is next looked at 3.000001 ms. At 1 ms: 3 requests for m2
  // (SLO 100 ms: exec_slo 95, weights_slo
  // clamp(100 - 20, 10, 25) = 25) and then 1 for m1 (SLO 30 ms: exec_slo 25, weights_slo
  // clamp(30 - 20, 10, 25) = 10; under intended it counts until 1 + 10 = 11 ms). Load demand:
  //   intended (2 x 100 / exec_slo):    m1 = 8 ms,  m2 = 3 x 2.105 = 6.3 ms  -> m1 first
  //   released (2 x 100 / weights_slo): m1 = 20 ms, m2 = 3 x 8 = 24 ms      -> m2 first
  // The second LOAD is planned [8, 16] ms, behind the first; m0's result at 8 ms sets work_begin to
  // 8, so it is still predicted to end at 16 and the third model goes at 16 - 5 ms + 1 ns.
  const arrivals: Array<[number, number, number]> = [[0, 0, 100], [1, 2, 100], [1, 2, 100], [1, 2, 100], [1, 1, 30]];
  const scenario = (policy: 'released' | 'intended') => cw(policy, { models: 3, arrivals, duration: 100 });

  it('intended: the one tight-SLO request outweighs three relaxed ones (divided by exec_slo)', () => {
    expect(weightActions(scenario('intended').sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=3.000001', 'LOAD m2@g0 t=11.000001']);
  });

  it('released: three relaxed requests outweigh the tight one (divided by weights_slo)', () => {
    expect(weightActions(scenario('released').sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m2@g0 t=3.000001', 'LOAD m1@g0 t=11.000001']);
  });
});

describe('clockwork loadPolicy "intended": when load demand expires', () => {
  // LOAD 20 ms, 1 GPU. m0 at 0 (SLO 100): LOAD m0 predicted [0, 20] ms (idle lane: work_begin = 0),
  // so the lane is next looked at 20 - 5 ms + 1 ns = 15.000001 ms; the worker runs it [0, 20] and
  // m0's INFER [20, 22]. weights_slo = clamp(slo - (20 + 2 + 5 + 5), 10, 25): SLO 42 ms -> 10 ms,
  // SLO 100 ms -> 25 ms. Intended load demand = execution demand = 2 x 100 / exec_slo ms:
  // SLO 42 (exec_slo 37): 5.405 ms; SLO 100 (exec_slo 95): 2.105 ms.
  const scenario = (arrivals: Array<[number, number, number]>) => cw('intended', { load: 20, models: 3, arrivals: [[0, 0, 100], ...arrivals], duration: 100 });

  it('demand due exactly when the lane is looked at has expired (loadUntil <= now)', () => {
    // m1 at 5.000001 ms, SLO 42: loadUntil = 5.000001 + 10 = 15.000001 ms, the wake-up itself: not
    // loaded; it times out at its internal deadline 5.000001 + 37 = 42.000001 ms.
    const r = scenario([[5.000001, 1, 42]]);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 ok 22', '1 timeout 42.000001']);
  });

  it('demand due 1 ns after the wake-up still counts: the model is loaded then', () => {
    // m1 at 5.000002 ms: loadUntil 15.000002 ms > 15.000001. LOAD m1 at 15.000001 runs [20, 40]
    // behind m0's; at 40 the GPU is free at 41 (now + startDelay) and 41 + 2 > 42.000002: the
    // request is dropped and answered at its internal deadline 42.000002 ms.
    const r = scenario([[5.000002, 1, 42]]);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=15.000001']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.model, d.start, d.end])).toEqual([
      [0, 0, 20],
      [1, 20, 40],
    ]);
    expect(outcomes(r)).toEqual(['0 ok 22', '1 timeout 42.000002']);
  });

  it('an earlier expiry is not held up by a later one: m1 (more demand, due at 11 ms) has expired at 15.000001, m2 (due at 27 ms) is loaded', () => {
    // m1 at 1 ms, SLO 42: 5.405 ms of demand until 11 ms; m2 at 2 ms, SLO 100: 2.105 ms until
    // 27 ms. At 15.000001 only m2's counts: LOAD m2 [20, 40], its INFER [40, 42] (deadline 97 ms).
    // m1 is never loaded and times out at 1 + 37 = 38 ms.
    const r = scenario([[1, 1, 42], [2, 2, 100]]);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m2@g0 t=15.000001']);
    expect(outcomes(r)).toEqual(['0 ok 22', '1 timeout 38', '2 ok 42']);
  });
});

describe('clockwork loadPolicy "intended": a request that reaches a busy controller after its weights_slo', () => {
  // decisionLatency 30 ms: each LOAD or INFER decision keeps the controller busy for 30 ms, and what
  // arrives meanwhile is handled when it is free. m0 at 0 (SLO 100): LOAD m0 at 0, worker [0, 8];
  // the controller is busy until 30. m1 (SLO 100, weights_slo 25 ms) arrives at `at` and is
  // handled at 30, before m0's LOAD result (8 ms); its load demand counts only if arrival + 25 ms
  // is still ahead of the controller's clock (30 ms).
  const scenario = (at: number) => cw('intended', { models: 2, options: { ...OPTS, loadPolicy: 'intended', decisionLatency: '30ms' }, arrivals: [[0, 0, 100], [at, 1, 100]], duration: 200 });

  it('due exactly at the controller\'s clock (arrival 5 ms): never counted, m1 is not loaded', () => {
    // 30: m1's request (nothing to load), then m0's LOAD result: INFER m0 [30, 32]; m1 times out
    // at its internal deadline 5 + 95 = 100 ms.
    const r = scenario(5);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 ok 32', '1 timeout 100']);
  });

  it('due 1 ns later (arrival 5.000001 ms): counted, m1 is loaded at 30', () => {
    // 30: LOAD m1 (worker [30, 38]); controller busy until 60. 60: m0's LOAD result, INFER m0
    // [60, 62]; busy until 90. 90: m1's LOAD result, INFER m1 planned at 91 (91 + 2 <= deadline
    // 100.000001), run [90, 92].
    const r = scenario(5.000001);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=30']);
    expect(outcomes(r)).toEqual(['0 ok 62', '1 ok 92']);
  });
});

describe('clockwork loadPolicy "intended": a request\'s load demand is taken away once', () => {
  it('dispatched before it expires: its expiry takes nothing more, and the model\'s next request loads it again', () => {
    // One page per GPU and per model, LOAD 8 ms, SLO 100 (weights_slo 25 ms). m0 at 0: LOAD [0, 8],
    // INFER [8, 10]: its demand leaves at dispatch (8 ms), before its expiry at 25 ms. m1 at 30:
    // m0 is idle, EVICT m0, LOAD m1 [30, 38], INFER [38, 40]. m0 at 50 has 2.105 ms of demand again:
    // EVICT m1, LOAD m0 [50, 58], INFER [58, 60].
    const r = cw('intended', { models: 2, modelPages: 1, pagesPerGpu: 1, arrivals: [[0, 0, 100], [30, 1, 100], [50, 0, 100]], duration: 100 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=30', 'LOAD m1@g0 t=30', 'EVICT m1@g0 t=50', 'LOAD m0@g0 t=50']);
    expect(outcomes(r)).toEqual(['0 ok 10', '1 ok 40', '2 ok 60']);
  });

  it('expired while queued: leaving the queues takes nothing more, and the model\'s next request loads it', () => {
    // The expiry scenario above (LOAD 50 ms, SLO 200: weights_slo 25 ms): m1's demand expires at
    // 26 ms and its request times out at 196 ms. m1 at 200: the lane is idle (free_at 201 < 205):
    // LOAD m1 [200, 250], INFER [250, 252].
    const r = cw('intended', { load: 50, models: 2, arrivals: [[0, 0, 200], [1, 1, 200], [200, 1, 200]], duration: 300 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=200']);
    expect(outcomes(r)).toEqual(['0 ok 52', '1 timeout 196', '2 ok 252']);
  });
});

describe('clockwork loadPolicy "intended": coverage by the holders\' spare capacity', () => {
  // 2 GPUs, SLO 105 ms: exec_slo 100 ms, so each request adds exactly 2 x 100 / 100 = 2 ms of
  // execution (and load) demand; weights_slo = clamp(105 - 20, 10, 25) = 25 ms. g0 loads m0 at the
  // first request; m0 alone on g0, its spare capacity excluding m0 is the whole 100 ms. All
  // requests come at 0, so the last one decides: priority on g1 = n x 2 ms - 100 ms.
  const burst = (n: number) => cw('intended', { gpus: 2, arrivals: Array.from({ length: n }, (): [number, number, number] => [0, 0, 105]), duration: 100 });

  it('demand exactly equal to the holder\'s spare capacity (50 x 2 ms) is covered: priority 0 is not loaded', () => {
    const r = burst(50);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(r.summary.requests).toMatchObject({ total: 50, ok: 50 });
  });

  it('2 ms more (51 requests) is not: m0 is loaded on g1 as well', () => {
    const r = burst(51);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0']);
    expect(r.summary.requests).toMatchObject({ total: 51, ok: 51 });
  });

  it('a dispatched request\'s execution demand leaves its GPU: a model that was busy does not take the spare capacity from the next one', () => {
    // 24 m0 requests at 0 (SLO 100: 2.105 ms each, 50.5 ms) load m0 on g0 only and are all
    // dispatched by 20 ms (batches of 8 from 8 ms), leaving 0 execution demand on g0. m1 at 50
    // loads on g0 (held nowhere: priority 2.105 ms); on g1 its priority is 2.105 ms - g0's spare
    // capacity excluding m1 (100 ms) < 0. (Were the 24 requests' demand counted again instead of
    // taken away, g0 would have 101 ms of m0's demand and no spare capacity: m1 loaded on g1.)
    const r = cw('intended', { gpus: 2, models: 2, arrivals: [...Array.from({ length: 24 }, (): [number, number, number] => [0, 0, 100]), [50, 1, 100]], duration: 100 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=50']);
    expect(r.summary.requests).toMatchObject({ total: 25, ok: 25 });
  });
});

describe('clockwork loadPolicy "intended": the other models\' demand on a holder is not spare capacity', () => {
  // 2 GPUs, SLO 100: d = 2 x 100 / 95 ms = 2,105,263 ns of demand a request. At 0: ten m0 requests
  // (10d = 21.05 ms) load m0 on g0 (on g1 its priority is 10d - 100 ms < 0), one m1 request loads
  // m1 on g1 (g0's lane is busy). At 2 ms: k m2 requests; both lanes are busy until 8 ms and are
  // looked at again at 3.000001 ms. g0 loads m2 first (held nowhere: priority kd). On g1, m2's
  // priority is kd - (100 ms - m0's 10d on g0) = kd - 78.95 ms.
  const scenario = (k: number) =>
    cw('intended', {
      gpus: 2,
      models: 3,
      arrivals: [...Array.from({ length: 10 }, (): [number, number, number] => [0, 0, 100]), [0, 1, 100], ...Array.from({ length: k }, (): [number, number, number] => [2, 2, 100])],
      duration: 100,
    });

  it('40 m2 requests (84.21 ms) exceed g0\'s spare capacity: m2 is loaded on g1 as well', () => {
    const r = scenario(40);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0', 'LOAD m2@g0 t=3.000001', 'LOAD m2@g1 t=3.000001']);
    expect(r.summary.requests).toMatchObject({ total: 51, ok: 51 });
  });

  it('30 (63.16 ms) do not: m2 stays on g0', () => {
    const r = scenario(30);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0', 'LOAD m2@g0 t=3.000001']);
    expect(r.summary.requests).toMatchObject({ total: 41, ok: 41 });
  });
});

describe('clockwork loadPolicy "intended": a model held by two GPUs is shared in proportion to their spare capacity', () => {
  it('the GPU with less spare capacity gets the smaller share, and the model on it stays covered', () => {
    // 2 GPUs, SLO 100: d = 2,105,263 ns a request. At 0: 30 W (m0) requests (63.16 ms) load W on
    // g0; 50 X (m1) requests (105.26 ms) load X on g1 (g0's lane is busy; held nowhere). Both
    // lanes are looked at again at 3.000001 ms. g0: X's priority = 105.26 - g1's spare 100 ms > 0:
    // LOAD X on g0. X's demand is now split by spare capacity, g0 100 - 63.16 = 36.84 ms, g1
    // 100 ms: g0 gets 105.26 x 36.84 / 136.84 = 28.34 ms. g1 then: W's priority = 63.16 - (100 -
    // 28.34) = -8.5 ms: not loaded (an equal split, 52.63 ms on g0, would make it +15.8 ms). Later
    // the requests are dispatched and W's priority only falls.
    const r = cw('intended', {
      gpus: 2,
      models: 2,
      arrivals: [...Array.from({ length: 30 }, (): [number, number, number] => [0, 0, 100]), ...Array.from({ length: 50 }, (): [number, number, number] => [0, 1, 100])],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0', 'LOAD m1@g0 t=3.000001']);
    expect(r.summary.requests).toMatchObject({ total: 80, ok: 80 });
  });

  it('with 40 W and 60 X requests W is not covered any more: loaded on g1 as well', () => {
    // W 40d = 84.21 ms, X 60d = 126.32 ms. 3.000001: X's priority on g0 = 126.32 - 100 > 0, LOAD X
    // on g0; g0's spare capacity without X is 100 - 84.21 = 15.79 ms, g1's 100 ms: X's share on g0
    // is 126.32 x 15.79 / 115.79 = 17.22 ms, and W's priority on g1 is 84.21 - (100 - 17.22) =
    // +1.44 ms: LOAD W on g1 at 3.000001.
    const r = cw('intended', {
      gpus: 2,
      models: 2,
      arrivals: [...Array.from({ length: 40 }, (): [number, number, number] => [0, 0, 100]), ...Array.from({ length: 60 }, (): [number, number, number] => [0, 1, 100])],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0', 'LOAD m1@g0 t=3.000001', 'LOAD m0@g1 t=3.000001']);
    expect(r.summary.requests).toMatchObject({ total: 100, ok: 100 });
  });
});

describe('clockwork loadPolicy "intended": a model evicted with queued requests gives up its GPU', () => {
  it('it is held nowhere then, so the other GPU loads it at once', () => {
    // 2 GPUs, one page each; d = 2,105,263 ns a request (SLO 100). 0: m0 loads on g0 [0, 8], its
    // INFER [8, 10] (on g1 its priority d - 100 ms < 0). 20: 27 m0 requests: the first three are
    // sent at once (g0 free at 22, 24, 26: the fourth finds 26 >= 20 + 5) and 24 wait (24d =
    // 50.5 ms, covered by g0). Then m1: g0's lane is idle and m1 held nowhere, so g0 loads it,
    // evicting m0 (it has queued requests, but it is the only loaded model: second pass; its
    // INFERs in flight fail). m0 then is held nowhere: g1 loads it at once (priority 24d > 0), and
    // serves the 24 requests from 28 (LOAD [20, 28]); m1 runs on g0 [28, 30].
    const r = cw('intended', {
      gpus: 2,
      models: 2,
      modelPages: 1,
      pagesPerGpu: 1,
      arrivals: [[0, 0, 100], ...Array.from({ length: 27 }, (): [number, number, number] => [20, 0, 100]), [20, 1, 100]],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=20', 'LOAD m1@g0 t=20', 'LOAD m0@g1 t=20']);
    expect(r.summary.requests).toMatchObject({ total: 29, ok: 26, failed: 3 });
  });
});

describe('clockwork loadPolicy "released": served demand and the choice on 2 GPUs', () => {
  // LOAD 20 ms. m0 at 0 with SLO 15 ms (exec_slo 10, internal deadline 10 ms): both lanes load it
  // at 0 (eager replication) and are looked at again at 15.000001 ms; its request times out at
  // 10 ms, so m0 has no demand left. SLO 42 ms: weights_slo = clamp(42 - (20 + 2 + 5 + 5), 10, 25)
  // = 10 ms, so each request adds 2 x 100 / 10 = 20 ms of load demand and round(2 x 100 / 37 ms)
  // = 5,405,405 ns of execution demand. m1 (A): 10 requests at 11 ms, 200 ms of load demand. m2
  // (B): n requests at `bAt` ms, n x 20 ms. At 15.000001 g0 chooses first: A (200 ms, held
  // nowhere). Then g1: A is held by g0, alone there, so g0 "serves" capacity x required /
  // outstanding = 100 x 1 = 100 ms of it: priority 200 - 100 = 100 ms; B's is n x 20 ms.
  const scenario = (n: number, bAt: number, a = 1, b = 2) =>
    cw('released', {
      gpus: 2,
      models: 3,
      load: 20,
      arrivals: [[0, 0, 15], ...Array.from({ length: 10 }, (): [number, number, number] => [11, a, 42]), ...Array.from({ length: n }, (): [number, number, number] => [bAt, b, 42])],
      duration: 100,
    });
  const decisions = (r: ReturnType<typeof run>) => weightActions(r.sent).slice(0, 4);
  const first = ['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0', 'LOAD m1@g0 t=15.000001'];

  it('B with 6 requests (120 ms) beats A (200 - 100 served = 100 ms) on g1', () => {
    const r = scenario(6, 12);
    expect(decisions(r)).toEqual([...first, 'LOAD m2@g1 t=15.000001']);
    expect(outcomes(r)[0]).toBe('0 timeout 10');
  });

  it('B with 4 requests (80 ms) does not: g1 loads A as well', () => {
    expect(decisions(scenario(4, 12))).toEqual([...first, 'LOAD m1@g1 t=15.000001']);
  });

  it('equal priorities (B with 5 requests: 100 ms) go to the more recently requested B (12 ms), although A has more load demand', () => {
    expect(decisions(scenario(5, 12))).toEqual([...first, 'LOAD m2@g1 t=15.000001']);
  });

  it('equal priorities and equal last arrivals (both at 11 ms) go to the lower model id, A', () => {
    expect(decisions(scenario(5, 11))).toEqual([...first, 'LOAD m1@g1 t=15.000001']);
  });

  it('... and to B when B has the lower id (A is m2, B m1), although A comes first in the scan', () => {
    expect(decisions(scenario(5, 11, 2, 1))).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0', 'LOAD m2@g0 t=15.000001', 'LOAD m1@g1 t=15.000001']);
  });

  it('a model held nowhere whose requests all timed out is no candidate, even where the only candidate has a negative priority', () => {
    // m1 (Z) at 1 ms with SLO 15 (internal deadline 11 ms) times out before any lane is free: no
    // demand left. m2 (A) at 12 ms (SLO 100: 8 ms of load demand, d = 2.105 ms of execution
    // demand). At 15.000001 g0 loads A (held nowhere). On g1, A's priority is 8 ms - g0's served
    // 100 x d / (d + m0's d/2 on g0) = 8 - 66.7 ms < 0, but released loads it anyway.
    const r = cw('released', { gpus: 2, models: 3, load: 20, arrivals: [[0, 0, 100], [1, 1, 15], [12, 2, 100]], duration: 100 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0', 'LOAD m2@g0 t=15.000001', 'LOAD m2@g1 t=15.000001']);
    expect(outcomes(r)[0]).toBe('1 timeout 11');
  });
});

describe('clockwork loadPolicy "released": ties on one GPU', () => {
  it('equal load demand goes to the most recently requested model, even when the other comes later in the scan', () => {
    // LOAD 20 ms, SLO 100 (weights_slo 25 ms: 8 ms of load demand a request). m2 at 0: LOAD
    // [0, 20], the lane is looked at again at 15.000001. m1 at 1 ms, m0 at 2 ms: equal demand, m0
    // more recent: LOAD m0 at 15.000001 ([20, 40]), then m1 at 40 - 5 ms + 1 ns ([40, 60]).
    // INFERs: m2 [20, 22], m0 [40, 42], m1 [60, 62].
    const r = cw('released', { load: 20, models: 3, arrivals: [[0, 2, 100], [1, 1, 100], [2, 0, 100]], duration: 100 });
    expect(weightActions(r.sent)).toEqual(['LOAD m2@g0 t=0', 'LOAD m0@g0 t=15.000001', 'LOAD m1@g0 t=35.000001']);
    expect(outcomes(r)).toEqual(['0 ok 22', '2 ok 42', '1 ok 62']);
  });
});

describe('clockwork loadPolicy "released": a model without demand is not loaded', () => {
  it('models whose requests were all served are not loaded again after their eviction', () => {
    // One page per GPU and per model, SLO 100 (weights_slo 25 ms: 8 ms of load demand a request).
    // m0 at 0 (twice): LOAD [0, 8], one INFER of 2 [8, 11]. m1 at 20: m0 (idle) is evicted, LOAD m1
    // [20, 28], INFER [28, 30]. m2 at 40 and m3 at 60 likewise evict the model before them. Once
    // their requests are dispatched m0, m1 and m2 have no load demand: each later choice has one
    // candidate (m0's 16 ms of demand before its dispatch would have beaten m2's or m3's 8 ms).
    const r = cw('released', { models: 4, modelPages: 1, pagesPerGpu: 1, arrivals: [[0, 0, 100], [0, 0, 100], [20, 1, 100], [40, 2, 100], [60, 3, 100]], duration: 100 });
    expect(weightActions(r.sent)).toEqual([
      'LOAD m0@g0 t=0',
      'EVICT m0@g0 t=20',
      'LOAD m1@g0 t=20',
      'EVICT m1@g0 t=40',
      'LOAD m2@g0 t=40',
      'EVICT m2@g0 t=60',
      'LOAD m3@g0 t=60',
    ]);
    expect(r.done.map((d) => `${d.type} m${d.model}x${d.n} ${d.error ?? 'ok'} [${d.start}, ${d.end}]`)).toEqual([
      'LOAD m0x0 ok [0, 8]',
      'INFER m0x2 ok [8, 11]',
      'EVICT m0x0 ok [20, 20]',
      'LOAD m1x0 ok [20, 28]',
      'INFER m1x1 ok [28, 30]',
      'EVICT m1x0 ok [40, 40]',
      'LOAD m2x0 ok [40, 48]',
      'INFER m2x1 ok [48, 50]',
      'EVICT m2x0 ok [60, 60]',
      'LOAD m3x0 ok [60, 68]',
      'INFER m3x1 ok [68, 70]',
    ]);
    expect(outcomes(r)).toEqual(['0 ok 11', '1 ok 11', '2 ok 30', '3 ok 50', '4 ok 70']);
  });
});

/**
 * Models of different sizes through the real engine (makeSim: zero network delays, PCIe at
 * 1 PB/s): pages of 1 MB, exec b1 2 ms, b2 3 ms, b4 4 ms, b8 6 ms, LOAD 8 ms. Arrivals [ms, model]
 * with the workload's SLO, 100 ms.
 */
function sized(pages: Record<string, number>, pagesPerGpu: number, arrivals: Array<[number, number]>, options: Record<string, unknown> = {}) {
  const names = Object.keys(pages);
  const json = testProfileJson({
    pageSize: 1_000_000,
    pages: pagesPerGpu,
    pcie: { bandwidth: 1e15, latency: 0 },
    source: 'hand-made test profile',
    models: Object.fromEntries(names.map((n) => [n, { weightsBytes: pages[n] * 1_000_000, exec: EXEC, load: 8 }])),
  });
  const opts = clockworkOptions.parse({ ...OPTS, ...options });
  const workload = new ScriptedWorkload(arrivals.map(([t, m]) => [Math.round(t * MS), m]));
  const sim = makeSim(new ClockworkScheduler(opts), {
    profile: resolveProfile(json, 'test-profile.json'),
    models: names,
    workload,
    setup: { pagesPerGpu, network: { clientLatency: 0, clientBandwidth: 1e15, workerLatency: 0, workerBandwidth: 1e15 }, inputLead: 0, sendConcurrency: opts.sendConcurrency },
  });
  const sent: string[] = [];
  sim.addObserver({ onActionSent: (a, at) => a.type !== 'INFER' && sent.push(`${a.type} m${a.model}@g${a.gpu} t=${at / MS}`) });
  sim.run();
  return { sent, responses: workload.responses.map((x) => `${x.id} ${x.outcome} ${x.at / MS}`) };
}

describe('clockwork LOAD and EVICT with models of different sizes', () => {
  it('a model larger than the GPU is never chosen: the one that fits is loaded', () => {
    // 2 pages per GPU; HUGE (m0) needs 3, s (m1) 1. Two HUGE requests at 0 (more load demand) and
    // one for s: s loads [0, 8] and runs [8, 10]; HUGE's requests time out at 0 + 95 ms.
    const r = sized({ HUGE: 3, s: 1 }, 2, [[0, 0], [0, 0], [0, 1]]);
    expect(r.sent).toEqual(['LOAD m1@g0 t=0']);
    expect(r.responses).toEqual(['2 ok 10', '0 timeout 95', '1 timeout 95']);
  });

  it('the second pass (models with queued requests) does not pick a model the first pass took', () => {
    // 2 pages; s0 (m0) and s1 (m1) 1 page each, BIG (m2) 2 pages; evictInFlight "never".
    // 0: s0 and s1 requested: LOAD s0 [0, 8] (lane predicted free at 8), LOAD s1 at 3.000001
    // [8, 16]; INFERs s0 [8, 10], s1 [16, 18]. 30: four s1 requests: the first three are sent at
    // once (idle GPU: work_begin 30, free_at 32, 34, 36), the fourth waits (36 >= 30 + 5). Then
    // BIG needs both pages: first pass (no queued requests, LRU first) s0; second pass s1, but it
    // has INFERs in flight: not enough, nothing is evicted. 31.000001: the fourth s1 request is
    // sent, it runs [36, 38]. At 38 nothing of s1 is in flight or queued: EVICT s0 and s1, LOAD
    // BIG [38, 46], INFER [46, 48].
    const r = sized({ s0: 1, s1: 1, BIG: 2 }, 2, [[0, 0], [0, 1], [30, 1], [30, 1], [30, 1], [30, 1], [30, 2]], { evictInFlight: 'never' });
    expect(r.sent).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=3.000001', 'EVICT m0@g0 t=38', 'EVICT m1@g0 t=38', 'LOAD m2@g0 t=38']);
    expect(r.responses).toEqual(['0 ok 10', '1 ok 18', '2 ok 32', '3 ok 34', '4 ok 36', '5 ok 38', '6 ok 48']);
  });
});

/**
 * The policy's accounting on its own (createLoadPolicy with hand-made models and GPUs), for the
 * cases the engine scenarios above do not reach. Units are arbitrary; capacity = defaultSlo = 100.
 * A GPU's execution demand is shared among the holders of a model in proportion to their spare
 * capacity (capacity - what the other models hold there), or evenly when none has any spare.
 * released: priority on a GPU not holding m = load demand - sum over holders h of
 * capacity x alloc_h / allocated_h; every candidate is accepted, the highest priority wins.
 */
describe('clockwork load policy accounting (unit)', () => {
  const NONE = 0; // Residency.NONE
  const LOADING = 1; // Residency.LOADING
  function setup(name: 'released' | 'intended', models: number, gpus = 3) {
    const ms = Array.from({ length: models }, (_, id) => ({ id, inst: { pages: 1 }, lastArrival: 0, live: 0 }));
    const changed: number[] = [];
    const policy = createLoadPolicy(name, ms, gpus, { defaultSlo: 100 }, (m) => changed.push(m));
    let nextId = 0;
    /** Queue one request of model m with this execution and load demand. */
    const add = (m: number, demand: number, loadDemand: number, loadUntil = Infinity, now = 0) => {
      const q = { r: { id: nextId++, model: m }, demand, loadDemand, loadUntil, loadCounted: false };
      policy.queued(q, now);
      policy.update(ms[m]);
      return q;
    };
    const gpu = (id: number, state: Record<number, number> = {}) => {
      const st = new Uint8Array(models).fill(NONE);
      for (const [m, s] of Object.entries(state)) st[Number(m)] = s;
      const next = new Int32Array(models + 1).fill(models);
      return { id, totalPages: 100, freePages: 100, state: st, inflight: new Uint16Array(models), prev: next.slice(), next, sentinel: models };
    };
    return { ms, policy, add, gpu, changed };
  }

  describe('every holder at or over capacity: the demand is shared evenly', () => {
    // Fillers F0 (m2) on g0 and F1 (m3) on g1, 150 of demand each (no load demand): both GPUs are
    // over capacity. A (m0) on g0 and g1 with demand 20: no spare anywhere, so 10 each, and
    // allocated = 160 on both. A's served = 2 x 100 x 10 / 160 = 12.5. B (m1) is held nowhere.
    const build = (loadA: number, loadB: number) => {
      const s = setup('released', 4);
      s.policy.loadSent(s.ms[2], 0);
      s.add(2, 150, 0);
      s.policy.loadSent(s.ms[3], 1);
      s.add(3, 150, 0);
      s.policy.loadSent(s.ms[0], 0);
      s.policy.loadSent(s.ms[0], 1);
      s.add(0, 20, loadA);
      s.add(1, 0, loadB);
      return s.policy.choose(s.gpu(2));
    };
    it('A (30 - 12.5 = 17.5) beats B (15); with demand x n (40 each) A would be at -12.1', () => {
      expect(build(30, 15)).toBe(0);
    });
    it('B (20) beats A (17.5); with 0 / 0 spare (NaN) A would be kept as the first popped', () => {
      expect(build(30, 20)).toBe(1);
    });
  });

  describe('a model leaving one of its two GPUs', () => {
    // A (m0) on g0 and g1, demand 20: 10 on each (equal spare). Then C (m2) joins g1 (demand 10:
    // spare 90 there, so all 10 on g1, allocated 20) or D (m3) joins g0 likewise. A is evicted from
    // g1: g1 keeps only C's 10; A's whole 20 moves to g0 (its only holder now), so allocated[g0] =
    // 20 + D's 10 = 30 when D is there. B (m1) is held nowhere.
    const build = () => {
      const s = setup('released', 4);
      s.policy.loadSent(s.ms[0], 0);
      s.policy.loadSent(s.ms[0], 1);
      s.add(0, 20, 0);
      return s;
    };
    it("the GPU it left no longer counts its demand: C's served 100 x 10 / 10 = 100, priority 120 - 100 = 20 < B's 40", () => {
      // Left counted (allocated[g1] 20 or 30), C's served would be 50 or 33 and C (70 or 87) would win.
      const s = build();
      s.policy.loadSent(s.ms[2], 1);
      s.add(2, 10, 120);
      s.policy.evicted(s.ms[0], 1);
      s.add(1, 0, 40);
      expect(s.policy.choose(s.gpu(2))).toBe(1);
    });
    it("its demand is re-shared to the GPU it stays on: D's served 100 x 10 / 30 = 33.3, priority 80 - 33.3 = 46.7 > B's 40", () => {
      // Without the re-share, allocated[g0] would stay 20 (A's old 10 + D's 10): D's served 50,
      // priority 30, and B would win.
      const s = build();
      s.policy.loadSent(s.ms[3], 0);
      s.add(3, 10, 80);
      s.policy.evicted(s.ms[0], 1);
      s.add(1, 0, 40);
      expect(s.policy.choose(s.gpu(2))).toBe(3);
    });
    it('a later holder starts from a clean allocation: A back on two GPUs is served 100 + 100', () => {
      // A leaves g1 (all 20 on g0), then is loaded on g2: 10 on g0 and 10 on g2, each the GPU's
      // whole allocation, so A's served = 200 and its priority 300 - 200 = 100 > B's 50. Had g1's
      // allocation stayed in the list, g2 would start at -10 and A's served would be ~2,280.
      const s = build();
      s.add(0, 0, 300);
      s.policy.evicted(s.ms[0], 1);
      s.policy.loadSent(s.ms[0], 2);
      s.policy.update(s.ms[0]);
      s.add(1, 0, 50);
      expect(s.policy.choose(s.gpu(1))).toBe(0);
    });
    it('the count of candidates the GPU holds goes down with it, so that GPU still looks for one', () => {
      // A (m0, load demand 50) and B (m1, 10) are candidates; A is on g0 and g1. After A leaves g1,
      // g1 holds none of the 2 candidates: it scans and picks B (10 > A's 50 - 100 served by g0,
      // where A is alone). Counted up instead of down (2 of 2), it would return nothing at once.
      // Then B is loaded on g1: g1 holds 1 of 2 and still finds A (with the count left at 1 it
      // would hold "2 of 2").
      const s = build();
      s.add(0, 0, 50);
      s.add(1, 0, 10);
      s.policy.evicted(s.ms[0], 1);
      expect(s.policy.choose(s.gpu(1))).toBe(1);
      s.policy.loadSent(s.ms[1], 1);
      expect(s.policy.choose(s.gpu(1, { 1: LOADING }))).toBe(0);
    });
  });

  it('a lower priority does not win on a more recent arrival', () => {
    // intended: priority = load demand - the holders' spare capacity excluding the model. A (m0) on g0 with
    // filler F (m2, demand 70) there: spare 30, A's priority 50 - 30 = 20. B (m1) on g1 with filler
    // G (m3, demand 65): spare 35, B's priority 40 - 35 = 5, and B arrived later. B is scanned
    // (its load demand 40 >= the best priority 20) but loses: A.
    const s = setup('intended', 4);
    s.policy.loadSent(s.ms[2], 0);
    s.add(2, 70, 0);
    s.policy.loadSent(s.ms[3], 1);
    s.add(3, 65, 0);
    s.policy.loadSent(s.ms[0], 0);
    s.add(0, 0, 50);
    s.policy.loadSent(s.ms[1], 1);
    (s.ms[1] as { lastArrival: number }).lastArrival = 5;
    s.add(1, 0, 40);
    expect(s.policy.choose(s.gpu(2))).toBe(0);
  });

  it('intended: load demand expires in loadUntil order, whatever the order the requests came in', () => {
    // Requests X (m0, until 30), Y (m1, until 10), Z (m2, until 20), queued in that order (ids 0,
    // 1, 2). At 15 only Y has expired; at 25 Z too; at 30 X.
    const s = setup('intended', 3);
    s.add(0, 1, 5, 30);
    s.add(1, 1, 5, 10);
    s.add(2, 1, 5, 20);
    s.policy.expire(15);
    expect(s.changed).toEqual([1]);
    s.policy.expire(25);
    expect(s.changed).toEqual([1, 2]);
    s.policy.expire(30);
    expect(s.changed).toEqual([1, 2, 0]);
  });
});
