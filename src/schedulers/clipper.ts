/**
 * Clipper (Crankshaw et al., NSDI'17) as three registered policies sharing one scheduler class;
 * their behaviour and options are specified in README.md, "Reactive baselines" (clipper,
 * clipper-lru, clipper-code). Per model: a queue (FIFO, or EDF for clipper-code) and replicas
 * (containers) that each run one batch at a time, its size chosen by a BatchPolicy: Aimd
 * (clipper, clipper-lru) or LatencyRegression (clipper-code). Deployment is static
 * (placeStatically) or, for clipper-lru, a load on first request with LRU eviction.
 */
import { z } from 'zod';
import type { Rng } from '../sim/random.js';
import type { ActionResult, GpuId, ModelId, Request, Scheduler, SchedulerContext, TimerHandle } from '../sim/types.js';
import { MAX_COUNT, MAX_FACTOR, zDuration } from '../util/units-zod.js';
import { GpuMemoryView, NEVER, memoryViews, placeStatically } from './gpu-memory.js';
import { EdfQueue, FifoQueue, type RequestQueue } from './queues.js';
import { execConcurrencyOption, execEngine } from './concurrency.js';
import { registerScheduler } from './registry.js';

// ------------------------------------------------------------------ options

/** Engine cap on overlapping executions per GPU; 0 = no cap (one batch per container anyway). */
const execConcurrency = execConcurrencyOption;
/** Upper bound on a batch; 0 = the model's largest supported batch size. */
const maxBatch = z.number().int().nonnegative().max(MAX_COUNT).default(0);

const aimdFields = {
  /** AIMD: starting maxBatch. */
  initialBatch: z.number().int().positive().max(MAX_COUNT).default(1),
  /** AIMD: added to maxBatch after a batch within budget. */
  additiveIncrease: z.number().int().positive().max(MAX_COUNT).default(1),
  /** AIMD: maxBatch is multiplied by this (then floored, at least 1) after a batch over budget. */
  multiplicativeDecrease: z.number().gt(0).lt(1).default(0.9),
  /** AIMD: latency budget = SLO x budgetFraction (0.92 in Clipper's code). */
  budgetFraction: z.number().gt(0).max(1).default(0.92),
  /** Wait up to this long (from the oldest queued request's arrival) for a batch to fill; 0 = never wait. */
  batchTimeout: zDuration({ allowZero: true }).default(0),
  maxBatch,
  execConcurrency,
};

export const clipperOptions = z.strictObject({
  /** GPUs each model is deployed on at the start (static deployment). */
  replicas: z.number().int().positive().max(MAX_COUNT).default(1),
  ...aimdFields,
});

export const clipperLruOptions = z.strictObject({ ...aimdFields });

export const clipperCodeOptions = z.strictObject({
  /** GPUs each model is deployed on at the start (static deployment). */
  replicas: z.number().int().positive().max(MAX_COUNT).default(1),
  /** Remaining time to the earliest deadline is multiplied by this to get the latency budget. */
  budgetDecay: z.number().gt(0).max(1).default(0.92),
  /** Samples a batch size needs before exploring beyond it (and before its variance is pooled). */
  minSamples: z.number().int().positive().max(MAX_COUNT).default(5),
  /** p99 latency estimate = mean + zScore x pooled std. */
  zScore: z.number().nonnegative().max(MAX_FACTOR).default(3),
  /** Below this batch size exploration adds 1; from it on it multiplies by 1 + N(exploreMean, exploreStd). */
  additiveThreshold: z.number().int().positive().max(MAX_COUNT).default(10),
  exploreMean: z.number().nonnegative().max(MAX_FACTOR).default(0.1),
  exploreStd: z.number().nonnegative().max(MAX_FACTOR).default(0.05),
  maxBatch,
  execConcurrency,
});

type ClipperOptions = z.output<typeof clipperOptions>;
type ClipperLruOptions = z.output<typeof clipperLruOptions>;
type ClipperCodeOptions = z.output<typeof clipperCodeOptions>;

// ------------------------------------------------------------------ batch-size policies

/** Decides a replica's next batch size and learns from measured batch latencies. */
interface BatchPolicy {
  /** Largest batch to take now (head = the request that will be served first). */
  limit(now: number, head: Request): number;
  /** A batch of `size` requests (the tightest SLO among them `slo`) took `latency` round trip. */
  observe(size: number, latency: number, slo: number): void;
}

/** The paper's AIMD. */
export class Aimd implements BatchPolicy {
  maxBatch: number;
  constructor(
    private readonly o: { initialBatch: number; additiveIncrease: number; multiplicativeDecrease: number; budgetFraction: number },
    private readonly cap: number,
  ) {
    this.maxBatch = Math.min(cap, o.initialBatch);
  }
  limit(): number {
    return this.maxBatch;
  }
  observe(_size: number, latency: number, slo: number): void {
    if (latency <= slo * this.o.budgetFraction) this.maxBatch = Math.min(this.cap, this.maxBatch + this.o.additiveIncrease);
    else this.maxBatch = Math.max(1, Math.floor(this.maxBatch * this.o.multiplicativeDecrease));
  }
}

/** The released code's estimator: exploration, then a regression of batch size on p99 latency. */
export class LatencyRegression implements BatchPolicy {
  /** Per batch size: count, mean, sum of squared deviations (Welford). */
  private readonly n: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private maxLatency = 0;
  /** Largest batch size chosen so far. */
  maxBatchSize = 1;
  private fit: { a: number; b: number } | null = null;

  constructor(
    private readonly o: ClipperCodeOptions,
    private readonly cap: number,
    private readonly rng: Rng,
  ) {
    this.n = new Float64Array(cap + 1);
    this.mean = new Float64Array(cap + 1);
    this.m2 = new Float64Array(cap + 1);
  }

  limit(now: number, head: Request): number {
    const budget = (head.deadline - now) * this.o.budgetDecay;
    const size = budget > this.maxLatency ? this.explore() : this.estimate(budget);
    const b = Math.max(1, Math.min(this.cap, size));
    this.maxBatchSize = Math.max(this.maxBatchSize, b);
    return b;
  }

  private explore(): number {
    const m = this.maxBatchSize;
    if (this.n[m] > 0 && this.n[m] < this.o.minSamples) return m;
    if (m < this.o.additiveThreshold) return m + 1;
    const f = Math.max(0, this.o.exploreMean + this.o.exploreStd * this.rng.normal());
    return Math.floor((1 + f) * m);
  }

  private estimate(budget: number): number {
    if (!this.fit) return 1;
    return Math.max(1, Math.floor(this.fit.a + this.fit.b * budget));
  }

  observe(size: number, latency: number): void {
    const b = Math.min(size, this.cap);
    this.n[b]++;
    const d = latency - this.mean[b];
    this.mean[b] += d / this.n[b];
    this.m2[b] += d * (latency - this.mean[b]);
    this.maxLatency = Math.max(this.maxLatency, latency);
    this.refit();
  }

  /** Least squares of batch size on the p99 estimate of every batch size tried. */
  private refit(): void {
    let num = 0;
    let den = 0;
    for (let b = 1; b <= this.cap; b++) {
      if (this.n[b] >= this.o.minSamples) {
        num += this.m2[b];
        den += this.n[b] - 1;
      }
    }
    const pooledStd = Math.sqrt(num / Math.max(1, den));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let b = 1; b <= this.cap; b++) {
      if (this.n[b] === 0) continue;
      xs.push(this.mean[b] + this.o.zScore * pooledStd);
      ys.push(b);
    }
    const k = xs.length;
    if (k === 0) {
      this.fit = null;
      return;
    }
    const mx = xs.reduce((s, x) => s + x, 0) / k;
    const my = ys.reduce((s, y) => s + y, 0) / k;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < k; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
    }
    // One batch size seen (or no spread): predict it for any budget at least its latency, else 1.
    if (k === 1 || sxx === 0) this.fit = { a: my, b: 0 };
    else this.fit = { b: sxy / sxx, a: my - (sxy / sxx) * mx };
  }
}

// ------------------------------------------------------------------ the scheduler

interface Replica {
  readonly model: ModelId;
  readonly gpu: GpuId;
  readonly mem: GpuMemoryView;
  /** The LOAD's success has come back. */
  ready: boolean;
  /** A batch is in flight (a container runs one at a time). */
  busy: boolean;
  sentAt: number;
  timer: TimerHandle | null;
  readonly policy: BatchPolicy;
}

interface ModelState {
  readonly queue: RequestQueue;
  replicas: Replica[];
  /** Statically deployed nowhere: requests fail. */
  unserved: boolean;
  /** clipper-lru: waiting for room to load. */
  waitingForRoom: boolean;
}

type Mode = 'static' | 'lru';

export class ClipperScheduler implements Scheduler {
  private ctx!: SchedulerContext;
  private views: GpuMemoryView[] = [];
  private models: ModelState[] = [];
  /** clipper-lru: models waiting for room, in the order they started waiting. */
  private waiting: ModelId[] = [];
  private readonly stats = { batches: 0, dropped: 0, loads: 0, evictions: 0 };

  constructor(
    readonly name: string,
    private readonly mode: Mode,
    private readonly replicasPerModel: number,
    private readonly edf: boolean,
    private readonly batchTimeout: number,
    private readonly maxBatchOption: number,
    private readonly newPolicy: (cap: number, ctx: SchedulerContext) => BatchPolicy,
  ) {}

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    this.views = memoryViews(ctx);
    this.models = ctx.models.map(() => ({
      queue: this.edf ? new EdfQueue() : new FifoQueue(),
      replicas: [],
      unserved: false,
      waitingForRoom: false,
    }));
    if (this.mode === 'static') {
      const placed = placeStatically(this.views, ctx.models.length, this.replicasPerModel);
      placed.forEach((gpus, m) => {
        if (gpus.length === 0) this.models[m].unserved = true;
        for (const g of gpus) this.models[m].replicas.push(this.newReplica(m, g));
      });
    }
  }

  private cap(m: ModelId): number {
    const sizes = this.ctx.models[m].profile.batchSizes;
    const largest = sizes[sizes.length - 1];
    return this.maxBatchOption > 0 ? Math.min(this.maxBatchOption, largest) : largest;
  }

  private newReplica(m: ModelId, gpu: GpuId): Replica {
    return { model: m, gpu, mem: this.views[gpu], ready: false, busy: false, sentAt: 0, timer: null, policy: this.newPolicy(this.cap(m), this.ctx) };
  }

  onRequest(r: Request): void {
    const model = this.models[r.model];
    if (model.unserved) {
      this.ctx.respond(r, 'failed');
      return;
    }
    model.queue.push(r);
    for (const rep of model.replicas) {
      rep.mem.touch(r.model);
      // Pins (pending work, never evicted) matter only where models are evicted.
      if (this.mode === 'lru') rep.mem.pin(r.model);
    }
    if (this.mode === 'lru' && model.replicas.length === 0) this.loadReactively(r.model);
    this.pump(r.model);
  }

  // ---- clipper-lru: reactive loading

  /** Pending requests of a GPU's models (queued + in flight), for picking the least loaded. */
  private gpuLoad(g: GpuId): number {
    let load = 0;
    const v = this.views[g];
    for (let m = 0; m < this.models.length; m++) if (v.holds(m)) load += v.pins[m];
    return load;
  }

  private loadReactively(m: ModelId): void {
    const model = this.models[m];
    if (model.replicas.length > 0 || model.waitingForRoom) return;
    const pages = this.ctx.models[m].pages;
    const order = this.views.map((v) => ({ v, load: this.gpuLoad(v.gpu) }));
    order.sort((a, b) => a.load - b.load || b.v.freePages - a.v.freePages || a.v.gpu - b.v.gpu);
    for (const { v } of order) {
      if (!v.makeRoom(pages, (victim) => this.dropReplica(victim, v.gpu))) continue;
      v.load(m);
      this.stats.loads++;
      const rep = this.newReplica(m, v.gpu);
      model.replicas.push(rep);
      v.pin(m, model.queue.length);
      return;
    }
    model.waitingForRoom = true;
    this.waiting.push(m);
  }

  private dropReplica(m: ModelId, gpu: GpuId): void {
    const model = this.models[m];
    model.replicas = model.replicas.filter((r) => r.gpu !== gpu);
    this.stats.evictions++;
  }

  private retryWaiting(): void {
    if (this.waiting.length === 0) return;
    const list = this.waiting;
    this.waiting = [];
    for (const m of list) {
      this.models[m].waitingForRoom = false;
      if (this.models[m].queue.length > 0) this.loadReactively(m);
    }
  }

  // ---- dispatch

  private pump(m: ModelId): void {
    const model = this.models[m];
    for (const rep of model.replicas) {
      if (model.queue.length === 0) return;
      if (rep.ready && !rep.busy) this.tryDispatch(rep, model);
    }
  }

  private tryDispatch(rep: Replica, model: ModelState): void {
    const now = this.ctx.now();
    if (this.edf) {
      // The released code drops requests whose deadline has passed before forming a batch.
      for (let h = model.queue.peek(); h && h.deadline <= now; h = model.queue.peek()) {
        model.queue.shift();
        if (this.mode === 'lru') rep.mem.unpin(rep.model);
        this.stats.dropped++;
        this.ctx.respond(h, 'timeout');
      }
    }
    const head = model.queue.peek();
    if (!head) return;
    const limit = rep.policy.limit(now, head);
    if (model.queue.length < limit && this.batchTimeout > 0) {
      const due = head.arrival + this.batchTimeout;
      if (now < due) {
        if (!rep.timer) rep.timer = this.ctx.setTimer(due, rep);
        return;
      }
    }
    if (rep.timer) {
      this.ctx.cancelTimer(rep.timer);
      rep.timer = null;
    }
    const batch: Request[] = [];
    let slo = Infinity;
    while (batch.length < limit && model.queue.length > 0) {
      const r = model.queue.shift()!;
      batch.push(r);
      if (r.slo < slo) slo = r.slo;
    }
    rep.busy = true;
    rep.sentAt = now;
    rep.mem.touch(rep.model);
    this.stats.batches++;
    this.ctx.send({ type: 'INFER', gpu: rep.gpu, model: rep.model, earliest: now, latest: NEVER, requests: batch, tag: slo });
  }

  onTimer(token: unknown): void {
    const rep = token as Replica;
    rep.timer = null;
    const model = this.models[rep.model];
    if (rep.ready && !rep.busy && model.replicas.includes(rep)) this.tryDispatch(rep, model);
  }

  onResult(res: ActionResult): void {
    const a = res.action;
    const v = this.views[a.gpu];
    const model = this.models[a.model];
    if (a.type === 'LOAD') {
      const st = v.onResult(res);
      const rep = model.replicas.find((r) => r.gpu === a.gpu);
      if (st === 'loaded' && rep) rep.ready = true;
      else if (st === 'failed' && rep) {
        model.replicas = model.replicas.filter((r) => r !== rep);
        if (model.replicas.length === 0 && this.mode === 'static') {
          model.unserved = true;
          while (model.queue.length > 0) this.ctx.respond(model.queue.shift()!, 'failed');
        } else if (this.mode === 'lru') this.loadReactively(a.model);
      }
      this.pump(a.model);
      return;
    }
    if (a.type === 'EVICT') return;
    const rep = model.replicas.find((r) => r.gpu === a.gpu);
    if (this.mode === 'lru') v.unpin(a.model, a.requests.length);
    if (rep) {
      rep.busy = false;
      if (res.ok) rep.policy.observe(a.requests.length, res.receivedAt - rep.sentAt, a.tag as number);
    }
    this.pump(a.model);
    if (this.mode === 'lru') this.retryWaiting();
  }

  summary(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.stats };
    const sizes: number[] = [];
    for (const model of this.models) {
      for (const rep of model.replicas) {
        const p = rep.policy;
        sizes.push(p instanceof Aimd ? p.maxBatch : (p as LatencyRegression).maxBatchSize);
      }
    }
    if (sizes.length) out.finalMaxBatch = { min: Math.min(...sizes), max: Math.max(...sizes), mean: Number((sizes.reduce((s, x) => s + x, 0) / sizes.length).toFixed(3)) };
    out.unservedModels = this.models.filter((m) => m.unserved).length;
    return out;
  }
}

registerScheduler({
  name: 'clipper',
  description: 'Clipper (NSDI\'17): static deployment, one queue per model, AIMD adaptive batching (budget SLO x 0.92, +1 / x0.9), containers overlap on a GPU',
  options: clipperOptions,
  create: (o: ClipperOptions) => new ClipperScheduler('clipper', 'static', o.replicas, false, o.batchTimeout, o.maxBatch, (cap) => new Aimd(o, cap)),
  engine: (o) => execEngine(o.execConcurrency),
});

registerScheduler({
  name: 'clipper-lru',
  description: 'Variant of clipper (not the paper\'s deployment): load on first request on the least-loaded GPU, LRU eviction; same queues and AIMD',
  options: clipperLruOptions,
  create: (o: ClipperLruOptions) => new ClipperScheduler('clipper-lru', 'lru', 1, false, o.batchTimeout, o.maxBatch, (cap) => new Aimd(o, cap)),
  engine: (o) => execEngine(o.execConcurrency),
});

registerScheduler({
  name: 'clipper-code',
  description: 'Clipper as released (containers.cpp): EDF queue dropping expired requests, batch size from a regression of p99 latency on batch size',
  options: clipperCodeOptions,
  create: (o: ClipperCodeOptions) =>
    new ClipperScheduler('clipper-code', 'static', o.replicas, true, 0, o.maxBatch, (cap, ctx) => new LatencyRegression(o, cap, ctx.rng('clipper-code'))),
  engine: (o) => execEngine(o.execConcurrency),
});
