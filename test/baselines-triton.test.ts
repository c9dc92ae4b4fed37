import { describe, expect, it } from 'vitest';
import { run } from './helpers/baseline-sim.js';
import { getScheduler } from '../src/schedulers/index.js';

type Arr = Array<[number, number, number]>;
const at = (...ts: number[]): Arr => ts.map((t) => [t, 0, 1000]);
// The model is loaded by 5 ms; every test's requests come later.

describe('triton: dynamic batcher', () => {
  it('sends a batch as soon as it reaches a preferred size, otherwise when the oldest has waited maxQueueDelay', () => {
    const r = run({
      scheduler: 'triton',
      options: { preferredBatchSizes: [4], maxQueueDelay: '100ms' },
      exec: { 1: 2, 2: 3, 4: 5, 8: 9 },
      arrivals: at(10, 11, 12, 13, 30, 31),
      duration: 50,
    });
    // 4 requests by 13 -> preferred size: sent at 13. Two at 30, 31 never reach it: sent at 30 + 100.
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [13, 4],
      [130, 2],
    ]);
    expect(r.stats).toMatchObject({ sentOnPreferred: 1, sentOnDelay: 1 });
  });

  it('sends the largest preferred size it can form and leaves the rest queued', () => {
    const r = run({
      scheduler: 'triton',
      options: { preferredBatchSizes: [2, 4], maxQueueDelay: '100ms' },
      exec: { 1: 10, 2: 10, 4: 10, 8: 10 },
      arrivals: at(10, 11, 12, 13, 14, 15, 16, 17, 18),
      duration: 50,
    });
    // 2 at 11 (preferred); busy until 21 while 7 queue up: 4 at 21 (not all 7), 2 at 31, and the
    // last one (arrived 18) alone after its delay, at 118.
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [11, 2],
      [21, 4],
      [31, 2],
      [118, 1],
    ]);
  });

  it('with maxQueueDelay 0 sends whatever is queued as soon as an instance is free', () => {
    const r = run({ scheduler: 'triton', exec: { 1: 10, 2: 10, 4: 10, 8: 10 }, arrivals: at(10, 11, 12, 13), duration: 50 });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [10, 1],
      [20, 3],
    ]);
  });

  it('caps a batch at maxBatchSize', () => {
    const r = run({ scheduler: 'triton', options: { maxBatchSize: 2 }, exec: { 1: 10, 2: 10, 4: 10 }, arrivals: at(10, 11, 12, 13), duration: 50 });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([
      [10, 1],
      [20, 2],
      [30, 1],
    ]);
  });

  it('runs instanceCount instances of a model concurrently through the engine\'s interference model', () => {
    const two = run({ scheduler: 'triton', options: { instanceCount: 2 }, exec: { 1: 10, 2: 12 }, arrivals: at(10, 10), duration: 50 });
    // Two overlapping executions at 1.25/2 of full speed each: 10 ms of work takes 16 ms.
    expect(two.done.filter((d) => d.type === 'INFER').map((d) => [d.start, d.end])).toEqual([
      [10, 26],
      [10, 26],
    ]);
    const one = run({ scheduler: 'triton', exec: { 1: 10, 2: 12 }, arrivals: at(10, 10), duration: 50 });
    expect(one.done.filter((d) => d.type === 'INFER').map((d) => [d.start, d.end])).toEqual([
      [10, 20],
      [20, 30],
    ]);
  });

  it('sends a batch to the free instance on the GPU with the fewest batches running', () => {
    // Two models, each on both GPUs (replicas 0), loaded by 10 ms. m0's request at 30 goes to GPU 0
    // (a tie: the first instance); m1's at 31 finds GPU 0 running one batch and GPU 1 none.
    const r = run({
      scheduler: 'triton',
      exec: { 1: 10, 2: 12 },
      models: 2,
      gpus: 2,
      arrivals: [
        [30, 0, 1000],
        [31, 1, 1000],
      ],
      duration: 50,
    });
    expect(r.done.filter((d) => d.type === 'INFER').map((d) => [d.model, d.gpu, d.start, d.end])).toEqual([
      [0, 0, 30, 40],
      [1, 1, 31, 41],
    ]);
  });

  it('rejects a request that waited defaultTimeout in the queue', () => {
    const r = run({ scheduler: 'triton', options: { defaultTimeout: '5ms' }, exec: { 1: 10, 2: 10 }, arrivals: at(10, 11, 17), duration: 50 });
    const byId = Object.fromEntries(r.responses.map((x) => [x.id, [x.outcome, x.at]]));
    expect(byId).toEqual({ 0: ['ok', 20], 1: ['rejected', 16], 2: ['ok', 30] });
  });

  it('rejects arrivals at a queue holding maxQueueSize requests', () => {
    const r = run({ scheduler: 'triton', options: { maxQueueSize: 1 }, exec: { 1: 10, 2: 10 }, arrivals: at(10, 11, 12), duration: 50 });
    const byId = Object.fromEntries(r.responses.map((x) => [x.id, [x.outcome, x.at]]));
    expect(byId).toEqual({ 0: ['ok', 20], 1: ['ok', 30], 2: ['rejected', 12] });
  });
});

describe('triton: paths the first tests left out (coverage)', () => {
  it('replicas 1 loads each model on one GPU, round robin', () => {
    // Two models, two GPUs: m0 on g0, m1 on g1 (not both on both as with replicas 0). m1's
    // request at 30 can only run on g1.
    const r = run({
      scheduler: 'triton',
      options: { replicas: 1 },
      exec: { 1: 10, 2: 12 },
      models: 2,
      gpus: 2,
      arrivals: [[30, 1, 1000]],
      duration: 50,
    });
    expect(r.sent.filter((x) => x.type === 'LOAD').map((x) => [x.model, x.gpu])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(r.done.filter((d) => d.type === 'INFER').map((d) => [d.model, d.gpu, d.start, d.end])).toEqual([[1, 1, 30, 40]]);
  });

  it('a model that fits nowhere is unserved: its requests fail at once', () => {
    // Two models of 3 pages, one GPU of 4: m0 is loaded (0..5), m1 is not.
    const r = run({
      scheduler: 'triton',
      exec: { 1: 1, 2: 2 },
      models: 2,
      modelPages: 3,
      pagesPerGpu: 4,
      arrivals: [
        [10, 1, 100],
        [10, 0, 100],
      ],
      duration: 50,
    });
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'failed', 10],
      [1, 'ok', 11],
    ]);
  });

  it('sends at once when the queue reaches maxBatchSize and no preferred size is set ("full")', () => {
    // No preferred sizes: maxBatchSize 4 is the only one. 4 requests by 13: sent at 13 (not at
    // 10 + 100 ms), answered at 23.
    const r = run({
      scheduler: 'triton',
      options: { maxBatchSize: 4, maxQueueDelay: '100ms' },
      exec: { 1: 10, 2: 10, 4: 10, 8: 10 },
      arrivals: at(10, 11, 12, 13),
      duration: 50,
    });
    expect(r.infers.map((b) => [b.t, b.n])).toEqual([[13, 4]]);
    expect(r.responses.map((x) => x.at)).toEqual([23, 23, 23, 23]);
    expect(r.stats).toMatchObject({ sentFull: 1, sentOnPreferred: 0, sentOnDelay: 0 });
  });

  it('a failed LOAD on the only GPU holding a model fails its queued requests and later ones', () => {
    // Two models on one GPU: LOAD m0 0..5; LOAD m1 starts at 5 and fails (injected). r0, r1 (m1
    // at 1, 2) fail at 5; r2 (m0 at 3) runs 5..6; r3 (m1 at 10) fails at once.
    const r = run({
      scheduler: 'triton',
      exec: { 1: 1, 2: 2 },
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
    expect([...r.responses].sort((a, b) => a.id - b.id).map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'failed', 5],
      [1, 'failed', 5],
      [2, 'ok', 6],
      [3, 'failed', 10],
    ]);
  });

  it('a failed LOAD on one of two GPUs leaves the other serving', () => {
    // replicas 0: m0 on g0 and g1. LOAD m0@g0 fails at 0; g1 loads 0..5 and serves r0 (1) at 5..6.
    const r = run({ scheduler: 'triton', exec: { 1: 1, 2: 2 }, gpus: 2, arrivals: [[1, 0, 100]], duration: 50, fail: (a, i) => a.type === 'LOAD' && i === 0 });
    expect(r.done.filter((d) => d.type === 'INFER').map((d) => [d.gpu, d.start, d.end])).toEqual([[1, 5, 6]]);
    expect(r.responses.map((x) => [x.outcome, x.at])).toEqual([['ok', 6]]);
  });

  it('re-arms the delay timer for the new head when the old head times out', () => {
    // maxQueueDelay 10 ms, defaultTimeout 5 ms, preferred 4. r0 (10): delay due 20, timeout 15.
    // r1 (12) queues. 15: r0 rejected; head r1: delay re-armed for 22, timeout 17. 17: r1
    // rejected. Nothing is ever sent.
    const r = run({
      scheduler: 'triton',
      options: { maxQueueDelay: '10ms', defaultTimeout: '5ms', preferredBatchSizes: [4] },
      exec: { 1: 10, 2: 10, 4: 10, 8: 10 },
      arrivals: at(10, 12),
      duration: 50,
    });
    expect(r.infers).toEqual([]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'rejected', 15],
      [1, 'rejected', 17],
    ]);
    expect(r.stats).toMatchObject({ rejectedTimeout: 2 });
  });

  it('formBatch: an empty queue waits', () => {
    const s = getScheduler('triton')!;
    const t = s.create(s.options.parse({})) as unknown as { formBatch(q: number, w: number, m: number): { size: number; why: string } };
    expect(t.formBatch(0, 1e9, 8)).toEqual({ size: 0, why: 'wait' });
  });
});
