/**
 * A first-in first-out queue on an array with a moving head: shift is O(1) (the head index moves;
 * the consumed prefix is dropped now and then, once it is both long and most of the array), push is
 * an array push. No allocation per item beyond the array's growth.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** The oldest item, or undefined. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The i-th item from the head (0 = head), or undefined. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head++];
    this.compact();
    return x;
  }

  /** Remove the i-th item from the head (0 = head; O(length) unless it is the head). */
  removeAt(i: number): void {
    if (i < 0 || i >= this.length) return;
    if (i === 0) this.shift();
    else this.items.splice(this.head + i, 1);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
