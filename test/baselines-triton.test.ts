import { describe, expect, it } from 'vitest';
import { run } from './helpers/baseline-sim.js';

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
