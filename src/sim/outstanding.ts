/**
 * The requests the engine has not answered yet (docs/design.md, "Request path"). Each holds a slot
 * of an array, reused once it is answered, and the request records its slot: adding, checking and
 * removing are an array access each, with no hashing and no allocation once the array has grown to
 * the most requests ever outstanding at once.
 */
import type { Request } from './types.js';

/** A request as the engine creates it: the public fields plus its slot here. */
export interface PendingRequest extends Request {
  slot: number;
}

export class OutstandingRequests {
  private readonly slots: Array<PendingRequest | null> = [];
  private readonly free: number[] = [];
  size = 0;

  add(r: PendingRequest): void {
    const s = this.free.length > 0 ? this.free.pop()! : this.slots.length;
    r.slot = s;
    this.slots[s] = r;
    this.size++;
  }

  /** Whether `r` (a request the engine created) is still unanswered. */
  has(r: Request): boolean {
    return this.slots[(r as PendingRequest).slot] === r;
  }

  /** Remove `r`; false when it was not outstanding (answered before). */
  delete(r: Request): boolean {
    if (!this.has(r)) return false;
    const s = (r as PendingRequest).slot;
    this.slots[s] = null;
    this.free.push(s);
    this.size--;
    return true;
  }

  /** The outstanding requests in id order (the order they were submitted). */
  values(): Request[] {
    return this.slots.filter((r): r is PendingRequest => r !== null).sort((a, b) => a.id - b.id);
  }
}
