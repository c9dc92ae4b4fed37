import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedHeap } from '../src/util/keyed-heap.js';

// The oracle: a map from id to key; the minimum is found by a linear scan in (a, b, id) order.
type Key = readonly [number, number];
function minOf(m: Map<number, Key>): number {
  let best = -1;
  for (const [id, [a, b]] of m) {
    if (best < 0) {
      best = id;
      continue;
    }
    const [ba, bb] = m.get(best)!;
    if (a < ba || (a === ba && (b < bb || (b === bb && id < best)))) best = id;
  }
  return best;
}

const IDS = 12;
const op = fc.oneof(
  fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: IDS - 1 }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: -2, max: 2 })),
  fc.tuple(fc.constant('remove' as const), fc.integer({ min: 0, max: IDS - 1 }), fc.constant(0), fc.constant(0)),
  fc.tuple(fc.constant('pop' as const), fc.constant(0), fc.constant(0), fc.constant(0)),
);

describe('KeyedHeap', () => {
  it('agrees with a scan of a map after any sequence of set, remove and pop (keys changed in place, ties to the lowest id)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const h = new KeyedHeap(IDS);
        const m = new Map<number, Key>();
        for (const [kind, id, a, b] of ops) {
          if (kind === 'set') {
            h.set(id, a, b);
            m.set(id, [a, b]);
          } else if (kind === 'remove') {
            h.remove(id);
            m.delete(id);
          } else {
            const want = minOf(m);
            expect(h.pop()).toBe(want);
            m.delete(want);
          }
          expect(h.size).toBe(m.size);
          expect(h.peek()).toBe(minOf(m));
          for (let id = 0; id < IDS; id++) expect(h.has(id)).toBe(m.has(id));
        }
      }),
    );
  });

  it('pops every id once, in key order, and keeps the last key of a removed id', () => {
    const h = new KeyedHeap(5);
    h.set(3, 1, 0);
    h.set(0, 2, 0);
    h.set(4, 1, -1);
    h.set(1, 1, 0);
    h.set(0, 0.5, 9); // moved up in place: still one entry
    expect(h.size).toBe(4);
    expect([h.pop(), h.pop(), h.pop(), h.pop(), h.pop()]).toEqual([0, 4, 1, 3, -1]);
    expect([h.keyA(0), h.keyB(0)]).toEqual([0.5, 9]);
    h.remove(2); // absent: nothing happens
    expect(h.size).toBe(0);
  });
});
