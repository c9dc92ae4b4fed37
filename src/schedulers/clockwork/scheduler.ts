/**
 * The Clockwork controller (scheduler "INFER5" of the released source), rule by rule; what it
 * models, its options and where it differs from the paper and the released code are in
 * docs/clockwork-model.md (options also in README.md, "The `clockwork` scheduler"). Summary of
 * the moving parts:
 *
 * - Requests: each gets an internal deadline arrival + exec_slo, exec_slo = max(slo - buffer,
 *   scheduleAhead + buffer), and joins one FIFO per batch size of its model. A request still queued
 *   at its internal deadline is cancelled (timeout); one that cannot finish even alone leaves the
 *   queues when a strategy of its model is tried and is answered at its internal deadline
 *   (answerDrops "atDeadline"; "immediately": when dropped, and at arrival). Once dispatched, a
 *   request is never cancelled.
 * - Predictions: one sliding-window percentile estimator per (model, batch size) and per model for
 *   LOAD, the profile distribution's value at the same percentile standing in until the first
 *   measurement, updated from every successful result; per GPU a Timeline for execution and one
 *   for the PCIe weights lane.
 * - INFER: per GPU a priority queue of strategies (model, batch) keyed by latest start time,
 *   then batch, then model id; the fill loop runs while free_at < now + scheduleAhead; a failed
 *   strategy steps its model down to smaller sizes on that GPU (failedStrategy "stepDown").
 * - LOAD/EVICT: the load policy (load-policy.ts, option `loadPolicy`) keeps demand per model
 *   incrementally, shared among the GPUs holding the model in proportion to their spare capacity;
 *   a lane about to idle loads the model it chooses, evicting idle LRU models first, then LRU ones.
 *
 * Cost per event is O(log n) in the number of queued requests and strategies plus the models
 * touched; nothing scans all models.
 */
import type { ActionResult, InferAction, ModelInstance, Request, Scheduler, SchedulerContext, TimerHandle } from '../../sim/types.js';
import { Residency } from '../../sim/gpu.js';
import { WindowEstimator } from './estimator.js';
import { NEVER } from '../gpu-memory.js';
import type { ClockworkOptions } from './options.js';
import { Timeline } from './timeline.js';
import { KeyedHeap } from '../../util/keyed-heap.js';
import { Heap } from '../../util/heap.js';
import { createLoadPolicy, type LoadPolicy } from './load-policy.js';

const QUEUED = 0;
const DISPATCHED = 1;
/** Answered (timeout). */
const CANCELLED = 2;
/** Removed from the queues (it cannot finish in time), to be answered at its internal deadline. */
const DROPPED = 3;
/** ModelState.offer's `offered`: every batch size of the model is on offer. */
const ALL_SIZES = 255;
/**
 * ModelState.offer holds, per GPU g, four numbers at 4g + these offsets (one model's offers on
 * every GPU side by side: a refresh visits them together):
 * - OFFERED: how many of its batch sizes (the smallest ones) the model offers strategies for on g:
 *   ALL_SIZES, or fewer after a strategy failed (failedStrategy "stepDown"), until the model
 *   dispatches there, its queues empty or it is loaded there again;
 * - VERSION: the model version its offers on g were made at (older: stale);
 * - LIMIT: the size indices offered at that version (below this limit)...
 * - TRIED: ...and those tried since (bit i: size index i).
 */
const OFFERED = 0;
const VERSION = 1;
const LIMIT = 2;
const TRIED = 3;


interface QueuedRequest {
  readonly r: Request;
  /** Internal deadline: arrival + exec_slo. */
  readonly deadline: number;
  /** Execution demand this request adds while queued (integer ns, so sums stay exact). */
  readonly demand: number;
  /** Load demand it adds (integer ns; the load policy's formula). */
  readonly loadDemand: number;
  /** Its load demand counts towards loading the model until then (the load policy's expiry). */
  readonly loadUntil: number;
  state: number;
  loadCounted: boolean;
}

/** A strategy tried and failed, to be offered again after the fill (failedStrategy "retry"). */
interface Retry {
  readonly model: number;
  /** Index into the model's batch sizes. */
  readonly sizeIndex: number;
  /** The model's `version` when tried: not offered again once the model is refreshed. */
  readonly version: number;
}

interface InferTag {
  readonly predictedEnd: number;
  /** Index of the batch size it was dispatched at. */
  readonly sizeIndex: number;
}
interface LoadTag {
  readonly predictedEnd: number;
}

class ModelState {
  /** Queue entries in arrival order; absolute index i lives at q[i - off]. */
  q: QueuedRequest[] = [];
  off = 0;
  /** Per batch size: absolute index of the queue's front (items before it are not in that queue). */
  readonly heads: number[];
  live = 0;
  /**
   * Bumped by every refresh: a GPU's offers made at an older version are stale (dropped when they
   * reach the top of its `offers`), which covers GPUs that no longer hold the model.
   */
  version = 0;
  /**
   * At most 16 sizes (maxBatch <= 16, distinct positive sizes): the TRIED bits of `offer` and
   * nextStrategy's model x 32 + size index rely on fewer than 32.
   *
   * The current strategies (set at each refresh, the same on every GPU holding the model): per
   * size index the latest start time, deadline of the queue's front - estimate(model, batch); and
   * the size indices that have one (allowed, queue not empty), sorted by (start time, batch).
   */
  readonly sPrio: Float64Array;
  readonly sOrder: Uint8Array;
  sCount = 0;
  readonly exec: WindowEstimator[];
  /** LOAD duration estimator (the weights transfer). */
  readonly loadEst: WindowEstimator;
  /** GPUs whose LOAD result has come back (ascending). */
  readonly loaded: number[] = [];
  lastArrival = -1;
  dirty = false;
  /** Its offers on each GPU (OFFERED, VERSION, LIMIT, TRIED at 4 x gpu + each). */
  readonly offer: Float64Array;

  constructor(
    readonly id: number,
    readonly inst: ModelInstance,
    /** Batch sizes with queues: the model's supported sizes up to maxBatch (ascending). */
    readonly sizes: number[],
    o: ClockworkOptions,
    gpus: number,
  ) {
    this.offer = new Float64Array(4 * gpus);
    for (let g = 0; g < gpus; g++) this.offer[4 * g + OFFERED] = ALL_SIZES;
    this.heads = sizes.map(() => 0);
    this.sPrio = new Float64Array(sizes.length);
    this.sOrder = new Uint8Array(sizes.length);
    const inWindow = o.estimatorSeed === 'inWindow';
    this.exec = sizes.map((b) => new WindowEstimator(o.window, o.percentile, inst.profile.exec.get(b)!.quantile(o.percentile), inWindow));
    this.loadEst = new WindowEstimator(o.window, o.percentile, inst.profile.load.quantile(o.percentile), inWindow);
  }

  get end(): number {
    return this.off + this.q.length;
  }
  at(i: number): QueuedRequest {
    return this.q[i - this.off];
  }
  /** The front request of queue k (skipping entries dispatched or cancelled meanwhile). */
  front(k: number): QueuedRequest | undefined {
    let h = this.heads[k];
    const end = this.end;
    while (h < end && this.q[h - this.off].state !== QUEUED) h++;
    this.heads[k] = h;
    return h < end ? this.q[h - this.off] : undefined;
  }
  /** Queued requests in queue k, counting no further than `need`. */
  count(k: number, need: number): number {
    let c = 0;
    const end = this.end;
    for (let i = this.heads[k]; i < end && c < need; i++) if (this.q[i - this.off].state === QUEUED) c++;
    return c;
  }
  /** Drop entries that are in no queue any more. */
  compact(): void {
    // Fewer than 33 entries: nothing to drop below (heads only skip entries no queue holds).
    if (this.q.length <= 32) return;
    let min = Infinity;
    for (let k = 0; k < this.heads.length; k++) {
      this.front(k);
      if (this.heads[k] < min) min = this.heads[k];
    }
    const n = min - this.off;
    if (n > 32 && n * 2 > this.q.length) {
      this.q = this.q.slice(n);
      this.off = min;
    }
  }
}

class GpuState {
  freePages: number;
  readonly state: Uint8Array;
  /** INFERs sent and not yet answered, per model. */
  readonly inflight: Uint16Array;
  readonly exec: Timeline;
  readonly pcie: Timeline;
  /** Per model with strategies on offer here, its best one not yet tried, keyed by (latest start time, batch). */
  readonly offers: KeyedHeap;
  /** LRU list of loaded models (doubly linked; sentinel = models.length). */
  readonly prev: Int32Array;
  readonly next: Int32Array;
  /** The lanes' wake-up timers (null: none armed) and when they fire. */
  execWake: TimerHandle | null = null;
  execWakeAt = 0;
  pcieWake: TimerHandle | null = null;
  pcieWakeAt = 0;
  readonly execToken: { kind: 'exec'; gpu: number };
  readonly pcieToken: { kind: 'pcie'; gpu: number };

  constructor(
    readonly id: number,
    readonly totalPages: number,
    models: number,
    o: ClockworkOptions,
  ) {
    this.freePages = totalPages;
    this.state = new Uint8Array(models);
    this.inflight = new Uint16Array(models);
    this.exec = new Timeline(o.startDelay, o.lag);
    this.pcie = new Timeline(o.startDelay, o.lag);
    this.offers = new KeyedHeap(models);
    this.prev = new Int32Array(models + 1).fill(-1);
    this.next = new Int32Array(models + 1).fill(-1);
    this.prev[models] = models;
    this.next[models] = models;
    this.execToken = { kind: 'exec', gpu: id };
    this.pcieToken = { kind: 'pcie', gpu: id };
  }

  get sentinel(): number {
    return this.prev.length - 1;
  }
  lruAppend(m: number): void {
    const s = this.sentinel;
    const last = this.prev[s];
    this.next[last] = m;
    this.prev[m] = last;
    this.next[m] = s;
    this.prev[s] = m;
  }
  lruRemove(m: number): void {
    if (this.prev[m] < 0) return;
    this.next[this.prev[m]] = this.next[m];
    this.prev[this.next[m]] = this.prev[m];
    this.prev[m] = -1;
    this.next[m] = -1;
  }
  lruTouch(m: number): void {
    this.lruRemove(m);
    this.lruAppend(m);
  }
}

type Token = { kind: 'deadline' } | { kind: 'exec'; gpu: number } | { kind: 'pcie'; gpu: number };

export class ClockworkScheduler implements Scheduler {
  readonly name = 'clockwork';
  private ctx!: SchedulerContext;
  private models: ModelState[] = [];
  private gpus: GpuState[] = [];
  /** Which model to load and what to evict (load-policy.ts). */
  private load!: LoadPolicy;
  private readonly deadlines = new Heap<QueuedRequest>((a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && a.r.id < b.r.id));
  private deadlineWake: TimerHandle | null = null;
  private deadlineWakeAt = 0;
  private readonly deadlineToken: Token = { kind: 'deadline' };
  private dirty: ModelState[] = [];
  /** The other buffer of `dirty`, swapped in at each flush (no array allocated per event). */
  private dirtySpare: ModelState[] = [];
  private touched: number[] = [];
  /** The other buffer of `touched`. */
  private touchedSpare: number[] = [];
  private touchedFlag: Uint8Array = new Uint8Array(0);
  /**
   * The GPU fill() is filling now (-1: none). touch() ignores it: strategies pushed while it fills
   * (a refreshed model) are popped by that same fill loop, so it need not be queued to fill again.
   */
  private filling = -1;

  readonly stats = {
    requests: 0,
    dispatchedRequests: 0,
    timeouts: { deadline: 0, cannotFinish: 0, cannotFinishAtArrival: 0 },
    failedRequests: 0,
    infers: 0,
    inferFailures: {} as Record<string, number>,
    batchSizes: {} as Record<string, number>,
    strategiesTried: 0,
    strategiesFailed: 0,
    loads: 0,
    loadFailures: {} as Record<string, number>,
    evictions: 0,
    decisions: 0,
  };

  constructor(private readonly o: ClockworkOptions) {}

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    const o = this.o;
    this.models = ctx.models.map((m) => {
      const sizes = m.profile.batchSizes.filter((b) => b <= o.maxBatch);
      return new ModelState(m.id, m, sizes.length > 0 ? sizes : [m.profile.batchSizes[0]], o, ctx.gpus.length);
    });
    this.gpus = ctx.gpus.map((g) => new GpuState(g.id, g.totalPages, ctx.models.length, o));
    this.touchedFlag = new Uint8Array(ctx.gpus.length);
    this.load = createLoadPolicy(o.loadPolicy, this.models, this.gpus.length, o, (x) => this.markDirty(this.models[x]));
  }

  // ------------------------------------------------------------------ time and cost

  /** Now, as seen by a controller that has spent CPU time on decisions in this handler (the engine keeps that time). */
  private clock(): number {
    return Math.max(this.ctx.now(), this.ctx.controllerFreeAt());
  }

  private decided(): void {
    this.stats.decisions++;
    const d = this.o.decisionLatency;
    if (d > 0) this.ctx.spend(d);
  }

  // ------------------------------------------------------------------ requests

  onRequest(r: Request): void {
    this.advance();
    const o = this.o;
    const m = this.models[r.model];
    this.stats.requests++;
    // Not r.slo for a factor: the engine's r.slo is factor x the profile's median batch-1 time (for
    // measurement), while Clockwork's controller scales the factor by its own current batch-1
    // estimate (the windowed percentile of measured executions), which moves with measurements.
    const est1 = m.exec[0].value;
    const slo = r.sloFactor !== undefined ? r.sloFactor * est1 : r.slo > 0 ? r.slo : o.defaultSlo;
    const execSlo = Math.max(slo - o.buffer, o.scheduleAhead + o.buffer);
    const weightsSlo = Math.min(Math.max(slo - (m.loadEst.value + est1 + o.buffer + o.scheduleAhead), o.scheduleAhead + o.buffer), o.maxLoadSlo);
    const now = this.clock();
    const demand = Math.round((est1 * o.defaultSlo) / execSlo);
    const q: QueuedRequest = {
      r,
      deadline: Math.round(r.arrival + execSlo),
      demand,
      loadDemand: this.load.requestLoad(est1, demand, weightsSlo),
      loadUntil: this.load.loadUntil(r.arrival, weightsSlo),
      state: QUEUED,
      loadCounted: false,
    };
    m.lastArrival = now;
    if (o.answerDrops === 'immediately' && q.deadline < now + o.startDelay + est1) {
      // It cannot finish in time even alone on an idle GPU (released: no such check; it is queued,
      // dropped when tried and answered at its internal deadline).
      this.stats.timeouts.cannotFinishAtArrival++;
      this.ctx.respond(r, 'timeout');
      this.runPending();
      return;
    }
    m.q.push(q);
    m.live++;
    this.load.queued(q, now);
    this.deadlines.push(q);
    this.markDirty(m);
    this.runPending();
  }

  private cancel(q: QueuedRequest, reason: 'deadline' | 'cannotFinish'): void {
    const m = this.models[q.r.model];
    q.state = CANCELLED;
    this.unqueue(m, q);
    this.stats.timeouts[reason]++;
    this.ctx.respond(q.r, 'timeout');
    this.markDirty(m);
  }

  /**
   * Step 1 removes a request that can no longer finish in time. Released (answerDrops
   * "atDeadline"): it leaves the queues now and is answered at its internal deadline (it stays in
   * `deadlines`, whose timer answers it); "immediately": answered now.
   */
  private drop(q: QueuedRequest): void {
    if (this.o.answerDrops === 'immediately' || q.deadline <= this.clock()) {
      this.cancel(q, 'cannotFinish');
      return;
    }
    const m = this.models[q.r.model];
    q.state = DROPPED;
    this.unqueue(m, q);
    this.markDirty(m);
  }

  private unqueue(m: ModelState, q: QueuedRequest): void {
    m.live--;
    this.load.unqueued(q);
  }

  /** Time out queued requests whose internal deadline has come, answer dropped ones, expire load demand. */
  private advance(): void {
    const now = this.clock();
    for (let q = this.deadlines.peek(); q && q.deadline <= now; q = this.deadlines.peek()) {
      this.deadlines.pop();
      if (q.state === QUEUED) this.cancel(q, 'deadline');
      else if (q.state === DROPPED) {
        q.state = CANCELLED;
        this.stats.timeouts.cannotFinish++;
        this.ctx.respond(q.r, 'timeout');
      }
    }
    this.load.expire(now);
  }

  private markDirty(m: ModelState): void {
    if (!m.dirty) {
      m.dirty = true;
      this.dirty.push(m);
    }
  }

  /** Bring a model's strategies, demand allocation and load candidacy up to date. */
  private refresh(m: ModelState): void {
    m.dirty = false;
    m.compact();
    this.pushStrategies(m);
    this.load.update(m);
  }

  /** Flush changed models, fill the GPUs that got new strategies, check loads, arm timers. */
  private runPending(): void {
    for (;;) {
      if (this.dirty.length > 0) {
        const d = this.dirty;
        this.dirty = this.dirtySpare;
        for (let i = 0; i < d.length; i++) if (d[i].dirty) this.refresh(d[i]);
        while (d.length > 0) d.pop(); // not d.length = 0: a runtime call
        this.dirtySpare = d;
        continue;
      }
      if (this.touched.length > 0) {
        const t = this.touched; // ascending (touch())
        this.touched = this.touchedSpare;
        for (let i = 0; i < t.length; i++) this.touchedFlag[t[i]] = 0;
        for (let i = 0; i < t.length; i++) this.fill(this.gpus[t[i]]);
        while (t.length > 0) t.pop();
        this.touchedSpare = t;
        continue;
      }
      for (const g of this.gpus) this.tryLoad(g);
      if (this.dirty.length === 0 && this.touched.length === 0) break;
    }
    this.armDeadline();
  }

  private touch(g: number): void {
    if (g !== this.filling && !this.touchedFlag[g]) {
      this.touchedFlag[g] = 1;
      // Keep the list ascending (GPUs fill in id order); it holds a few GPUs at most.
      const t = this.touched;
      let i = t.length;
      t.push(g);
      for (; i > 0 && t[i - 1] > g; i--) t[i] = t[i - 1];
      t[i] = g;
    }
  }

  // ------------------------------------------------------------------ INFER scheduling

  private allowed(m: ModelState, k: number): boolean {
    return m.exec[k].value <= this.o.maxExec;
  }

  /** Replace the model's strategies on every GPU holding it (older offers become stale). */
  private pushStrategies(m: ModelState): void {
    m.version++;
    if (m.loaded.length === 0) return;
    if (m.live === 0) {
      // Nothing queued: the model offers nothing, and all its sizes again once requests come.
      for (const g of m.loaded) {
        m.offer[4 * g + OFFERED] = ALL_SIZES;
        this.gpus[g].offers.remove(m.id);
      }
      return;
    }
    let c = 0;
    for (let k = 0; k < m.sizes.length; k++) {
      if (!this.allowed(m, k)) continue;
      const f = m.front(k);
      if (!f) continue;
      const p = f.deadline - m.exec[k].value;
      // Insertion by (start time, size index): size indices ascend with batch sizes.
      let i = c++;
      for (; i > 0 && m.sPrio[m.sOrder[i - 1]] > p; i--) m.sOrder[i] = m.sOrder[i - 1];
      m.sOrder[i] = k;
      m.sPrio[k] = p;
    }
    m.sCount = c;
    const offer = m.offer;
    const n = m.sizes.length;
    const loaded = m.loaded;
    for (let j = 0; j < loaded.length; j++) {
      const x = loaded[j];
      // The sizes on offer here: all of them, or the smaller ones after a failed strategy.
      const at = 4 * x;
      const limit = Math.min(n, offer[at + OFFERED]);
      offer[at + VERSION] = m.version;
      offer[at + LIMIT] = limit;
      offer[at + TRIED] = 0;
      // rekey(): with nothing tried, the best strategy is the first in order below the limit.
      let k = -1;
      for (let i = 0; i < c; i++) {
        if (m.sOrder[i] < limit) {
          k = m.sOrder[i];
          break;
        }
      }
      const offers = this.gpus[x].offers;
      if (k >= 0) {
        offers.set(m.id, m.sPrio[k], m.sizes[k]);
        this.touch(x);
      } else offers.remove(m.id);
    }
  }

  /** The size index of the model's best strategy offered on g and not yet tried there, or -1. */
  private best(g: GpuState, m: ModelState): number {
    const limit = m.offer[4 * g.id + LIMIT];
    const tried = m.offer[4 * g.id + TRIED];
    for (let i = 0; i < m.sCount; i++) {
      const k = m.sOrder[i];
      if (k < limit && (tried & (1 << k)) === 0) return k;
    }
    return -1;
  }

  /** Key the model's entry on g by its best strategy (best()), or remove it if none; returns that size index. */
  private rekey(g: GpuState, m: ModelState): number {
    const k = this.best(g, m);
    if (k >= 0) g.offers.set(m.id, m.sPrio[k], m.sizes[k]);
    else g.offers.remove(m.id);
    return k;
  }

  /**
   * Take the next strategy on g, in order of (start time, batch, model): returns model x 32 + size
   * index, or -1 when none is left. Offers made before the model's last refresh are dropped.
   */
  private nextStrategy(g: GpuState): number {
    for (;;) {
      const x = g.offers.peek();
      if (x < 0) return -1;
      const m = this.models[x];
      if (m.offer[4 * g.id + VERSION] !== m.version) {
        g.offers.remove(x);
        continue;
      }
      const k = this.best(g, m);
      m.offer[4 * g.id + TRIED] |= 1 << k;
      this.rekey(g, m);
      return x * 32 + k;
    }
  }

  /** Whether the model can be tried at size index k on g now (loaded here, the size still on offer). */
  private valid(g: GpuState, m: ModelState, k: number): boolean {
    return g.state[m.id] === Residency.LOADED && k < m.offer[4 * g.id + OFFERED];
  }

  /** Fill a GPU while free_at < now + scheduleAhead (README.md, "The `clockwork` scheduler"). */
  private fill(g: GpuState): void {
    const o = this.o;
    this.filling = g.id;
    let retry: Retry[] | null = null; // allocated at the first failed strategy to retry
    let full = false;
    for (;;) {
      const now = this.clock();
      const t = g.exec.freeAt(now);
      if (t >= now + o.scheduleAhead) {
        full = true;
        break;
      }
      const s = this.nextStrategy(g);
      if (s < 0) break;
      const sizeIndex = s % 32;
      const m = this.models[(s - sizeIndex) / 32];
      if (!this.valid(g, m, sizeIndex)) continue;
      this.stats.strategiesTried++;
      // 1. In every queue, drop from the front what cannot finish by its deadline if started at t.
      const dropped = this.dropHopeless(m, t);
      // 2. The largest batch size whose queue still holds enough requests.
      const k = this.chooseBatch(m);
      if (k < 0 || k < sizeIndex) {
        // 3. The strategy fails; the model stays on offer with its smaller batch sizes (their
        //    strategies are in the heap already, current unless step 1 changed a queue front, in
        //    which case refresh() pushes them again with fresh priorities). "stepDown" (released):
        //    on this GPU the model offers only the sizes below the failed one until it dispatches
        //    here or its queues empty; "retry": the failed strategy is offered again at the next fill.
        if (k >= 0) {
          this.stats.strategiesFailed++;
          if (this.o.failedStrategy === 'stepDown') m.offer[4 * g.id + OFFERED] = sizeIndex;
        }
        if (dropped) this.refresh(m);
        else if (this.o.failedStrategy === 'retry') (retry ??= []).push({ model: m.id, sizeIndex, version: m.version });
        continue;
      }
      // 4. Dispatch the k oldest requests of queue k.
      this.dispatch(g, m, k, t);
    }
    this.filling = -1;
    if (retry) {
      for (const s of retry) {
        const m = this.models[s.model];
        if (s.version === m.version && this.valid(g, m, s.sizeIndex)) {
          m.offer[4 * g.id + TRIED] &= ~(1 << s.sizeIndex);
          this.rekey(g, m);
        }
      }
    }
    if (full && g.offers.size > 0) {
      const now = this.clock();
      this.armGpu(g, 'exec', g.exec.freeAt(now) - o.scheduleAhead + 1);
    }
  }

  /** Step 1; requests dropped from the batch-1 queue leave every queue (drop()). Returns whether any front changed. */
  private dropHopeless(m: ModelState, t: number): boolean {
    let dropped = false;
    for (let k = 0; k < m.sizes.length; k++) {
      const est = m.exec[k].value;
      for (let f = m.front(k); f && f.deadline < t + est; f = m.front(k)) {
        if (k === 0) this.drop(f);
        m.heads[k]++;
        dropped = true;
      }
    }
    return dropped;
  }

  /** Step 2: walk up from the smallest size while the next size's queue holds enough requests. */
  private chooseBatch(m: ModelState): number {
    if (!this.allowed(m, 0) || m.count(0, 1) < 1) return -1;
    let k = 0;
    while (k + 1 < m.sizes.length && this.allowed(m, k + 1) && m.count(k + 1, m.sizes[k + 1]) >= m.sizes[k + 1]) k++;
    return k;
  }

  private dispatch(g: GpuState, m: ModelState, k: number, t: number): void {
    const o = this.o;
    const b = m.sizes[k];
    const requests: Request[] = [];
    const end = m.end;
    for (let i = m.heads[k]; i < end && requests.length < b; i++) {
      const q = m.at(i);
      if (q.state !== QUEUED) continue;
      q.state = DISPATCHED;
      this.unqueue(m, q);
      requests.push(q.r);
    }
    const est = m.exec[k].value;
    const now = this.clock();
    const latest = Math.max(now + o.startDelay + o.scheduleAhead, t + o.scheduleAhead);
    const tag: InferTag = { predictedEnd: t + est, sizeIndex: k };
    const action: InferAction = {
      type: 'INFER',
      gpu: g.id,
      model: m.id,
      earliest: now,
      latest,
      sendBy: latest - o.networkSlack,
      requests,
      tag,
      // networkTooLateAt "released": a network-too-late failure is reported at latest + this.
      expectedDuration: o.networkTooLateAt === 'released' ? est : undefined,
    };
    const id = this.ctx.send(action);
    g.exec.add(id, est, now);
    m.offer[4 * g.id + OFFERED] = ALL_SIZES;
    g.inflight[m.id]++;
    g.lruTouch(m.id);
    this.stats.infers++;
    this.stats.dispatchedRequests += requests.length;
    this.stats.batchSizes[b] = (this.stats.batchSizes[b] ?? 0) + 1;
    this.decided();
    this.refresh(m);
  }

  // ------------------------------------------------------------------ results

  onResult(res: ActionResult): void {
    this.advance();
    const a = res.action;
    const g = this.gpus[a.gpu];
    const m = this.models[a.model];
    if (a.type === 'INFER') {
      g.exec.complete(a.id!, res.ok ? res.end : undefined);
      g.inflight[m.id]--;
      if (res.ok) {
        const tag = a.tag as InferTag;
        const k = m.sizes.indexOf(res.paddedBatch ?? m.sizes[tag.sizeIndex]);
        m.exec[k >= 0 ? k : tag.sizeIndex].add(res.duration!);
        this.ctx.recordPrediction('INFER', tag.predictedEnd, res.end!);
        this.markDirty(m);
      } else {
        const e = res.error ?? 'unknown';
        this.stats.inferFailures[e] = (this.stats.inferFailures[e] ?? 0) + 1;
        // A dispatched request is never re-queued: the engine has answered it as failed.
        this.stats.failedRequests += a.requests.length;
      }
      this.touch(g.id);
    } else if (a.type === 'LOAD') {
      g.pcie.complete(a.id!, res.ok ? res.end : undefined);
      if (res.ok) {
        g.state[m.id] = Residency.LOADED;
        m.offer[4 * g.id + OFFERED] = ALL_SIZES;
        insertSorted(m.loaded, g.id);
        g.lruAppend(m.id);
        m.loadEst.add(res.duration!);
        this.ctx.recordPrediction('LOAD', (a.tag as LoadTag).predictedEnd, res.end!);
        this.markDirty(m);
      } else {
        const e = res.error ?? 'unknown';
        this.stats.loadFailures[e] = (this.stats.loadFailures[e] ?? 0) + 1;
        g.state[m.id] = Residency.NONE;
        g.freePages += m.inst.pages;
        this.load.loadResult(m, g.id, false);
        this.markDirty(m);
      }
    }
    this.runPending();
  }

  onTimer(token: unknown): void {
    const t = token as Token;
    if (t.kind === 'deadline') this.deadlineWake = null;
    else if (t.kind === 'exec') {
      this.gpus[t.gpu].execWake = null;
      this.touch(t.gpu);
    } else this.gpus[t.gpu].pcieWake = null;
    this.advance();
    this.runPending();
  }

  // ------------------------------------------------------------------ timers

  private armGpu(g: GpuState, lane: 'exec' | 'pcie', at: number): void {
    if (lane === 'exec') {
      if (g.execWake) {
        if (g.execWakeAt <= at) return;
        this.ctx.cancelTimer(g.execWake);
      }
      g.execWake = this.ctx.setTimer(at, g.execToken);
      g.execWakeAt = at;
    } else {
      if (g.pcieWake) {
        if (g.pcieWakeAt <= at) return;
        this.ctx.cancelTimer(g.pcieWake);
      }
      g.pcieWake = this.ctx.setTimer(at, g.pcieToken);
      g.pcieWakeAt = at;
    }
  }

  private armDeadline(): void {
    let q = this.deadlines.peek();
    while (q && q.state !== QUEUED && q.state !== DROPPED) {
      this.deadlines.pop();
      q = this.deadlines.peek();
    }
    if (!q) return;
    const cur = this.deadlineWake;
    if (cur) {
      if (this.deadlineWakeAt <= q.deadline) return;
      this.ctx.cancelTimer(cur);
    }
    this.deadlineWake = this.ctx.setTimer(q.deadline, this.deadlineToken);
    this.deadlineWakeAt = q.deadline;
  }

  // ------------------------------------------------------------------ demand, LOAD and EVICT

  /** Load on GPU g while its weights lane would go idle within scheduleAhead. */
  private tryLoad(g: GpuState): void {
    const o = this.o;
    for (;;) {
      const now = this.clock();
      const t = g.pcie.freeAt(now);
      if (t >= now + o.scheduleAhead) {
        if (this.load.hasDemand()) this.armGpu(g, 'pcie', t - o.scheduleAhead + 1);
        return;
      }
      if (!this.load.hasDemand()) return;
      const x = this.load.choose(g);
      if (x === undefined) return;
      const m = this.models[x];
      if (!this.makeRoom(g, m.inst.pages)) return;
      const est = m.loadEst.value;
      const latest = Math.max(now + o.startDelay + o.scheduleAhead, t + o.scheduleAhead);
      const tag: LoadTag = { predictedEnd: t + est };
      const id = this.ctx.send({ type: 'LOAD', gpu: g.id, model: m.id, earliest: now, latest, tag }); // no sendBy: only INFER fails "network too late"
      g.pcie.add(id, est, now);
      g.state[m.id] = Residency.LOADING;
      g.freePages -= m.inst.pages;
      this.load.loadSent(m, g.id);
      this.stats.loads++;
      this.decided();
    }
  }

  /**
   * Free pages for a load by evicting the load policy's victims (least-recently-used models
   * without queued requests first, then least-recently-used loaded models; never one loading, nor,
   * with evictInFlight "never", one with an INFER in flight). Evicts nothing and returns false if
   * even that would not free enough.
   */
  private makeRoom(g: GpuState, need: number): boolean {
    if (g.freePages >= need) return true;
    const victims = this.load.victims(g, need);
    if (!victims) return false;
    const now = this.clock();
    for (const x of victims) {
      const m = this.models[x];
      g.state[x] = Residency.NONE;
      // Its offers here go now, not when they reach the top: `offers` then holds only strategies
      // still on offer, which a full fill's wake-up counts (docs/clockwork-model.md).
      g.offers.remove(x);
      g.lruRemove(x);
      g.freePages += m.inst.pages;
      removeSorted(m.loaded, g.id);
      this.load.evicted(m, g.id);
      this.ctx.send({ type: 'EVICT', gpu: g.id, model: x, earliest: now, latest: NEVER });
      this.stats.evictions++;
      this.markDirty(m);
    }
    return true;
  }

  /** Current execution estimate (ns) of `model` at batch size `batch` (for inspection and tests). */
  estimate(model: number, batch: number): number | undefined {
    const m = this.models[model];
    const k = m.sizes.indexOf(batch);
    return k >= 0 ? m.exec[k].value : undefined;
  }

  /** Current LOAD estimate (ns) of `model`. */
  loadEstimate(model: number): number {
    return this.models[model].loadEst.value;
  }

  summary(): Record<string, unknown> {
    const s = this.stats;
    return {
      requests: s.requests,
      dispatchedRequests: s.dispatchedRequests,
      timeouts: { ...s.timeouts, total: s.timeouts.deadline + s.timeouts.cannotFinish + s.timeouts.cannotFinishAtArrival },
      failedRequests: s.failedRequests,
      infers: s.infers,
      inferFailures: sortKeys(s.inferFailures),
      batchSizes: sortKeys(s.batchSizes, true),
      strategiesTried: s.strategiesTried,
      strategiesFailed: s.strategiesFailed,
      loadsIssued: s.loads,
      loadFailures: sortKeys(s.loadFailures),
      evictionsIssued: s.evictions,
      loadPolicy: this.load.name,
      networkTooLateAt: this.o.networkTooLateAt,
      evictInFlight: this.o.evictInFlight,
      decisions: s.decisions,
      controllerBusyMs: (s.decisions * this.o.decisionLatency) / 1e6,
      estimator: {
        window: this.o.window,
        percentile: this.o.percentile,
        seed: `profile distribution at the ${this.o.percentile} quantile, ${this.o.estimatorSeed === 'inWindow' ? 'kept in the window' : 'used until the first measurement'}`,
      },
    };
  }
}

/** Insert x into the ascending list a (a few GPUs: a shift, no splice). */
function insertSorted(a: number[], x: number): void {
  let i = a.length;
  a.push(x);
  for (; i > 0 && a[i - 1] > x; i--) a[i] = a[i - 1];
  a[i] = x;
}

/** Remove x, if there, from the list a keeping the order of the rest. */
function removeSorted(a: number[], x: number): void {
  const i = a.indexOf(x);
  if (i < 0) return;
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j];
  a.pop();
}

function sortKeys(o: Record<string, number>, numeric = false): Record<string, number> {
  const keys = Object.keys(o).sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
