/**
 * Observers of everything that happens in a simulation: the metrics collector (the first one an
 * experiment registers), time series, request logs, trace events, tests. Each hook has one
 * notification site in the engine, a loop over the observers in registration order; hooks are
 * optional, so an observer implements only what it needs.
 */
import type { BusyKind, GpuPhase } from './lanes.js';
import type { Nanos } from './time.js';
import type { Action, ActionError, Outcome, Request } from './types.js';

export interface SimObserver {
  onSubmit?(r: Request): void;
  /**
   * The request was answered: `at` is its completion as `SimulationSetup.measureAt` says (the
   * result at the controller, possibly a little before now when the controller's CPU was busy, or
   * the response at the client, after now); `outcome` ok or late by that time.
   */
  onResponse?(r: Request, outcome: Outcome, at: Nanos): void;
  onColdStart?(r: Request): void;
  onActionSent?(a: Action, at: Nanos): void;
  /**
   * An action ended on its worker (or was dropped by the controller's network thread): main task
   * [start, end]; error if it failed; `at` is when the engine learnt of it (now: after an INFER's
   * output copy, which `end` does not include).
   */
  onActionDone?(gpu: number, a: Action, error: ActionError | null, start: Nanos, end: Nanos, paddedBatch: number, at: Nanos): void;
  onLaneBusy?(gpu: number, kind: BusyKind, busy: boolean, at: Nanos): void;
  onPrediction?(kind: 'INFER' | 'LOAD', predicted: Nanos, actual: Nanos): void;
  /** A phase of an action ran on a GPU lane over [start, end] (reported when it ends). */
  onPhase?(gpu: number, a: Action, phase: GpuPhase, start: Nanos, end: Nanos): void;
  /** Simulated time reached `now` (after each run step: observers may drop finished windows' state). */
  onAdvance?(now: Nanos): void;
  /** The request was still unanswered when the simulation ended. */
  onUnfinished?(r: Request): void;
  /** The run ended at `now` (after the onUnfinished reports): close open intervals. */
  onFinish?(now: Nanos): void;
}
