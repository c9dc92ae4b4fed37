/**
 * Workloads drive requests into the simulated cluster. Open-loop workloads produce arrivals lazily
 * in time order (an `ArrivalSource`), so an 8-hour day over thousands of models never sits in
 * memory as one array; closed-loop workloads react to responses.
 */
import type { Rng } from './random.js';
import type { Nanos } from './time.js';
import type { ModelId, ModelInstance, Outcome, Request } from './types.js';

export interface SubmitOptions {
  /** Overrides the workload's SLO for this request. */
  slo?: Nanos;
  /** slo = factor x batch-1 execution estimate of the model (takes precedence over slo). */
  sloFactor?: number;
}

export interface WorkloadContext {
  now(): Nanos;
  /** Every model instance of the experiment. */
  readonly models: readonly ModelInstance[];
  /** The instances this workload sends to (its `models` selector; all by default). */
  readonly targets: readonly ModelId[];
  /** This workload's group index (its position in the config's workload list). */
  readonly group: number;
  /** No request is sent at or after this time (the experiment's duration). */
  readonly end: Nanos;
  /** Send a request for `model` from a client, now. Returns the request id. */
  submit(model: ModelId, opts?: SubmitOptions): number;
  /** Call handler(arg) at `time` (>= now). */
  at(time: Nanos, handler: (arg: any) => void, arg?: unknown): void;
  /** This workload's own random stream (named after the group and `name`). */
  rng(name?: string): Rng;
  /** The profile's median batch-1 execution time of a model (for SLO factors). */
  batch1Estimate(model: ModelId): Nanos;
}

/** Where a replayed trace runs out (see `Workload.traceEnd`). */
export interface TraceEnd {
  /** Simulated time (ns) after which the trace has no more arrivals. */
  readonly at: Nanos;
  /** What ends, for the warning: e.g. "trace /data/x.csv (its last arrival)". */
  readonly what: string;
}

export interface Workload {
  /** Async preparation before simulated time starts (reading and indexing trace files). */
  prepare?(): Promise<void>;
  start(ctx: WorkloadContext): void;
  /** Called when one of this workload's requests is answered (closed loops use it). */
  onResponse?(request: Request, outcome: Outcome): void;
  /** Choices made while resolving (e.g. a trace's mapping and scale), recorded with the results. */
  describe?(): Record<string, unknown>;
  /**
   * Trace replays: when the trace runs out in simulated time, or null when it lasts until the
   * experiment ends (e.g. it wraps around). Called after prepare(). The runner warns when this is
   * before the run's duration (docs/traces.md, "When a trace ends before the run").
   */
  traceEnd?(): TraceEnd | null;
}

/**
 * A lazy, time-ordered stream of arrivals. `advance()` moves to the next arrival and returns
 * false when there is none; then `time` and `model` describe it.
 */
export interface ArrivalSource {
  advance(): boolean;
  readonly time: Nanos;
  readonly model: ModelId;
}
