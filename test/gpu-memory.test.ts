/** The reactive policies' controller-side view of GPU memory, driven directly with a fake context. */
import { describe, expect, it } from 'vitest';
import { GpuMemoryView } from '../src/schedulers/gpu-memory.js';
import type { Action, ActionResult, SchedulerContext } from '../src/sim/types.js';

/** One GPU of 4 pages; models of 3, 1 and 1 pages. */
function view() {
  let now = 0;
  const sent: string[] = [];
  const ctx = {
    gpus: [{ id: 0, totalPages: 4 }],
    models: [{ pages: 3 }, { pages: 1 }, { pages: 1 }],
    now: () => now,
    send: (a: Action) => sent.push(`${a.type} m${a.model} t=${now}`),
  } as unknown as SchedulerContext;
  const v = new GpuMemoryView(ctx, 0);
  const result = (m: number, ok: boolean): ActionResult => ({ action: { type: 'LOAD', gpu: 0, model: m, earliest: 0, latest: 0 }, ok, receivedAt: now }) as ActionResult;
  return { v, sent, result, at: (t: number) => (now = t) };
}

describe('GpuMemoryView', () => {
  it('refuses a LOAD of a model it holds or has no room for, and an EVICT of a model not loaded', () => {
    const { v, sent, result } = view();
    v.load(1);
    v.load(2); // 2 of 4 pages left
    expect(() => v.load(1)).toThrow('GPU 0 already holds model 1');
    expect(() => v.evict(1)).toThrow('GPU 0: cannot evict model 1, which is not loaded'); // still loading
    expect(() => v.evict(0)).toThrow('GPU 0: cannot evict model 0, which is not loaded'); // not there
    expect(() => v.load(0)).toThrow('GPU 0 has 2 free pages, model 0 needs 3');
    v.onResult(result(1, true));
    v.evict(1); // 3 free: exactly enough
    v.load(0);
    expect(v.freePages).toBe(0);
    expect(sent).toEqual(['LOAD m1 t=0', 'LOAD m2 t=0', 'EVICT m1 t=0', 'LOAD m0 t=0']);
  });

  it('lists evictable models least recently used first, ties by the lower id, never pinned or loading ones', () => {
    const { v, result, at } = view();
    v.load(2);
    v.load(1);
    expect(v.evictable()).toEqual([]); // loading
    v.onResult(result(2, true));
    v.onResult(result(1, true));
    // Both last used at 0 (the LOAD): the lower id first.
    expect(v.evictable()).toEqual([1, 2]);
    at(5);
    v.touch(1);
    expect(v.evictable()).toEqual([2, 1]);
    v.pin(2);
    expect(v.evictable()).toEqual([1]);
    v.unpin(2);
    v.unpin(2); // never below 0
    expect(v.pins[2]).toBe(0);
    expect(v.evictable()).toEqual([2, 1]);
  });

  it('makeRoom evicts LRU victims only until enough pages are free, or nothing if that cannot be enough', () => {
    const { v, sent, result, at } = view();
    for (const m of [1, 2]) v.load(m);
    v.onResult(result(1, true));
    v.onResult(result(2, true));
    at(5);
    v.touch(2); // m1 is the LRU
    // 2 free; 3 needed: evicting m1 is enough (m2 stays).
    const evicted: number[] = [];
    expect(v.makeRoom(3, (m) => evicted.push(m))).toBe(true);
    expect(evicted).toEqual([1]);
    expect(v.freePages).toBe(3);
    // 5 pages can never be free (4 in all): nothing evicted.
    expect(v.makeRoom(5, (m) => evicted.push(m))).toBe(false);
    expect(evicted).toEqual([1]);
    expect(sent).toEqual(['LOAD m1 t=0', 'LOAD m2 t=0', 'EVICT m1 t=5']);
  });

  it('a failed LOAD gives its pages back, once', () => {
    const { v, result } = view();
    v.load(0);
    expect(v.freePages).toBe(1);
    expect(v.onResult(result(0, false))).toBe('failed');
    expect(v.freePages).toBe(4);
    expect(v.holds(0)).toBe(false);
    // A second failure for the same model (not loading any more) changes nothing.
    expect(v.onResult(result(0, false))).toBe('failed');
    expect(v.freePages).toBe(4);
  });
});
