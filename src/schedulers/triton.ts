/**
 * Triton's dynamic batcher (after DynamicBatchScheduler::GetDynamicBatch), specified in
 * README.md, "Reactive baselines" (triton): static load of `instanceCount` instances per GPU,
 * one queue per model, batches formed by formBatch whenever an instance is free, queue timeout
 * and size limit answered as rejections.
 */
import { z } from 'zod';
import type { ActionResult, GpuId, ModelId, Request, Scheduler, SchedulerContext, TimerHandle } from '../sim/types.js';
import { MAX_COUNT, zDuration } from '../util/units-zod.js';
import { execConcurrencyOption, execEngine } from './concurrency.js';
import { GpuMemoryView, NEVER, memoryViews, placeStatically } from './gpu-memory.js';
import { FifoQueue } from './queues.js';
import { registerScheduler } from './registry.js';

export const tritonOptions = z
  .strictObject({
    /** Largest batch (capped at the model's largest supported batch size). */
    maxBatchSize: z.number().int().positive().max(MAX_COUNT).default(8),
    /** Batch sizes sent at once when reached (none: maxBatchSize is the only one). */
    preferredBatchSizes: z.array(z.number().int().positive().max(MAX_COUNT)).default([]),
    /** max_queue_delay_microseconds: how long the oldest request may wait for a batch to fill. */
    maxQueueDelay: zDuration({ allowZero: true }).default(0),
    /** default_timeout_microseconds: reject a request that has waited this long in the queue (0 = never). */
    defaultTimeout: zDuration({ allowZero: true }).default(0),
    /** max_queue_size: reject arrivals at a queue this long (0 = unbounded). */
    maxQueueSize: z.number().int().nonnegative().max(MAX_COUNT).default(0),
    /** instance_count: instances of each model per GPU holding it (each runs one batch at a time). */
    instanceCount: z.number().int().positive().max(MAX_COUNT).default(1),
    /** GPUs each model is loaded on (0 = every GPU). */
    replicas: z.number().int().nonnegative().max(MAX_COUNT).default(0),
    /** Engine cap on overlapping executions per GPU; 0 = no cap (one batch per instance anyway). */
    execConcurrency: execConcurrencyOption,
  })
  .superRefine((o, ctx) => {
    o.preferredBatchSizes.forEach((b, i) => {
      if (b > o.maxBatchSize) {
        ctx.addIssue({ code: 'custom', path: ['preferredBatchSizes', i], message: `expected a size no larger than maxBatchSize (${o.maxBatchSize})` });
      }
    });
  });
type TritonOptions = z.output<typeof tritonOptions>;

interface Instance {
  readonly gpu: GpuId;
  readonly index: number;
  ready: boolean;
  busy: boolean;
}

interface ModelState {
  readonly queue: FifoQueue;
  readonly instances: Instance[];
  unserved: boolean;
  delayTimer: TimerHandle | null;
  delayDue: number;
  timeoutTimer: TimerHandle | null;
  maxBatch: number;
}

export class TritonScheduler implements Scheduler {
  readonly name = 'triton';
  private ctx!: SchedulerContext;
  private views: GpuMemoryView[] = [];
  private models: ModelState[] = [];
  /** Busy instances per GPU (for picking the least busy GPU). */
  private busyOnGpu: Int32Array = new Int32Array(0);
  private readonly preferred: Set<number>;
  private readonly maxPreferred: number;
  private readonly stats = { batches: 0, sentOnPreferred: 0, sentOnDelay: 0, sentFull: 0, rejectedTimeout: 0, rejectedQueueFull: 0 };

  constructor(private readonly o: TritonOptions) {
    this.preferred = new Set(o.preferredBatchSizes);
    this.maxPreferred = o.preferredBatchSizes.length ? Math.max(...o.preferredBatchSizes) : o.maxBatchSize;
  }

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    this.views = memoryViews(ctx);
    this.busyOnGpu = new Int32Array(ctx.gpus.length);
    const copies = this.o.replicas === 0 ? Infinity : this.o.replicas;
    const placed = placeStatically(this.views, ctx.models.length, copies);
    this.models = placed.map((gpus, m) => {
      const sizes = ctx.models[m].profile.batchSizes;
      const instances: Instance[] = [];
      for (const gpu of gpus) for (let i = 0; i < this.o.instanceCount; i++) instances.push({ gpu, index: i, ready: false, busy: false });
      return {
        queue: new FifoQueue(),
        instances,
        unserved: gpus.length === 0,
        delayTimer: null,
        delayDue: -1,
        timeoutTimer: null,
        maxBatch: Math.min(this.o.maxBatchSize, sizes[sizes.length - 1]),
      };
    });
  }

  onRequest(r: Request): void {
    const model = this.models[r.model];
    if (model.unserved) {
      this.ctx.respond(r, 'failed');
      return;
    }
    this.expire(r.model);
    if (this.o.maxQueueSize > 0 && model.queue.length >= this.o.maxQueueSize) {
      this.stats.rejectedQueueFull++;
      this.ctx.respond(r, 'rejected');
      return;
    }
    model.queue.push(r);
    this.armTimeout(r.model);
    this.pump(r.model);
  }

  /** Reject queued requests that have waited defaultTimeout (they are at the head: FIFO, one timeout). */
  private expire(m: ModelId): void {
    if (this.o.defaultTimeout === 0) return;
    const model = this.models[m];
    const now = this.ctx.now();
    for (let h = model.queue.peek(); h && now >= h.arrival + this.o.defaultTimeout; h = model.queue.peek()) {
      model.queue.shift();
      this.stats.rejectedTimeout++;
      this.ctx.respond(h, 'rejected');
    }
  }

  private armTimeout(m: ModelId): void {
    const model = this.models[m];
    if (this.o.defaultTimeout === 0 || model.timeoutTimer) return;
    const head = model.queue.peek();
    if (head) model.timeoutTimer = this.ctx.setTimer(head.arrival + this.o.defaultTimeout, { kind: 'timeout', model: m });
  }

  private freeInstance(model: ModelState): Instance | undefined {
    let best: Instance | undefined;
    for (const inst of model.instances) {
      if (!inst.ready || inst.busy) continue;
      if (!best || this.busyOnGpu[inst.gpu] < this.busyOnGpu[best.gpu]) best = inst;
    }
    return best;
  }

  /**
   * How many requests to send now (0 = wait), by GetDynamicBatch's rules, and why:
   * 'preferred', 'delay' (the oldest waited maxQueueDelay) or 'full' (cannot grow further).
   */
  formBatch(queueLength: number, oldestWaited: number, maxBatch: number): { size: number; why: 'preferred' | 'delay' | 'full' | 'wait' } {
    let pending = 0;
    let best = 0;
    let sendNow = false;
    for (let i = 0; i < queueLength; i++) {
      if (pending > 0) {
        if (pending + 1 > this.maxPreferred && best === 0) best = pending;
        if (pending + 1 > maxBatch) {
          sendNow = true;
          break;
        }
      }
      pending++;
      if (this.preferred.has(pending)) best = pending;
    }
    const delayExceeded = oldestWaited >= this.o.maxQueueDelay;
    if (best !== 0 && !delayExceeded) return { size: best, why: 'preferred' };
    if (pending === 0) return { size: 0, why: 'wait' };
    if (delayExceeded) return { size: pending, why: 'delay' };
    if (sendNow || pending >= this.maxPreferred) return { size: pending, why: 'full' };
    return { size: 0, why: 'wait' };
  }

  private pump(m: ModelId): void {
    const model = this.models[m];
    const now = this.ctx.now();
    for (;;) {
      const head = model.queue.peek();
      if (!head) break;
      const inst = this.freeInstance(model);
      if (!inst) break;
      const { size, why } = this.formBatch(model.queue.length, now - head.arrival, model.maxBatch);
      if (size === 0) {
        const due = head.arrival + this.o.maxQueueDelay;
        if (model.delayDue !== due) {
          if (model.delayTimer) this.ctx.cancelTimer(model.delayTimer);
          model.delayTimer = this.ctx.setTimer(due, { kind: 'delay', model: m });
          model.delayDue = due;
        }
        break;
      }
      const batch: Request[] = [];
      for (let i = 0; i < size; i++) batch.push(model.queue.shift()!);
      if (why === 'preferred') this.stats.sentOnPreferred++;
      else if (why === 'delay') this.stats.sentOnDelay++;
      else this.stats.sentFull++;
      this.stats.batches++;
      inst.busy = true;
      this.busyOnGpu[inst.gpu]++;
      this.views[inst.gpu].touch(m);
      this.ctx.send({ type: 'INFER', gpu: inst.gpu, model: m, earliest: now, latest: NEVER, requests: batch, tag: inst });
    }
    if (model.queue.length === 0 && model.delayTimer) {
      this.ctx.cancelTimer(model.delayTimer);
      model.delayTimer = null;
      model.delayDue = -1;
    }
  }

  onTimer(token: unknown): void {
    const t = token as { kind: 'delay' | 'timeout'; model: ModelId };
    const model = this.models[t.model];
    if (t.kind === 'delay') {
      model.delayTimer = null;
      model.delayDue = -1;
    } else {
      model.timeoutTimer = null;
      this.expire(t.model);
      this.armTimeout(t.model);
    }
    this.pump(t.model);
  }

  onResult(res: ActionResult): void {
    const a = res.action;
    const model = this.models[a.model];
    if (a.type === 'LOAD') {
      const st = this.views[a.gpu].onResult(res);
      for (const inst of model.instances) if (inst.gpu === a.gpu) inst.ready = st === 'loaded';
      if (st === 'failed' && !model.instances.some((i) => i.gpu !== a.gpu)) {
        model.unserved = true;
        while (model.queue.length > 0) this.ctx.respond(model.queue.shift()!, 'failed');
      }
      this.pump(a.model);
      return;
    }
    if (a.type !== 'INFER') return;
    const inst = a.tag as Instance;
    inst.busy = false;
    this.busyOnGpu[inst.gpu]--;
    this.expire(a.model);
    this.pump(a.model);
  }

  summary(): Record<string, unknown> {
    return { ...this.stats, unservedModels: this.models.filter((m) => m.unserved).length };
  }
}

registerScheduler({
  name: 'triton',
  description: 'Triton dynamic batcher: static load, per-model queue, preferred batch sizes and max queue delay, instanceCount instances per GPU, queue timeout with reject, max queue size',
  options: tritonOptions,
  create: (o) => new TritonScheduler(o),
  engine: (o) => execEngine(o.execConcurrency),
});
