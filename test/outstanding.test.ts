import { describe, expect, it } from 'vitest';
import { OutstandingRequests, type PendingRequest } from '../src/sim/outstanding.js';

const req = (id: number): PendingRequest => ({ id, model: 0, group: 0, sentAt: id, arrival: id, slo: 1, deadline: id + 1, slot: -1 });

describe('OutstandingRequests', () => {
  it('answers each request once, reuses slots, and lists the rest in id order', () => {
    const o = new OutstandingRequests();
    const rs = Array.from({ length: 6 }, (_, i) => req(i));
    for (const r of rs.slice(0, 4)) o.add(r);
    expect(o.size).toBe(4);
    expect(o.delete(rs[1])).toBe(true);
    expect(o.delete(rs[1])).toBe(false);
    expect(o.has(rs[1])).toBe(false);
    expect(o.delete(rs[0])).toBe(true);
    // Later requests take the freed slots: they must not be mistaken for the answered ones.
    o.add(rs[4]);
    o.add(rs[5]);
    expect(o.has(rs[0])).toBe(false);
    expect(o.has(rs[1])).toBe(false);
    expect(o.delete(rs[0])).toBe(false);
    expect(o.size).toBe(4);
    expect(o.values().map((r) => r.id)).toEqual([2, 3, 4, 5]);
    // A request the engine did not create (no slot) is not outstanding.
    expect(o.has({ ...req(2), slot: undefined as unknown as number })).toBe(false);
  });
});
