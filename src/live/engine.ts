/**
 * The live controller (docs/live.md): the scheduler and the workloads on the real clock, the
 * cluster's GPUs as real executors. It implements the same SchedulerContext and WorkloadContext as
 * the simulation (src/sim/simulation.ts) and reports to the same observers at the same points, so
 * the scheduler objects, workload generators and metrics are the simulator's, unchanged.
 *
 * What differs from the simulation, by construction:
 * - time is `RealClock.now()` (ns since the run's start); timers, arrivals and network delays fire
 *   on PreciseTimers (src/live/clock.ts), whose lateness is recorded;
 * - network legs are delays of the config's latency + bytes / bandwidth on the real clock (each
 *   send at the full bandwidth, as with `nic: "perSend"` and unlimited send concurrency), on top of
 *   the real cost of passing messages between threads;
 * - `spend` records nothing: a decision's cost is the real CPU time it takes;
 * - actions run on executors (src/live/executor.ts); their start, end and durations are measured.
 */
import type { BusyKind, GpuPhase } from '../sim/lanes.js';
import type { SimObserver } from '../sim/observer.js';
import { OutstandingRequests, type PendingRequest } from '../sim/outstanding.js';
import { RandomStreams, type Rng } from '../sim/random.js';
import type { NetworkConfig, WorkloadSpec } from '../sim/simulation.js';
import type { Nanos } from '../sim/time.js';
import type {
  Action,
  ActionError,
  ActionResult,
  GpuInfo,
  ModelId,
  ModelInstance,
  Outcome,
  Request,
  Scheduler,
  SchedulerContext,
  TimerHandle,
} from '../sim/types.js';
import type { SubmitOptions, WorkloadContext } from '../sim/workload.js';
import { PreciseTimers, RealClock } from './clock.js';
import type { ActionMsg, ResultMsg } from './executor.js';

export interface LiveSetup {
  seed: number | string;
  duration: Nanos;
  warmup: Nanos;
  drain: Nanos;
  models: readonly ModelInstance[];
  workers: number;
  gpusPerWorker: number;
  pagesPerGpu: number;
  execConcurrency: number;
  network: NetworkConfig;
  measureAt?: 'controller' | 'client';
  /** PreciseTimers' spin window (ns). */
  spin: Nanos;
}

/** The engine's side of the executors: post an action; results come back through `LiveEngine.onExecutorResult`. */
export interface ExecutorLinks {
  post(gpu: number, a: ActionMsg): void;
  /** Residency of model `m` on GPU `gpu` as the executor holds it (0 none, 1 loading, 2 loaded). */
  residency(gpu: number, m: ModelId): number;
}

/** Actions as the controller counted them (summary.json `live.actions`). */
export interface LiveCounters {
  actionsSent: number;
  resultsReceived: number;
  networkDrops: number;
}

const LOADED = 2;

export class LiveEngine {
  readonly clock: RealClock;
  readonly timers: PreciseTimers;
  readonly streams: RandomStreams;
  readonly gpus: GpuInfo[] = [];
  readonly schedulerContext: SchedulerContext;
  readonly counters: LiveCounters = { actionsSent: 0, resultsReceived: 0, networkDrops: 0 };
  private readonly outstanding = new OutstandingRequests();
  private readonly inflight = new Map<number, Action>();
  private nextRequestId = 0;
  private nextActionId = 0;
  private nextTimerId = 0;
  private readonly schedulerRngs = new Map<string, Rng>();
  private readonly batch1: Float64Array;
  private readonly measureAtClient: boolean;
  private readonly inferBytes: Float64Array;
  /**
   * Measured durations (ns) of successful INFERs by profile model and padded batch (a session's
   * first run at a batch size since its LOAD apart, in firstExec), and of LOADs by profile model.
   */
  readonly measured = new Map<string, { exec: Map<number, number[]>; firstExec: Map<number, number[]>; load: number[] }>();
  private started = false;
  private failure: unknown = null;
  private finish: (() => void) | null = null;

  constructor(
    readonly setup: LiveSetup,
    readonly scheduler: Scheduler,
    readonly workloads: readonly WorkloadSpec[],
    private readonly observers: readonly SimObserver[],
    private readonly links: ExecutorLinks,
    clock?: RealClock,
  ) {
    this.clock = clock ?? new RealClock();
    this.timers = new PreciseTimers(this.clock, setup.spin);
    this.streams = new RandomStreams(setup.seed);
    const inputs = setup.network.inferInputs ?? 'raw';
    const ratio = inputs === 'raw' ? 1 : inputs === 'none' ? 0 : inputs.compressed;
    this.inferBytes = Float64Array.from(setup.models, (m) => ratio * m.profile.inputBytes);
    this.measureAtClient = (setup.measureAt ?? 'controller') === 'client';
    this.batch1 = Float64Array.from(setup.models, (m) => m.profile.exec.get(m.profile.batchSizes[0])!.median());
    let id = 0;
    for (let w = 0; w < setup.workers; w++) {
      for (let l = 0; l < setup.gpusPerWorker; l++, id++) {
        this.gpus.push({ id, worker: w, local: l, totalPages: setup.pagesPerGpu, maxConcurrentExec: setup.execConcurrency });
      }
    }
    this.schedulerContext = this.makeSchedulerContext();
  }

  now(): Nanos {
    return this.clock.now();
  }

  /** Run `fn(arg)`; an exception ends the run (reported by `run()`). */
  private guard<T>(fn: (arg: T) => void): (arg: T) => void {
    return (arg: T) => {
      if (this.failure) return;
      try {
        fn(arg);
      } catch (e) {
        this.fail(e);
      }
    };
  }

  /** End the run with an error (an executor's, a scheduler's exception). */
  fail(e: unknown): void {
    if (this.failure) return;
    this.failure = e ?? new Error('live run failed');
    this.timers.stop();
    this.finish?.();
  }

  private delay(bytes: number, latency: Nanos, bandwidth: number): Nanos {
    return latency + Math.round((bytes / bandwidth) * 1e9);
  }

  /** Run `fn(arg)` at `at`, or now when it is not in the future. */
  private at<T>(at: Nanos, fn: (arg: T) => void, arg: T): void {
    if (at <= this.clock.now()) fn(arg);
    else this.timers.set(at, fn, arg);
  }

  private makeSchedulerContext(): SchedulerContext {
    return {
      now: () => this.clock.now(),
      models: this.setup.models,
      gpus: this.gpus,
      send: (a) => this.send(a),
      respond: (r, outcome) => this.respond(r, outcome, this.clock.now(), 0),
      setTimer: (at, token) => {
        const entry = this.timers.set(Math.round(at), this.onTimer, token);
        return { id: this.nextTimerId++, entry } as TimerHandle;
      },
      cancelTimer: (h: TimerHandle) => {
        const e = (h as TimerHandle & { entry?: { cancelled: boolean } }).entry;
        if (e) this.timers.cancel(e);
      },
      rng: (name = 'main') => {
        let r = this.schedulerRngs.get(name);
        if (!r) {
          r = this.streams.stream(`scheduler/${name}`);
          this.schedulerRngs.set(name, r);
        }
        return r;
      },
      recordPrediction: (kind, predicted, actual) => {
        for (const o of this.observers) o.onPrediction?.(kind, predicted, actual);
      },
      // The controller's real CPU time is spent for real: nothing to account.
      spend: () => {},
      controllerFreeAt: () => this.clock.now(),
    };
  }

  private readonly onTimer = this.guard((token: unknown) => this.scheduler.onTimer?.(token));

  private send(action: Action): number {
    const id = this.nextActionId++;
    action.id = id;
    if (!this.gpus[action.gpu]) throw new Error(`scheduler ${this.scheduler.name} sent ${action.type} to GPU ${action.gpu}, which does not exist`);
    if (action.model < 0 || action.model >= this.setup.models.length) {
      throw new Error(`scheduler ${this.scheduler.name} sent ${action.type} for unknown model ${action.model}`);
    }
    let bytes = 0;
    if (action.type === 'INFER') {
      for (const r of action.requests) {
        if (!this.outstanding.has(r)) {
          throw new Error(
            `scheduler ${this.scheduler.name} sent INFER with request ${r.id}, which is not an unanswered request of this run (answered already, or a copy of the engine's request object)`,
          );
        }
        if (r.model !== action.model) throw new Error(`scheduler ${this.scheduler.name} batched request ${r.id} of model ${r.model} into an INFER of model ${action.model}`);
      }
      bytes = action.requests.length * this.inferBytes[action.model];
    }
    const now = this.clock.now();
    this.counters.actionsSent++;
    if (action.sendBy !== undefined && now > action.sendBy) {
      this.counters.networkDrops++;
      const at = action.type === 'INFER' && action.expectedDuration !== undefined ? Math.max(now, action.latest + Math.round(action.expectedDuration)) : now;
      // Never synchronously inside send(): the scheduler is still in its handler.
      this.timers.set(at, this.onLocalFailure, action);
      return id;
    }
    for (const o of this.observers) o.onActionSent?.(action, now);
    this.inflight.set(id, action);
    const net = this.setup.network;
    // Posted now, held by the executor until it arrives (the thread hop hides in the link's delay).
    this.deliver(action, now + this.delay(bytes, net.workerLatency, net.workerBandwidth));
    return id;
  }

  private deliver(a: Action, arriveAt: Nanos): void {
    const msg: ActionMsg = {
      id: a.id!,
      type: a.type,
      model: a.model,
      earliest: a.earliest,
      latest: a.latest,
      n: a.type === 'INFER' ? a.requests.length : 0,
      ...(a.type === 'INFER' && a.padTo !== undefined ? { padTo: a.padTo } : {}),
      arriveAt,
    };
    this.links.post(a.gpu, msg);
  }

  private readonly onLocalFailure = this.guard((a: Action) => {
    const now = this.clock.now();
    for (const o of this.observers) o.onActionDone?.(a.gpu, a, 'network-too-late', now, now, 0, now);
    this.resultToScheduler({ action: a, ok: false, error: 'network-too-late', receivedAt: now });
  });

  /** An executor's result reached the controller's thread. */
  onExecutorResult(gpu: number, r: ResultMsg): void {
    if (this.failure) return;
    try {
      this.handleResult(gpu, r);
    } catch (e) {
      this.fail(e);
    }
  }

  private handleResult(gpu: number, r: ResultMsg): void {
    const action = this.inflight.get(r.id);
    if (!action) throw new Error(`executor ${gpu} returned a result for action ${r.id}, which is not in flight`);
    this.inflight.delete(r.id);
    this.counters.resultsReceived++;
    const now = this.clock.now();
    const error = r.error;
    // Busy time and phases as the simulated GPU reports them (after the fact: the executor's timestamps).
    const busy = (kind: BusyKind, s: Nanos, e: Nanos) => {
      for (const o of this.observers) {
        o.onLaneBusy?.(gpu, kind, true, s);
        o.onLaneBusy?.(gpu, kind, false, e);
      }
    };
    const phase = (p: GpuPhase, s: Nanos | undefined, e: Nanos | undefined) => {
      if (s === undefined || e === undefined) return;
      for (const o of this.observers) o.onPhase?.(gpu, action, p, s, e);
    };
    if (action.type === 'LOAD' && !error) {
      busy('pcie', r.start, r.end);
      phase('LOAD', r.start, r.end);
    } else if (action.type === 'EVICT' && !error) phase('EVICT', r.start, r.end);
    else if (action.type === 'INFER') {
      phase('INPUT', r.phases.inStart, r.phases.inEnd);
      if (!error || error === 'weights-changed') {
        busy('exec', r.start, r.end);
        phase('EXEC', r.start, r.end);
      }
      phase('OUTPUT', r.phases.outStart, r.phases.outEnd);
    }
    for (const o of this.observers) o.onActionDone?.(gpu, action, error, r.start, r.end, r.padded, now);
    if (!error && (action.type === 'INFER' || action.type === 'LOAD')) {
      const name = this.setup.models[action.model].profile.name;
      let m = this.measured.get(name);
      if (!m) this.measured.set(name, (m = { exec: new Map(), firstExec: new Map(), load: [] }));
      if (action.type === 'LOAD') m.load.push(r.end - r.start);
      else {
        const by = r.first ? m.firstExec : m.exec;
        let xs = by.get(r.padded);
        if (!xs) by.set(r.padded, (xs = []));
        xs.push(r.end - r.start);
      }
    }
    const net = this.setup.network;
    const bytes = action.type === 'INFER' && !error ? action.requests.length * this.setup.models[action.model].profile.outputBytes : 0;
    // The link's delay counts from when the executor was done (its clock is the controller's): the
    // thread hop hides in it, unless the hop took longer.
    const at = Math.max(now, r.doneAt + this.delay(bytes, net.workerLatency, net.workerBandwidth));
    const result: ActionResult = error
      ? { action, ok: false, error, start: r.start, end: r.end, receivedAt: at }
      : { action, ok: true, start: r.start, end: r.end, duration: r.end - r.start, paddedBatch: r.padded || undefined, receivedAt: at };
    this.at(at, this.resultArrives, result);
  }

  private readonly resultArrives = this.guard((r: ActionResult) => this.resultToScheduler(r));

  /** As in the simulation: an INFER's requests are answered before the scheduler hears of the result. */
  private resultToScheduler(r: ActionResult): void {
    const a = r.action;
    if (a.type === 'INFER') {
      const at = r.receivedAt;
      if (r.ok) {
        const out = this.setup.models[a.model].profile.outputBytes;
        for (const req of a.requests) this.respond(req, 'ok', at, out);
      } else for (const req of a.requests) this.respond(req, 'failed', at, 0);
    }
    this.scheduler.onResult(r);
  }

  private respond(r: Request, outcome: 'ok' | 'timeout' | 'rejected' | 'failed', completedAt: Nanos, bytes: number): void {
    if (!this.outstanding.delete(r)) {
      throw new Error(
        `scheduler ${this.scheduler.name} answered request ${r.id}, which is not an unanswered request of this run (answered already, or a copy of the engine's request object)`,
      );
    }
    const net = this.setup.network;
    const client = this.clock.now() + this.delay(bytes, net.clientLatency, net.clientBandwidth);
    const at = this.measureAtClient ? client : completedAt;
    const final: Outcome = outcome === 'ok' && at > r.deadline ? 'late' : outcome;
    for (const o of this.observers) o.onResponse?.(r, final, at);
    if (this.workloads[r.group].workload.onResponse) this.timers.set(client, this.clientReceives, [r, final]);
  }

  private readonly clientReceives = this.guard((p: [Request, Outcome]) => {
    this.workloads[p[0].group].workload.onResponse!(p[0], p[1]);
  });

  private submit(spec: WorkloadSpec, model: ModelId, opts?: SubmitOptions): number {
    const now = this.clock.now();
    if (now >= this.setup.duration) return -1;
    const factor = opts?.sloFactor ?? (opts?.slo === undefined ? spec.sloFactor : undefined);
    const slo = factor !== undefined ? Math.max(1, Math.round(factor * this.batch1[model])) : (opts?.slo ?? spec.slo);
    const p = this.setup.models[model].profile;
    const net = this.setup.network;
    const arrival = now + this.delay(p.inputBytes, net.clientLatency, net.clientBandwidth);
    const r: PendingRequest = { id: this.nextRequestId++, model, group: spec.group, sentAt: now, arrival, slo, deadline: arrival + slo, sloFactor: factor, slot: -1 };
    this.outstanding.add(r);
    for (const o of this.observers) o.onSubmit?.(r);
    // Never synchronously inside submit(): the workload is still in its handler.
    this.timers.set(arrival, this.requestArrives, r);
    return r.id;
  }

  private readonly requestArrives = this.guard((r: Request) => {
    let warm = false;
    for (const g of this.gpus) {
      if (this.links.residency(g.id, r.model) === LOADED) {
        warm = true;
        break;
      }
    }
    if (!warm) for (const o of this.observers) o.onColdStart?.(r);
    this.scheduler.onRequest(r);
  });

  private workloadContext(spec: WorkloadSpec): WorkloadContext {
    const rngs = new Map<string, Rng>();
    return {
      now: () => this.clock.now(),
      models: this.setup.models,
      targets: spec.targets,
      group: spec.group,
      end: this.setup.duration,
      submit: (model, opts) => this.submit(spec, model, opts),
      at: (time, handler, arg) => {
        this.timers.set(Math.round(time), this.guard(handler), arg);
      },
      rng: (name = 'arrivals') => {
        let r = rngs.get(name);
        if (!r) {
          r = this.streams.stream(`workload${spec.group}/${name}`);
          rngs.set(name, r);
        }
        return r;
      },
      batch1Estimate: (model) => this.batch1[model],
    };
  }

  /** Requests not answered yet. */
  get unanswered(): number {
    return this.outstanding.size;
  }

  /** Actions sent to executors whose results have not come back. */
  get actionsInFlight(): number {
    return this.inflight.size;
  }

  /**
   * Start the scheduler and workloads now (the clock's origin should be just before) and run until
   * every request sent before `duration` is answered, or `duration + drain`. `onProgress` is called
   * about every `step` of real time. Resolves with the end time; rejects with the first failure.
   */
  run(onProgress?: (now: Nanos) => void, step: Nanos = 1e9): Promise<Nanos> {
    if (this.started) throw new Error('LiveEngine.run: already started');
    this.started = true;
    const end = this.setup.duration + this.setup.drain;
    return new Promise<Nanos>((resolve, reject) => {
      let lastProgress = 0;
      let done = false;
      const stop = (): void => {
        if (done) return;
        done = true;
        clearInterval(check);
        this.timers.stop();
        if (this.failure) {
          reject(this.failure);
          return;
        }
        const now = Math.min(this.clock.now(), end);
        for (const r of this.outstanding.values()) for (const o of this.observers) o.onUnfinished?.(r);
        for (const o of this.observers) o.onFinish?.(now);
        resolve(now);
      };
      this.finish = stop;
      // Checked every 5 ms of real time: the run ends within that of its last answer.
      const check = setInterval(() => {
        const now = this.clock.now();
        // Results are reported with the executor's (earlier) timestamps: observers may forget only
        // what lies well before now (an action in flight started at most its run time ago).
        if (now - lastProgress >= step) {
          lastProgress = now;
          const settled = now - 30 * 1e9;
          if (settled > 0) for (const o of this.observers) o.onAdvance?.(settled);
          onProgress?.(now);
        }
        // After the duration, stop once every request is answered, and no timer due before the
        // duration is still waiting to fire (a late arrival could still send a request).
        if (now >= end || (now >= this.setup.duration && this.outstanding.size === 0 && this.timers.nextDue() >= this.setup.duration)) stop();
      }, 5);
      try {
        this.scheduler.start(this.schedulerContext);
        for (const spec of this.workloads) spec.workload.start(this.workloadContext(spec));
      } catch (e) {
        this.fail(e);
      }
    });
  }
}
