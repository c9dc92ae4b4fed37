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
  it('a shift on an empty queue changes nothing: a later push is the next shift', () => {
    const q = new Fifo<string>();
    expect(q.shift()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    q.push('x');
    expect(q.length).toBe(1);
    expect(q.shift()).toBe('x');
    expect(q.length).toBe(0);
  });

  // The backing array (a private field) is what the compaction rule is about: the consumed prefix
  // is dropped once the head is past 1,024 items and past half of the array, and not before.
  it('drops its consumed prefix once it is past 1,024 items and half the array, and not earlier', () => {
    const q = new Fifo<number>();
    const backing = (): number => (q as unknown as { items: number[] }).items.length;
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 2500; i++) q.shift();
    expect(backing()).toBe(5000); // head 2,500 is not past half of 5,000
    q.shift(); // head 2,501: compacted to the 2,499 left
    expect(backing()).toBe(2499);
    for (let i = 0; i < 1249; i++) q.shift();
    expect(backing()).toBe(2499); // head 1,249: 2 x 1,249 is not past 2,499
    q.shift(); // head 1,250 > 1,024 and 2 x 1,250 > 2,499
    expect(backing()).toBe(1249);
    expect([q.length, q.peek()]).toEqual([1249, 3751]);

    const small = new Fifo<number>();
    for (let i = 0; i < 1100; i++) small.push(i);
    for (let i = 0; i < 1024; i++) small.shift(); // head 1,024: not past 1,024
    expect((small as unknown as { items: number[] }).items.length).toBe(1100);
    small.shift();
    expect((small as unknown as { items: number[] }).items.length).toBe(75);
    expect(small.peek()).toBe(1025);
  });
});
