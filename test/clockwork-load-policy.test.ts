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
import { run, weightActions, type Scenario } from './helpers/baseline-sim.js';

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
