/**
 * INFaaS (Romero et al., ATC'21), reduced to what decides latency, specified in README.md,
 * "Reactive baselines" (infaas): loads on first request with LRU eviction, TF-Serving batching
 * per replica, routing to the replica with the fewest pending requests, and autoscaling checked
 * every `monitorInterval`.
 */
import { z } from 'zod';
import type { ActionResult, GpuId, ModelId, Request, Scheduler, SchedulerContext, TimerHandle } from '../sim/types.js';
import { MAX_COUNT, zDuration } from '../util/units-zod.js';
import { execConcurrencyOption, execEngine } from './concurrency.js';
import { GpuMemoryView, NEVER, memoryViews } from './gpu-memory.js';
import { registerScheduler } from './registry.js';

export const infaasOptions = z
  .strictObject({
    /** TF-Serving max_batch_size. */
    maxBatch: z.number().int().positive().max(MAX_COUNT).default(8),
    /** TF-Serving batch_timeout_micros: the open batch may run this long after its first request joined. */
    batchTimeout: zDuration({ allowZero: true }).default(10_000_000),
    /** TF-Serving allowed_batch_sizes: batches of n > 1 are padded to the next one (ascending, last = maxBatch). */
    allowedBatchSizes: z.array(z.number().int().positive().max(MAX_COUNT)).min(1).default([2, 4, 8]),
    /** TF-Serving num_batch_threads per replica: batches of one replica executing at a time. */
    batchThreads: z.number().int().positive().max(MAX_COUNT).default(1),
    /** Scale out when a replica's utilization over a monitoring interval exceeds this. */
    scaleOutUtilization: z.number().gt(0).max(1).default(0.8),
    /** How often utilization is checked. */
    monitorInterval: zDuration().default(1_000_000_000),
    /** Remove an extra replica after this long without requests. */
    scaleInDelay: zDuration().default(10_000_000_000),
    execConcurrency: execConcurrencyOption,
  })
  .superRefine((o, ctx) => {
    const s = o.allowedBatchSizes;
    if (s.some((b, i) => i > 0 && b <= s[i - 1])) ctx.addIssue({ code: 'custom', path: ['allowedBatchSizes'], message: 'expected strictly ascending sizes' });
    else if (s[s.length - 1] !== o.maxBatch) {
      ctx.addIssue({ code: 'custom', path: ['allowedBatchSizes'], message: `expected the last size to equal maxBatch (${o.maxBatch}), as TF-Serving requires` });
    }
  });
type InfaasOptions = z.output<typeof infaasOptions>;

interface Replica {
  readonly model: ModelId;
  readonly gpu: GpuId;
  ready: boolean;
  /** Requests routed here while the model loads. */
  waiting: Request[];
  /** Batches not yet running; the last is the open one. */
  batches: Request[][];
  /** When the open batch's first request joined. */
  openedAt: number;
  timer: TimerHandle | null;
  inflight: number;
  /** Requests queued or executing here. */
  pending: number;
  lastRequest: number;
  /** Execution time measured from results in the current monitoring interval. */
  busy: number;
}

interface ModelState {
  replicas: Replica[];
  /** No GPU could make room: waiting for one. */
  waitingForRoom: Request[];
}

export class InfaasScheduler implements Scheduler {
  readonly name = 'infaas';
  private ctx!: SchedulerContext;
  private views: GpuMemoryView[] = [];
  private models: ModelState[] = [];
  private roomWaiters: ModelId[] = [];
  private readonly stats = { loads: 0, evictions: 0, scaleOuts: 0, scaleIns: 0, batches: 0 };

  constructor(private readonly o: InfaasOptions) {}

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    this.views = memoryViews(ctx);
    this.models = ctx.models.map(() => ({ replicas: [], waitingForRoom: [] }));
    if (ctx.gpus.length > 1) ctx.setTimer(ctx.now() + this.o.monitorInterval, 'monitor');
  }

  // ---- placement

  private gpuLoad(g: GpuId): number {
    let load = 0;
    const v = this.views[g];
    for (let m = 0; m < this.models.length; m++) if (v.holds(m)) load += v.pins[m];
    return load;
  }

  /** Load `m` on the least-loaded GPU (not holding it) that can make room. */
  private addReplica(m: ModelId): Replica | undefined {
    const pages = this.ctx.models[m].pages;
    const order = this.views.filter((v) => !v.holds(m)).map((v) => ({ v, load: this.gpuLoad(v.gpu) }));
    order.sort((a, b) => a.load - b.load || b.v.freePages - a.v.freePages || a.v.gpu - b.v.gpu);
    for (const { v } of order) {
      const evicted = (victim: ModelId): void => {
        this.removeReplica(victim, v.gpu);
        this.stats.evictions++;
      };
      if (!v.makeRoom(pages, evicted)) continue;
      v.load(m);
      this.stats.loads++;
      const rep: Replica = { model: m, gpu: v.gpu, ready: false, waiting: [], batches: [[]], openedAt: 0, timer: null, inflight: 0, pending: 0, lastRequest: this.ctx.now(), busy: 0 };
      this.models[m].replicas.push(rep);
      return rep;
    }
    return undefined;
  }

  private removeReplica(m: ModelId, gpu: GpuId): void {
    const model = this.models[m];
    model.replicas = model.replicas.filter((r) => r.gpu !== gpu);
  }

  // ---- requests

  onRequest(r: Request): void {
    const model = this.models[r.model];
    if (model.waitingForRoom.length > 0) {
      model.waitingForRoom.push(r);
      return;
    }
    let rep = this.route(model);
    if (!rep) rep = this.addReplica(r.model);
    if (!rep) {
      model.waitingForRoom.push(r);
      this.roomWaiters.push(r.model);
      return;
    }
    this.admit(rep, r);
  }

  /** The replica with the fewest pending requests (ready ones first). */
  private route(model: ModelState): Replica | undefined {
    let best: Replica | undefined;
    for (const rep of model.replicas) {
      if (!best || (rep.ready && !best.ready) || (rep.ready === best.ready && rep.pending < best.pending)) best = rep;
    }
    return best;
  }

  private admit(rep: Replica, r: Request): void {
    const v = this.views[rep.gpu];
    v.touch(rep.model);
    v.pin(rep.model);
    rep.pending++;
    rep.lastRequest = this.ctx.now();
    if (!rep.ready) rep.waiting.push(r);
    else this.enqueue(rep, r);
  }

  private enqueue(rep: Replica, r: Request): void {
    let open = rep.batches[rep.batches.length - 1];
    if (open.length >= this.o.maxBatch) {
      open = [];
      rep.batches.push(open);
    }
    if (open.length === 0) rep.openedAt = this.ctx.now();
    open.push(r);
    this.dispatch(rep);
  }

  /** Batch threads take closed batches, or the open one once full or timed out. */
  private dispatch(rep: Replica): void {
    const now = this.ctx.now();
    while (rep.inflight < this.o.batchThreads) {
      const first = rep.batches[0];
      if (first.length === 0) break;
      const isOpen = rep.batches.length === 1;
      if (isOpen && first.length < this.o.maxBatch && now < rep.openedAt + this.o.batchTimeout) {
        if (!rep.timer) rep.timer = this.ctx.setTimer(rep.openedAt + this.o.batchTimeout, rep);
        break;
      }
      rep.batches.shift();
      if (rep.batches.length === 0) rep.batches.push([]);
      this.send(rep, first);
    }
    if (rep.timer && (rep.batches[0].length === 0 || rep.inflight >= this.o.batchThreads)) {
      // Nothing to wait for, or no free thread: the next result re-checks.
      this.ctx.cancelTimer(rep.timer);
      rep.timer = null;
    }
  }

  private send(rep: Replica, batch: Request[]): void {
    const n = batch.length;
    let padTo = 1;
    if (n > 1) padTo = this.o.allowedBatchSizes.find((b) => b >= n) ?? n;
    rep.inflight++;
    this.stats.batches++;
    this.views[rep.gpu].touch(rep.model);
    const now = this.ctx.now();
    this.ctx.send({ type: 'INFER', gpu: rep.gpu, model: rep.model, earliest: now, latest: NEVER, requests: batch, padTo, tag: rep });
  }

  onTimer(token: unknown): void {
    if (token === 'monitor') {
      this.monitor();
      this.ctx.setTimer(this.ctx.now() + this.o.monitorInterval, 'monitor');
      return;
    }
    const rep = token as Replica;
    rep.timer = null;
    if (this.models[rep.model].replicas.includes(rep)) this.dispatch(rep);
  }

  // ---- autoscaling

  private monitor(): void {
    const now = this.ctx.now();
    for (let m = 0; m < this.models.length; m++) {
      const model = this.models[m];
      if (model.replicas.length === 0) continue;
      let hot = false;
      for (const rep of model.replicas) {
        if (rep.busy / (this.o.monitorInterval * this.o.batchThreads) > this.o.scaleOutUtilization) hot = true;
        rep.busy = 0;
      }
      const loading = model.replicas.some((r) => !r.ready);
      if (hot && !loading && model.replicas.length < this.views.length) {
        if (this.addReplica(m)) this.stats.scaleOuts++;
        continue;
      }
      if (model.replicas.length > 1) {
        const idle = model.replicas.filter((r) => r.ready && r.pending === 0 && now - r.lastRequest >= this.o.scaleInDelay);
        // Keep at least one replica.
        for (const rep of idle.slice(0, model.replicas.length - 1)) {
          const v = this.views[rep.gpu];
          if (v.pins[m] > 0 || !v.loaded(m)) continue;
          v.evict(m);
          this.removeReplica(m, rep.gpu);
          this.stats.scaleIns++;
        }
      }
    }
  }

  // ---- results

  onResult(res: ActionResult): void {
    const a = res.action;
    const model = this.models[a.model];
    if (a.type === 'LOAD') {
      const st = this.views[a.gpu].onResult(res);
      const rep = model.replicas.find((r) => r.gpu === a.gpu);
      if (rep && st === 'loaded') {
        rep.ready = true;
        const waiting = rep.waiting;
        rep.waiting = [];
        for (const r of waiting) this.enqueue(rep, r);
      } else if (rep && st === 'failed') {
        model.replicas = model.replicas.filter((r) => r !== rep);
        this.views[a.gpu].unpin(a.model, rep.pending);
        for (const r of rep.waiting) this.onRequest(r);
      }
      return;
    }
    if (a.type !== 'INFER') return;
    const rep = a.tag as Replica;
    rep.inflight--;
    rep.pending -= a.requests.length;
    if (res.ok && res.duration !== undefined) rep.busy += res.duration;
    this.views[a.gpu].unpin(a.model, a.requests.length);
    if (model.replicas.includes(rep)) this.dispatch(rep);
    this.retryRoom();
  }

  private retryRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const list = this.roomWaiters;
    this.roomWaiters = [];
    for (const m of list) {
      const model = this.models[m];
      const reqs = model.waitingForRoom;
      if (reqs.length === 0) continue;
      const rep = this.addReplica(m);
      if (!rep) {
        this.roomWaiters.push(m);
        continue;
      }
      model.waitingForRoom = [];
      for (const r of reqs) this.admit(rep, r);
    }
  }

  summary(): Record<string, unknown> {
    return { ...this.stats };
  }
}

registerScheduler({
  name: 'infaas',
  description: 'INFaaS (ATC\'21): load on first request on the least-loaded GPU with LRU eviction, TF-Serving batching (max 8, 10 ms timeout, sizes 2/4/8), overlapping executions, scale-out above 80% utilization',
  options: infaasOptions,
  create: (o) => new InfaasScheduler(o),
  engine: (o) => execEngine(o.execConcurrency),
});
