/**
 * The synthetic workloads against their definitions: Poisson's total rate and per-model rate, the
 * closed loop's clients and think time.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams, Rng } from '../src/sim/random.js';
import { MS, SEC } from '../src/sim/time.js';
import type { Request } from '../src/sim/types.js';
import { getWorkload } from '../src/traces/index.js';
import { PoissonArrivals } from '../src/traces/poisson.js';
import type { Workload, WorkloadContext } from '../src/sim/workload.js';
import { fakeEnv, fakeModels, runWorkload } from './helpers/fake-ctx.js';

function make(type: string, opts: Record<string, unknown>): Workload {
  const t = getWorkload(type)!;
  return t.create(t.options.parse(opts), fakeEnv());
}

/** Counts of a Poisson process of mean m lie within 4 standard deviations of it. */
const poissonClose = (count: number, mean: number): void => {
  expect(Math.abs(count - mean), `${count} vs mean ${mean}`).toBeLessThan(4 * Math.sqrt(mean));
};

describe('poisson', () => {
  it('rate is the total over the targets; models are chosen uniformly', async () => {
    const { sent } = await runWorkload(make('poisson', { rate: 400 }), { models: 4, end: 50 * SEC });
    poissonClose(sent.length, 400 * 50);
    for (let m = 0; m < 4; m++) poissonClose(sent.filter((s) => s.model === m).length, 100 * 50);
  });

  it('ratePerModel is each target\'s rate: the total is that times the number of targets', async () => {
    const { sent } = await runWorkload(make('poisson', { ratePerModel: 100 }), { models: 4, targets: [0, 2, 3], end: 50 * SEC });
    poissonClose(sent.length, 3 * 100 * 50);
    for (const m of [0, 2, 3]) poissonClose(sent.filter((s) => s.model === m).length, 100 * 50);
    expect(sent.some((s) => s.model === 1)).toBe(false);
  });

  it('gaps are exponential: their mean and coefficient of variation are 1 / rate and 1', async () => {
    const { sent } = await runWorkload(make('poisson', { rate: 1000 }), { models: 1, end: 20 * SEC });
    const gaps = sent.slice(1).map((s, i) => s.time - sent[i].time);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect(mean / MS).toBeCloseTo(1, 1);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  it('keeps the process time unrounded: each arrival is the sum of the gaps so far, rounded once', () => {
    // Mean gap 0.5 ns: rounding the running time at each step would drift from the exact sums.
    const src = new PoissonArrivals(2e9, 5, new Rng('gaps'), () => 3);
    const same = new Rng('gaps');
    let exact = 5;
    for (let i = 0; i < 10_000; i++) {
      expect(src.advance()).toBe(true);
      exact += same.exponential(0.5);
      expect(src.time).toBe(Math.round(exact));
      expect(src.model).toBe(3);
    }
  });

  it('a rate of 0 has no arrivals', () => {
    expect(new PoissonArrivals(0, 0, new Rng('gaps'), () => 0).advance()).toBe(false);
  });
});

/**
 * Drives a closed-loop workload without the engine: every request is answered `service` ns after it
 * was sent (the client sees the response then), until `end`.
 */
function closedLoop(opts: Record<string, unknown>, models: number, service: number, end: number): Array<{ t: number; model: number }> {
  const w = make('closed-loop', opts);
  const queue: Array<{ t: number; seq: number; fn: () => void }> = [];
  let seq = 0;
  let now = 0;
  const sent: Array<{ t: number; model: number }> = [];
  const streams = new RandomStreams(5);
  const ctx: WorkloadContext = {
    now: () => now,
    models: fakeModels(models),
    targets: fakeModels(models).map((m) => m.id),
    group: 0,
    end,
    submit(model) {
      if (now >= end) return -1;
      sent.push({ t: now, model });
      const r = { id: sent.length - 1, model } as Request;
      queue.push({ t: now + service, seq: seq++, fn: () => w.onResponse!(r, 'ok') });
      return r.id;
    },
    at(time, handler, arg) {
      queue.push({ t: time, seq: seq++, fn: () => handler(arg) });
    },
    rng: (name = 'arrivals') => streams.stream(`workload0/${name}`),
    batch1Estimate: () => MS,
  };
  w.start(ctx);
  while (queue.length > 0) {
    queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const e = queue.shift()!;
    if (e.t >= end) break;
    now = e.t;
    e.fn();
  }
  return sent;
}

describe('closed-loop', () => {
  it('each client sends its next request when answered: concurrency clients per model, back to back', () => {
    const sent = closedLoop({ concurrency: 3 }, 2, 10 * MS, 100 * MS);
    // 3 clients x 2 models, each sending at 0, 10, ..., 90 ms.
    expect(sent.length).toBe(3 * 2 * 10);
    for (let k = 0; k < 10; k++) {
      const at = sent.filter((s) => s.t === k * 10 * MS);
      expect(at.map((s) => s.model).sort()).toEqual([0, 0, 0, 1, 1, 1]);
    }
  });

  it('a constant think time separates a response from the client\'s next request', () => {
    const sent = closedLoop({ concurrency: 1, thinkTime: '5ms' }, 1, 10 * MS, 100 * MS);
    // Requests at 0, 15, 30, ..., 90 ms: service 10 ms + think 5 ms.
    expect(sent.map((s) => s.t / MS)).toEqual([0, 15, 30, 45, 60, 75, 90]);
  });

  it('an exponential think time has that mean', () => {
    const sent = closedLoop({ concurrency: 1, thinkTime: '4ms', thinkDistribution: 'exponential' }, 1, 1 * MS, 40 * SEC);
    const gaps = sent.slice(1).map((s, i) => s.t - sent[i].t - MS);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    // About 8,000 exponential samples of mean 4 ms: the sample mean is within 5%.
    expect(mean / MS).toBeGreaterThan(3.8);
    expect(mean / MS).toBeLessThan(4.2);
    expect(new Set(gaps).size).toBeGreaterThan(gaps.length * 0.9);
  });

  it('no client sends after the end', () => {
    const sent = closedLoop({ concurrency: 2 }, 1, 7 * MS, 50 * MS);
    expect(Math.max(...sent.map((s) => s.t))).toBeLessThan(50 * MS);
    expect(sent.length).toBe(2 * 8); // 0, 7, ..., 49 ms
  });
});
