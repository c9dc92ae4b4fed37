import { describe, expect, it } from 'vitest';
import { Fifo } from '../src/sim/fifo.js';

describe('Fifo', () => {
  it('keeps arrival order across compactions of its consumed prefix', () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      for (let i = 0; i < 90; i++) expect(q.shift()).toBe(expected++);
      expect(q.length).toBe(next - expected);
      expect(q.peek()).toBe(expected);
      expect(q.at(q.length - 1)).toBe(next - 1);
    }
    while (q.length > 0) expect(q.shift()).toBe(expected++);
    expect(expected).toBe(5000);
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
  });

  it('removeAt drops the i-th item from the head and ignores indices out of range', () => {
    const q = new Fifo<string>();
    for (const s of ['a', 'b', 'c', 'd']) q.push(s);
    q.shift();
    q.removeAt(1); // c
    q.removeAt(5);
    q.removeAt(-1);
    expect([q.at(0), q.at(1), q.length]).toEqual(['b', 'd', 2]);
    q.removeAt(0);
    expect([q.peek(), q.length]).toEqual(['d', 1]);
  });
});
