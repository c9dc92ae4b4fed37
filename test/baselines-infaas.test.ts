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
