/**
 * The controller's view of GPU weight memory, shared by the reactive policies (fifo, clipper,
 * clipper-lru, infaas, triton): which models each GPU holds or is loading, the free pages left
 * once those LOADs land, when each model was last used (for LRU eviction) and how much work is
 * pending for it there (a model with pending work is never evicted).
 *
 * The view is what the controller believes from the actions it sent and the results it got back;
 * the worker itself never evicts. Decisions never depend on the insertion order of a hash map:
 * state is kept in arrays indexed by model id, and ties go to the lower model id.
 */
import { Residency } from '../sim/gpu.js';
import type { ActionResult, GpuId, ModelId, SchedulerContext } from '../sim/types.js';

/** `latest` of actions that must never fail as too late. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export class GpuMemoryView {
  freePages: number;
  /** Residency per model (what the controller believes). */
  readonly state: Uint8Array;
  /** Last use per model (ns), for LRU. */
  readonly lastUse: Float64Array;
  /** Pending work per model here (queued or executing requests/batches): never evicted while > 0. */
  readonly pins: Int32Array;

  constructor(
    private readonly ctx: SchedulerContext,
    readonly gpu: GpuId,
  ) {
    this.freePages = ctx.gpus[gpu].totalPages;
    const n = ctx.models.length;
    this.state = new Uint8Array(n);
    this.lastUse = new Float64Array(n);
    this.pins = new Int32Array(n);
  }

  /** Loaded or loading here. */
  holds(m: ModelId): boolean {
    return this.state[m] !== Residency.NONE;
  }

  loaded(m: ModelId): boolean {
    return this.state[m] === Residency.LOADED;
  }

  touch(m: ModelId): void {
    this.lastUse[m] = this.ctx.now();
  }

  pin(m: ModelId, n = 1): void {
    this.pins[m] += n;
  }

  unpin(m: ModelId, n = 1): void {
    this.pins[m] = Math.max(0, this.pins[m] - n);
  }

  fits(m: ModelId): boolean {
    return this.freePages >= this.ctx.models[m].pages;
  }

  /** Send LOAD(m) to this GPU (the caller made room). */
  load(m: ModelId): void {
    const pages = this.ctx.models[m].pages;
    if (this.state[m] !== Residency.NONE) throw new Error(`GPU ${this.gpu} already holds model ${m}`);
    if (pages > this.freePages) throw new Error(`GPU ${this.gpu} has ${this.freePages} free pages, model ${m} needs ${pages}`);
    this.freePages -= pages;
    this.state[m] = Residency.LOADING;
    this.touch(m);
    const now = this.ctx.now();
    this.ctx.send({ type: 'LOAD', gpu: this.gpu, model: m, earliest: now, latest: NEVER });
  }

  /** Send EVICT(m) (must be loaded); its pages count as free at once. */
  evict(m: ModelId): void {
    if (this.state[m] !== Residency.LOADED) throw new Error(`GPU ${this.gpu}: cannot evict model ${m}, which is not loaded`);
    this.state[m] = Residency.NONE;
    this.freePages += this.ctx.models[m].pages;
    const now = this.ctx.now();
    this.ctx.send({ type: 'EVICT', gpu: this.gpu, model: m, earliest: now, latest: NEVER });
  }

  /** Loaded models without pending work, least recently used first (ties: lower id). */
  evictable(): ModelId[] {
    const out: ModelId[] = [];
    for (let m = 0; m < this.state.length; m++) if (this.state[m] === Residency.LOADED && this.pins[m] === 0) out.push(m);
    out.sort((a, b) => this.lastUse[a] - this.lastUse[b] || a - b);
    return out;
  }

  /**
   * Make `pages` free by evicting least-recently-used models without pending work. Evicts
   * nothing and returns false if even evicting all of them would not be enough. `onEvict` is told
   * of each eviction (so a policy can drop its replica).
   */
  makeRoom(pages: number, onEvict?: (m: ModelId) => void): boolean {
    if (this.freePages >= pages) return true;
    const victims = this.evictable();
    let could = this.freePages;
    for (const m of victims) could += this.ctx.models[m].pages;
    if (could < pages) return false;
    for (const m of victims) {
      if (this.freePages >= pages) break;
      this.evict(m);
      onEvict?.(m);
    }
    return true;
  }

  /** Account for a LOAD or EVICT result. Returns 'loaded' / 'failed' for LOADs, null otherwise. */
  onResult(res: ActionResult): 'loaded' | 'failed' | null {
    const a = res.action;
    if (a.type !== 'LOAD') return null;
    if (res.ok) {
      // An EVICT sent while loading would have been refused by the worker; this view never does that.
      if (this.state[a.model] === Residency.LOADING) this.state[a.model] = Residency.LOADED;
      return 'loaded';
    }
    if (this.state[a.model] === Residency.LOADING) {
      this.state[a.model] = Residency.NONE;
      this.freePages += this.ctx.models[a.model].pages;
    }
    return 'failed';
  }
}

/** One view per GPU of the context. */
export function memoryViews(ctx: SchedulerContext): GpuMemoryView[] {
  return ctx.gpus.map((g) => new GpuMemoryView(ctx, g.id));
}

/**
 * Static deployment: place `copies` replicas of every model (in id order) on distinct GPUs,
 * round-robin from where the previous placement stopped, while memory lasts, and send the LOADs.
 * `copies` = Infinity places a model on every GPU with room. Returns the GPUs of each model (an
 * empty list: the model fits nowhere and is not served).
 */
export function placeStatically(views: readonly GpuMemoryView[], models: number, copies: number): GpuId[][] {
  const out: GpuId[][] = [];
  const n = views.length;
  let next = 0;
  for (let m = 0; m < models; m++) {
    const gpus: GpuId[] = [];
    for (let tries = 0; tries < n && gpus.length < copies; tries++) {
      const v = views[(next + tries) % n];
      if (v.fits(m)) {
        v.load(m);
        gpus.push(v.gpu);
      }
    }
    if (gpus.length > 0) next = (gpus[gpus.length - 1] + 1) % n;
    out.push(gpus.sort((a, b) => a - b));
  }
  return out;
}
