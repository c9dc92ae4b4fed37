/**
 * A binary min-heap ordered by a strict total order `less`: Clockwork's lazy priority queues
 * (strategies per GPU, timeouts, load candidates), the EDF request queue and the per-model
 * arrival merge of minute traces. Ties never depend on insertion history because every comparator
 * used with it ends with a unique key (model id, request id, series index); with such an order the
 * sequence of pops is the sorted order whatever the heap's internal layout.
 */
export class Heap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && this.less(a[c + 1], a[c])) c++;
        if (!this.less(a[c], last)) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  /** Keep only the items `keep` accepts (drops stale lazy entries), then re-heapify. */
  filter(keep: (x: T) => boolean): void {
    const old = this.items;
    this.items = [];
    for (const x of old) if (keep(x)) this.push(x);
  }
}
