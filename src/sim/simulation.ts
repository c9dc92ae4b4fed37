/**
 * The simulation: clients, network, controller (running a scheduler) and workers with GPUs.
 *
 * Request life: a workload submits at `sentAt` -> it reaches the controller after the client link
 * (latency + input bytes / bandwidth) -> the scheduler sees it -> an INFER carrying it is sent to a
 * worker (the controller's NIC, latency + inputs / bandwidth: see `network.inferInputs`, `nic`) ->
 * input copy, exec, output copy on the GPU -> the result returns to the controller (latency +
 * outputs / bandwidth) -> the engine answers the batch's requests -> each response reaches its
 * client after the client link. As in Clockwork, deadlines count from the request's arrival at the
 * controller, and a request completes when its result is back at the controller (`measureAt`
 * "controller", the default) or, optionally, when its response reaches the client ("client"): it is
 * ok when it completes by arrival + slo, late otherwise; its latency is completion - arrival.
 */
import { EventLoop, Priority } from './event-loop.js';
import { Fifo } from './fifo.js';
import { Gpu, Residency, type GpuListener } from './gpu.js';
import type { Hardware } from './hardware.js';
import { SharedNic } from './network.js';
import type { SimObserver } from './observer.js';
import { OutstandingRequests, type PendingRequest } from './outstanding.js';
import { RandomStreams } from './random.js';
import type { Nanos } from './time.js';
import type {
  Action,
  ActionError,
  ActionResult,
  ModelId,
  ModelInstance,
  Outcome,
  Request,
  Scheduler,
  SchedulerContext,
  TimerHandle,
} from './types.js';
import type { SubmitOptions, Workload, WorkloadContext } from './workload.js';

export interface NetworkConfig {
  /** Client <-> controller one-way latency and bandwidth (bytes/s). */
  clientLatency: Nanos;
  clientBandwidth: number;
  /** Controller <-> worker one-way latency and bandwidth (bytes/s). */
  workerLatency: Nanos;
  workerBandwidth: number;
  /**
   * Bytes an INFER carries to its worker: its requests' raw inputs (default), none (generated on
   * the worker), or `compressed` x raw.
   */
  inferInputs?: 'raw' | 'none' | { compressed: number };
  /**
   * "shared" (default): the controller's concurrent sends share workerBandwidth (processor
   * sharing, src/sim/network.ts); "perSend": each send gets the full bandwidth.
   */
  nic?: 'shared' | 'perSend';
}

export interface SimulationSetup {
  seed: number | string;
  /** Workloads send requests in [0, duration). */
  duration: Nanos;
  /** Requests sent before this are not measured. */
  warmup: Nanos;
  /** After `duration`, keep simulating up to this long for outstanding requests to be answered. */
  drain: Nanos;
  profile: Hardware;
  models: readonly ModelInstance[];
  workers: number;
  gpusPerWorker: number;
  pagesPerGpu: number;
  network: NetworkConfig;
  /** How far before `earliest` an INFER's input copy may start. */
  inputLead: Nanos;
  execConcurrency: number;
  /**
   * "lanes" (default): each GPU's weights, input-copy, exec and output-copy lanes work in parallel,
   * as Clockwork's worker; "serial": each does one thing at a time, as live mode's executors
   * (src/sim/gpu.ts); then executions never overlap, whatever execConcurrency says.
   */
  executor?: 'lanes' | 'serial';
  /** Controller-wide concurrent sends (0 = unlimited). */
  sendConcurrency: number;
  /**
   * Where a request completes (the time observers get in onResponse, ok vs late, latency):
   * "controller" (default): when its result, or the scheduler's answer, is at the controller;
   * "client": when the response reaches the client.
   */
  measureAt?: 'controller' | 'client';
}

export interface WorkloadSpec {
  workload: Workload;
  group: number;
  name: string;
  targets: readonly ModelId[];
  slo: Nanos;
  sloFactor?: number;
}

export class Simulation {
  readonly loop = new EventLoop();
  readonly streams: RandomStreams;
  readonly gpus: Gpu[] = [];
  private readonly outstanding = new OutstandingRequests();
  private nextRequestId = 0;
  private nextActionId = 0;
  private controllerFreeAt = 0;
  /** Work for the scheduler waiting for the controller's CPU, in arrival order, and whether its wake-up is set. */
  private readonly controllerQueue = new Fifo<[(arg: any) => void, unknown]>();
  private controllerWakeSet = false;
  /** Start of the controller's current busy period (results received since may wait for its CPU). */
  private controllerBusySince = 0;
  /** nic "perSend": when each send slot is free. */
  private readonly sendSlots: Float64Array;
  /** nic "shared": the controller's NIC. */
  private readonly nic: SharedNic | null;
  /** Bytes an INFER carries per request, per model (inferInputs applied). */
  private readonly inferBytes: Float64Array;
  private readonly measureAtClient: boolean;
  private readonly batch1: Float64Array;
  private readonly observers: SimObserver[] = [];
  private readonly gpuListener: GpuListener;
  private started = false;
  readonly schedulerContext: SchedulerContext;

  constructor(
    readonly setup: SimulationSetup,
    readonly scheduler: Scheduler,
    readonly workloads: readonly WorkloadSpec[],
    /** Registered first, in this order (an experiment's metrics collector comes first). */
    observers: readonly SimObserver[] = [],
  ) {
    this.streams = new RandomStreams(setup.seed);
    const net = setup.network;
    const shared = (net.nic ?? 'shared') === 'shared';
    this.sendSlots = new Float64Array(shared ? 0 : Math.max(0, setup.sendConcurrency));
    this.nic = shared
      ? new SharedNic(this.loop, Math.max(0, setup.sendConcurrency), net.workerLatency, {
          started: (a, at) => {
            for (const o of this.observers) o.onActionSent?.(a, at);
          },
          deliver: this.deliverToWorker,
          drop: this.onNetworkDrop,
        })
      : null;
    const inputs = net.inferInputs ?? 'raw';
    const ratio = inputs === 'raw' ? 1 : inputs === 'none' ? 0 : inputs.compressed;
    if (!(ratio >= 0 && ratio <= 1)) throw new Error(`network.inferInputs: compressed ratio ${ratio} is not in (0, 1]`);
    this.inferBytes = Float64Array.from(setup.models, (m) => ratio * m.profile.inputBytes);
    this.measureAtClient = (setup.measureAt ?? 'controller') === 'client';
    this.batch1 = Float64Array.from(setup.models, (m) => m.profile.exec.get(m.profile.batchSizes[0])!.median());
    const listener: GpuListener = {
      actionDone: (gpu, action, error, start, end, padded) => this.onActionDone(gpu, action, error, start, end, padded),
      laneBusy: (gpu, kind, busy) => {
        const now = this.loop.now();
        for (const o of this.observers) o.onLaneBusy?.(gpu.id, kind, busy, now);
      },
    };
    this.gpuListener = listener;
    let id = 0;
    for (let w = 0; w < setup.workers; w++) {
      for (let l = 0; l < setup.gpusPerWorker; l++, id++) {
        this.gpus.push(
          new Gpu(
            id,
            w,
            l,
            this.loop,
            setup.profile.device,
            setup.models,
            setup.pagesPerGpu,
            setup.executor === 'serial'
              ? { inputLead: setup.inputLead, maxConcurrentExec: 1, serial: true }
              : { inputLead: setup.inputLead, maxConcurrentExec: setup.execConcurrency },
            {
              exec: this.streams.stream(`gpu${id}/exec`),
              load: this.streams.stream(`gpu${id}/load`),
              interference: this.streams.stream(`gpu${id}/interference`),
            },
            listener,
          ),
        );
      }
    }
    this.schedulerContext = this.makeSchedulerContext();
    for (const o of observers) this.addObserver(o);
  }

  addObserver(o: SimObserver): void {
    this.observers.push(o);
    // Per-phase reports cost a call per lane step: only wired when an observer wants them.
    if (o.onPhase && !this.gpuListener.phase) {
      this.gpuListener.phase = (gpu, action, phase, start, end) => {
        for (const ob of this.observers) ob.onPhase?.(gpu.id, action, phase, start, end);
      };
    }
  }

  now(): Nanos {
    return this.loop.now();
  }

  // ---------------------------------------------------------------- controller side

  /**
   * Run `fn(arg)` on the controller: now, or, while its CPU is busy (see SchedulerContext.spend),
   * in arrival order once it is free: work waits in one queue, drained by one wake-up event
   * (docs/design.md, "Controller").
   */
  private onController(fn: (arg: any) => void, arg: unknown): void {
    if (this.controllerQueue.length === 0 && this.loop.now() >= this.controllerFreeAt) fn(arg);
    else {
      this.controllerQueue.push([fn, arg]);
      this.wakeController();
    }
  }

  private wakeController(): void {
    if (this.controllerWakeSet) return;
    this.controllerWakeSet = true;
    this.loop.schedule(Math.max(this.loop.now(), this.controllerFreeAt), Priority.NETWORK, this.controllerWake, null);
  }

  private readonly controllerWake = (): void => {
    this.controllerWakeSet = false;
    const q = this.controllerQueue;
    while (q.length > 0) {
      if (this.loop.now() < this.controllerFreeAt) {
        this.wakeController();
        return;
      }
      const [fn, arg] = q.shift()!;
      fn(arg);
    }
  };

  private makeSchedulerContext(): SchedulerContext {
    return {
    now: () => this.loop.now(),
    models: this.setup.models,
    gpus: this.gpus,
    send: (a) => this.send(a),
    respond: (r, outcome) => this.respond(r, outcome, this.loop.now(), 0),
    setTimer: (at, token) => {
      const h = { id: this.loop.schedule(Math.max(Math.round(at), this.loop.now()), Priority.TIMER, this.onTimer, token) };
      return h;
    },
    cancelTimer: (h: TimerHandle) => {
      this.loop.cancel(h.id);
    },
    // RandomStreams makes each named stream once.
    rng: (name = 'main') => this.streams.stream(`scheduler/${name}`),
    recordPrediction: (kind, predicted, actual) => {
      for (const o of this.observers) o.onPrediction?.(kind, predicted, actual);
    },
    spend: (d) => {
      if (d <= 0) return;
      const now = this.loop.now();
      // A new busy period only after an idle gap: at now == controllerFreeAt, work deferred to this
      // instant (results stamped with an earlier receipt) may still be waiting to run.
      if (now > this.controllerFreeAt) {
        this.controllerBusySince = now;
        this.controllerFreeAt = now;
      }
      this.controllerFreeAt += Math.round(d);
    },
    controllerFreeAt: () => this.controllerFreeAt,
    };
  }

  private readonly onTimer = (token: unknown): void => this.onController(this.timerToScheduler, token);
  private readonly timerToScheduler = (token: unknown): void => this.scheduler.onTimer?.(token);

  private send(action: Action): number {
    const id = this.nextActionId++;
    action.id = id;
    const gpu = this.gpus[action.gpu];
    if (!gpu) throw new Error(`scheduler ${this.scheduler.name} sent ${action.type} to GPU ${action.gpu}, which does not exist`);
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
    const now = this.loop.now();
    const depart = Math.max(now, this.controllerFreeAt);
    const wire = Math.round((bytes / this.setup.network.workerBandwidth) * 1e9);
    if (this.nic) {
      this.nic.submit(action, wire, depart);
      return id;
    }
    // nic "perSend": each slot transmits at the full bandwidth.
    let start = depart;
    if (this.sendSlots.length > 0) {
      let s = 0;
      for (let i = 1; i < this.sendSlots.length; i++) if (this.sendSlots[i] < this.sendSlots[s]) s = i;
      start = Math.max(depart, this.sendSlots[s]);
      if (action.sendBy !== undefined && start > action.sendBy) {
        // The controller's network thread drops it when it reaches it in the send queue (at
        // `start`, without taking the slot); onNetworkDrop says when the controller learns it.
        this.loop.schedule(start, Priority.NETWORK, this.onNetworkDrop, action);
        return id;
      }
      this.sendSlots[s] = start + wire;
    } else if (action.sendBy !== undefined && start > action.sendBy) {
      this.loop.schedule(depart, Priority.NETWORK, this.onNetworkDrop, action);
      return id;
    }
    for (const o of this.observers) o.onActionSent?.(action, start);
    this.loop.schedule(start + wire + this.setup.network.workerLatency, Priority.NETWORK, this.deliverToWorker, action);
    return id;
  }

  private readonly deliverToWorker = (a: Action): void => this.gpus[a.gpu].submit(a);

  /**
   * The controller's network thread drops `a` now (its send would start after `sendBy`). The
   * controller learns it ("network too late", its requests answered `failed`) now, or, for an INFER
   * that carries `expectedDuration` (clockwork `networkTooLateAt: "released"`), at `latest +
   * expectedDuration` if that is later: the released controller's rule (docs/clockwork-model.md,
   * "INFER scheduling").
   */
  private readonly onNetworkDrop = (a: Action): void => {
    const now = this.loop.now();
    const at = a.type === 'INFER' && a.expectedDuration !== undefined ? Math.max(now, a.latest + Math.round(a.expectedDuration)) : now;
    if (at > now) this.loop.schedule(at, Priority.NETWORK, this.onLocalFailure, a);
    else this.onLocalFailure(a);
  };

  private readonly onLocalFailure = (a: Action): void => {
    const now = this.loop.now();
    this.notifyActionDone(a.gpu, a, 'network-too-late', now, now, 0, now);
    this.onController(this.resultToScheduler, { action: a, ok: false, error: 'network-too-late', receivedAt: now } satisfies ActionResult);
  };

  /** Every action's end, on its worker or dropped by the controller's network thread. */
  private notifyActionDone(gpu: number, a: Action, error: ActionError | null, start: Nanos, end: Nanos, padded: number, now: Nanos): void {
    for (const o of this.observers) o.onActionDone?.(gpu, a, error, start, end, padded, now);
  }

  // ---------------------------------------------------------------- worker side

  private onActionDone(gpu: Gpu, action: Action, error: ActionError | null, start: Nanos, end: Nanos, padded: number): void {
    const now = this.loop.now();
    this.notifyActionDone(gpu.id, action, error, start, end, padded, now);
    const bytes = action.type === 'INFER' && !error ? action.requests.length * this.setup.models[action.model].profile.outputBytes : 0;
    const at = now + this.setup.network.workerLatency + Math.round((bytes / this.setup.network.workerBandwidth) * 1e9);
    const result: ActionResult = error
      ? { action, ok: false, error, start, end, receivedAt: at }
      : { action, ok: true, start, end, duration: end - start, paddedBatch: padded || undefined, receivedAt: at };
    this.loop.schedule(at, Priority.NETWORK, this.resultArrives, result);
  }

  private readonly resultArrives = (r: ActionResult): void => this.onController(this.resultToScheduler, r);

  /**
   * An INFER's requests are answered here, before the scheduler hears of the result: 'ok' with
   * their outputs when it succeeded, 'failed' when it did not (SchedulerContext.respond).
   */
  private readonly resultToScheduler = (r: ActionResult): void => {
    const a = r.action;
    if (a.type === 'INFER') {
      // Completed when the result reached the controller, even if it then waited for the CPU.
      const at = r.receivedAt;
      if (r.ok) {
        const out = this.setup.models[a.model].profile.outputBytes;
        for (const req of a.requests) this.respond(req, 'ok', at, out);
      } else for (const req of a.requests) this.respond(req, 'failed', at, 0);
    }
    this.scheduler.onResult(r);
  };

  // ---------------------------------------------------------------- clients

  /**
   * Answer `r`: it completed at `completedAt` on the controller (the result's receipt, or now for
   * the scheduler's own answers); the response leaves when the controller's CPU is free and reaches
   * the client after the client link. Observers get the time of `measureAt`.
   */
  private respond(r: Request, outcome: 'ok' | 'timeout' | 'rejected' | 'failed', completedAt: Nanos, bytes: number): void {
    if (!this.outstanding.delete(r)) {
      throw new Error(
        `scheduler ${this.scheduler.name} answered request ${r.id}, which is not an unanswered request of this run (answered already, or a copy of the engine's request object)`,
      );
    }
    const net = this.setup.network;
    const client = Math.max(this.loop.now(), this.controllerFreeAt) + net.clientLatency + Math.round((bytes / net.clientBandwidth) * 1e9);
    const at = this.measureAtClient ? client : completedAt;
    const final: Outcome = outcome === 'ok' && at > r.deadline ? 'late' : outcome;
    for (const o of this.observers) o.onResponse?.(r, final, at);
    const spec = this.workloads[r.group];
    if (spec.workload.onResponse) this.loop.schedule(client, Priority.NETWORK, this.clientReceives, [r, final]);
  }

  private readonly clientReceives = (p: [Request, Outcome]): void => {
    this.workloads[p[0].group].workload.onResponse!(p[0], p[1]);
  };

  private submit(spec: WorkloadSpec, model: ModelId, opts?: SubmitOptions): number {
    const now = this.loop.now();
    if (now >= this.setup.duration) return -1;
    const factor = opts?.sloFactor ?? (opts?.slo === undefined ? spec.sloFactor : undefined);
    const slo = factor !== undefined ? Math.max(1, Math.round(factor * this.batch1[model])) : (opts?.slo ?? spec.slo);
    const p = this.setup.models[model].profile;
    const arrival = now + this.setup.network.clientLatency + Math.round((p.inputBytes / this.setup.network.clientBandwidth) * 1e9);
    const r: PendingRequest = { id: this.nextRequestId++, model, group: spec.group, sentAt: now, arrival, slo, deadline: arrival + slo, sloFactor: factor, slot: -1 };
    this.outstanding.add(r);
    for (const o of this.observers) o.onSubmit?.(r);
    this.loop.schedule(arrival, Priority.NETWORK, this.requestArrives, r);
    return r.id;
  }

  private readonly requestArrives = (r: Request): void => {
    let warm = false;
    for (const g of this.gpus) {
      if (g.residency[r.model] === Residency.LOADED) {
        warm = true;
        break;
      }
    }
    if (!warm) for (const o of this.observers) o.onColdStart?.(r);
    this.onController(this.requestToScheduler, r);
  };

  private readonly requestToScheduler = (r: Request): void => this.scheduler.onRequest(r);

  private workloadContext(spec: WorkloadSpec): WorkloadContext {
    return {
      now: () => this.loop.now(),
      models: this.setup.models,
      targets: spec.targets,
      group: spec.group,
      end: this.setup.duration,
      submit: (model, opts) => this.submit(spec, model, opts),
      at: (time, handler, arg) => {
        this.loop.schedule(Math.round(time), Priority.ARRIVAL, handler, arg);
      },
      rng: (name = 'arrivals') => this.streams.stream(`workload${spec.group}/${name}`),
      batch1Estimate: (model) => this.batch1[model],
    };
  }

  // ---------------------------------------------------------------- running

  /** Start the scheduler and workloads (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduler.start(this.schedulerContext);
    for (const spec of this.workloads) spec.workload.start(this.workloadContext(spec));
  }

  /**
   * Run to the end (duration + drain, or until nothing is left to do). `onProgress` is called after
   * each `step` of simulated time.
   */
  run(onProgress?: (simTime: Nanos) => void, step: Nanos = 1e9): void {
    this.start();
    const end = this.setup.duration + this.setup.drain;
    let t = this.loop.now();
    while (this.loop.pending > 0 && t < end) {
      t = Math.min(end, t + step);
      this.loop.run(t);
      const reached = this.loop.now();
      // Results received while the controller is busy are answered later but stamped with their
      // receipt: observers may only forget what lies before the controller's busy period.
      const settled = this.controllerFreeAt > reached ? Math.min(reached, this.controllerBusySince) : reached;
      for (const o of this.observers) o.onAdvance?.(settled);
      // After the last request could be sent, stop as soon as every request is answered.
      if (reached >= this.setup.duration && this.outstanding.size === 0) break;
      onProgress?.(reached);
    }
    const now = Math.max(this.loop.now(), Math.min(end, t));
    for (const r of this.outstanding.values()) {
      for (const o of this.observers) o.onUnfinished?.(r);
    }
    for (const o of this.observers) o.onFinish?.(now);
  }
}
