import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Heap } from '../src/util/heap.js';

interface E {
  readonly key: number;
  readonly id: number;
}
const before = (a: E, b: E): boolean => a.key < b.key || (a.key === b.key && a.id < b.id);

describe('Heap', () => {
  it('pops in (key, id) order whatever the push order, with pops interleaved', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean())), (ops) => {
        const h = new Heap<E>(before);
        const model: E[] = [];
        const popped: (E | undefined)[] = [];
        const expected: (E | undefined)[] = [];
        ops.forEach(([key, pop], id) => {
          h.push({ key, id });
          model.push({ key, id });
          if (pop) {
            model.sort((a, b) => (before(a, b) ? -1 : 1));
            expected.push(model.shift());
            popped.push(h.pop());
          }
        });
        while (h.size > 0) popped.push(h.pop());
        model.sort((a, b) => (before(a, b) ? -1 : 1));
        expected.push(...model);
        expect(popped).toEqual(expected);
        expect(h.pop()).toBeUndefined();
        expect(h.peek()).toBeUndefined();
      }),
    );
  });

  it('filter keeps the accepted items in order', () => {
    const h = new Heap<E>(before);
    for (let i = 0; i < 20; i++) h.push({ key: (i * 7) % 5, id: i });
    h.filter((e) => e.id % 2 === 0);
    const out: number[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e.id);
    // keys (7 id mod 5) of the even ids 0..18: 0 4 3 2 1 0 4 3 2 1
    expect(out).toEqual([0, 10, 8, 18, 6, 16, 4, 14, 2, 12]);
  });
});
