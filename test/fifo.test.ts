import { describe, expect, it } from 'vitest';
import { FifoScheduler } from '../src/schedulers/fifo.js';
import { makeSim, ScriptedWorkload } from './helpers.js';

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
