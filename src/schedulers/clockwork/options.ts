/**
 * Options of the `clockwork` scheduler. Every constant of the controller is here, with the
 * released source's default (README.md, "The `clockwork` scheduler", lists them). Durations
 * accept "5ms", "250us" or plain milliseconds.
 */
import { z } from 'zod';
import { MAX_COUNT, zDuration } from '../../util/units-zod.js';

/** Batch sizes Clockwork supports (inputs are padded to the next one). */
export const SUPPORTED_BATCH_SIZES = [1, 2, 4, 8, 16] as const;

const percentileMsg = 'expected a percentile between 0 and 1 (e.g. 0.99)';

export const clockworkOptions = z.strictObject({
  /** How far ahead of a GPU becoming free the controller dispatches work (source: 10 ms; most paper runs 5 ms). */
  scheduleAhead: zDuration().default(10_000_000),
  /** Safety buffer between the SLO and the internal deadline: exec_slo = max(slo - buffer, scheduleAhead + buffer). */
  buffer: zDuration({ allowZero: true }).default(5_000_000),
  /** Measurements in each estimator's sliding window. */
  window: z.number().int('expected a whole number of measurements').min(1, 'expected a window of at least 1 measurement').max(MAX_COUNT).default(10),
  /** Percentile of the window used as the estimate (0..1). */
  percentile: z.number().refine((p) => p >= 0 && p <= 1, percentileMsg).default(0.99),
  /**
   * The profile's value seeds each estimator: "fallback" (released) uses it until the first
   * measurement and keeps it out of the window; "inWindow" keeps it in the window as a first
   * measurement until `window` measurements have rotated it out.
   */
  estimatorSeed: z.enum(['fallback', 'inWindow']).default('fallback'),
  /** An outstanding action overdue by more than this is assumed to have started at now - lag - estimate. */
  lag: zDuration({ allowZero: true }).default(10_000_000),
  /** Batch sizes whose estimate exceeds this are not used. */
  maxExec: zDuration().default(250_000_000),
  /** Largest batch size used (one of 1, 2, 4, 8, 16; the paper's later experiments use 8). */
  maxBatch: z.literal([...SUPPORTED_BATCH_SIZES]).default(16),
  /**
   * A strategy (model, b) fails when fewer than b requests can be batched. "stepDown" (released):
   * the model is then offered on that GPU only with the batch sizes below b (fresh priorities)
   * until it dispatches there or its queues empty; "retry": the failed strategy is offered again
   * at the GPU's next fill, and the model keeps all its sizes.
   */
  failedStrategy: z.enum(['stepDown', 'retry']).default('stepDown'),
  /** Upper bound of weights_slo, how long a request's demand counts towards loading its model. */
  maxLoadSlo: zDuration().default(25_000_000),
  /**
   * When a request that cannot be served is answered: "atDeadline" (released) answers it with a
   * timeout at its internal deadline, also one that step 1 removed from the queues earlier, and
   * never rejects at arrival; "immediately" answers it when it is removed, and at arrival one that
   * could not finish even alone on an idle GPU.
   */
  answerDrops: z.enum(['atDeadline', 'immediately']).default('atDeadline'),
  /**
   * When the controller learns that an INFER failed "network too late" (its send would have started
   * after its send-by) and answers its requests `failed`: "released" at latest + the INFER's
   * estimated duration (or at the drop, if later), as the released controller does; "whenDropped"
   * when the network thread drops it (docs/clockwork-model.md, "INFER scheduling").
   */
  networkTooLateAt: z.enum(['released', 'whenDropped']).default('released'),
  /**
   * Whether making room for a LOAD may evict a model with an INFER in flight on that GPU:
   * "allowed" (released: its load tracker does not check), and the INFER then fails at the worker
   * ("not-loaded" at its exec start, "weights-changed" at its end if evicted while executing);
   * "never" skips such models (docs/clockwork-model.md, "LOAD and EVICT").
   */
  evictInFlight: z.enum(['allowed', 'never']).default('allowed'),
  /** Concurrent controller->worker sends (0 = unlimited). */
  sendConcurrency: z.number().int().min(0, 'expected 0 (unlimited) or more concurrent sends').max(MAX_COUNT).default(2),
  /** An INFER whose send would start after latest - networkSlack fails as "network too late" (LOAD and EVICT carry no send-by). */
  networkSlack: zDuration({ allowZero: true }).default(5_000_000),
  /** The timelines never predict work starting before now + startDelay; also latest >= now + startDelay + scheduleAhead. */
  startDelay: zDuration({ allowZero: true }).default(1_000_000),
  /** SLO for requests that carry none, and the reference of the demand formula (estimate x defaultSlo / exec_slo). */
  defaultSlo: zDuration().default(100_000_000),
  /** Simulated controller CPU time charged per scheduling decision (each INFER or LOAD dispatched). */
  decisionLatency: zDuration({ allowZero: true }).default(0),
  /**
   * LOAD/EVICT policy (README.md, "The `clockwork` scheduler"; src/schedulers/clockwork/load-policy.ts):
   * "released" is the released source's load tracker, which the paper's numbers came from (load
   * demand estimate x defaultSlo / weights_slo while queued, eager replication); "intended" is the
   * policy the paper describes (demand expires at arrival + weights_slo; only uncovered demand loads).
   */
  loadPolicy: z.enum(['released', 'intended']).default('released'),
})
  // Every INFER's latest is at least now + startDelay + scheduleAhead; a networkSlack that large
  // puts every send-by in the past, so every INFER would fail at once. A scheduleAhead no larger
  // than startDelay never dispatches anything.
  .superRefine((o, ctx) => {
    // free_at >= now + startDelay and a GPU is filled (or its weights lane loads) while free_at <
    // now + scheduleAhead: with scheduleAhead <= startDelay nothing is ever dispatched or loaded.
    if (o.scheduleAhead <= o.startDelay) {
      ctx.addIssue({
        code: 'custom',
        path: ['scheduleAhead'],
        message: `expected more than startDelay (${o.startDelay / 1e6} ms): a GPU is filled while its predicted free time, at least now + startDelay, is less than now + scheduleAhead, so nothing would ever be dispatched`,
      });
    }
    if (o.networkSlack >= o.startDelay + o.scheduleAhead) {
      ctx.addIssue({
        code: 'custom',
        path: ['networkSlack'],
        message: `expected less than startDelay + scheduleAhead (${(o.startDelay + o.scheduleAhead) / 1e6} ms): with ${o.networkSlack / 1e6} ms every INFER would miss its send-by time as soon as it is made`,
      });
    }
  });

export type ClockworkOptions = z.output<typeof clockworkOptions>;
