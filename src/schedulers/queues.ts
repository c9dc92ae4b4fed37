/** Request queues for the reactive policies: FIFO (arrival order) and earliest-deadline-first. */
import type { Request } from '../sim/types.js';
import { Heap } from '../util/heap.js';

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

/** (deadline, id): deterministic for equal deadlines. */
function earlierDeadline(a: Request, b: Request): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id);
}

/** Earliest deadline first (binary heap on (deadline, id)). */
export class EdfQueue implements RequestQueue {
  private readonly heap = new Heap<Request>(earlierDeadline);

  get length(): number {
    return this.heap.size;
  }
  push(r: Request): void {
    this.heap.push(r);
  }
  peek(): Request | undefined {
    return this.heap.peek();
  }
  shift(): Request | undefined {
    return this.heap.pop();
  }
}
