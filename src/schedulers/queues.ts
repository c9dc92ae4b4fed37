/** Request queues for the reactive policies: FIFO (arrival order) and earliest-deadline-first. */
import type { Request } from '../sim/types.js';
import { Fifo } from '../sim/fifo.js';
import { Heap } from '../util/heap.js';

export interface RequestQueue {
  readonly length: number;
  push(r: Request): void;
  /** The next request to serve, or undefined. */
  peek(): Request | undefined;
  shift(): Request | undefined;
}

/** Arrival order. */
export class FifoQueue extends Fifo<Request> implements RequestQueue {}

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
