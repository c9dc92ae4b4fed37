/**
 * The controller's network interface with `nic: "shared"` (docs/design.md, "Controller"): at most
 * `slots` sends in flight (0 = unlimited), which share the link's bandwidth equally (processor
 * sharing: with k in flight each progresses at bandwidth / k, and speeds up when one finishes).
 * Sends wait for a slot in FIFO order; one whose `sendBy` has passed when it reaches the head of
 * the queue is dropped there, without taking a slot. A send that carries no bytes (LOAD, EVICT,
 * INFER without inputs) takes a slot for no time: it starts and ends at once.
 *
 * Progress is kept in virtual time: V advances at 1 / k per ns with k sends in flight, a send that
 * starts at V0 with a wire time w (ns at full bandwidth) ends when V reaches V0 + w (its tag), so
 * the next end is `(minTag - V) x k` ns away. One event is pending for that end, cancelled and
 * scheduled again whenever the set in flight changes. Event times are whole ns (rounded); V snaps
 * to the tag at the end, so rounding never accumulates. Sends ending at one instant leave in the
 * order they started. No allocation per send once the arrays have grown.
 */
import { EventLoop, Priority, type Handler } from './event-loop.js';
import { Fifo } from './fifo.js';
import type { Nanos } from './time.js';
import type { Action } from './types.js';

export interface NicHooks {
  /** The send starts transmitting at `at` (now). */
  started(a: Action, at: Nanos): void;
  /** Event handler run when a send reaches its worker (its transmission end + worker latency). */
  deliver: Handler;
  /** Event handler run (at the instant of the drop) for a send dropped as network-too-late (it decides when the controller learns it). */
  drop: Handler;
}

export class SharedNic {
  /** Sends waiting for a slot, and their wire times. */
  private readonly queue = new Fifo<Action>();
  private readonly queueWire = new Fifo<number>();
  /** Sends in flight (first n entries), in the order they started, and their tags. */
  private flight: Array<Action | null> = [];
  private tags: number[] = [];
  private n = 0;
  /** Virtual time at `last`. */
  private v = 0;
  private last = 0;
  /** The pending end event (-1: none). */
  private handle = -1;
  /**
   * Wire times of the sends waiting for the controller's CPU before they reach the queue (one event
   * each at its departure; the events run in the order they were scheduled).
   */
  private readonly pendingWire = new Fifo<number>();

  constructor(
    private readonly loop: EventLoop,
    /** Most sends in flight (0 = unlimited). */
    private readonly slots: number,
    /** One-way controller -> worker latency, added to a transmission's end. */
    private readonly latency: Nanos,
    private readonly hooks: NicHooks,
  ) {}

  /**
   * A send of `wire` ns (at full bandwidth) leaves the controller's CPU at `depart` (>= now). It
   * joins the queue then: at once, or by an event when the CPU is busy until later (or when earlier
   * sends are still waiting for it, so the queue keeps the order of sending).
   */
  submit(a: Action, wire: Nanos, depart: Nanos): void {
    if (depart > this.loop.now() || this.pendingWire.length > 0) {
      this.pendingWire.push(wire);
      this.loop.schedule(depart, Priority.NETWORK, this.arriveLater, a);
    } else this.arrive(a, wire);
  }

  private readonly arriveLater = (a: Action): void => {
    this.arrive(a, this.pendingWire.shift()!);
  };

  private arrive(a: Action, wire: Nanos): void {
    if (this.queue.length === 0 && (this.slots === 0 || this.n < this.slots)) {
      const now = this.loop.now();
      if (this.begin(a, wire, now)) this.reschedule(now);
    } else {
      this.queue.push(a);
      this.queueWire.push(wire);
    }
  }

  /** Start `a` now, or drop it if its sendBy has passed. True when the set in flight changed. */
  private begin(a: Action, wire: Nanos, now: Nanos): boolean {
    if (a.sendBy !== undefined && now > a.sendBy) {
      this.loop.schedule(now, Priority.NETWORK, this.hooks.drop, a);
      return false;
    }
    this.hooks.started(a, now);
    if (wire <= 0) {
      this.loop.schedule(now + this.latency, Priority.NETWORK, this.hooks.deliver, a);
      return false;
    }
    this.advance(now);
    this.flight[this.n] = a;
    this.tags[this.n] = this.v + wire;
    this.n++;
    return true;
  }

  private advance(now: Nanos): void {
    if (this.n > 0) this.v += (now - this.last) / this.n;
    else this.v = 0;
    this.last = now;
  }

  private reschedule(now: Nanos): void {
    if (this.handle >= 0) this.loop.cancel(this.handle);
    this.handle = -1;
    if (this.n === 0) return;
    let min = this.tags[0];
    for (let i = 1; i < this.n; i++) if (this.tags[i] < min) min = this.tags[i];
    const at = Math.max(now, this.last + Math.round((min - this.v) * this.n));
    this.handle = this.loop.schedule(at, Priority.HARDWARE, this.onEnd);
  }

  /** The send(s) with the smallest tag end now; waiting sends take the freed slots. */
  private readonly onEnd = (): void => {
    this.handle = -1;
    const now = this.loop.now();
    let min = this.tags[0];
    for (let i = 1; i < this.n; i++) if (this.tags[i] < min) min = this.tags[i];
    this.v = min;
    this.last = now;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const a = this.flight[i]!;
      if (this.tags[i] <= min) this.loop.schedule(now + this.latency, Priority.NETWORK, this.hooks.deliver, a);
      else {
        this.flight[k] = a;
        this.tags[k] = this.tags[i];
        k++;
      }
    }
    for (let i = k; i < this.n; i++) this.flight[i] = null;
    this.n = k;
    if (k === 0) this.v = 0;
    while (this.queue.length > 0 && (this.slots === 0 || this.n < this.slots)) {
      this.begin(this.queue.shift()!, this.queueWire.shift()!, now);
    }
    this.reschedule(now);
  };
}
