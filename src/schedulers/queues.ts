/** Request queues for the reactive policies: FIFO (arrival order) and earliest-deadline-first. */
import type { Request } from '../sim/types.js';

export interface RequestQueue {
  readonly length: number;
  push(r: Request): void;
  /** The next request to serve, or undefined. */
  peek(): Request | undefined;
  shift(): Request | undefined;
}

/** Arrival order (array with a moving head, compacted now and then). */
export class FifoQueue implements RequestQueue {
  private items: Request[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(r: Request): void {
    this.items.push(r);
  }
  peek(): Request | undefined {
    return this.items[this.head];
  }
  /** The i-th request from the head (0 = head). */
  at(i: number): Request | undefined {
    return this.items[this.head + i];
  }
  shift(): Request | undefined {
    if (this.head >= this.items.length) return undefined;
    const r = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }
}

/** Earliest deadline first (binary heap on (deadline, id): deterministic for equal deadlines). */
export class EdfQueue implements RequestQueue {
  private readonly heap: Request[] = [];

  get length(): number {
    return this.heap.length;
  }

  private static before(a: Request, b: Request): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id);
  }

  push(r: Request): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!EdfQueue.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  peek(): Request | undefined {
    return this.heap[0];
  }

  shift(): Request | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && EdfQueue.before(h[l], h[m])) m = l;
        if (r < h.length && EdfQueue.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
