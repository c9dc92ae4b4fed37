import { describe, expect, it } from 'vitest';
import { run, weightActions } from './helpers/baseline-sim.js';

type Arr = Array<[number, number, number]>;
const EXEC = { 1: 1, 2: 2, 4: 3, 8: 5 };

describe('infaas: reactive model management', () => {
  it('loads a model on its first request (which waits for the load) and evicts the least recently used', () => {
    // Room for two models; loads take 5 ms; no batching delay.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
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
    expect(r.responses.map((x) => [x.outcome, x.at])).toEqual([
      ['ok', 6],
      ['ok', 16],
      ['ok', 21],
      ['ok', 36],
      ['ok', 46],
    ]);
  });

  it('loads on the least-loaded GPU', () => {
    const r = run({
      scheduler: 'infaas',
      exec: { 1: 50, 2: 50, 4: 50, 8: 50 },
      models: 2,
      gpus: 2,
      arrivals: [
        [10, 0, 1000],
        [10, 0, 1000],
        [10, 0, 1000],
        [11, 1, 1000],
      ],
      duration: 20,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=10', 'LOAD m1@g1 t=11']);
  });

  it('does not evict a model with pending work: the new model waits for room', () => {
    // Room for one model. Model 0 loads 6..11 and runs a 30 ms batch 11..41; model 1, asked for
    // at 10, cannot evict it (loading, then busy) and waits until 41.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: { 1: 30, 2: 30, 4: 30, 8: 30 },
      models: 2,
      pagesPerGpu: 1,
      arrivals: [
        [6, 0, 1000],
        [10, 1, 1000],
      ],
      duration: 20,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=6', 'EVICT m0@g0 t=41', 'LOAD m1@g0 t=41']);
    expect(r.responses.map((x) => [x.model, x.outcome, x.at])).toEqual([
      [0, 'ok', 41],
      [1, 'ok', 76],
    ]);
  });
});

describe('infaas: TF-Serving batching', () => {
  it('closes a batch at maxBatch or runs it batchTimeout after its first request; pads to 2/4/8, 1 when alone', () => {
    const arrivals: Arr = [
      [10, 0, 1000], // loads 10..15; alone; the batch opened at 15 runs at 25
      [40, 0, 1000],
      [41, 0, 1000],
      [42, 0, 1000], // 3 requests: run at 40 + 10, padded to 4
      ...Array.from({ length: 8 }, (): [number, number, number] => [60, 0, 1000]), // full: runs at once
      ...Array.from({ length: 10 }, (): [number, number, number] => [80, 0, 1000]), // 8 at once; 2 open at 80
      [86, 0, 1000], // joins the open batch while the thread is busy (80..85); it runs at 90
    ];
    const r = run({ scheduler: 'infaas', exec: EXEC, arrivals, duration: 100 });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [25, 1],
      [50, 3],
      [60, 8],
      [80, 8],
      [90, 3],
    ]);
    expect(r.done.filter((d) => d.type === 'INFER').map((d) => d.padded)).toEqual([1, 4, 8, 8, 4]);
  });

  it('pads to the allowed batch sizes even where the hardware has a smaller one', () => {
    const r = run({
      scheduler: 'infaas',
      options: { allowedBatchSizes: [4, 8] },
      exec: EXEC,
      arrivals: [
        [40, 0, 1000],
        [41, 0, 1000],
      ],
      duration: 100,
    });
    const d = r.done.filter((x) => x.type === 'INFER');
    expect(d.map((x) => [x.n, x.padded, x.end - x.start])).toEqual([[2, 4, 3]]);
  });
});

describe('infaas: autoscaling', () => {
  it('adds a replica on another GPU above 80% utilization and removes an idle extra replica after scaleInDelay', () => {
    const arrivals: Arr = [];
    for (let t = 0; t < 200; t++) arrivals.push([t, 0, 1000]); // busy: one request per ms, 4 ms batches
    for (let t = 220; t <= 600; t += 20) arrivals.push([t, 0, 1000]); // a trickle, all to the first replica
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms', scaleInDelay: '50ms' },
      exec: { 1: 4, 2: 4, 4: 4, 8: 4 },
      gpus: 2,
      arrivals,
      duration: 610,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g1 t=100', 'EVICT m0@g1 t=300']);
    // Both replicas served while both were there.
    const gpusUsed = new Set(r.infers.filter((b) => b.t > 105 && b.t < 200).map((b) => b.gpu));
    expect([...gpusUsed].sort()).toEqual([0, 1]);
    expect(r.stats).toMatchObject({ scaleOuts: 1, scaleIns: 1 });
  });
});

describe('infaas: paths the first tests left out (coverage)', () => {
  it('a model waiting for room gathers later requests, and retries on every result until room is freed', () => {
    // Room for one model; exec 30 ms; no batching delay.
    // 0: r0 (m0) loads m0 0..5; 1: r1 (m0) waits for the load. At 5 r0 runs 5..35; r1 opens a
    // batch behind it (one batch thread). 10: r2 (m1) finds no room (m0 is pinned): m1 waits.
    // 12: r3 (m1) joins the waiting list. 35: r0's result; r1 runs 35..65 (m0 still pinned), the
    // retry fails. 65: r1's result unpins m0: m1 evicts it and loads 65..70; r2 runs 70..100, r3 100..130.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: { 1: 30, 2: 30, 4: 30, 8: 30 },
      models: 2,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 1000],
        [1, 0, 1000],
        [10, 1, 1000],
        [12, 1, 1000],
      ],
      duration: 20,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'EVICT m0@g0 t=65', 'LOAD m1@g0 t=65']);
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [5, [0]],
      [35, [1]],
      [70, [2]],
      [100, [3]],
    ]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 35],
      [1, 'ok', 65],
      [2, 'ok', 100],
      [3, 'ok', 130],
    ]);
  });

  it('a full open batch is closed and the next request opens a new one while the thread is busy', () => {
    // maxBatch 2 (allowed [2]), no delay, exec 10 ms. r0 (0) loads 0..5, runs 5..15. r1, r2, r3
    // (6, 7, 8): r1 and r2 fill a batch, r3 opens the next. 15: [r1, r2] runs 15..25; 25: [r3] 25..35.
    const r = run({
      scheduler: 'infaas',
      options: { maxBatch: 2, allowedBatchSizes: [2], batchTimeout: 0 },
      exec: { 1: 10, 2: 10 },
      arrivals: [
        [0, 0, 1000],
        [6, 0, 1000],
        [7, 0, 1000],
        [8, 0, 1000],
      ],
      duration: 20,
    });
    expect(r.infers.map((b) => [b.t, b.ids])).toEqual([
      [5, [0]],
      [15, [1, 2]],
      [25, [3]],
    ]);
    expect(r.responses.map((x) => [x.id, x.at])).toEqual([
      [0, 15],
      [1, 25],
      [2, 25],
      [3, 35],
    ]);
  });

  it('a failed LOAD drops the replica and routes its waiting requests again (a new LOAD)', () => {
    // 2 GPUs (so the monitor runs, every 10 ms; m1 never has a replica). The first LOAD (m0@g0)
    // fails at 0: its pins are released, so g0 ties with g1 again (load 0, 100 free pages) and
    // wins on its id: LOAD m0@g0 again, 0..5; r0 runs 5..6.
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '10ms' },
      exec: EXEC,
      models: 2,
      gpus: 2,
      arrivals: [[0, 0, 100]],
      duration: 30,
      fail: (a, i) => a.type === 'LOAD' && i === 0,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g0 t=0']);
    expect(r.done.filter((d) => d.type === 'LOAD').map((d) => [d.error, d.end])).toEqual([
      ['too-late', 0],
      [null, 5],
    ]);
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual([[5, 0, [0]]]);
    expect(r.responses.map((x) => [x.outcome, x.at])).toEqual([['ok', 6]]);
    expect(r.stats).toMatchObject({ loads: 2, scaleOuts: 0, scaleIns: 0 });
    // The failed replica's pin on m0 is released too: on a GPU with room for one model, r1 (m1 at
    // 10) can evict m0 (idle since 6) and load 10..15, running 15..16.
    const one = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0 },
      exec: EXEC,
      models: 2,
      pagesPerGpu: 1,
      arrivals: [
        [0, 0, 100],
        [10, 1, 100],
      ],
      duration: 30,
      fail: (a, i) => a.type === 'LOAD' && i === 0,
    });
    expect(weightActions(one.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m0@g0 t=0', 'EVICT m0@g0 t=10', 'LOAD m1@g0 t=10']);
    expect(one.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 6],
      [1, 'ok', 16],
    ]);
  });
});

describe('infaas: autoscaling without room (coverage)', () => {
  it('a hot model does not scale out where no GPU can make room', () => {
    // 2 GPUs of one page, 2 models, each sent a request every ms until 200 ms (4 ms batches: both
    // always have pending work, so neither can be evicted). m0 loads on g0, m1 on g1 (g0 is busier
    // with m0's pinned request). At 100 and 200 both are hot, but the other GPU's model is pinned:
    // no scale-out, no eviction.
    const arrivals: Arr = [];
    for (let t = 0; t < 200; t++) arrivals.push([t, 0, 1000], [t, 1, 1000]);
    const r = run({
      scheduler: 'infaas',
      options: { batchTimeout: 0, monitorInterval: '100ms' },
      exec: { 1: 4, 2: 4, 4: 4, 8: 4 },
      models: 2,
      gpus: 2,
      pagesPerGpu: 1,
      arrivals,
      duration: 210,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=0']);
    expect(r.stats).toMatchObject({ loads: 2, evictions: 0, scaleOuts: 0, scaleIns: 0 });
  });
});
