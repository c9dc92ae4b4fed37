/**
 * FIFO, the floor every policy must beat: one queue per GPU, batch 1, served in arrival order with
 * no deadline awareness. Models are pre-loaded round-robin over the GPUs while memory lasts; a
 * request for a model no GPU holds is routed to the GPU with the shortest queue and its model is
 * loaded on demand there, evicting least-recently-used idle models when pages run out.
 */
import { z } from 'zod';
import { Fifo } from '../sim/fifo.js';
import { MAX_COUNT } from '../util/units-zod.js';
import type { ActionResult, GpuId, Request, Scheduler, SchedulerContext } from '../sim/types.js';
import { Residency } from '../sim/gpu.js';
import { GpuMemoryView, NEVER, memoryViews, placeStatically } from './gpu-memory.js';
import { registerScheduler } from './registry.js';

const options = z.strictObject({
  /** INFER actions outstanding per GPU (2 keeps the next one waiting at the worker). */
  inflight: z.number().int().positive().max(MAX_COUNT).default(2),
  /** Pre-load models round-robin at the start while memory lasts. */
  preload: z.boolean().default(true),
});
type Options = z.output<typeof options>;

class GpuQueue {
  readonly queue = new Fifo<Request>();
  inflight = 0;
  constructor(
    readonly id: GpuId,
    readonly mem: GpuMemoryView,
  ) {}
  get length(): number {
    return this.queue.length;
  }
}

export class FifoScheduler implements Scheduler {
  readonly name = 'fifo';
  private ctx!: SchedulerContext;
  private gpus: GpuQueue[] = [];

  constructor(private readonly o: Options) {}

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    const views = memoryViews(ctx);
    this.gpus = views.map((v) => new GpuQueue(v.gpu, v));
    if (this.o.preload && views.length > 0) placeStatically(views, ctx.models.length, 1);
  }

  onRequest(r: Request): void {
    let best: GpuQueue | undefined;
    for (const v of this.gpus) {
      if (v.mem.holds(r.model) && (!best || v.length < best.length)) best = v;
    }
    if (!best) {
      for (const v of this.gpus) if (!best || v.length < best.length) best = v;
    }
    if (!best) {
      this.ctx.respond(r, 'failed');
      return;
    }
    best.queue.push(r);
    best.mem.touch(r.model);
    this.pump(best);
  }

  /** Dispatch from the head of the GPU's queue while actions may be outstanding. */
  private pump(v: GpuQueue): void {
    while (v.inflight < this.o.inflight && v.length > 0) {
      const r = v.queue.peek()!;
      const st = v.mem.state[r.model];
      if (st === Residency.NONE) {
        if (!v.mem.makeRoom(this.ctx.models[r.model].pages)) return;
        v.mem.load(r.model);
        return;
      }
      if (st === Residency.LOADING) return;
      v.queue.shift();
      v.inflight++;
      v.mem.touch(r.model);
      // Only executing work pins a model: strict arrival order may evict a model that still has queued
      // requests (they reload it when they reach the head), and waiting on queued work would deadlock.
      v.mem.pin(r.model);
      const now = this.ctx.now();
      this.ctx.send({ type: 'INFER', gpu: v.id, model: r.model, earliest: now, latest: NEVER, requests: [r] });
    }
  }

  onResult(res: ActionResult): void {
    const a = res.action;
    const v = this.gpus[a.gpu];
    if (a.type === 'INFER') {
      v.inflight--;
      v.mem.unpin(a.model, a.requests.length);
    } else v.mem.onResult(res);
    this.pump(v);
  }
}

registerScheduler({
  name: 'fifo',
  description: 'Floor baseline: one FIFO queue per GPU, batch 1, no deadline awareness; preload round-robin, load on demand with LRU eviction',
  options,
  create: (o) => new FifoScheduler(o),
});
