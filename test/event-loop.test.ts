import { describe, expect, it } from 'vitest';
import { EventLoop, MAX_SAME_INSTANT, Priority } from '../src/sim/event-loop.js';
import { Rng } from '../src/sim/random.js';

describe('EventLoop ordering: (time, priority, insertion sequence)', () => {
  it('runs earlier times first, then lower priority, then insertion order', () => {
    const loop = new EventLoop();
    const seen: string[] = [];
    const log = (s: string) => seen.push(`${s}@${loop.now()}`);
    loop.schedule(20, Priority.TIMER, log, 'c');
    loop.schedule(10, Priority.ARRIVAL, log, 'b2');
    loop.schedule(10, Priority.HARDWARE, log, 'b1');
    loop.schedule(10, Priority.ARRIVAL, log, 'b3');
    loop.schedule(5, Priority.LOW, log, 'a');
    loop.run();
    expect(seen).toEqual(['a@5', 'b1@10', 'b2@10', 'b3@10', 'c@20']);
  });

  it('an event scheduled at the current time by a handler runs after existing same-key events', () => {
    const loop = new EventLoop();
    const seen: string[] = [];
    loop.schedule(10, 0, () => {
      seen.push('first');
      loop.schedule(10, 0, () => seen.push('spawned'));
    });
    loop.schedule(10, 0, () => seen.push('second'));
    loop.run();
    expect(seen).toEqual(['first', 'second', 'spawned']);
  });

  it('matches a sort by (time, priority, seq) on 20,000 random events', () => {
    const loop = new EventLoop();
    const rng = new Rng('ordering');
    const expected: Array<[number, number, number]> = [];
    const got: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t = rng.int(500);
      const p = rng.int(3);
      expected.push([t, p, i]);
      loop.schedule(t, p, (k: number) => got.push(k), i);
    }
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    loop.run();
    expect(got).toEqual(expected.map((e) => e[2]));
  });

  it('cancels events and ignores stale handles after a slot is reused', () => {
    const loop = new EventLoop();
    const seen: number[] = [];
    const h1 = loop.schedule(5, 0, (x: number) => seen.push(x), 1);
    loop.schedule(6, 0, (x: number) => seen.push(x), 2);
    expect(loop.cancel(h1)).toBe(true);
    expect(loop.cancel(h1)).toBe(false);
    loop.run();
    loop.schedule(7, 0, (x: number) => seen.push(x), 3); // reuses a freed slot
    expect(loop.cancel(h1)).toBe(false);
    loop.run();
    expect(seen).toEqual([2, 3]);
  });

  it('a handle whose event ran does not cancel the event that reuses its slot', () => {
    const loop = new EventLoop();
    const seen: string[] = [];
    const old = loop.schedule(1, 0, () => seen.push('old'));
    loop.run(); // the only slot is freed, with a new generation
    loop.schedule(2, 0, () => seen.push('new')); // takes that slot again
    expect(loop.cancel(old)).toBe(false);
    loop.run();
    expect(seen).toEqual(['old', 'new']);
  });

  it('cancel refuses handles of slots that never held an event', () => {
    const loop = new EventLoop();
    expect(loop.cancel(0)).toBe(false); // slot 0, generation 0, before any event
    loop.schedule(3, 0, () => {});
    expect(loop.cancel(1 * 2097152)).toBe(false); // slot 1 = the first slot past the pool
    expect(loop.cancel(999 * 2097152)).toBe(false); // a slot far past the pool
    expect(loop.pending).toBe(1);
  });

  it('stop() ends run() after the current event, leaves the clock there, and a later run() goes on', () => {
    const loop = new EventLoop();
    const seen: number[] = [];
    loop.schedule(1, 0, () => seen.push(1));
    loop.schedule(2, 0, () => {
      seen.push(2);
      loop.stop();
    });
    loop.schedule(3, 0, () => seen.push(3));
    loop.run(100);
    expect(seen).toEqual([1, 2]);
    expect(loop.now()).toBe(2); // not advanced to `until`: the run was stopped
    expect(loop.pending).toBe(1);
    loop.run(100);
    expect(seen).toEqual([1, 2, 3]);
    expect(loop.now()).toBe(100);
  });

  it('run(until) with `until` before now leaves the clock where it is', () => {
    const loop = new EventLoop();
    loop.schedule(100, 0, () => {});
    loop.run();
    expect(loop.now()).toBe(100);
    loop.run(50);
    expect(loop.now()).toBe(100);
  });

  it('run(until) stops after events at exactly `until` and advances the clock to it', () => {
    const loop = new EventLoop();
    const seen: number[] = [];
    for (const t of [1, 5, 10, 11]) loop.schedule(t, 0, () => seen.push(t));
    loop.run(10);
    expect(seen).toEqual([1, 5, 10]);
    expect(loop.now()).toBe(10);
    expect(loop.pending).toBe(1);
    loop.run(10.5 as number);
    expect(loop.now()).toBe(10.5);
    loop.run();
    expect(seen).toEqual([1, 5, 10, 11]);
  });

  it('rejects events in the past and non-integer times', () => {
    const loop = new EventLoop();
    loop.schedule(10, 0, () => {
      expect(() => loop.schedule(9, 0, () => {})).toThrow(/in the past/);
      expect(() => loop.schedule(10.5, 0, () => {})).toThrow(/integer/);
    });
    loop.run();
    expect(loop.eventsProcessed).toBe(1);
  });
});

/** A naive reference loop: linear search for the smallest (time, priority, seq). */
class ReferenceLoop {
  private events: Array<{ t: number; p: number; q: number; h: (a: any) => void; a: unknown; dead: boolean }> = [];
  private seq = 0;
  private t = 0;
  now() {
    return this.t;
  }
  get pending() {
    return this.events.length;
  }
  schedule(t: number, p: number, h: (a: any) => void, a?: unknown) {
    const e = { t, p, q: this.seq++, h, a, dead: false };
    this.events.push(e);
    return e as unknown as number;
  }
  cancel(handle: number) {
    const e = handle as unknown as { dead: boolean };
    if (e.dead || !this.events.includes(e as never)) return false;
    e.dead = true;
    return true;
  }
  run(until = Infinity) {
    for (;;) {
      let best = -1;
      this.events.forEach((e, i) => {
        const b = this.events[best];
        if (best < 0 || e.t < b.t || (e.t === b.t && (e.p < b.p || (e.p === b.p && e.q < b.q)))) best = i;
      });
      if (best < 0 || this.events[best].t > until) break;
      const [e] = this.events.splice(best, 1);
      if (e.dead) continue;
      this.t = e.t;
      e.h(e.a);
    }
    if (until !== Infinity && this.t < until) this.t = until;
  }
}

type LoopLike = Pick<EventLoop, 'schedule' | 'cancel' | 'run' | 'now' | 'pending'>;

/** A random process: handlers add events at scales from 1 ns to an hour, grow then drain, cancel some, run in slices. */
function exercise(loop: LoopLike, total: number): string[] {
  const rng = new Rng('calendar');
  const trace: string[] = [];
  const handles: number[] = [];
  const done = new Set<number>();
  const scales = [1, 1_000, 1e6, 1e9, 3.6e12];
  let budget = total;
  const add = (t: number) => {
    const id = handles.length;
    handles.push(loop.schedule(t, rng.int(3), onEvent, id));
  };
  function onEvent(id: number): void {
    done.add(id);
    trace.push(`${id}@${loop.now()}`);
    const phase = Math.floor(done.size / (total / 4)) % 2;
    const children = phase === 0 ? 2 : rng.next() < 0.4 ? 1 : 0;
    for (let c = 0; c < children && budget > 0; c++, budget--) {
      add(loop.now() + (rng.next() < 0.1 ? 0 : Math.floor(rng.exponential(scales[rng.int(scales.length)]))));
    }
    if (rng.next() < 0.02) {
      const victim = rng.int(handles.length);
      if (!done.has(victim) && victim !== id) trace.push(`cancel ${victim}: ${loop.cancel(handles[victim])}`);
    }
  }
  for (let i = 0; i < 50; i++) add(Math.floor(rng.exponential(1e6)));
  let until = 0;
  while (loop.pending > 0) {
    until += 5e8;
    loop.run(until);
    if (loop.pending > 0 && rng.next() < 0.5) add(loop.now());
  }
  return trace;
}

describe('EventLoop calendar queue under changing load', () => {
  it('runs exactly the order of a naive reference loop: growth, drain, cancels, run(until) slices', () => {
    const got = exercise(new EventLoop(), 6_000);
    const want = exercise(new ReferenceLoop() as unknown as LoopLike, 6_000);
    expect(got.length).toBeGreaterThan(5_000);
    expect(got).toEqual(want);
  });

  it('re-estimates a bucket width far below the gaps between a few pending events', () => {
    // 10 pending events about 1 ms apart: with the initial 1 us width nothing is ever within the
    // calendar's year and every dequeue scans every bucket twice; the width must grow to the gaps.
    const loop = new EventLoop();
    const rng = new Rng('sparse');
    let left = 20_000;
    const handler = (): void => {
      if (--left > 0) loop.schedule(loop.now() + 1 + Math.floor(rng.exponential(1e6)), 0, handler);
    };
    for (let k = 0; k < 10; k++) loop.schedule(1 + Math.floor(rng.exponential(1e6)), 0, handler);
    loop.run();
    expect(loop.eventsProcessed).toBe(20_009);
    expect((loop as unknown as { width: number }).width).toBeGreaterThan(10_000);
  });
});

describe('EventLoop livelock guard', () => {
  it('stops a zero-delay loop with an error naming the instant and the handler', () => {
    const loop = new EventLoop(50_000);
    let n = 0;
    function pingPong(): void {
      n++;
      loop.schedule(loop.now(), 0, pingPong);
    }
    loop.schedule(42, 0, pingPong);
    expect(() => loop.run()).toThrow(/^simulation stuck at t = 42 ns: more than 50,000 events at the same instant .*the last handler was pingPong\)$/);
    expect(n).toBe(50_001); // the limit exactly: the event past it is the one that stops the loop
  });

  it('names the handler "anonymous" when the event past the limit is a cancelled one', () => {
    const loop = new EventLoop(3);
    loop.schedule(9, 0, () => {}); // runs, and the clock is at 9
    const handles = [0, 1, 2, 3, 4].map(() => loop.schedule(9, 0, () => {}));
    for (const h of handles) loop.cancel(h); // each still counts at the instant when reached
    expect(() => loop.run()).toThrow(/^simulation stuck at t = 9 ns: more than 3 events at the same instant .*the last handler was anonymous\)$/);
  });

  it('allows many events at one instant below the limit, and the default limit is 20 million', () => {
    const loop = new EventLoop(1000);
    let n = 0;
    const step = (): void => {
      if (++n < 1000) loop.schedule(loop.now(), 0, step);
    };
    loop.schedule(7, 0, step);
    loop.run();
    expect(n).toBe(1000);
    expect(MAX_SAME_INSTANT).toBe(20_000_000);
  });
});
