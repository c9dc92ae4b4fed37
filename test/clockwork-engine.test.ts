/**
 * Clockwork through the real engine (test/helpers/baseline-sim.ts: constant durations, zero network
 * and copy times), so every time below follows from the rules in README.md, "The `clockwork` scheduler",
 * and can be checked by hand.
 * Options: scheduleAhead 5 ms, maxBatch 8, defaults otherwise (buffer 5 ms, startDelay 1 ms,
 * lag 10 ms, defaultSlo 100 ms, the engine's 2 send slots). A GPU timeline predicts
 * free_at = max(work_begin + outstanding estimates, now + startDelay); a request's internal
 * deadline is arrival + exec_slo, exec_slo = max(slo - buffer, scheduleAhead + buffer).
 */
import { describe, expect, it } from 'vitest';
import { resolveProfile, type ProfileJson } from '../src/models/profile.js';
import { ClockworkScheduler, clockworkOptions } from '../src/schedulers/clockwork/index.js';
import { MS } from '../src/sim/time.js';
import type { ActionError } from '../src/sim/types.js';
import { run, weightActions, type Scenario } from './helpers/baseline-sim.js';
import { makeSim, ScriptedWorkload, testProfileJson } from './helpers.js';

const OPTS = { scheduleAhead: '5ms', maxBatch: 8 };
/** The paper's LOAD policy (loadPolicy "intended"): these tests check demand coverage, which "released" ignores. */
const INTENDED = { ...OPTS, loadPolicy: 'intended' };
const EXEC = { 1: 2, 2: 3, 4: 4, 8: 6 };

const cw = (s: Omit<Scenario, 'scheduler'>) => run({ scheduler: 'clockwork', options: OPTS, load: 8, ...s });
const outcomes = (r: ReturnType<typeof run>) => r.responses.map((x) => `${x.id} ${x.outcome} ${x.at}`);

describe('clockwork on several GPUs: load demand and coverage (loadPolicy "intended")', () => {
  // A request's demand is est_b1 x defaultSlo / exec_slo = 2 x 100 / 95 ms = 2,105,263 ns. A model
  // is loaded on another GPU only when its queued demand exceeds what the GPUs holding it can
  // absorb (their spare capacity, defaultSlo = 100 ms each): 47 requests (98.9 ms) do not, 48
  // (101.05 ms) do.
  const burst = (n: number): Array<[number, number, number]> => Array.from({ length: n }, () => [0, 0, 100]);

  it('a model whose demand one GPU covers is loaded on one GPU only', () => {
    const r = cw({ options: INTENDED, exec: EXEC, gpus: 2, arrivals: burst(47), duration: 50 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(r.infers.every((x) => x.gpu === 0)).toBe(true);
    expect(r.summary.requests).toMatchObject({ total: 47, ok: 47 });
  });

  it('demand beyond one GPU\'s spare capacity loads the model on the second GPU as well, and both serve', () => {
    const r = cw({ options: INTENDED, exec: EXEC, gpus: 2, arrivals: burst(48), duration: 50 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=0']);
    expect(new Set(r.infers.map((x) => x.gpu))).toEqual(new Set([0, 1]));
    expect(r.summary.requests).toMatchObject({ total: 48, ok: 48 });
  });
});

describe('clockwork: failed actions through the engine', () => {
  it('a failed LOAD gives its pages back: the model is loaded again and its request served', () => {
    // One page per GPU, one page per model. The first LOAD fails at the worker at 0 (too late); the
    // demand is still there, so a second LOAD goes at once: [0, 8] ms, INFER [8, 10] ms.
    const r = cw({ exec: EXEC, modelPages: 1, pagesPerGpu: 1, arrivals: [[0, 0, 100]], duration: 50, fail: (a, i) => a.type === 'LOAD' && i === 0 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g0 t=0']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.error, d.start, d.end])).toEqual([
      ['too-late', 0, 0],
      [null, 0, 8],
    ]);
    expect(outcomes(r)).toEqual(['0 ok 10']);
    expect(r.stats).toMatchObject({ loadsIssued: 2, loadFailures: { 'too-late': 1 } });
  });

  it('a failed INFER answers its requests "failed" when its result arrives; the model serves on', () => {
    // LOAD [0, 8]; the INFER sent at 8 fails at once; the next request (20 ms) runs [20, 22].
    const r = cw({ exec: EXEC, arrivals: [[0, 0, 100], [20, 0, 100]], duration: 50, fail: (a, i) => a.type === 'INFER' && i === 0 });
    expect(outcomes(r)).toEqual(['0 failed 8', '1 ok 22']);
    expect(r.summary.requests).toMatchObject({ failed: 1, ok: 1, unfinished: 0 });
    expect(r.stats).toMatchObject({ failedRequests: 1, inferFailures: { 'too-late': 1 } });
  });
});

describe('clockwork: estimates per (model, batch size)', () => {
  it('a batch-8 result updates the batch-8 estimate only', () => {
    // 8 requests wait for the LOAD [0, 8]; at 8 the queue holds 8: one batch of 8, exec 6 ms.
    const profileExec = { 1: 2, 2: 3, 4: 4, 8: 6 };
    const r = cw({ exec: profileExec, arrivals: Array.from({ length: 8 }, () => [0, 0, 100] as [number, number, number]), duration: 50 });
    expect(r.infers.map((x) => [x.t, x.n])).toEqual([[8, 8]]);
    expect(outcomes(r)).toEqual(Array.from({ length: 8 }, (_, i) => `${i} ok 14`));
    const s = r.sim.scheduler as ClockworkScheduler;
    expect([1, 2, 4, 8].map((b) => s.estimate(0, b))).toEqual([2, 3, 4, 6].map((x) => x * MS));
    // No estimate for a size the model has no queue for (3: not a batch size; 16: above maxBatch 8).
    expect([3, 16].map((b) => s.estimate(0, b))).toEqual([undefined, undefined]);
  });
});

describe('clockwork: a failed strategy steps the model down (released)', () => {
  // Two models, exec b1 20, b2 21, b4 22, b8 24 ms (an INFER fills the 5 ms schedule-ahead alone).
  // Warm-up at 0: LOAD A [0, 8], LOAD B [8, 16]; INFER A [8, 28], B [28, 48].
  // 100: B's request runs [100, 120] (idle timeline: work_begin 100, free_at 120; the GPU wakes at
  //   120 - 5 ms + 1 ns). 101: five A requests (internal deadline 190) and one B (deadline 187).
  // 115.000001, t = 120, strategies by latest start: (B,8) 163, (B,4) 165, (B,2) 166, (A,8) 166,
  //   (B,1) 167, (A,4) 168, ... The B sizes above 1 fail (one request), (A,8) fails (five < 8), (B,1)
  //   dispatches [120, 140]: the GPU is full. 125: three more A requests (deadline 220) and one B
  //   (deadline 187): A's queue 8 holds 8 now.
  // 135.000001, t = 140: with "retry" the failed (A,8) is on offer again at 166, before B's (B,1) at
  //   167: A's batch of 8 runs [140, 164], then B [164, 184]. With "stepDown" A offers only sizes
  //   below 8 since its failure: (A,4) at 168 comes after (B,1): B runs [140, 160], then (A,4) takes
  //   the largest batch its queues allow, 8: [160, 184].
  const scenario = (failedStrategy: string) =>
    cw({
      exec: { 1: 20, 2: 21, 4: 22, 8: 24 },
      models: 2,
      options: { ...OPTS, failedStrategy },
      arrivals: [
        [0, 0, 1000],
        [0, 1, 1000],
        [100, 1, 1000],
        ...Array.from({ length: 5 }, () => [101, 0, 94] as [number, number, number]),
        [101, 1, 91],
        ...Array.from({ length: 3 }, () => [125, 0, 100] as [number, number, number]),
        [125, 1, 67],
      ],
      duration: 300,
    });
  const trace = (r: ReturnType<typeof run>) => r.done.filter((d) => d.type === 'INFER').map((d) => `m${d.model}x${d.n} [${d.start}, ${d.end}]`);
  const warmUp = ['m0x1 [8, 28]', 'm1x1 [28, 48]', 'm1x1 [100, 120]', 'm1x1 [120, 140]'];

  it('stepDown: the model offers only smaller sizes after a failure, so it comes later in the order', () => {
    const r = scenario('stepDown');
    expect(trace(r)).toEqual([...warmUp, 'm1x1 [140, 160]', 'm0x8 [160, 184]']);
    expect(r.summary.requests).toMatchObject({ total: 13, ok: 13 });
  });

  it('retry: the failed strategy is offered again with its earlier latest start', () => {
    const r = scenario('retry');
    expect(trace(r)).toEqual([...warmUp, 'm0x8 [140, 164]', 'm1x1 [164, 184]']);
    expect(r.summary.requests).toMatchObject({ total: 13, ok: 13 });
  });
});

describe('clockwork deadlines through the engine', () => {
  // exec b1 10 ms. Warm-up: request 0 at 0 loads [0, 8] and runs [8, 18]. At 20 request 1 is sent
  // at once (planned at free_at = 21 ms; added to the idle timeline, work_begin = now = 20, so
  // free_at becomes 30 ms; it runs [20, 30]). Request 2 (also at 20) waits: free_at 30 >= now +
  // scheduleAhead, so its strategy is tried when the timer fires at 30 - 5 ms + 1 ns. Started at
  // t = 30 ms it would end at 40 ms: it is kept if its internal deadline is >= 40 ms (slo 25 ms:
  // 20 + 25 - 5) and dropped if it is 1 ns earlier.
  const scenario = (slo: number, options: Record<string, unknown> = {}) =>
    cw({ exec: { 1: 10 }, arrivals: [[0, 0, 100], [20, 0, 100], [20, 0, slo]], duration: 60, options: { ...OPTS, ...options } });

  it('keeps a request that would finish exactly at its internal deadline (it runs [30, 40])', () => {
    const r = scenario(25);
    expect(outcomes(r)).toEqual(['0 ok 18', '1 ok 30', '2 ok 40']);
    expect(r.infers.map((x) => x.t)).toEqual([8, 20, 25.000001]);
  });

  it('drops one that would finish 1 ns after it when its strategy is tried, and answers it at its internal deadline', () => {
    // Dropped at 25 ms + 1 ns; internal deadline 20 + (25 ms - 1 ns) - 5 = 40 ms - 1 ns.
    const r = scenario(25 - 1e-6);
    expect(r.infers.map((x) => x.t)).toEqual([8, 20]);
    expect(outcomes(r)).toEqual(['0 ok 18', '1 ok 30', '2 timeout 39.999999']);
    expect(r.stats).toMatchObject({ timeouts: { cannotFinish: 1, cannotFinishAtArrival: 0, deadline: 0 } });
  });

  it('with answerDrops "immediately", answers it when it is dropped', () => {
    const r = scenario(25 - 1e-6, { answerDrops: 'immediately' });
    expect(outcomes(r)).toEqual(['0 ok 18', '2 timeout 25.000001', '1 ok 30']);
    expect(r.stats).toMatchObject({ timeouts: { cannotFinish: 1, cannotFinishAtArrival: 0, deadline: 0 } });
  });

  // Cold model, startDelay 3 ms, exec b1 10 ms: a request arriving at 0 cannot finish before
  // 0 + startDelay + 10 ms = 13 ms even on an idle GPU. exec_slo = slo - 5 ms.
  const cold = (slo: number, answerDrops = 'atDeadline') =>
    run({ scheduler: 'clockwork', options: { ...OPTS, startDelay: '3ms', answerDrops }, exec: { 1: 10 }, load: 8, arrivals: [[0, 0, slo]], duration: 30 });

  it('never rejects at arrival: one that cannot finish even alone is queued (its model loads), dropped when tried, answered at its internal deadline', () => {
    // Internal deadline 13 ms - 1 ns: queued, LOAD [0, 8]; at 8 free_at = 11 ms, 11 + 10 > 13:
    // dropped then, answered at 13 ms - 1 ns.
    const r = cold(18 - 1e-6);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 timeout 12.999999']);
    expect(r.stats).toMatchObject({ timeouts: { cannotFinishAtArrival: 0, cannotFinish: 1, deadline: 0 } });
  });

  it('with answerDrops "immediately", rejects it at arrival (timeout at once, nothing loaded), counting startDelay', () => {
    const r = cold(18 - 1e-6, 'immediately');
    expect(outcomes(r)).toEqual(['0 timeout 0']);
    expect(weightActions(r.sent)).toEqual([]);
    expect(r.stats).toMatchObject({ timeouts: { cannotFinishAtArrival: 1, cannotFinish: 0, deadline: 0 } });
  });

  it('queues one whose deadline allows it, loads its model, drops it when tried and answers it at its deadline', () => {
    // Internal deadline 13 ms: queued, LOAD [0, 8]; at 8 free_at = 11 ms, 11 + 10 > 13: dropped then
    // and answered at 13 ms ("immediately": at 8 ms).
    const r = cold(18);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0']);
    expect(outcomes(r)).toEqual(['0 timeout 13']);
    expect(r.stats).toMatchObject({ timeouts: { cannotFinishAtArrival: 0, cannotFinish: 1 } });
    expect(outcomes(cold(18, 'immediately'))).toEqual(['0 timeout 8']);
  });
});

describe('clockwork eviction through the engine', () => {
  it('evicts the least recently used model without queued requests before an older one with queued requests', () => {
    // 3 pages, 4 one-page models; exec b1 10 ms, LOAD 8 ms. Requests at 0 for m0, m1, m2 load them
    // in turn: m0's LOAD went to an idle PCIe timeline (work_begin = 0), which predicts it ends at
    // 8 ms, so m1's is sent when the lane would idle within 5 ms (3 ms + 1 ns); m0's result at 8
    // keeps work_begin at 8, m1's LOAD is predicted to end at 16, m2's is sent at 11 ms + 1 ns. The engine runs the LOADs [0, 8], [8, 16], [16, 24]
    // and the INFERs [8, 18], [18, 28], [28, 38]: LRU order m0, m1, m2.
    // At 100: m2's request runs [100, 110]; m0's waits for the GPU (queued); m3's needs a page.
    // m0 is the least recently used but has a queued request: m1 goes.
    const r = cw({
      exec: { 1: 10 },
      models: 4,
      modelPages: 1,
      pagesPerGpu: 3,
      arrivals: [[0, 0, 200], [0, 1, 200], [0, 2, 200], [100, 2, 200], [100, 0, 200], [100, 3, 200]],
      duration: 300,
    });
    expect(r.responses.slice(0, 3).map((x) => `${x.id} ${x.outcome} ${x.at}`)).toEqual(['0 ok 18', '1 ok 28', '2 ok 38']);
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=3.000001', 'LOAD m2@g0 t=11.000001', 'EVICT m1@g0 t=100', 'LOAD m3@g0 t=100']);
    expect(r.summary.requests).toMatchObject({ total: 6, ok: 6 });
  });
});

/**
 * A run through the real engine on a hand-made profile (zero latencies, PCIe at 1 PB/s, a 1 MB/s
 * controller-to-worker link that only inputs use): arrivals [time ns, model]; every action's end
 * on its worker, every response and the scheduler.
 */
function simulate(json: ProfileJson, names: string[], arrivals: Array<[number, number]>, options: Record<string, unknown> = {}, nic: 'shared' | 'perSend' = 'shared') {
  const opts = clockworkOptions.parse({ ...OPTS, ...options });
  const workload = new ScriptedWorkload(arrivals);
  const sim = makeSim(new ClockworkScheduler(opts), {
    profile: resolveProfile(json, 'test-profile.json'),
    models: names,
    workload,
    setup: {
      pagesPerGpu: 16,
      network: { clientLatency: 0, clientBandwidth: 1e15, workerLatency: 0, workerBandwidth: 1e6, nic },
      inputLead: 0,
      sendConcurrency: opts.sendConcurrency,
    },
  });
  const done: Array<[string, number, ActionError | null, number, number]> = [];
  sim.addObserver({ onActionDone: (_g, a, error, start, end) => done.push([a.type, a.model, error, start / MS, end / MS]) });
  sim.run();
  return { done, responses: workload.responses.map((x) => `${x.id} ${x.outcome} ${x.at / MS}`), sched: sim.scheduler as ClockworkScheduler };
}

const handMade = (models: Parameters<typeof testProfileJson>[0]['models']) =>
  testProfileJson({ pageSize: 1_000_000, pages: 16, pcie: { bandwidth: 1e15, latency: 0 }, source: 'hand-made test profile', models });

describe('clockwork sends: only INFER carries a send-by time', () => {
  // Model BIG (m0) has 4 kB of input: on the 1 MB/s controller-to-worker link its INFER holds the
  // single send slot (sendConcurrency 1) for 4 ms (its PCIe copy at 1 PB/s rounds to 0 ns). Model B
  // (m1) has no input. Constant durations: exec b1 2 ms, LOAD 8 ms.
  // 0: BIG's request: LOAD BIG [0, 8]. 8: its INFER is sent, on the wire [8, 12], runs [12, 14].
  // 9: B's request: the weights lane is idle (free_at = 9 + 1 ms), so LOAD B is made at once with
  // latest = max(9 + 1 + 5, 10 + 5) = 15 ms; with a send-by of latest - networkSlack = 10 ms it would
  // fail "network too late" at 12, when the slot frees. Without one it is sent at 12, reaches the
  // worker before its latest and runs [12, 20]; B's INFER runs [20, 22].
  it('a LOAD queued behind a long send goes late instead of failing "network too late"', () => {
    const json = handMade({ BIG: { weightsBytes: 1_000_000, inputBytes: 4_000, exec: { 1: 2 }, load: 8 }, B: { weightsBytes: 1_000_000, exec: { 1: 2 }, load: 8 } });
    const r = simulate(json, ['BIG', 'B'], [[0, 0], [9 * MS, 1]], { sendConcurrency: 1 });
    expect(r.done).toEqual([
      ['LOAD', 0, null, 0, 8],
      ['INFER', 0, null, 12, 14],
      ['LOAD', 1, null, 12, 20],
      ['INFER', 1, null, 20, 22],
    ]);
    expect(r.responses).toEqual(['0 ok 14', '1 ok 22']);
    expect(r.sched.summary()).toMatchObject({ loadsIssued: 2, loadFailures: {} });
  });
});

describe('clockwork estimates: the window starts empty', () => {
  // The profile says batch 1 takes 4 ms (its p99, the estimators' seed) but every execution takes
  // 2 ms (the distribution's samples). Requests at 0 and 20 ms: LOAD [0, 8], INFERs [8, 10] and
  // [20, 22]. The released rule: the profile's value until the first measurement, then the
  // measurements alone. "inWindow" (servesim's earlier rule) keeps the seed in the window:
  // p99 of [4, 2] = 2 + 0.99 x 2 = 3.98 ms, of [4, 2, 2] = 2 + 0.98 x 2 = 3.96 ms.
  const json = handMade({ m: { weightsBytes: 1_000_000, exec: { 1: 4 }, load: 8 } });
  (json.models.m.exec as Record<string, unknown>)['1'] = { percentiles: { '0': 4, '100': 4 }, samples: [2] };
  const est = (arrivals: Array<[number, number]>, estimatorSeed?: string) => {
    const r = simulate(json, ['m'], arrivals, estimatorSeed ? { estimatorSeed } : {});
    expect(r.done.filter((d) => d[0] === 'INFER').map((d) => [d[3], d[4]])).toEqual([[8, 10], [20, 22]].slice(0, arrivals.length));
    return r.sched.estimate(0, 1)! / MS;
  };

  it('uses the profile until the first measurement, then that measurement alone', () => {
    expect(est([])).toBe(4);
    expect(est([[0, 0]])).toBe(2);
    expect(est([[0, 0], [20 * MS, 0]])).toBe(2);
  });

  it('with estimatorSeed "inWindow" keeps the seed in the window', () => {
    expect(est([], 'inWindow')).toBe(4);
    expect(est([[0, 0]], 'inWindow')).toBe(3.98);
    expect(est([[0, 0], [20 * MS, 0]], 'inWindow')).toBe(3.96);
  });
});

describe('clockwork: when a network-too-late INFER is reported (networkTooLateAt)', () => {
  // Model BIG (m0): 4 kB of input, 4 ms on the 1 MB/s controller-to-worker link; one send at a time
  // (sendConcurrency 1); exec b1 2 ms, LOAD 8 ms. Two requests at 0: LOAD [0, 8]. At 8 the fill
  // plans INFER 1 at t = 8 + startDelay = 9 ms (latest = max(8 + 1 + 5, 9 + 5) = 14, sendBy 9); the
  // idle timeline takes work_begin = 8, so free_at = max(8 + 2, 9) = 10 < 8 + 5 and INFER 2 follows
  // at t = 10 (latest = max(14, 10 + 5) = 15, sendBy 10, estimate 2 ms). INFER 1 is on the wire
  // [8, 12] and runs [12, 14]. INFER 2 reaches the head of the send queue at 12 > 10: dropped.
  // "whenDropped": the controller learns it then, request 1 is answered failed at 12. "released":
  // at latest + estimate = 15 + 2 = 17 ms.
  const json = handMade({ BIG: { weightsBytes: 1_000_000, inputBytes: 4_000, exec: { 1: 2 }, load: 8 } });
  const scenario = (networkTooLateAt: string | undefined, nic: 'shared' | 'perSend') =>
    simulate(json, ['BIG'], [[0, 0], [0, 0]], { sendConcurrency: 1, ...(networkTooLateAt ? { networkTooLateAt } : {}) }, nic);

  for (const nic of ['shared', 'perSend'] as const) {
    it(`released (the default): at latest + the INFER's estimate (nic "${nic}")`, () => {
      const r = scenario(undefined, nic);
      expect(r.done).toEqual([
        ['LOAD', 0, null, 0, 8],
        ['INFER', 0, null, 12, 14],
        ['INFER', 0, 'network-too-late', 17, 17],
      ]);
      expect(r.responses).toEqual(['0 ok 14', '1 failed 17']);
      expect(r.sched.summary()).toMatchObject({ networkTooLateAt: 'released', inferFailures: { 'network-too-late': 1 }, failedRequests: 1 });
    });

    it(`whenDropped: when the network thread drops it (nic "${nic}")`, () => {
      const r = scenario('whenDropped', nic);
      expect(r.done).toEqual([
        ['LOAD', 0, null, 0, 8],
        ['INFER', 0, 'network-too-late', 12, 12],
        ['INFER', 0, null, 12, 14],
      ]);
      expect(r.responses).toEqual(['1 failed 12', '0 ok 14']);
      expect(r.sched.summary()).toMatchObject({ networkTooLateAt: 'whenDropped', inferFailures: { 'network-too-late': 1 }, failedRequests: 1 });
    });
  }
});

describe('clockwork: evicting a model with INFERs in flight (evictInFlight)', () => {
  // One page per GPU, two one-page models; exec b1 10 ms, LOAD 8 ms. Two m0 requests at 0: LOAD m0
  // [0, 8]; at 8 INFER A is planned at 9 (idle timeline: work_begin 8, free_at = 18), runs [8, 18];
  // the GPU wakes at 18 - 5 ms + 1 ns, INFER B is planned at 18 and waits at the worker for A.
  // At 15 a request for m1 arrives: its LOAD needs m0's page, and m0 has both INFERs in flight.
  const scenario = (evictInFlight?: string) =>
    cw({
      exec: { 1: 10 },
      models: 2,
      modelPages: 1,
      pagesPerGpu: 1,
      options: evictInFlight ? { ...OPTS, evictInFlight } : OPTS,
      arrivals: [[0, 0, 200], [0, 0, 200], [15, 1, 200]],
      duration: 100,
    });
  const trace = (r: ReturnType<typeof run>) => r.done.map((d) => `${d.type} m${d.model} ${d.error ?? 'ok'} [${d.start}, ${d.end}]`);
  const inflight = (r: ReturnType<typeof run>) => Array.from((r.sim.scheduler as unknown as { gpus: Array<{ inflight: Uint16Array }> }).gpus[0].inflight);

  it('allowed (the default): m0 is evicted at 15; A fails "weights-changed" at its end, B "not-loaded" at its start', () => {
    // EVICT m0 and LOAD m1 at 15 (LOAD [15, 23]); A ends at 18 without its weights, B cannot start
    // at 18: both requests are answered failed at 18. At 23 m1's INFER (idle timeline) runs [23, 33].
    const r = scenario();
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=15', 'LOAD m1@g0 t=15']);
    expect(trace(r)).toEqual([
      'LOAD m0 ok [0, 8]',
      'EVICT m0 ok [15, 15]',
      'INFER m0 weights-changed [8, 18]',
      'INFER m0 not-loaded [18, 18]',
      'LOAD m1 ok [15, 23]',
      'INFER m1 ok [23, 33]',
    ]);
    expect(outcomes(r)).toEqual(['0 failed 18', '1 failed 18', '2 ok 33']);
    expect(r.summary.requests).toMatchObject({ total: 3, ok: 1, failed: 2, unfinished: 0 });
    expect(r.stats).toMatchObject({ evictInFlight: 'allowed', evictionsIssued: 1, failedRequests: 2, inferFailures: { 'not-loaded': 1, 'weights-changed': 1 } });
    // Pages counted once: m1 holds the GPU's only page; nothing is in flight any more.
    expect(r.sim.gpus[0].freePages).toBe(0);
    expect(inflight(r)).toEqual([0, 0]);
  });

  it('never: m1 waits until B\'s result; then m0 goes and m1 loads', () => {
    // A runs [8, 18], B [18, 28]; at 28 nothing of m0 is in flight: EVICT m0, LOAD m1 [28, 36],
    // m1's INFER [36, 46].
    const r = scenario('never');
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=28', 'LOAD m1@g0 t=28']);
    expect(trace(r)).toEqual([
      'LOAD m0 ok [0, 8]',
      'INFER m0 ok [8, 18]',
      'INFER m0 ok [18, 28]',
      'EVICT m0 ok [28, 28]',
      'LOAD m1 ok [28, 36]',
      'INFER m1 ok [36, 46]',
    ]);
    expect(outcomes(r)).toEqual(['0 ok 18', '1 ok 28', '2 ok 46']);
    expect(r.stats).toMatchObject({ evictInFlight: 'never', evictionsIssued: 1, failedRequests: 0 });
    expect(r.sim.gpus[0].freePages).toBe(0);
    expect(inflight(r)).toEqual([0, 0]);
  });
});
