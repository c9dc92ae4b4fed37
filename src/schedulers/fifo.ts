/**
 * FIFO, the floor every policy must beat: one queue per GPU, batch 1, served in arrival order with
 * no deadline awareness. Models are pre-loaded round-robin over the GPUs while memory lasts; a
 * request for a model no GPU holds is routed to the GPU with the shortest queue and its model is
 * loaded on demand there, evicting least-recently-used idle models when pages run out.
 */
import { z } from 'zod';
import type { Action, ActionResult, GpuId, ModelId, Request, Scheduler, SchedulerContext } from '../sim/types.js';
import { registerScheduler } from './registry.js';

const options = z.strictObject({
  /** INFER actions outstanding per GPU (2 keeps the next one waiting at the worker). */
  inflight: z.number().int().positive().default(2),
  /** Pre-load models round-robin at the start while memory lasts. */
  preload: z.boolean().default(true),
});
type Options = z.output<typeof options>;

const NEVER = Number.MAX_SAFE_INTEGER;

class GpuView {
  readonly queue: Request[] = [];
  head = 0;
  freePages: number;
  inflight = 0;
  /** model -> 'loading' | 'loaded' */
  readonly state = new Map<ModelId, 'loading' | 'loaded'>();
  /** model -> last use (request routed or executed), for LRU. */
  readonly lastUse = new Map<ModelId, number>();
  /** model -> requests queued or executing here. */
  readonly busy = new Map<ModelId, number>();
  constructor(readonly id: GpuId, pages: number) {
    this.freePages = pages;
  }
  get length(): number {
    return this.queue.length - this.head;
  }
}

export class FifoScheduler implements Scheduler {
  readonly name = 'fifo';
  private ctx!: SchedulerContext;
  private gpus: GpuView[] = [];

  constructor(private readonly o: Options) {}

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    this.gpus = ctx.gpus.map((g) => new GpuView(g.id, g.totalPages));
    if (!this.o.preload || this.gpus.length === 0) return;
    let g = 0;
    for (const m of ctx.models) {
      // Round-robin: the next GPU (in turn) with room.
      for (let tries = 0; tries < this.gpus.length; tries++) {
        const v = this.gpus[(g + tries) % this.gpus.length];
        if (v.freePages >= m.pages) {
          this.load(v, m.id);
          g = (g + tries + 1) % this.gpus.length;
          break;
        }
      }
    }
  }

  private load(v: GpuView, model: ModelId): void {
    v.freePages -= this.ctx.models[model].pages;
    v.state.set(model, 'loading');
    v.lastUse.set(model, this.ctx.now());
    this.ctx.send({ type: 'LOAD', gpu: v.id, model, earliest: this.ctx.now(), latest: NEVER });
  }

  onRequest(r: Request): void {
    let best: GpuView | undefined;
    for (const v of this.gpus) {
      if (v.state.has(r.model) && (!best || v.length < best.length)) best = v;
    }
    if (!best) {
      for (const v of this.gpus) if (!best || v.length < best.length) best = v;
    }
    if (!best) {
      this.ctx.respond(r, 'failed');
      return;
    }
    best.queue.push(r);
    best.lastUse.set(r.model, this.ctx.now());
    best.busy.set(r.model, (best.busy.get(r.model) ?? 0) + 1);
    this.pump(best);
  }

  /** Dispatch from the head of the GPU's queue while actions may be outstanding. */
  private pump(v: GpuView): void {
    while (v.inflight < this.o.inflight && v.length > 0) {
      const r = v.queue[v.head];
      const st = v.state.get(r.model);
      if (st === undefined) {
        if (!this.makeRoom(v, this.ctx.models[r.model].pages)) return;
        this.load(v, r.model);
        return;
      }
      if (st === 'loading') return;
      v.head++;
      if (v.head > 1024 && v.head * 2 > v.queue.length) {
        v.queue.splice(0, v.head);
        v.head = 0;
      }
      v.inflight++;
      v.lastUse.set(r.model, this.ctx.now());
      const now = this.ctx.now();
      this.ctx.send({ type: 'INFER', gpu: v.id, model: r.model, earliest: now, latest: NEVER, requests: [r] });
    }
  }

  /** Evict least-recently-used idle models until `pages` are free; false if that is impossible now. */
  private makeRoom(v: GpuView, pages: number): boolean {
    while (v.freePages < pages) {
      let victim = -1;
      let oldest = Infinity;
      for (const [m, st] of v.state) {
        if (st !== 'loaded' || (v.busy.get(m) ?? 0) > 0) continue;
        const t = v.lastUse.get(m) ?? 0;
        if (t < oldest || (t === oldest && m < victim)) {
          oldest = t;
          victim = m;
        }
      }
      if (victim < 0) return false;
      v.state.delete(victim);
      v.freePages += this.ctx.models[victim].pages;
      this.ctx.send({ type: 'EVICT', gpu: v.id, model: victim, earliest: this.ctx.now(), latest: NEVER });
    }
    return true;
  }

  onResult(res: ActionResult): void {
    const a: Action = res.action;
    const v = this.gpus[a.gpu];
    if (a.type === 'LOAD') {
      if (res.ok) v.state.set(a.model, 'loaded');
      else {
        v.state.delete(a.model);
        v.freePages += this.ctx.models[a.model].pages;
      }
    } else if (a.type === 'INFER') {
      v.inflight--;
      const left = (v.busy.get(a.model) ?? 1) - a.requests.length;
      if (left > 0) v.busy.set(a.model, left);
      else v.busy.delete(a.model);
      if (!res.ok) for (const r of a.requests) this.ctx.respond(r, 'failed');
    }
    this.pump(v);
  }
}

registerScheduler({
  name: 'fifo',
  description: 'Floor baseline: one FIFO queue per GPU, batch 1, no deadline awareness; preload round-robin, load on demand with LRU eviction',
  options,
  create: (o) => new FifoScheduler(o),
});
