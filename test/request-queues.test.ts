/**
 * src/schedulers/queues.ts: the request queues of the reactive policies. EDF serves by (deadline,
 * request id), so equal deadlines go in id order whatever the push order; FIFO serves in push order.
 */
import { describe, expect, it } from 'vitest';
import { EdfQueue, FifoQueue } from '../src/schedulers/queues.js';
import type { Request } from '../src/sim/types.js';

const req = (id: number, deadline: number): Request => ({ id, model: 0, group: 0, sentAt: 0, arrival: 0, slo: deadline, deadline });

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('EdfQueue', () => {
  // (id, deadline). By deadline then id: (2, 20), then the three with deadline 50 in id order
  // (0, 1, 3), then (4, 70). Ids and deadlines disagree on purpose: id 4 has the latest deadline,
  // id 2 the earliest, and among equal deadlines the id decides.
  const items: Array<[number, number]> = [
    [3, 50],
    [1, 50],
    [2, 20],
    [4, 70],
    [0, 50],
  ];
  const expected = [2, 0, 1, 3, 4];

  it('serves by (deadline, id) whatever the push order (all 120 orders of 5 requests)', () => {
    for (const order of permutations(items)) {
      const q = new EdfQueue();
      for (const [id, d] of order) q.push(req(id, d));
      const peeked: number[] = [];
      const shifted: number[] = [];
      while (q.length > 0) {
        peeked.push(q.peek()!.id);
        shifted.push(q.shift()!.id);
      }
      expect(shifted, JSON.stringify(order)).toEqual(expected);
      expect(peeked).toEqual(expected);
    }
  });

  it('counts what it holds; peek does not remove; an empty queue gives undefined', () => {
    const q = new EdfQueue();
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    q.push(req(7, 30));
    q.push(req(5, 40));
    expect(q.length).toBe(2);
    expect(q.peek()!.id).toBe(7);
    expect(q.length).toBe(2);
    expect(q.shift()!.id).toBe(7);
    expect(q.length).toBe(1);
    q.push(req(9, 10)); // earlier deadline than the one left: served next
    expect(q.peek()!.id).toBe(9);
    expect([q.shift()!.id, q.shift()!.id, q.shift()]).toEqual([9, 5, undefined]);
    expect(q.length).toBe(0);
  });
});

describe('FifoQueue', () => {
  it('serves in push order, deadlines ignored', () => {
    const q = new FifoQueue();
    for (const [id, d] of [
      [3, 50],
      [1, 10],
      [2, 90],
    ])
      q.push(req(id, d));
    expect(q.length).toBe(3);
    expect(q.peek()!.id).toBe(3);
    expect([q.shift()!.id, q.shift()!.id, q.shift()!.id, q.shift()]).toEqual([3, 1, 2, undefined]);
  });
});
