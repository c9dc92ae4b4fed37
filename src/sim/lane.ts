/**
 * An executor's queue: items are processed in order of their ready time (`earliest`, or earlier
 * for an input copy), then of arrival; an item may start once now >= its ready time and the
 * executor has a free slot. The lane wakes itself at the head's ready time when it must wait.
 */
import { EventLoop, Priority } from './event-loop.js';
import type { Nanos } from './time.js';

export interface LaneItem {
  /** May start once now >= readyAt. */
  readyAt: Nanos;
  /** Tie-break: arrival order at the lane. */
  seq: number;
}

export class Lane<T extends LaneItem> {
  private readonly queue: T[] = [];
  /**
   * The earliest wake-up this lane has scheduled (Infinity: none), so it schedules one only for an
   * earlier head. Wakes are never cancelled: one made stale by an earlier head's wake just pumps
   * again (a no-op when nothing may start).
   */
  private wakeAt = Infinity;
  private readonly onWake = (): void => {
    this.wakeAt = Infinity;
    this.pump();
  };

  /** Slots in use. */
  busy = 0;

  constructor(
    private readonly loop: EventLoop,
    /** Concurrent items the executor runs (1 for PCIe lanes and Clockwork's exec). */
    public capacity: number,
    /** Start `item` now. Return true if it occupies a slot (call `release()` when it ends). */
    private readonly start: (item: T) => boolean,
  ) {}

  enqueue(item: T): void {
    const q = this.queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = q[mid];
      if (m.readyAt < item.readyAt || (m.readyAt === item.readyAt && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    // Most items go last (splice is a runtime call even then).
    if (lo === q.length) q.push(item);
    else q.splice(lo, 0, item);
    this.pump();
  }

  /** A slot became free. */
  release(): void {
    this.busy--;
    this.pump();
  }

  /** Start whatever may start now; otherwise arrange to wake at the head's ready time. */
  pump(): void {
    const now = this.loop.now();
    const q = this.queue;
    while (q.length > 0 && this.busy < this.capacity) {
      const head = q[0];
      if (head.readyAt > now) {
        if (head.readyAt < this.wakeAt) {
          this.wakeAt = head.readyAt;
          this.loop.schedule(head.readyAt, Priority.HARDWARE, this.onWake);
        }
        return;
      }
      q.shift();
      if (this.start(head)) this.busy++;
    }
  }
}
