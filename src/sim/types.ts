/**
 * The contract between the simulated hardware and a scheduler (docs/design.md, "Schedulers"): a scheduler sees
 * request arrivals, results of the actions it sent and its own timers; it acts only by sending
 * actions (LOAD, EVICT, INFER with [earliest, latest] windows) and answering requests. It reads
 * time only through `SchedulerContext.now()`, so the same policy could drive real executors.
 */
import type { ModelHardware } from './hardware.js';
import type { Rng } from './random.js';
import type { Nanos } from './time.js';

/** Identifies a GPU by its global index in the cluster (worker-major order). */
export type GpuId = number;
/** Index of a model instance in the experiment's model list (e.g. resnet50_v2#3). */
export type ModelId = number;

export interface ModelInstance {
  readonly id: ModelId;
  /** Instance name, e.g. "resnet50_v2#3". */
  readonly name: string;
  readonly profile: ModelHardware;
  /** ceil((weightsBytes + extraMemoryBytes) / pageSize) */
  readonly pages: number;
}

export interface GpuInfo {
  readonly id: GpuId;
  readonly worker: number;
  /** Index of the GPU within its worker. */
  readonly local: number;
  readonly totalPages: number;
  /** Executions the engine lets overlap on this GPU (1 = Clockwork's one-at-a-time). */
  readonly maxConcurrentExec: number;
}

/** A client request as the controller sees it. */
export interface Request {
  readonly id: number;
  readonly model: ModelId;
  /** Workload group index (several workloads may share one experiment). */
  readonly group: number;
  /** When the client sent it (the measured window is defined on this). */
  readonly sentAt: Nanos;
  /** When it reached the controller. Deadlines and latency count from here, as in Clockwork. */
  readonly arrival: Nanos;
  readonly slo: Nanos;
  /** arrival + slo: the response must reach the client by then to be good. */
  readonly deadline: Nanos;
  /** Request-specified SLO factor (slo = factor x batch-1 estimate), when the workload uses one. */
  readonly sloFactor?: number;
}

interface ActionBase {
  /** Assigned by the engine on send; unique and increasing. */
  id?: number;
  readonly gpu: GpuId;
  readonly model: ModelId;
  /** Window: may start once now >= earliest; fails "too late" if it would start after latest. */
  readonly earliest: Nanos;
  readonly latest: Nanos;
  /** Optional: fail as "network too late" if its send from the controller would start after this. */
  readonly sendBy?: Nanos;
  /** Anything the scheduler wants back with the result. */
  readonly tag?: unknown;
}
export interface LoadAction extends ActionBase {
  readonly type: 'LOAD';
}
export interface EvictAction extends ActionBase {
  readonly type: 'EVICT';
}
export interface InferAction extends ActionBase {
  readonly type: 'INFER';
  readonly requests: readonly Request[];
  /**
   * Optional: execute at the cost of at least this batch size (the smallest supported size >=
   * max(requests, padTo)), as a server padding to its own allowed batch sizes does.
   */
  readonly padTo?: number;
  /**
   * Optional: the scheduler's estimate of its execution (ns). When set, a *network too late* drop
   * is reported to the controller at `max(drop, latest + expectedDuration)`, as the released
   * Clockwork controller does, instead of when its network thread drops it (docs/clockwork-model.md,
   * "INFER scheduling", option `networkTooLateAt`).
   */
  readonly expectedDuration?: Nanos;
}
export type Action = LoadAction | EvictAction | InferAction;

export type ActionError =
  | 'too-late' // would start after `latest`
  | 'network-too-late' // its send would start after `sendBy`
  | 'no-pages' // LOAD: not enough free pages
  | 'not-loaded' // INFER: weights not in this GPU's memory at exec start; EVICT: nothing to evict
  | 'weights-changed' // INFER: its model's weights were evicted while it executed (fails at exec end)
  | 'already-loaded' // LOAD: model already resident or loading
  | 'busy' // EVICT while the model is loading (one executing is evicted: its INFER fails 'weights-changed')
  | 'bad-batch'; // INFER batch larger than the largest supported size

export interface ActionResult {
  readonly action: Action;
  readonly ok: boolean;
  readonly error?: ActionError;
  /** When the worker began the action's main task (exec for INFER, transfer for LOAD). */
  readonly start?: Nanos;
  /** When the main task ended on the worker. */
  readonly end?: Nanos;
  /** Measured duration of the main task (exec or weights transfer). */
  readonly duration?: Nanos;
  /** Padded batch size an INFER ran at. */
  readonly paddedBatch?: number;
  /** When the result reached the controller. */
  readonly receivedAt: Nanos;
}

export type Outcome = 'ok' | 'late' | 'timeout' | 'rejected' | 'failed';

export interface TimerHandle {
  readonly id: number;
}

export interface SchedulerContext {
  now(): Nanos;
  readonly models: readonly ModelInstance[];
  readonly gpus: readonly GpuInfo[];
  /** Send an action to its GPU's worker over the controller->worker network. Returns its id. */
  send(action: Action): number;
  /**
   * Answer a request without executing it: 'timeout' (deadline passed undispatched), 'rejected'
   * (refused) or 'failed' (e.g. its model cannot be served). The requests of an INFER are answered
   * by the engine when its result reaches the controller, before `onResult`: 'ok' if it ran,
   * 'failed' if it failed; a scheduler never answers them itself.
   */
  respond(request: Request, outcome: 'timeout' | 'rejected' | 'failed'): void;
  /** Call `onTimer(token)` at `at` (>= now). */
  setTimer(at: Nanos, token: unknown): TimerHandle;
  cancelTimer(handle: TimerHandle): void;
  /** The scheduler's own random stream(s). */
  rng(name?: string): Rng;
  /** Record a prediction of an action's completion time (for prediction-error results). */
  recordPrediction(kind: 'INFER' | 'LOAD', predictedEnd: Nanos, actualEnd: Nanos): void;
  /**
   * Spend simulated controller CPU time (a decision's cost). The controller is single-threaded:
   * sends made afterwards leave when it is free again, and events for the scheduler (requests,
   * results, timers) wait until then. Zero cost by default.
   */
  spend(duration: Nanos): void;
  /**
   * When the controller's CPU is free of the time spent so far: later than now only after `spend`
   * in this handler. max(now(), controllerFreeAt()) is the controller's own clock.
   */
  controllerFreeAt(): Nanos;
}

export interface Scheduler {
  readonly name: string;
  start(ctx: SchedulerContext): void;
  onRequest(request: Request): void;
  /**
   * An action's result reached the controller. For an INFER, its requests have already been
   * answered ('ok' or 'failed', see SchedulerContext.respond): the scheduler only updates its state.
   */
  onResult(result: ActionResult): void;
  onTimer?(token: unknown): void;
  /** Scheduler-specific figures for summary.json (e.g. prediction error statistics). */
  summary?(): Record<string, unknown>;
}
