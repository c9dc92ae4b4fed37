/**
 * The event loop. Events are ordered by (time, priority, insertion sequence): earlier time first;
 * at equal time, lower priority value first; at equal time and priority, the one scheduled first.
 * The rule is written once: the tie-break key `priority * 2^36 + seq` and the (time, key)
 * comparison in `insert()`, which keeps every bucket sorted; tests pin it.
 *
 * Storage is a calendar queue over typed arrays (see EventLoop); its nodes are the slots of pooled
 * handler/argument arrays, so scheduling an event allocates nothing once the pool has grown.
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

/** seq occupies the low 36 bits of the tie-break key, priority the bits above (exact in a double). */
const SEQ_BITS = 2 ** 36;
const MIN_BUCKETS = 16;
/** Re-estimate the bucket width when scans or list walks average more than this many steps. */
const MAX_STEPS = 16;
const CHECK_EVERY = 4096;
/** More events than this at one instant means components answer each other with zero delay forever. */
export const MAX_SAME_INSTANT = 20_000_000;

/**
 * A calendar queue (R. Brown, CACM 1988): events hash into `nb` buckets by floor(time / width);
 * each bucket is a linked list sorted by (time, key); a dequeue scans buckets in time order one
 * "year" (nb * width) at a time. With the width near a few mean gaps between events, insert and
 * dequeue take expected O(1). The bucket count follows the number of pending events, and the width
 * is re-estimated from the gaps of the earliest events whenever scans or list walks grow long.
 * Nodes are the handler pool's slots, so an event costs no allocation once the pool has grown.
 * Every decision depends only on event times and keys, so it is deterministic.
 */
export class EventLoop {
  private time = new Float64Array(1024);
  /** priority * 2^36 + seq: at equal time, lower priority first, then insertion order. */
  private key = new Float64Array(1024);
  private next = new Int32Array(1024);
  private head = new Int32Array(MIN_BUCKETS).fill(-1);
  private nb = MIN_BUCKETS;
  private mask = MIN_BUCKETS - 1;
  private width = 1000;
  /** Scan position: bucket index and the exclusive end time of that bucket in the current year. */
  private cur = 0;
  private top = 1000;
  private size = 0;
  private steps = 0;
  private ops = 0;

  private handlers: Array<Handler | null> = [];
  private args: unknown[] = [];
  private freeSlots: number[] = [];
  /** Generation per slot, so a cancelled or reused slot's stale handle is harmless. */
  private gen: Int32Array = new Int32Array(1024);

  private nextSeq = 0;
  private current: Nanos = 0;
  private processed = 0;
  private stopRequested = false;
  /** Consecutive events at the current instant (a guard against zero-delay livelock). */
  private sameInstant = 0;

  /** `maxSameInstant`: the livelock guard's limit (tests lower it to reach it quickly). */
  constructor(private readonly maxSameInstant = MAX_SAME_INSTANT) {}

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
   * Schedule `handler(arg)` at `time` (an integer >= now) with a priority in 0..65535 (lower runs
   * first at equal time). Returns a handle for `cancel`: slot * 2^21 + generation.
   */
  schedule(time: Nanos, priority: number, handler: Handler, arg?: unknown): number {
    if (!(time >= this.current) || Math.floor(time) !== time) {
      if (!(time >= this.current)) throw new Error(`event scheduled in the past: ${time} < now ${this.current}`);
      throw new Error(`event time must be an integer number of ns, got ${time}`);
    }
    let s: number;
    if (this.freeSlots.length > 0) s = this.freeSlots.pop()!;
    else {
      s = this.handlers.length;
      this.handlers.push(null);
      this.args.push(undefined);
      if (s >= this.time.length) this.growNodes();
    }
    this.handlers[s] = handler;
    this.args[s] = arg;
    this.insert(s, time, priority * SEQ_BITS + this.nextSeq++);
    if (++this.size > 2 * this.nb) this.rebuild(this.nb * 2);
    return s * 2097152 + (this.gen[s] & 0x1fffff);
  }

  /** Cancel a scheduled event; returns false if it already ran or was cancelled. */
  cancel(handle: number): boolean {
    const s = Math.floor(handle / 2097152);
    const g = handle - s * 2097152;
    if (s >= this.handlers.length || (this.gen[s] & 0x1fffff) !== g || this.handlers[s] === null) return false;
    this.handlers[s] = null; // lazily dropped when reached
    this.args[s] = undefined;
    return true;
  }

  /** Run events in order until none remain, `until` is passed (events at exactly `until` run), or stop(). */
  run(until: Nanos = Infinity): void {
    this.stopRequested = false;
    const handlers = this.handlers;
    const args = this.args;
    const maxSame = this.maxSameInstant;
    while (!this.stopRequested && this.size > 0) {
      const n = this.findNext();
      const t = this.time[n];
      if (t > until) break;
      if (t === this.current) {
        if (++this.sameInstant > maxSame) {
          throw new Error(
            `simulation stuck at t = ${t} ns: more than ${maxSame.toLocaleString('en-US')} events at the same instant ` +
              `(components answering each other with zero delay; the last handler was ${handlers[n]?.name || 'anonymous'})`,
          );
        }
      } else this.sameInstant = 0;
      this.head[this.cur] = this.next[n];
      if (--this.size < this.nb >> 2 && this.nb > MIN_BUCKETS) this.rebuild(this.nb >> 1);
      const h = handlers[n];
      const a = args[n];
      handlers[n] = null;
      args[n] = undefined;
      this.gen[n]++;
      this.freeSlots.push(n);
      if (h === null) continue; // cancelled
      this.current = t;
      this.processed++;
      h(a);
    }
    if (!this.stopRequested && until !== Infinity && this.current < until) this.current = until;
  }

  /** Stop the current run() after the event being processed. */
  stop(): void {
    this.stopRequested = true;
  }

  // ---- calendar ----

  /** Link node n into its bucket's sorted list. */
  private insert(n: number, t: number, k: number): void {
    const time = this.time;
    const key = this.key;
    const next = this.next;
    time[n] = t;
    key[n] = k;
    const vb = Math.floor(t / this.width);
    const b = vb & this.mask;
    let prev = -1;
    let c = this.head[b];
    let walked = 0;
    while (c !== -1 && (time[c] < t || (time[c] === t && key[c] < k))) {
      prev = c;
      c = next[c];
      walked++;
    }
    next[n] = c;
    if (prev === -1) this.head[b] = n;
    else next[prev] = n;
    // An event before the scan position's bucket (possible after run(until) stopped early): rewind.
    if (t < this.top - this.width) {
      this.cur = b;
      this.top = (vb + 1) * this.width;
    }
    this.steps += walked;
  }

  /** Find the earliest node; leaves the scan position at its bucket (the node is that bucket's head). */
  private findNext(): number {
    const head = this.head;
    const time = this.time;
    const mask = this.mask;
    const width = this.width;
    let i = this.cur;
    let top = this.top;
    for (let n = 0; n <= mask; n++) {
      const h = head[i];
      if (h !== -1 && time[h] < top) {
        this.cur = i;
        this.top = top;
        this.steps += n;
        if (++this.ops >= CHECK_EVERY) this.check();
        return h;
      }
      i = (i + 1) & mask;
      top += width;
    }
    // Nothing within a year: jump straight to the earliest head.
    const key = this.key;
    let best = -1;
    for (let b = 0; b <= mask; b++) {
      const h = head[b];
      if (h !== -1 && (best === -1 || time[h] < time[best] || (time[h] === time[best] && key[h] < key[best]))) best = h;
    }
    const vb = Math.floor(time[best] / width);
    this.cur = vb & mask;
    this.top = (vb + 1) * width;
    // Two passes over every bucket: the year's scan above and the search for the earliest head.
    this.steps += 2 * this.nb;
    if (++this.ops >= CHECK_EVERY) this.check();
    return best;
  }

  /** Every CHECK_EVERY dequeues: re-estimate the width if scans and list walks averaged too long. */
  private check(): void {
    if (this.steps > MAX_STEPS * this.ops) this.rebuild(this.nb);
    this.steps = 0;
    this.ops = 0;
  }

  private growNodes(): void {
    const n = this.time.length * 2;
    const t = new Float64Array(n);
    t.set(this.time);
    this.time = t;
    const k = new Float64Array(n);
    k.set(this.key);
    this.key = k;
    const x = new Int32Array(n);
    x.set(this.next);
    this.next = x;
    const g = new Int32Array(n);
    g.set(this.gen);
    this.gen = g;
  }

  /** Re-bucket every pending event into `nb` buckets with a width from the earliest events' gaps. */
  private rebuild(nb: number): void {
    const time = this.time;
    const key = this.key;
    const all: number[] = [];
    for (let b = 0; b < this.nb; b++) for (let c = this.head[b]; c !== -1; c = this.next[c]) all.push(c);
    all.sort((a, b) => time[a] - time[b] || key[a] - key[b]);
    // Width: three times the mean gap between distinct times among the earliest events.
    let gaps = 0;
    let count = 0;
    for (let j = 1; j < all.length && count < 64; j++) {
      const g = time[all[j]] - time[all[j - 1]];
      if (g > 0) {
        gaps += g;
        count++;
      }
    }
    if (count > 0) this.width = Math.max(1, Math.ceil((3 * gaps) / count));
    this.nb = nb;
    this.mask = nb - 1;
    this.head = new Int32Array(nb).fill(-1);
    const first = all.length > 0 ? time[all[0]] : this.current;
    const vb = Math.floor(first / this.width);
    this.cur = vb & this.mask;
    this.top = (vb + 1) * this.width;
    // Push in reverse order to the list heads, so each bucket's list ends up sorted.
    for (let j = all.length - 1; j >= 0; j--) {
      const n = all[j];
      const b = Math.floor(time[n] / this.width) & this.mask;
      this.next[n] = this.head[b];
      this.head[b] = n;
    }
    this.steps = 0;
    this.ops = 0;
  }
}
