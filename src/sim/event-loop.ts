/**
 * The event loop. Events are ordered by (time, priority, insertion sequence): earlier time first;
 * at equal time, lower priority value first; at equal time and priority, the one scheduled first.
 * This rule is implemented once, in `before()`, and tested.
 *
 * Storage is a binary heap over typed arrays holding (time, priority, seq, slot); the slot indexes
 * pooled handler/argument arrays, so scheduling an event allocates nothing once the pool has grown.
 * A handler is a function taking one argument; hot paths pass pre-bound methods and data.
 */
import type { Nanos } from './time.js';

export type Handler = (arg: any) => void;

/** Priorities for events at the same instant (lower runs first). */
export const Priority = {
  /** Hardware completions (an executor finishing) before anything reacts at the same instant. */
  HARDWARE: 0,
  /** Messages arriving (network deliveries). */
  NETWORK: 10,
  /** Scheduler timers. */
  TIMER: 20,
  /** Workload arrivals. */
  ARRIVAL: 30,
  /** Bookkeeping (progress, window rollovers). */
  LOW: 100,
} as const;

export class EventLoop {
  private time = new Float64Array(1024);
  private prio = new Int32Array(1024);
  private seq = new Float64Array(1024);
  private slot = new Int32Array(1024);
  private size = 0;

  private handlers: Array<Handler | null> = [];
  private args: unknown[] = [];
  private freeSlots: number[] = [];
  /** Generation per slot, so a cancelled or reused slot's stale handle is harmless. */
  private gen: Int32Array = new Int32Array(1024);

  private nextSeq = 0;
  private current: Nanos = 0;
  private processed = 0;
  private stopRequested = false;

  now(): Nanos {
    return this.current;
  }

  /** Events run so far. */
  get eventsProcessed(): number {
    return this.processed;
  }

  get pending(): number {
    return this.size;
  }

  /**
   * Schedule `handler(arg)` at `time` (an integer >= now). Returns a handle for `cancel`:
   * slot * 2^21 + generation (fits exactly in a double).
   */
  schedule(time: Nanos, priority: number, handler: Handler, arg?: unknown): number {
    if (!(time >= this.current)) {
      throw new Error(`event scheduled in the past: ${time} < now ${this.current}`);
    }
    if (!Number.isInteger(time)) throw new Error(`event time must be an integer number of ns, got ${time}`);
    let s: number;
    if (this.freeSlots.length > 0) s = this.freeSlots.pop()!;
    else {
      s = this.handlers.length;
      this.handlers.push(null);
      this.args.push(undefined);
      if (s >= this.gen.length) {
        const g = new Int32Array(this.gen.length * 2);
        g.set(this.gen);
        this.gen = g;
      }
    }
    this.handlers[s] = handler;
    this.args[s] = arg;
    this.push(time, priority, this.nextSeq++, s);
    return s * 2097152 + (this.gen[s] & 0x1fffff);
  }

  /** Cancel a scheduled event; returns false if it already ran or was cancelled. */
  cancel(handle: number): boolean {
    const s = Math.floor(handle / 2097152);
    const g = handle - s * 2097152;
    if (s >= this.handlers.length || (this.gen[s] & 0x1fffff) !== g || this.handlers[s] === null) return false;
    this.handlers[s] = null; // lazily dropped when popped
    this.args[s] = undefined;
    return true;
  }

  /** Run events in order until none remain, `until` is passed (events at exactly `until` run), or stop(). */
  run(until: Nanos = Infinity): void {
    this.stopRequested = false;
    while (this.size > 0 && !this.stopRequested) {
      if (this.time[0] > until) break;
      const t = this.time[0];
      const s = this.slot[0];
      this.popTop();
      const h = this.handlers[s];
      const a = this.args[s];
      this.handlers[s] = null;
      this.args[s] = undefined;
      this.gen[s]++;
      this.freeSlots.push(s);
      if (h === null) continue; // cancelled
      this.current = t;
      this.processed++;
      h(a);
    }
    if (!this.stopRequested && until !== Infinity && this.current < until && (this.size === 0 || this.time[0] > until)) {
      this.current = until;
    }
  }

  /** Stop the current run() after the event being processed. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Time of the next pending event, or Infinity. */
  peekTime(): Nanos {
    return this.size > 0 ? this.time[0] : Infinity;
  }

  // ---- heap ----

  /** The ordering rule: does entry (t1, p1, q1) run before (t2, p2, q2)? */
  static before(t1: number, p1: number, q1: number, t2: number, p2: number, q2: number): boolean {
    return t1 < t2 || (t1 === t2 && (p1 < p2 || (p1 === p2 && q1 < q2)));
  }

  private grow(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const p = new Int32Array(n);
    p.set(this.prio);
    this.prio = p;
    const q = new Float64Array(n);
    q.set(this.seq);
    this.seq = q;
    const s = new Int32Array(n);
    s.set(this.slot);
    this.slot = s;
  }

  private push(t: number, p: number, q: number, s: number): void {
    if (this.size === this.time.length) this.grow();
    const time = this.time;
    const prio = this.prio;
    const seq = this.seq;
    const slot = this.slot;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time[parent];
      if (t < pt || (t === pt && (p < prio[parent] || (p === prio[parent] && q < seq[parent])))) {
        time[i] = pt;
        prio[i] = prio[parent];
        seq[i] = seq[parent];
        slot[i] = slot[parent];
        i = parent;
      } else break;
    }
    time[i] = t;
    prio[i] = p;
    seq[i] = q;
    slot[i] = s;
  }

  private popTop(): void {
    const n = --this.size;
    if (n === 0) return;
    const time = this.time;
    const prio = this.prio;
    const seq = this.seq;
    const slot = this.slot;
    const t = time[n];
    const p = prio[n];
    const q = seq[n];
    const s = slot[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n) {
        const ct = time[c];
        const rt = time[r];
        if (rt < ct || (rt === ct && (prio[r] < prio[c] || (prio[r] === prio[c] && seq[r] < seq[c])))) c = r;
      }
      const ct = time[c];
      if (ct < t || (ct === t && (prio[c] < p || (prio[c] === p && seq[c] < q)))) {
        time[i] = ct;
        prio[i] = prio[c];
        seq[i] = seq[c];
        slot[i] = slot[c];
        i = c;
      } else break;
    }
    time[i] = t;
    prio[i] = p;
    seq[i] = q;
    slot[i] = s;
  }
}
