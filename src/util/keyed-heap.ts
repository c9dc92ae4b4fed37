/**
 * An indexed binary min-heap over the ids 0..n-1, each present at most once with a key (a, b),
 * ordered by a, then b, then id: a total order, so the order of pops does not depend on the
 * heap's layout. Keys change in place (set), which replaces the lazy deletion of a plain Heap
 * (util/heap.ts) where an item's every update adds an entry and the stale ones pile up until
 * popped. Clockwork keeps one per GPU for its INFER strategies (a model's best untried strategy)
 * and one for load candidates (docs/performance.md).
 *
 * Cost: O(log m) per set, remove and pop, m the number of ids present; memory O(n).
 */
export class KeyedHeap {
  /** Ids in heap order. */
  private readonly items: Int32Array;
  private n = 0;
  /** Per id: its index in `items`, -1 when absent. */
  private readonly pos: Int32Array;
  /** Per id: the key of its entry. */
  private readonly ka: Float64Array;
  private readonly kb: Float64Array;

  constructor(ids: number) {
    this.items = new Int32Array(ids);
    this.pos = new Int32Array(ids).fill(-1);
    this.ka = new Float64Array(ids);
    this.kb = new Float64Array(ids);
  }

  get size(): number {
    return this.n;
  }

  /** The id with the smallest key, or -1. */
  peek(): number {
    return this.n > 0 ? this.items[0] : -1;
  }

  /** Remove and return the id with the smallest key, or -1. */
  pop(): number {
    const x = this.peek();
    if (x >= 0) this.remove(x);
    return x;
  }

  /** The key of an id (the last one set, also after it was removed). */
  keyA(id: number): number {
    return this.ka[id];
  }
  keyB(id: number): number {
    return this.kb[id];
  }

  has(id: number): boolean {
    return this.pos[id] >= 0;
  }

  /** Insert the id or change its key. */
  set(id: number, a: number, b: number): void {
    const i = this.pos[id];
    if (i >= 0 && this.ka[id] === a && this.kb[id] === b) return;
    this.ka[id] = a;
    this.kb[id] = b;
    if (i < 0) {
      this.items[this.n] = id;
      this.pos[id] = this.n;
      this.up(this.n++);
    } else {
      this.up(i);
      this.down(this.pos[id]);
    }
  }

  remove(id: number): void {
    const i = this.pos[id];
    if (i < 0) return;
    this.pos[id] = -1;
    const last = this.items[--this.n];
    if (i === this.n) return;
    this.items[i] = last;
    this.pos[last] = i;
    this.up(i);
    this.down(this.pos[last]);
  }

  private less(x: number, y: number): boolean {
    const ax = this.ka[x];
    const ay = this.ka[y];
    if (ax !== ay) return ax < ay;
    const bx = this.kb[x];
    const by = this.kb[y];
    return bx !== by ? bx < by : x < y;
  }

  private up(i: number): void {
    const a = this.items;
    const x = a[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = a[p];
      if (!this.less(x, y)) break;
      a[i] = y;
      this.pos[y] = i;
      i = p;
    }
    a[i] = x;
    this.pos[x] = i;
  }

  private down(i: number): void {
    const a = this.items;
    const n = this.n;
    const x = a[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(a[c + 1], a[c])) c++;
      const y = a[c];
      if (!this.less(y, x)) break;
      a[i] = y;
      this.pos[y] = i;
      i = c;
    }
    a[i] = x;
    this.pos[x] = i;
  }
}
