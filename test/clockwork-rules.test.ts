/**
 * Clockwork's rules at their boundaries, through the real engine (test/helpers/baseline-sim.ts:
 * constant durations, zero network and copy times), each timeline worked out by hand from
 * docs/clockwork-model.md. Defaults unless stated: startDelay 1 ms, buffer 5 ms, defaultSlo 100 ms,
 * exec_slo = max(slo - 5 ms, scheduleAhead + 5 ms), weights_slo = clamp(slo - (load estimate + est1
 * + buffer + scheduleAhead), scheduleAhead + buffer, 25 ms). A GPU's predicted free time is
 * max(work_begin + outstanding estimates, now + 1 ms), with work_begin = now when work is added to
 * an idle GPU and = the measured end on each result; a lane is filled while that is < now +
 * scheduleAhead, and a full lane is looked at again at free time - scheduleAhead + 1 ns.
 */
import { describe, expect, it } from 'vitest';
import { run, weightActions, type Scenario } from './helpers/baseline-sim.js';

const cw = (options: Record<string, unknown>, s: Omit<Scenario, 'scheduler'>) => run({ scheduler: 'clockwork', options: { scheduleAhead: '5ms', ...options }, load: 8, ...s });
const outcomes = (r: ReturnType<typeof run>) => r.responses.map((x) => `${x.id} ${x.outcome} ${x.at}`);
const sentInfers = (r: ReturnType<typeof run>) => r.infers.map((x) => `${x.t}: ${x.ids.join(',')}`);

describe('clockwork: the summary counts', () => {
  // exec b1 12 ms, b2 13 ms; LOAD 8 ms; answerDrops "immediately"; 1 GPU, model m0.
  // 0: id0 (SLO 100, internal deadline 95). LOAD [0, 8]. At 8 the b2 strategy (latest start
  //    95 - 13 = 82) is tried first and fails (1 request; the model then offers only b1), b1
  //    (83) is dispatched: sent at 8, runs [8, 20]; ok at 20.
  // 1: id1 (SLO 14: exec_slo 10, deadline 11) cannot finish even alone (11 < 1 + 1 + 12): timeout
  //    at arrival.
  // 30: id2 (SLO 100, deadline 125): b2 tried and failed, b1 dispatched, runs [30, 42]; the GPU is
  //    predicted free at 30 + 12 = 42 >= 35. Then id3 (SLO 20: exec_slo 15, deadline 45, and 45
  //    >= 30 + 13: queued); the lane is looked at again at 42 - 5 + 1 ns = 37.000001: its b2
  //    strategy (45 - 13 = 32) is tried at t = 42, where 45 < 42 + 12: dropped, answered at once.
  // So 4 requests, 2 dispatched, timeouts: 0 at the deadline, 1 cannot finish, 1 at arrival (2);
  // 2 INFERs of batch 1; 5 strategies tried, 2 failed (the drop's failure is no batch failure);
  // 1 LOAD; 3 decisions (2 INFERs, 1 LOAD).
  // Run inside each test, not in the describe body: Stryker activates a mutant only once tests start.
  const scenario = () => cw({ maxBatch: 8, answerDrops: 'immediately' }, { exec: { 1: 12, 2: 13 }, arrivals: [[0, 0, 100], [1, 0, 14], [30, 0, 100], [30, 0, 20]], duration: 60 });

  it('the timeline', () => {
    const r = scenario();
    expect(outcomes(r)).toEqual(['1 timeout 1', '0 ok 20', '3 timeout 37.000001', '2 ok 42']);
    expect(sentInfers(r)).toEqual(['8: 0', '30: 2']);
  });

  it('summary(): every figure', () => {
    expect(scenario().stats).toEqual({
      requests: 4,
      dispatchedRequests: 2,
      timeouts: { deadline: 0, cannotFinish: 1, cannotFinishAtArrival: 1, total: 2 },
      failedRequests: 0,
      infers: 2,
      inferFailures: {},
      batchSizes: { 1: 2 },
      strategiesTried: 5,
      strategiesFailed: 2,
      loadsIssued: 1,
      loadFailures: {},
      evictionsIssued: 0,
      loadPolicy: 'released',
      networkTooLateAt: 'released',
      evictInFlight: 'allowed',
      decisions: 3,
      controllerBusyMs: 0,
      estimator: { window: 10, percentile: 0.99, seed: 'profile distribution at the 0.99 quantile, used until the first measurement' },
    });
  });

  it('summary() names the estimator seed kept in the window', () => {
    const w = cw({ estimatorSeed: 'inWindow' }, { exec: { 1: 2 }, arrivals: [[0, 0, 100]], duration: 20 });
    expect((w.stats.estimator as { seed: string }).seed).toBe('profile distribution at the 0.99 quantile, kept in the window');
  });
});

describe('clockwork: batch sizes allowed', () => {
  // exec b1 2, b2 3, b4 4, b8 6 ms; eight requests at 0 (SLO 100); LOAD [0, 8].
  const exec = { 1: 2, 2: 3, 4: 4, 8: 6 };
  const eight: Array<[number, number, number]> = Array.from({ length: 8 }, () => [0, 0, 100]);

  it('maxExec 4 ms: b4 (4 ms) is used, b8 (6 ms) is not: two batches of 4', () => {
    // At 8: b4 dispatched (ids 0-3), runs [8, 12]; predicted free at 8 + 4 = 12 < 13, so the next
    // b4 (ids 4-7) is sent at 8 too, runs [12, 16].
    const r = cw({ maxBatch: 8, maxExec: '4ms' }, { exec, arrivals: eight, duration: 40 });
    expect(sentInfers(r)).toEqual(['8: 0,1,2,3', '8: 4,5,6,7']);
    // b8 is not even offered: the two strategies tried are the two b4 that were dispatched.
    expect(r.stats).toMatchObject({ batchSizes: { 4: 2 }, strategiesTried: 2, strategiesFailed: 0 });
    expect(outcomes(r)).toEqual(['0 ok 12', '1 ok 12', '2 ok 12', '3 ok 12', '4 ok 16', '5 ok 16', '6 ok 16', '7 ok 16']);
  });

  it('maxBatch 2: only b1 and b2 have queues: four batches of 2', () => {
    // At 8: b2 [8, 11], then (free at 11 < 13) b2 [11, 14]; free at 14 >= 13: looked at again at
    // 9.000001 (b2 [14, 17], free at 17) and 12.000001 (b2 [17, 20]).
    const r = cw({ maxBatch: 2 }, { exec, arrivals: eight, duration: 40 });
    expect(sentInfers(r)).toEqual(['8: 0,1', '8: 2,3', '9.000001: 4,5', '12.000001: 6,7']);
    expect(outcomes(r)).toEqual(['0 ok 11', '1 ok 11', '2 ok 14', '3 ok 14', '4 ok 17', '5 ok 17', '6 ok 20', '7 ok 20']);
  });
});

describe('clockwork: a lane predicted free exactly scheduleAhead from now is full', () => {
  it('exec: b1 2.5 ms, maxBatch 1: after two INFERs sent at 8 the GPU is free at 13 = 8 + 5, so the third waits for 8.000001', () => {
    // LOAD [0, 8]; three requests at 0. At 8: free at max(0, 9) = 9 -> send (work_begin 8, free at
    // 10.5); 10.5 < 13 -> send (free at 13); 13 is not < 13: full, looked at again at 13 - 5 +
    // 1 ns. The worker runs them [8, 10.5], [10.5, 13], [13, 15.5].
    const r = cw({ maxBatch: 1 }, { exec: { 1: 2.5 }, arrivals: [[0, 0, 100], [0, 0, 100], [0, 0, 100]], duration: 40 });
    expect(sentInfers(r)).toEqual(['8: 0', '8: 1', '8.000001: 2']);
    expect(outcomes(r)).toEqual(['0 ok 10.5', '1 ok 13', '2 ok 15.5']);
  });

  it('PCIe: LOAD 5 ms sent at 0 leaves the lane free at 5 = 0 + 5: the second model loads at 0.000001', () => {
    const r = cw({}, { exec: { 1: 2 }, load: 5, models: 2, arrivals: [[0, 0, 100], [0, 1, 100]], duration: 40 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=0.000001']);
  });
});

describe('clockwork: GPU memory', () => {
  it('a model that fits exactly in the free pages is loaded without evicting anything', () => {
    // 2 pages per GPU, 1 page per model. m0 at 0: LOAD [0, 8], INFER [8, 10]. m1 at 20: 1 page
    // free, 1 needed.
    const r = cw({}, { exec: { 1: 2 }, models: 2, pagesPerGpu: 2, arrivals: [[0, 0, 100], [20, 1, 100]], duration: 60 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=20']);
    expect(outcomes(r)).toEqual(['0 ok 10', '1 ok 30']);
  });

  it('a replica that never served a request is still evicted for a model with demand (eager replication)', () => {
    // 2 GPUs of 1 page, models of 1 page, released. m0 at 0: LOADs on g0 and g1 [0, 8] (the
    // second GPU replicates it); its request runs on g0 [8, 10]. m1 at 20: each GPU evicts m0
    // (least recently used, nothing queued) and loads m1, g0 first; the request runs on g0 [28, 30].
    const r = cw({}, { exec: { 1: 2 }, models: 2, gpus: 2, pagesPerGpu: 1, arrivals: [[0, 0, 100], [20, 1, 100]], duration: 60 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0', 'EVICT m0@g0 t=20', 'LOAD m1@g0 t=20', 'EVICT m0@g1 t=20', 'LOAD m1@g1 t=20']);
    expect(r.infers.map((x) => `${x.t} m${x.model}@g${x.gpu}`)).toEqual(['8 m0@g0', '28 m1@g0']);
    expect(outcomes(r)).toEqual(['0 ok 10', '1 ok 30']);
  });

  it('an SLO factor is scaled by the batch-1 estimate: factor 10 x 2 ms = 20 ms, due at 15 ms', () => {
    // The model needs 3 pages of 2: never loaded; the request (factor 10) times out at its
    // internal deadline, 0 + (20 - 5) ms.
    const r = cw({}, { exec: { 1: 2 }, modelPages: 3, pagesPerGpu: 2, arrivals: [[0, 0, 0, 10]], duration: 100 });
    expect(outcomes(r)).toEqual(['0 timeout 15']);
  });

  it('requests of a model that can never be loaded time out at their internal deadline, in arrival order', () => {
    // The model needs 3 pages of 2: never loaded. Three requests at 0 (SLO 100): all due at 95.
    const r = cw({}, { exec: { 1: 2 }, modelPages: 3, pagesPerGpu: 2, arrivals: [[0, 0, 100], [0, 0, 100], [0, 0, 100]], duration: 200 });
    expect(outcomes(r)).toEqual(['0 timeout 95', '1 timeout 95', '2 timeout 95']);
    expect(r.sent).toEqual([]);
  });
});

describe('clockwork released load policy: demand of requests that left the queues', () => {
  it('a request that timed out no longer asks for its model to be loaded', () => {
    // LOAD 50 ms. m0 at 0 (SLO 200): LOAD [0, 50], INFER [50, 52]; the lane is looked at again at
    // 45.000001. m1 at 1 (SLO 30: exec_slo 25): due at 26, and times out then, before the lane
    // is free: m1 is never loaded.
    const r = cw({ maxBatch: 8 }, { exec: { 1: 2 }, load: 50, models: 2, arrivals: [[0, 0, 200], [1, 1, 30]], duration: 300 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['1 timeout 26', '0 ok 52']);
  });

  it('weights_slo is at least scheduleAhead + buffer: an SLO of 25 ms asks 2 x 100 / 10 = 20 ms of load demand', () => {
    // The load-demand formula scenario of test/clockwork-load-policy.test.ts with m1's SLO 25
    // instead of 30: weights_slo = clamp(25 - (8 + 2 + 5 + 5) = 5, 10, 25) = 10, so m1 asks 20
    // ms, less than m2's 3 x 8 = 24: m2 is loaded first. (Clamped at 5, m1 would ask 40.)
    const r = cw({ maxBatch: 8 }, { exec: { 1: 2, 2: 3, 4: 4, 8: 6 }, models: 3, arrivals: [[0, 0, 100], [1, 2, 100], [1, 2, 100], [1, 2, 100], [1, 1, 25]], duration: 100 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m2@g0 t=3.000001', 'LOAD m1@g0 t=11.000001']);
  });
});

describe('clockwork: long queues', () => {
  it('200 requests of one model at once are all served, in batches of 8, in arrival order', () => {
    // SLO 1 s. LOAD [0, 8]; from 8 the GPU runs batches of 8 back to back, 6 ms each: batch i
    // [8 + 6i, 14 + 6i], request j in batch floor(j / 8). The queue sheds its dispatched head
    // twice on the way (after 104 and after 160 requests), which must keep every later entry.
    const r = cw({ maxBatch: 8 }, { exec: { 1: 2, 2: 3, 4: 4, 8: 6 }, arrivals: Array.from({ length: 200 }, () => [0, 0, 1000] as [number, number, number]), duration: 400 });
    expect(r.infers.map((x) => x.ids.join(','))).toEqual(Array.from({ length: 25 }, (_, i) => Array.from({ length: 8 }, (_, k) => 8 * i + k).join(',')));
    expect(outcomes(r)).toEqual(Array.from({ length: 200 }, (_, j) => `${j} ok ${14 + 6 * Math.floor(j / 8)}`));
  });
});

describe('clockwork: batch sizes of a profile without batch 1', () => {
  it('maxBatch below the smallest size the profile has: that size is used, padded', () => {
    // Profile sizes 2 and 4 only, maxBatch 1: the model keeps its smallest size, 2. One request
    // at 0: LOAD [0, 8], an INFER of 1 request padded to 2 runs [8, 11].
    const r = cw({ maxBatch: 1 }, { exec: { 2: 3, 4: 4 }, arrivals: [[0, 0, 100]], duration: 40 });
    expect(r.done.filter((d) => d.type === 'INFER').map((d) => [d.start, d.end, d.padded, d.n])).toEqual([[8, 11, 2, 1]]);
    expect(outcomes(r)).toEqual(['0 ok 11']);
    expect(r.stats.batchSizes).toEqual({ 2: 1 });
  });
});

