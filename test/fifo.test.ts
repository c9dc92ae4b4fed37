import { describe, expect, it } from 'vitest';
import { FifoScheduler } from '../src/schedulers/fifo.js';
import { makeSim, ScriptedWorkload } from './helpers.js';
import { run, weightActions } from './helpers/baseline-sim.js';
import type { Request, SchedulerContext } from '../src/sim/types.js';

const A = 0;
const B = 1;
const C = 2;

describe('fifo', () => {
  it('serves in arrival order and evicts LRU models, even ones with queued requests, without deadlocking', () => {
    // 4 pages: A 3, B 1, C 2. Preload round-robin: A and B fit, C does not.
    const w = new ScriptedWorkload([
      [10_000_000, C],
      [10_000_000, A],
    ]);
    const sim = makeSim(new FifoScheduler({ inflight: 2, preload: true }), { workload: w });
    const sent: string[] = [];
    sim.addObserver({ onActionSent: (a) => sent.push(`${a.type} ${'ABC'[a.model]}`) });
    sim.run();
    expect(sent).toEqual([
      'LOAD A',
      'LOAD B',
      // C reaches the head: A and B are idle and equally old; the lower id goes first.
      'EVICT A',
      'LOAD C',
      'INFER C',
      // A is next; C executes (pinned), so B goes, which is not enough: wait for C's result.
      'EVICT B',
      'EVICT C',
      'LOAD A',
      'INFER A',
    ]);
    expect(w.responses.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(sim.metrics.summary(['w'])).toMatchObject({ loads: 4, evictions: 3 });
  });

  it('answers every request when the models cannot all fit in memory at once', () => {
    const w = new ScriptedWorkload(Array.from({ length: 60 }, (_, i) => [i * 1_000_000, i % 3] as [number, number]));
    const sim = makeSim(new FifoScheduler({ inflight: 2, preload: true }), { workload: w, setup: { pagesPerGpu: 3 } });
    sim.run();
    // 3 pages: A (3) alone, or B (1) + C (2): every switch between A and the others reloads.
    expect(w.responses).toHaveLength(60);
    expect(w.responses.every((r) => r.outcome === 'ok' || r.outcome === 'late')).toBe(true);
    const summary = sim.metrics.summary(['w']) as { loads: number; requests: { unfinished: number } };
    expect(summary.requests.unfinished).toBe(0);
    expect(summary.loads).toBeGreaterThan(30);
  });
});

describe('fifo: routing over several GPUs (coverage)', () => {
  it('routes a model no GPU holds to the shortest queue (ties: the lower id), a held one to its GPU', () => {
    // 2 GPUs, no preload, 3 models, b1 1 ms, LOAD 5 ms, no network or copy time.
    // 0: r0 (m0): queues 0/0 -> g0, LOAD m0@g0 0..5.
    // 1: r1 (m1): queues 1/0 -> g1, LOAD m1@g1 1..6.
    // 2: r2 (m2): queues 1/1 -> g0 (the tie goes to the lower id); waits behind r0.
    // 3: r3 (m0): held (loading) by g0 -> g0.
    // 5: m0 loaded: r0 runs 5..6; head r2 needs m2: LOAD m2@g0 5..10. 6: m1 loaded: r1 runs 6..7.
    // 10: m2 loaded: r2 runs 10..11, then r3 11..12.
    const r = run({ scheduler: 'fifo', options: { preload: false }, exec: { 1: 1, 2: 2 }, models: 3, gpus: 2, arrivals: [0, 1, 2, 3].map((t, i): [number, number, number] => [t, [0, 1, 2, 0][i], 100]), duration: 20 });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=1', 'LOAD m2@g0 t=5']);
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual([
      [5, 0, [0]],
      [6, 1, [1]],
      [10, 0, [2]],
      [10, 0, [3]],
    ]);
    expect(r.responses.map((x) => [x.id, x.outcome, x.at])).toEqual([
      [0, 'ok', 6],
      [1, 'ok', 7],
      [2, 'ok', 11],
      [3, 'ok', 12],
    ]);
  });

  it('a model two GPUs hold gets the shorter of their queues (ties: the lower id)', () => {
    // As above, 2 GPUs, no preload, b1 1 ms, LOAD 5 ms.
    // 0: r0 (m0) -> g0 (tie), LOAD m0@g0 0..5. 1: r1 (m1) -> g1 (queues 1/0), LOAD m1@g1 1..6.
    // 2: r2 (m2) -> g0 (1/1, tie). 3: r3 (m2): nobody holds m2 yet -> g1 (2/1).
    // 5: r0 runs; r2 at g0's head: LOAD m2@g0 5..10. 6: r1 runs; r3 at g1's head: LOAD m2@g1 6..11.
    // 7: r4 (m2): both hold it, queues 1/1 -> g0. 8: r5 (m2): queues 2/1 -> g1.
    // 10: g0 sends r2 and r4 (2 in flight); 11: g1 sends r3 and r5.
    const r = run({ scheduler: 'fifo', options: { preload: false }, exec: { 1: 1, 2: 2 }, models: 3, gpus: 2, arrivals: [
        [0, 0, 100],
        [1, 1, 100],
        [2, 2, 100],
        [3, 2, 100],
        [7, 2, 100],
        [8, 2, 100],
      ],
      duration: 20,
    });
    expect(weightActions(r.sent)).toEqual(['LOAD m0@g0 t=0', 'LOAD m1@g1 t=1', 'LOAD m2@g0 t=5', 'LOAD m2@g1 t=6']);
    expect(r.infers.map((b) => [b.t, b.gpu, b.ids])).toEqual([
      [5, 0, [0]],
      [6, 1, [1]],
      [10, 0, [2]],
      [10, 0, [4]],
      [11, 1, [3]],
      [11, 1, [5]],
    ]);
  });

  it('with no GPU at all, fails every request', () => {
    const outcomes: string[] = [];
    const s = new FifoScheduler({ inflight: 2, preload: true });
    s.start({ gpus: [], models: [], respond: (_r: Request, o: string) => outcomes.push(o) } as unknown as SchedulerContext);
    s.onRequest({ id: 0, model: 0, group: 0, sentAt: 0, arrival: 0, slo: 1, deadline: 1 });
    expect(outcomes).toEqual(['failed']);
  });
});
