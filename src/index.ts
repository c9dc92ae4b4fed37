/**
 * servesim's public API (the package's `exports`, `import ... from 'servesim'`): what a scheduler
 * or workload written in the user's own module needs (docs/writing-a-scheduler.md). The contracts
 * (Scheduler, Workload and their contexts), `defineScheduler` / `defineWorkload` to type a plugin's
 * default export, the zod instance servesim validates options with, units, and the helpers the
 * built-in policies are made of: request queues, the controller's GPU-memory view, the sliding-
 * window estimator and the Poisson arrival process.
 */
import { z } from 'zod';
import type { EngineRequirements } from './schedulers/registry.js';
import type { Scheduler } from './sim/types.js';
import type { Workload } from './sim/workload.js';
import type { WorkloadEnv } from './traces/registry.js';

// ---------------------------------------------------------------- the contracts
export type {
  Action,
  ActionError,
  ActionResult,
  EvictAction,
  GpuId,
  GpuInfo,
  InferAction,
  LoadAction,
  ModelId,
  ModelInstance,
  Outcome,
  Request,
  Scheduler,
  SchedulerContext,
  TimerHandle,
} from './sim/types.js';
export type { ArrivalSource, SubmitOptions, TraceEnd, Workload, WorkloadContext } from './sim/workload.js';
export type { ModelHardware } from './sim/hardware.js';
export type { Rng, Empirical } from './sim/random.js';
export type { Nanos } from './sim/time.js';
export type { EngineRequirements } from './schedulers/registry.js';
export type { WorkloadEnv } from './traces/registry.js';

/**
 * The default export of a scheduler plugin. `options` is a zod object schema (use `z` from this
 * package) whose parsed output `create` receives; without it the scheduler takes no options.
 */
export interface SchedulerPlugin<S extends z.ZodObject = z.ZodObject> {
  /** Label in summaries, tables and charts (default: the module file's name without extension). */
  readonly name?: string;
  readonly description?: string;
  readonly options?: S;
  create(options: z.output<S>): Scheduler;
  /** What the policy asks of the engine (default: one execution at a time per GPU, unlimited sends). */
  engine?(options: z.output<S>): EngineRequirements;
}

/** The default export of a workload plugin (options as for SchedulerPlugin). */
export interface WorkloadPlugin<S extends z.ZodObject = z.ZodObject> {
  readonly name?: string;
  readonly description?: string;
  readonly options?: S;
  create(options: z.output<S>, env: WorkloadEnv): Workload;
  /** Optional check of the options against the number of models the workload sends to. */
  checkTargets?(options: z.output<S>, targets: number): { path: readonly string[]; message: string } | null;
}

/** Types a scheduler plugin's default export (returns it unchanged). */
export function defineScheduler<S extends z.ZodObject>(plugin: SchedulerPlugin<S>): SchedulerPlugin<S> {
  return plugin;
}

/** Types a workload plugin's default export (returns it unchanged). */
export function defineWorkload<S extends z.ZodObject>(plugin: WorkloadPlugin<S>): WorkloadPlugin<S> {
  return plugin;
}

// ---------------------------------------------------------------- options and units
/** The zod servesim validates configs with: build plugin options schemas with it. */
export { z };
/** Option fields with units, as the built-ins use: "5ms" -> ns, "16MiB" -> bytes, "200/s" -> per second. */
export { zBandwidth, zDuration, zRate, zSize } from './util/units-zod.js';
/** Time is integer nanoseconds: NS = 1, US = 1e3, MS = 1e6, SEC = 1e9. */
export { DAY, formatDuration, HOUR, MIN, MS, NS, SEC, US } from './sim/time.js';
export { parseDuration } from './util/units.js';

// ---------------------------------------------------------------- helpers for schedulers
export { EdfQueue, FifoQueue, type RequestQueue } from './schedulers/queues.js';
export { GpuMemoryView, memoryViews, NEVER, placeStatically } from './schedulers/gpu-memory.js';
export { WindowEstimator, interpolatedPercentile } from './schedulers/clockwork/estimator.js';

/**
 * A model's residency in GpuMemoryView.state (the engine's const enum, as plain values for
 * JavaScript): NONE, LOADING, LOADED.
 */
export const RESIDENCY = Object.freeze({ NONE: 0, LOADING: 1, LOADED: 2 } as const);

// ---------------------------------------------------------------- helpers for workloads
export { driveArrivals } from './traces/arrivals.js';
export { PoissonArrivals } from './traces/poisson.js';

export { VERSION } from './version.js';
