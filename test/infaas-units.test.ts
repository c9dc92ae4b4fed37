/**
 * src/schedulers/infaas.ts: the rules of README "Reactive baselines" (infaas) that the scenario
 * tests of baselines-infaas.test.ts leave open (mutation testing: placement by load before free
 * pages, batches queued behind a busy thread, the exact utilization and scale-in boundaries,
 * batchThreads in the utilization, no scale-out while a replica loads, routing among replicas).
 * Every expectation is computed by hand from those rules on the tiny constant-time profile of
 * test/helpers/baseline-sim.ts (LOAD 5 ms unless said, zero network; times in ms).
 */
import { describe, expect, it } from 'vitest';
import { infaasOptions } from '../src/schedulers/infaas.js';
import { getScheduler } from '../src/schedulers/index.js';
import { MAX_COUNT } from '../src/util/units-zod.js';
import { run, weightActions } from './helpers/baseline-sim.js';

type Arr = Array<[number, number, number]>;
const exec = (ms: number) => ({ 1: ms, 2: ms, 4: ms, 8: ms });

describe('infaas: placement and batching', () => {
  it('a new model goes to the GPU with the fewest pending requests, even one with fewer free pages; ties to the most free pages', () => {
    // 2 GPUs of 100 pages, 4 one-page models, exec 30 ms, no batching delay.
    // 0: m0: both GPUs load 0, 100 free: g0 (lowest id); loads 0..5, runs 5..35.
    // 40: m1: loads 0 and 0 (m0 idle), free 99 vs 100: g1; loads 40..45, runs 45..75.
    // 50: m2: g0 load 0 (free 99), g1 load 1 (m1's request, free 99): g0; loads 50..55, runs 55..85.
    // 100: m1 runs at once on g1 (100..130, one pending there). Then m3: g0 load 0 with 98 free,
    // g1 load 1 with 99 free: the load decides, g0; loads 100..105, runs 105..135.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: exec(30),
      models: 4,
      gpus: 2,
      arrivals: [
        [0, 0, 1000],
        [40, 1, 1000],
        [50, 2, 1000],
        [100, 1, 1000],
        [100, 3, 1000],
      ],
      duration: 150,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=40', 'LOAD m2@g0 t=50', 'LOAD m3@g0 t=100']);
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual([
      [5, 0, [0]],
      [45, 1, [1]],
      [55, 0, [2]],
      [100, 1, [3]],
      [105, 0, [4]],
    ]);
  });

  it('with several closed batches queued, taking the first leaves the open one open: a later request joins it', () => {
    // maxBatch 2 (sizes [2]), no delay, exec 10 ms, one thread. r0 (0) loads 0..5, runs 5..15.
    // r1..r5 (6..10) queue as [r1, r2] [r3, r4] [r5] (the last is open). 15: [r1, r2] runs 15..25,
    // leaving [r3, r4] [r5]. 16: r6 joins the open [r5]. 25: [r3, r4] runs 25..35; 35: [r5, r6],
    // full, runs 35..45.
    const r = run({
      scheduler: 'infaas',
      options: { maxBatch: 2, allowedBatchSizes: [2], batchTimeout: 0 },
      exec: { 1: 10, 2: 10 },
      arrivals: [
        [0, 0, 1000],
        [6, 0, 1000],
        [7, 0, 1000],
        [8, 0, 1000],
        [9, 0, 1000],
        [10, 0, 1000],
        [16, 0, 1000],
      ],
      duration: 50,
    });
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [5, [0]],
      [15, [1, 2]],
      [25, [3, 4]],
      [35, [5, 6]],
    ]);
    expect(r.responses.map((x) => [x.id, x.at])).toEqual([
      [0, 15],
      [1, 25],
      [2, 25],
      [3, 35],
      [4, 35],
      [5, 45],
      [6, 45],
    ]);
  });

  it('once a model waiting for room is loaded, its later requests no longer wait', () => {
    // The room scenario of baselines-infaas.test.ts ("a model waiting for room gathers later
    // requests ..."): one page, exec 30 ms; m1 (asked for at 10 and 12) loads 65..70 and runs
    // 70..100 and 100..130. A request for m1 at 140 finds its replica ready and idle: 140..170.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: exec(30),
      models: 2,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 1000],
        [1, 0, 1000],
        [10, 1, 1000],
        [12, 1, 1000],
        [140, 1, 1000],
      ],
      duration: 150,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=65', 'LOAD m1@g0 t=65']);
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [5, [0]],
      [35, [1]],
      [70, [2]],
      [100, [3]],
      [140, [4]],
    ]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toContainEqual([4, 'ok', 170]);
  });

  it('pads a batch of n > 1 to the smallest allowed size >= n, even where the hardware has n itself', () => {
    // Hardware sizes 1, 2, 3, 4, 8 (exec 1, 2, 7, 3, 5 ms); allowed sizes the default [2, 4, 8],
    // batchTimeout the default 10 ms. r0 (0) loads 0..5, opens a batch at 5, runs alone at 15 (size
    // 1, 1 ms). 20, 21: a batch of 2 runs at 30 at size 2 (2 ms). 40, 41, 42: a batch of 3 runs at
    // 50 padded to 4 (3 ms), not at the hardware's 3.
    const r = run({
      scheduler: 'infaas',
      exec: { 1: 1, 2: 2, 3: 7, 4: 3, 8: 5 },
      arrivals: [
        [0, 0, 1000],
        [20, 0, 1000],
        [21, 0, 1000],
        [40, 0, 1000],
        [41, 0, 1000],
        [42, 0, 1000],
      ],
      duration: 100,
    });
    const d = r.done.filter((x) => x.type === 'INFER');
    expect(d.map((x) => [x.start, x.n, x.padded, x.end - x.start])).toEqual([
      [15, 1, 1, 1],
      [30, 2, 2, 2],
      [50, 3, 4, 3],
    ]);
  });

  it('LRU counts a model as used when its batch is sent, not when its request arrived', () => {
    // One GPU with room for two models; exec 20 ms; two executions share the GPU at full speed
    // (speedup 2 for 2), so every time below is exact. 0: m0 loads 0..5, r0 runs 5..25. 6: r1 (m0)
    // waits for m0's only batch thread. 10: m1 loads 10..15, r2 runs 15..35. 25: r1 is sent
    // (25..45): m0 last used at 25, m1 at 15. 100: m2 needs room: evict the least recently used,
    // m1 (15), although m0's last request arrived earlier (6) than m1's (10).
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: exec(20),
      interference: { speedup: [1, 2], extraCv: 0 },
      models: 3,
      pagesPerGpu: 2,
      arrivals: [
        [0, 0, 1000],
        [6, 0, 1000],
        [10, 1, 1000],
        [100, 2, 1000],
      ],
      duration: 150,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g0 t=10', 'EVICT m1@g0 t=100', 'LOAD m2@g0 t=100']);
    expect(r.infers.map((b) => [b.t, b.model, b.ids])).toEqual([
      [5, 0, [0]],
      [15, 1, [2]],
      [25, 0, [1]],
      [105, 2, [3]],
    ]);
  });

  it('counts loads, evictions and batches in its summary', () => {
    // The LRU scenario of baselines-infaas.test.ts ("loads a model on its first request ..."):
    // LOADs of m0, m1, m2, m1 (4), EVICTs of m1 and m0 (2), five requests each run alone (5
    // batches); one GPU, so no autoscaling.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: { 1: 1, 2: 2, 4: 3, 8: 5 },
      models: 3,
      pagesPerGpu: 2,
      arrivals: [
        [0, 0, 100],
        [10, 1, 100],
        [20, 0, 100],
        [30, 2, 100],
        [40, 1, 100],
      ],
      duration: 60,
    });
    expect(r.stats).toEqual({ loads: 4, evictions: 2, scaleOuts: 0, scaleIns: 0, batches: 5 });
  });

  it('is named infaas', () => {
    const t = getScheduler('infaas')!;
    expect(t.create(t.options.parse({})).name).toBe('infaas');
  });
});

describe('infaas: autoscaling boundaries', () => {
  // Two requests on one GPU (2 GPUs, so the monitor runs every 100 ms): r0 loads 0..5 and runs
  // 5..5+x, r1 arrives at 50 and runs 50..50+x. Both results arrive before the monitor at 100:
  // busy = 2x in the first interval.
  const twoRuns = (x: number, options: Record<string, unknown> = {}) =>
    run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', ...options },
      exec: exec(x),
      gpus: 2,
      arrivals: [
        [0, 0, 1000],
        [50, 0, 1000],
      ],
      duration: 150,
    });

  it('scales out only above scaleOutUtilization: 80 ms of 100 is not above 0.8, 82 ms is', () => {
    expect(weightActions(twoRuns(40).sent)).toEqual(['LOAD m0@g0 t=0']); // 80 / 100 = 0.8
    expect(weightActions(twoRuns(41).sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100']); // 0.82
  });

  it('utilization divides by monitorInterval x batchThreads', () => {
    // 82 ms busy with 2 threads: 82 / (100 x 2) = 0.41, not above 0.8 (one thread: 0.82, above).
    expect(weightActions(twoRuns(41, { batchThreads: 2 }).sent)).toEqual(['LOAD m0@g0 t=0']);
  });

  // A replica kept busy: r0 at 0 (loads 0..5, runs 5..14), then one request every 10 ms from 15,
  // each running 9 ms alone (t..t+9), so the replica is idle at every arrival. Results in
  // (0, 100]: r0 and the requests of 15..85, 9 x 9 ms = 81 ms: 0.81, hot at 100.
  const busyFrom15 = (last: number): Arr => {
    const a: Arr = [[0, 0, 1000]];
    for (let t = 15; t <= last; t += 10) a.push([t, 0, 1000]);
    return a;
  };

  it('a hot model on every GPU still scales in an extra replica idle for exactly scaleInDelay; ties route to the first replica', () => {
    // Requests until 195. 100: hot, scale out to g1 (loads 100..105; lastRequest 100). Every
    // later request finds both replicas with nothing pending (the one at 105 finds g1 loading or
    // just ready): the first placed (g0) gets it. 200: g0's results in (100, 200] are those of
    // 95..185, 10 x 9 ms = 90 ms: hot again, but both GPUs hold m0, so no scale-out; g1 has had no
    // request for 200 - 100 = 100 ms = scaleInDelay and nothing pending: evicted at 200. g0 is
    // running the request of 195 (pending) and stays.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', scaleInDelay: '100ms' },
      exec: exec(9),
      gpus: 2,
      arrivals: busyFrom15(195),
      duration: 310,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100', 'EVICT m0@g1 t=200']);
    // Request i (0..19) runs alone on g0 at 5 + 10 i.
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual(Array.from({ length: 20 }, (_, i) => [5 + 10 * i, 0, [i]]));
    expect(r.stats).toMatchObject({ scaleOuts: 1, scaleIns: 1 });
  });

  it('scales in an idle extra replica while the other runs a request older than scaleInDelay', () => {
    // As the test above, with scaleInDelay 1 ms. 200: g0 runs the request of 195 (arrived 5 ms
    // ago, more than scaleInDelay, but pending: not idle); g1 is idle since 100: evicted, as above.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', scaleInDelay: '1ms' },
      exec: exec(9),
      gpus: 2,
      arrivals: busyFrom15(195),
      duration: 310,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100', 'EVICT m0@g1 t=200']);
    expect(r.stats).toMatchObject({ scaleOuts: 1, scaleIns: 1 });
  });

  it('a failed scale-out LOAD drops only the new replica: the model stays served where it was', () => {
    // Hot at 100 as above (requests 0, 15..85); the scale-out LOAD m0@g1 (the second LOAD) fails
    // at 100. 150: the request goes to the replica on g0 (ready, nothing pending) and runs at once;
    // no new LOAD.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms' },
      exec: exec(9),
      gpus: 2,
      arrivals: [...busyFrom15(85), [150, 0, 1000]],
      duration: 250,
      fail: (a, i) => a.type === 'LOAD' && i === 1,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.gpu, d.error, d.end])).toEqual([
      [0, null, 5],
      [1, 'too-late', 100],
    ]);
    expect(r.infers.at(-1)).toMatchObject({ t: 150, gpu: 0, ids: [9] });
    expect(r.stats).toMatchObject({ loads: 2, scaleOuts: 1 });
  });

  it('routes to a ready replica before a loading one with fewer pending requests; a replica idle just under scaleInDelay stays', () => {
    // As above until 95 (r9 runs 95..104); 100: scale out to g1 (loading 100..105). r10 (101) and
    // r11 (102): g0 has 1 then 2 pending, g1 none but is loading: both go to g0 and run together
    // at 104 (104..113). 200: not hot (18 ms); g1 idle 200 - 100 = 100 ms: evicted; g0's last
    // request came at 102 (98 ms ago): it would not be evicted anyway, and it is the last replica.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', scaleInDelay: '100ms' },
      exec: exec(9),
      gpus: 2,
      arrivals: [...busyFrom15(95), [101, 0, 1000], [102, 0, 1000]],
      duration: 310,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100', 'EVICT m0@g1 t=200']);
    expect(r.infers.slice(-2).map((b) => [b.t, b.gpu, b.ids])).toEqual([
      [95, 0, [9]],
      [104, 0, [10, 11]],
    ]);
    expect(r.infers.every((b) => b.gpu === 0)).toBe(true);
  });

  it('scales out to a GPU that lacks the model (never to its own), and when every replica is idle keeps one', () => {
    // 2 GPUs, models m0 and m1. 0: m0 on g0 (tie, lowest id), loads 0..5, runs 5..14. 14.5: m1:
    // g0 idle with 99 free pages, g1 with 100: g1 (loads 14.5..19.5). m0's requests of 15..85 run
    // alone on g0 (81 ms of results by 100 with r0's 9 ms: hot). 100: g0 and g1 both have nothing
    // pending and 99 free pages, g0 has the lower id, but g0 already holds m0: scale out to g1
    // (loads 100..105). No more requests until 250. 200: both replicas of m0 are ready, idle and
    // unused for at least 100 ms (g0 since 85, g1 since 100): one is evicted, one kept (README:
    // the last replica stays). 250: a request for m0 runs at once on the one kept, no LOAD.
    const arrivals: Arr = [
      [0, 0, 1000],
      [14.5, 1, 1000],
    ];
    for (let t = 15; t <= 85; t += 10) arrivals.push([t, 0, 1000]);
    arrivals.push([250, 0, 1000]);
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', scaleInDelay: '100ms' },
      exec: exec(9),
      models: 2,
      gpus: 2,
      arrivals,
      duration: 310,
    });
    const loads = r.sent.filter((x) => x.type === 'LOAD').map((x) => [x.t, x.model, x.gpu]);
    expect(loads).toEqual([
      [0, 0, 0],
      [14.5, 1, 1],
      [100, 0, 1],
    ]);
    const evicts = r.sent.filter((x) => x.type === 'EVICT');
    expect(evicts.map((x) => [x.t, x.model])).toEqual([[200, 0]]);
    const kept = 1 - evicts[0].gpu;
    expect(r.infers.at(-1)).toMatchObject({ t: 250, gpu: kept, ids: [10] });
    expect(r.stats).toMatchObject({ loads: 3, scaleOuts: 1, scaleIns: 1 });
  });

  it('does not scale out again while a replica of the model is loading', () => {
    // 3 GPUs, LOAD 25 ms, monitor every 10 ms, exec 9 ms. r0 (0) loads 0..25, runs 25..34; r35,
    // r45, r55 each run 9 ms alone on g0 (g0 idle at each arrival). 40: 9 ms in (30, 40]: 0.9,
    // hot: scale out to g1 (loads 40..65). 50, 60: hot again (results at 44, 54) but g1 is
    // loading: no scale-out. 70: hot (result at 64), g1 ready since 65: scale out to g2.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '10ms' },
      exec: exec(9),
      load: 25,
      gpus: 3,
      arrivals: [
        [0, 0, 1000],
        [35, 0, 1000],
        [45, 0, 1000],
        [55, 0, 1000],
      ],
      duration: 100,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=40', 'LOAD m0@g2 t=70']);
    expect(r.infers.map((b) => [b.t, b.gpu])).toEqual([
      [25, 0],
      [35, 0],
      [45, 0],
      [55, 0],
    ]);
    expect(r.stats).toMatchObject({ scaleOuts: 2, scaleIns: 0 });
  });
});

describe('infaas options: documented bounds (README "Reactive baselines", infaas)', () => {
  // These run where the schema is built, when the module loads: Stryker cannot count their kills
  // (docs/testing.md, the caution on code that runs when a module is loaded); they were checked by
  // applying each change by hand.
  const ok = (o: Record<string, unknown>) => infaasOptions.safeParse(o).success;
  const messages = (o: Record<string, unknown>) => {
    const r = infaasOptions.safeParse(o);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('counts are positive integers up to MAX_COUNT; batchTimeout may be 0; scaleOutUtilization is in (0, 1]', () => {
    expect(ok({ maxBatch: 1, allowedBatchSizes: [1] })).toBe(true);
    expect(ok({ maxBatch: MAX_COUNT, allowedBatchSizes: [MAX_COUNT] })).toBe(true);
    expect(ok({ maxBatch: MAX_COUNT + 1, allowedBatchSizes: [MAX_COUNT + 1] })).toBe(false);
    expect(ok({ maxBatch: 0, allowedBatchSizes: [0] })).toBe(false);
    expect(ok({ batchThreads: 1 })).toBe(true);
    expect(ok({ batchThreads: MAX_COUNT })).toBe(true);
    expect(ok({ batchThreads: MAX_COUNT + 1 })).toBe(false);
    expect(ok({ batchTimeout: 0 })).toBe(true);
    expect(ok({ scaleOutUtilization: 0.5 })).toBe(true);
    expect(ok({ scaleOutUtilization: 1 })).toBe(true);
    expect(ok({ scaleOutUtilization: 1.01 })).toBe(false);
  });

  it('allowedBatchSizes: one or more, strictly ascending, the last equal to maxBatch', () => {
    expect(ok({ allowedBatchSizes: [8] })).toBe(true);
    expect(ok({ allowedBatchSizes: [1, 2, 3, 8] })).toBe(true);
    expect(ok({ allowedBatchSizes: [] })).toBe(false);
    expect(messages({ allowedBatchSizes: [2, 2, 8] })).toEqual(['allowedBatchSizes: expected strictly ascending sizes']);
    expect(messages({ allowedBatchSizes: [2, 4] })).toEqual(['allowedBatchSizes: expected the last size to equal maxBatch (8), as TF-Serving requires']);
  });
});
