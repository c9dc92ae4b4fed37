/**
 * Clockwork's LOAD/EVICT policy: the demand accounting that decides which model a GPU's PCIe
 * weights lane loads next, and which models make room for it (README.md, "The `clockwork`
 * scheduler"; docs/clockwork-load-policy.md). Two variants, chosen by the `loadPolicy` option:
 *
 * - `intended`: the policy as the paper describes it. A queued request adds its execution demand
 *   (estimate(m,1) x defaultSlo / exec_slo) to its model's load demand until arrival + weights_slo;
 *   a GPU that does not hold the model loads it only if the demand is not covered by the spare
 *   capacity of the GPUs that do.
 * - `released`: what the released source (scheduler INFER5's load tracker) does, which is what the
 *   paper's numbers came from. A queued request adds estimate(m,1) x defaultSlo / weights_slo of
 *   load demand for as long as it is queued; the demand the holders "serve" is a ratio, capacity x
 *   required / outstanding; and every model with load demand that a GPU does not hold is a
 *   candidate there, whatever its priority (eager replication). See `ReleasedPolicy`.
 *
 * Both share the execution-demand allocation (a model's queued execution demand is shared among
 * the GPUs holding it in proportion to their spare capacity, a GPU absorbing `capacity` =
 * defaultSlo of it) and the eviction order (least recently used models without queued requests,
 * then least recently used ones; never one loading, nor one with an INFER in flight under
 * evictInFlight "never").
 *
 * The scheduler calls: requestLoad/loadUntil (a new request's load demand), queued/unqueued (it
 * joins or leaves the queues), expire (time passes), update (a model changed: reallocate, re-offer
 * it), loadSent/loadResult/evicted (holders change), hasDemand/choose (a weights lane about to idle:
 * what to load) and victims (what to evict for it). Cost: O(log n) per request; choose() examines
 * candidates in decreasing load demand and stops at the first that cannot beat the best so far, and
 * returns at once when the GPU holds every candidate.
 */
import { Residency } from '../../sim/gpu.js';
import { Heap } from '../../util/heap.js';
import { KeyedHeap } from '../../util/keyed-heap.js';

export type LoadPolicyName = 'released' | 'intended';

/** What the policy reads of a model (the scheduler's ModelState). */
export interface PolicyModel {
  readonly id: number;
  readonly inst: { readonly pages: number };
  /** When its last request arrived (the tie-break between equal priorities: most recent first). */
  readonly lastArrival: number;
  /** Requests queued. */
  readonly live: number;
}

/** What the policy reads of a GPU (the scheduler's GpuState). */
export interface PolicyGpu {
  readonly id: number;
  readonly totalPages: number;
  readonly freePages: number;
  /** Residency per model. */
  readonly state: Uint8Array;
  /** INFERs in flight per model. */
  readonly inflight: Uint16Array;
  /** LRU list of loaded models, least recently used first (doubly linked through a sentinel). */
  readonly prev: Int32Array;
  readonly next: Int32Array;
  readonly sentinel: number;
}

/** A queued request as the policy sees it (the scheduler's QueuedRequest). */
export interface DemandItem {
  readonly r: { readonly id: number; readonly model: number };
  /** Execution demand (integer ns). */
  readonly demand: number;
  /** Load demand (integer ns), counted while `loadCounted`. */
  readonly loadDemand: number;
  /** Its load demand expires then (Infinity: only when it leaves the queues). */
  readonly loadUntil: number;
  loadCounted: boolean;
}

export interface LoadPolicy {
  readonly name: LoadPolicyName;
  /** Load demand of a new request, given its batch-1 estimate, execution demand and weights_slo. */
  requestLoad(est1: number, demand: number, weightsSlo: number): number;
  /** When a new request's load demand expires. */
  loadUntil(arrival: number, weightsSlo: number): number;
  /** A request joined its model's queues at `now`. */
  queued(q: DemandItem, now: number): void;
  /** A request left them (dispatched or cancelled). */
  unqueued(q: DemandItem): void;
  /** Expire the load demand due by `now`; models whose demand changed are passed to `changed`. */
  expire(now: number): void;
  /** A model's demand or holders changed: reallocate its execution demand, re-offer it for loading. */
  update(m: PolicyModel): void;
  /** A LOAD of model m was sent to GPU g (g now holds it). */
  loadSent(m: PolicyModel, g: number): void;
  /** The LOAD's result came back (a failed one gives the GPU up). */
  loadResult(m: PolicyModel, g: number, ok: boolean): void;
  /** Model m was evicted from GPU g. */
  evicted(m: PolicyModel, g: number): void;
  /** Whether any model has load demand (a weights lane about to idle needs waking up). */
  hasDemand(): boolean;
  /** The model GPU g should load now, or undefined. */
  choose(g: PolicyGpu): number | undefined;
  /** Models to evict from g to free `need` pages, in order; undefined if that cannot be done. */
  victims(g: PolicyGpu, need: number): number[] | undefined;
}

/** Per model: execution and load demand, the GPUs holding it and what each was allocated. */
class ModelDemand {
  /** Execution demand of queued requests. */
  demand = 0;
  /** Load demand of the requests counted (intended: not expired; released: all queued). */
  loadDemand = 0;
  /** Whether it is in the candidates heap (load demand > 0 at the last update). */
  candidate = false;
  /** GPUs holding the model (loading or loaded) and the execution demand allocated to each. */
  readonly holders: number[] = [];
  readonly allocs: number[] = [];
}

abstract class DemandPolicy implements LoadPolicy {
  abstract readonly name: LoadPolicyName;
  protected readonly d: ModelDemand[];
  /** Execution demand allocated to each GPU. */
  protected readonly allocated: Float64Array;
  /**
   * Candidates, with their load demand and last arrival at their last update: keyed by (-demand,
   * -last arrival), so largest load demand first, then most recently requested, then model id.
   */
  private readonly candidates: KeyedHeap;
  /** choose()'s scratch list of the candidates it popped. */
  private readonly popped: number[] = [];
  private readonly mark: Uint8Array;
  /** Models that are candidates, and per GPU how many of them it holds: choose() skips the scan when equal. */
  private candidateCount = 0;
  private readonly heldCandidates: Int32Array;

  constructor(
    protected readonly models: readonly PolicyModel[],
    gpus: number,
    /** A GPU's capacity to absorb execution demand: a default SLO's worth of execution. */
    protected readonly capacity: number,
    protected readonly defaultSlo: number,
    /** Called when expiry changes a model's load demand. */
    private readonly changed: (model: number) => void,
    /** Whether a model with an INFER in flight may be evicted (option evictInFlight "allowed"). */
    private readonly evictInFlight: boolean,
  ) {
    this.d = models.map(() => new ModelDemand());
    this.candidates = new KeyedHeap(models.length);
    this.allocated = new Float64Array(gpus);
    this.mark = new Uint8Array(models.length);
    this.heldCandidates = new Int32Array(gpus);
  }

  abstract requestLoad(est1: number, demand: number, weightsSlo: number): number;
  abstract loadUntil(arrival: number, weightsSlo: number): number;
  /** Load priority on a GPU that does not hold it of a model with this load demand (at most that). */
  protected abstract priority(model: number, loadDemand: number): number;
  /** Whether a candidate with this priority may be loaded. */
  protected abstract accepts(priority: number): boolean;

  queued(q: DemandItem, now: number): void {
    const d = this.d[q.r.model];
    d.demand += q.demand;
    if (q.loadUntil > now) {
      q.loadCounted = true;
      d.loadDemand += q.loadDemand;
      this.counted(q);
    }
  }

  /** A request's load demand started counting (intended: schedule its expiry). */
  protected counted(_q: DemandItem): void {}

  unqueued(q: DemandItem): void {
    const d = this.d[q.r.model];
    d.demand -= q.demand;
    if (q.loadCounted) {
      q.loadCounted = false;
      d.loadDemand -= q.loadDemand;
    }
  }

  expire(_now: number): void {}

  protected expired(q: DemandItem): void {
    if (q.loadCounted) {
      q.loadCounted = false;
      this.d[q.r.model].loadDemand -= q.loadDemand;
      this.changed(q.r.model);
    }
  }

  update(m: PolicyModel): void {
    this.reallocate(m.id);
    const d = this.d[m.id];
    const candidate = d.loadDemand > 0;
    if (candidate !== d.candidate) {
      d.candidate = candidate;
      const inc = candidate ? 1 : -1;
      this.candidateCount += inc;
      for (const g of d.holders) this.heldCandidates[g] += inc;
    }
    if (candidate) this.candidates.set(m.id, -d.loadDemand, -m.lastArrival);
    else this.candidates.remove(m.id);
  }

  /** Share the model's execution demand among its holders in proportion to their spare capacity. */
  private reallocate(model: number): void {
    const m = this.d[model];
    const n = m.holders.length;
    if (n === 0) return;
    let spareSum = 0;
    for (let i = 0; i < n; i++) {
      const g = m.holders[i];
      this.allocated[g] -= m.allocs[i];
      m.allocs[i] = Math.max(0, this.capacity - this.allocated[g]);
      spareSum += m.allocs[i];
    }
    for (let i = 0; i < n; i++) {
      const a = spareSum > 0 ? (m.demand * m.allocs[i]) / spareSum : m.demand / n;
      m.allocs[i] = a;
      this.allocated[m.holders[i]] += a;
    }
  }

  loadSent(m: PolicyModel, g: number): void {
    const d = this.d[m.id];
    d.holders.push(g);
    d.allocs.push(0);
    if (d.candidate) this.heldCandidates[g]++;
    this.reallocate(m.id);
  }

  loadResult(m: PolicyModel, g: number, ok: boolean): void {
    if (!ok) this.removeHolder(m.id, g);
  }

  evicted(m: PolicyModel, g: number): void {
    this.removeHolder(m.id, g);
  }

  private removeHolder(model: number, g: number): void {
    const m = this.d[model];
    const i = m.holders.indexOf(g);
    if (i < 0) return;
    this.allocated[g] -= m.allocs[i];
    if (m.candidate) this.heldCandidates[g]--;
    m.holders.splice(i, 1);
    m.allocs.splice(i, 1);
    this.reallocate(model);
  }

  hasDemand(): boolean {
    return this.candidates.size > 0;
  }

  /**
   * The candidate with the largest priority that `accepts` takes, ties to the most recently
   * requested, then the lowest id. The heap is ordered by load demand, an upper bound of the
   * priority, so the scan stops at the first entry that cannot beat the best so far.
   */
  choose(g: PolicyGpu): number | undefined {
    // Every candidate is loading or loaded on g already: nothing to scan.
    if (this.heldCandidates[g.id] === this.candidateCount) return undefined;
    const heap = this.candidates;
    const popped = this.popped;
    let best = -1;
    let bestP = 0;
    let bestLast = 0;
    for (let model = heap.peek(); model >= 0; model = heap.peek()) {
      const demand = -heap.keyA(model);
      if (best >= 0 && demand < bestP) break;
      heap.pop();
      popped.push(model);
      if (g.state[model] !== Residency.NONE || this.models[model].inst.pages > g.totalPages) continue;
      const p = this.priority(model, demand);
      if (!this.accepts(p)) continue;
      const last = -heap.keyB(model);
      if (best < 0 || p > bestP || (p === bestP && (last > bestLast || (last === bestLast && model < best)))) {
        best = model;
        bestP = p;
        bestLast = last;
      }
    }
    for (const model of popped) heap.set(model, heap.keyA(model), heap.keyB(model));
    popped.length = 0;
    return best >= 0 ? best : undefined;
  }

  /**
   * Least-recently-used models without queued requests first, then least-recently-used loaded
   * models (models loading are not in the LRU list). One with an INFER in flight is a victim like
   * any other with evictInFlight "allowed" (the released load tracker does not check), skipped with
   * "never" (docs/clockwork-model.md, "LOAD and EVICT").
   */
  victims(g: PolicyGpu, need: number): number[] | undefined {
    const s = g.sentinel;
    const victims: number[] = [];
    const skipInFlight = !this.evictInFlight;
    let free = g.freePages;
    for (let pass = 0; pass < 2 && free < need; pass++) {
      for (let x = g.next[s]; x !== s && free < need; x = g.next[x]) {
        if (this.mark[x] || (skipInFlight && g.inflight[x] > 0)) continue;
        if (pass === 0 && this.models[x].live > 0) continue;
        this.mark[x] = 1;
        victims.push(x);
        free += this.models[x].inst.pages;
      }
    }
    for (const x of victims) this.mark[x] = 0;
    return free < need ? undefined : victims;
  }
}

/** The paper's policy (docs/clockwork-load-policy.md, "intended"). */
class IntendedPolicy extends DemandPolicy {
  readonly name = 'intended';
  private readonly expiry = new Heap<DemandItem>((a, b) => a.loadUntil < b.loadUntil || (a.loadUntil === b.loadUntil && a.r.id < b.r.id));

  requestLoad(_est1: number, demand: number): number {
    return demand;
  }
  loadUntil(arrival: number, weightsSlo: number): number {
    return Math.round(arrival + weightsSlo);
  }

  protected override counted(q: DemandItem): void {
    this.expiry.push(q);
  }

  override expire(now: number): void {
    for (let q = this.expiry.peek(); q && q.loadUntil <= now; q = this.expiry.peek()) {
      this.expiry.pop();
      this.expired(q);
    }
  }

  /** Load demand not covered by the spare capacity of the GPUs holding the model (excluding it). */
  protected priority(model: number, loadDemand: number): number {
    const m = this.d[model];
    let c = 0;
    for (let i = 0; i < m.holders.length; i++) c += Math.max(0, this.capacity - (this.allocated[m.holders[i]] - m.allocs[i]));
    return loadDemand - c;
  }
  protected accepts(p: number): boolean {
    return p > 0;
  }
}

/**
 * The released source's load tracker. Only a description of it was available (the three
 * differences from the intended policy listed in docs/clockwork-load-policy.md); this is our exact
 * reading of it, where the description is ambiguous a choice that the doc names:
 *
 * - Load demand: a queued request adds round(estimate(m,1) x defaultSlo / weights_slo), with the
 *   same weights_slo as `intended` (clamp(slo - (load estimate + estimate(m,1) + buffer +
 *   scheduleAhead), scheduleAhead + buffer, maxLoadSlo)), computed at arrival. It never expires:
 *   it counts from arrival until the request leaves the queues (dispatched, or cancelled).
 * - Execution demand and its allocation are as in `intended`: estimate(m,1) x defaultSlo /
 *   exec_slo per queued request, shared among the holders in proportion to their spare capacity.
 * - Served demand, per GPU h holding m (loading or loaded): served_h = capacity x required_h /
 *   outstanding_h, where required_h is m's execution demand allocated to h and outstanding_h is
 *   all the execution demand allocated to h (m's included); 0 when outstanding_h is 0. It is a
 *   ratio, not capped: a GPU whose outstanding demand is below its capacity "serves" more than
 *   m requires (a model alone on a GPU is served a whole `capacity`).
 * - Load priority of m on a GPU not holding it: load demand - sum of served_h.
 * - The pointer comparison: the source compares the best candidate's pointer instead of its
 *   priority with 0, so the test never fails; every model with positive load demand that the GPU
 *   does not hold (not loaded and not loading there) is loaded, best priority first, ties to the
 *   most recently requested (then the lowest model id), even when the holders cover its demand:
 *   eager replication.
 */
class ReleasedPolicy extends DemandPolicy {
  readonly name = 'released';

  requestLoad(est1: number, _demand: number, weightsSlo: number): number {
    return Math.round((est1 * this.defaultSlo) / weightsSlo);
  }
  loadUntil(): number {
    return Infinity;
  }

  protected priority(model: number, loadDemand: number): number {
    const m = this.d[model];
    let served = 0;
    for (let i = 0; i < m.holders.length; i++) {
      const out = this.allocated[m.holders[i]];
      if (out > 0) served += (this.capacity * m.allocs[i]) / out;
    }
    return loadDemand - served;
  }
  protected accepts(): boolean {
    return true;
  }
}

export function createLoadPolicy(
  name: LoadPolicyName,
  models: readonly PolicyModel[],
  gpus: number,
  o: { readonly defaultSlo: number; readonly evictInFlight?: 'allowed' | 'never' },
  changed: (model: number) => void,
): LoadPolicy {
  const P = name === 'released' ? ReleasedPolicy : IntendedPolicy;
  return new P(models, gpus, o.defaultSlo, o.defaultSlo, changed, (o.evictInFlight ?? 'allowed') === 'allowed');
}
