/**
 * One GPU's INFER strategies, as an indexed min-heap over models (README.md, "The `clockwork`
 * scheduler"; docs/performance.md). Each model has at most one entry: its best strategy not yet
 * tried on this GPU, keyed by (latest start time, batch size, model id). Popping the heap's model
 * and re-keying it to its next strategy yields the strategies in exactly the order of one heap
 * holding every strategy of every model, without the stale entries such a heap accumulates (each
 * refresh of a model replaces its entry in place instead of adding up to one entry per batch size).
 *
 * Cost: O(log n) per set/remove/pop in the number n of models with strategies on the GPU.
 */
export class OfferHeap {
  /** Models in heap order. */
  private readonly items: Int32Array;
  private n = 0;
  /** Per model: its index in `items`, -1 when absent. */
  private readonly pos: Int32Array;
  /** Per model: the key of its entry. */
  private readonly prio: Float64Array;
  private readonly batch: Int32Array;

  constructor(models: number) {
    this.items = new Int32Array(models);
    this.pos = new Int32Array(models).fill(-1);
    this.prio = new Float64Array(models);
    this.batch = new Int32Array(models);
  }

  get size(): number {
    return this.n;
  }

  /** The model with the smallest key, or -1. */
  peek(): number {
    return this.n > 0 ? this.items[0] : -1;
  }

  has(model: number): boolean {
    return this.pos[model] >= 0;
  }

  /** Insert the model or change its key. */
  set(model: number, prio: number, batch: number): void {
    this.prio[model] = prio;
    this.batch[model] = batch;
    const i = this.pos[model];
    if (i < 0) {
      this.items[this.n] = model;
      this.pos[model] = this.n;
      this.up(this.n++);
    } else {
      this.up(i);
      this.down(this.pos[model]);
    }
  }

  remove(model: number): void {
    const i = this.pos[model];
    if (i < 0) return;
    this.pos[model] = -1;
    const last = this.items[--this.n];
    if (i === this.n) return;
    this.items[i] = last;
    this.pos[last] = i;
    this.up(i);
    this.down(this.pos[last]);
  }

  private less(a: number, b: number): boolean {
    const pa = this.prio[a];
    const pb = this.prio[b];
    if (pa !== pb) return pa < pb;
    const ba = this.batch[a];
    const bb = this.batch[b];
    return ba !== bb ? ba < bb : a < b;
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
