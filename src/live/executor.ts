/**
 * A live executor: one simulated GPU made real, behaving like Clockwork's worker and like the
 * simulated one (src/sim/gpu.ts) wherever a single thread allows (docs/live.md, "Executors").
 *
 * - LOAD: check the window, the pages (the simulated GPU's page-cache accounting: `pages` per model
 *   out of `totalPages`), then create the model's onnxruntime session from bytes already in this
 *   thread's memory (the weights transfer). Its measured duration is the session creation.
 * - EVICT: check the window, release the session, return the pages.
 * - INFER: may begin its input copy `inputLead` before `earliest`; fails *too late* when it would
 *   begin after `latest`; pads to the smallest supported batch size; input copy (the requests'
 *   input bytes copied into the batch tensors), waits for `earliest`, checks the window again and
 *   that its model is loaded, runs the session on the padded batch (the measured exec duration),
 *   output copy. Inputs are generated on the executor once (seeded) and copied per request, as
 *   Clockwork's experiments run with inputs disabled: no input bytes travel with an INFER.
 *
 * One difference from the simulated GPU: onnxruntime-node's session creation and run hold the
 * thread, so the executor does one thing at a time, in order of ready time (a LOAD delays an INFER
 * ready during it, which Clockwork's separate weights stream would not). Errors, timestamps and
 * durations are reported exactly as the simulated worker reports them.
 */
import type { Nanos } from '../sim/time.js';
import type { ActionError } from '../sim/types.js';
import { Heap } from '../util/heap.js';
import type { PreciseTimers } from './clock.js';

/** An action as it travels to an executor (the engine keeps the Action itself). */
export interface ActionMsg {
  readonly id: number;
  readonly type: 'LOAD' | 'EVICT' | 'INFER';
  readonly model: number;
  readonly earliest: Nanos;
  readonly latest: Nanos;
  /** INFER: requests in the batch, and the optional padTo. */
  readonly n: number;
  readonly padTo?: number;
  /**
   * When the action reaches the worker (the controller's send time + the link's delay): the
   * controller posts it at once and the executor holds it until then, so the thread hop hides in
   * the link's delay (docs/live.md, "Network"). Absent: it arrives when the message does.
   */
  readonly arriveAt?: Nanos;
}

/** Phases on the executor's clock (ns since the shared origin); absent ones did not run. */
export interface Phases {
  inStart?: Nanos;
  inEnd?: Nanos;
  outStart?: Nanos;
  outEnd?: Nanos;
}

export interface ResultMsg {
  readonly id: number;
  readonly error: ActionError | null;
  /** The main task (exec for INFER, session creation for LOAD), as the simulated worker reports it. */
  readonly start: Nanos;
  readonly end: Nanos;
  readonly padded: number;
  readonly phases: Phases;
  /** When the executor was done with the action (after the output copy). */
  readonly doneAt: Nanos;
  /** INFER: the session's first run at this batch size since its LOAD (a profile's `firstExec`). */
  readonly first?: boolean;
}

/** What runs the models: onnxruntime sessions in the worker thread, or a fake in tests. */
export interface Backend {
  /** Create model `m`'s session (the weights transfer). */
  load(m: number): Promise<void>;
  release(m: number): Promise<void>;
  /** Copy the inputs of `n` requests into model `m`'s batch-`padded` tensors. */
  copyInput(m: number, n: number, padded: number): void;
  run(m: number, padded: number): Promise<void>;
  /** Copy the outputs of `n` requests out of the last run. */
  copyOutput(m: number, n: number): void;
}

export interface ExecutorModel {
  readonly pages: number;
  readonly batchSizes: readonly number[];
}

const NONE = 0;
const LOADING = 1;
const LOADED = 2;

interface Task {
  readyAt: Nanos;
  seq: number;
  a: ActionMsg;
}

export class Executor {
  private readonly queue = new Heap<Task>((x, y) => x.readyAt < y.readyAt || (x.readyAt === y.readyAt && x.seq < y.seq));
  private seq = 0;
  private busy = false;
  private wake: { cancelled: boolean } | null = null;
  private wakeAt = Infinity;
  private freePages: number;
  private readonly version: Uint32Array;
  /** Per model, per position in its batch sizes: 1 once its current session ran that batch size. */
  private readonly ran: Uint8Array[];

  constructor(
    private readonly models: readonly ExecutorModel[],
    totalPages: number,
    /** Per model: NONE, LOADING, LOADED; shared with the controller (cold-start accounting). */
    readonly residency: Uint8Array,
    private readonly inputLead: Nanos,
    private readonly timers: PreciseTimers,
    private readonly backend: Backend,
    private readonly report: (r: ResultMsg) => void,
    private readonly fatal: (e: unknown) => void,
  ) {
    this.freePages = totalPages;
    this.version = new Uint32Array(models.length);
    this.ran = models.map((m) => new Uint8Array(m.batchSizes.length));
  }

  private now(): Nanos {
    return this.timers.clock.now();
  }

  submit(a: ActionMsg): void {
    if (a.arriveAt !== undefined && a.arriveAt > this.now()) {
      this.timers.set(a.arriveAt, this.arrive, a);
      return;
    }
    this.arrive(a);
  }

  /** The action is at the worker: into the queue, in order of ready time. */
  private readonly arrive = (a: ActionMsg): void => {
    this.queue.push({ readyAt: a.type === 'INFER' ? a.earliest - this.inputLead : a.earliest, seq: this.seq++, a });
    this.pump();
  };

  /** Start the next ready task, or wake at the head's ready time. */
  private pump(): void {
    if (this.busy) return;
    const head = this.queue.peek();
    if (!head) return;
    if (head.readyAt > this.now()) {
      if (head.readyAt < this.wakeAt) {
        if (this.wake) this.timers.cancel(this.wake);
        this.wakeAt = head.readyAt;
        this.wake = this.timers.set(head.readyAt, this.onWake);
      }
      return;
    }
    this.queue.pop();
    this.busy = true;
    this.execute(head.a).then(
      (r) => {
        this.busy = false;
        this.report(r);
        this.pump();
      },
      (e) => this.fatal(e),
    );
  }

  private readonly onWake = (): void => {
    this.wake = null;
    this.wakeAt = Infinity;
    this.pump();
  };

  private fail(a: ActionMsg, error: ActionError, padded = 0, phases: Phases = {}): ResultMsg {
    const now = this.now();
    return { id: a.id, error, start: now, end: now, padded, phases, doneAt: now };
  }

  private until(at: Nanos): Promise<void> {
    return new Promise((resolve) => this.timers.set(at, resolve));
  }

  private async execute(a: ActionMsg): Promise<ResultMsg> {
    const m = a.model;
    if (a.type === 'EVICT') {
      const start = this.now();
      if (start > a.latest) return this.fail(a, 'too-late');
      if (this.residency[m] === NONE) return this.fail(a, 'not-loaded');
      if (this.residency[m] === LOADING) return this.fail(a, 'busy');
      this.residency[m] = NONE;
      this.version[m]++;
      this.freePages += this.models[m].pages;
      await this.backend.release(m);
      return { id: a.id, error: null, start, end: start, padded: 0, phases: {}, doneAt: this.now() };
    }
    if (a.type === 'LOAD') {
      // The window is checked at the instant reported as the start (as the simulated GPU does).
      const start = this.now();
      if (start > a.latest) return this.fail(a, 'too-late');
      if (this.residency[m] !== NONE) return this.fail(a, 'already-loaded');
      const need = this.models[m].pages;
      if (need > this.freePages) return this.fail(a, 'no-pages');
      this.freePages -= need;
      this.residency[m] = LOADING;
      await this.backend.load(m);
      const end = this.now();
      this.residency[m] = LOADED;
      this.ran[m].fill(0);
      return { id: a.id, error: null, start, end, padded: 0, phases: {}, doneAt: end };
    }
    // INFER: the input copy may not begin after `latest` either.
    const inStart = this.now();
    if (inStart > a.latest) return this.fail(a, 'too-late');
    const sizes = this.models[m].batchSizes;
    const want = Math.max(a.n, a.padTo ?? 0);
    let i = 0;
    while (i < sizes.length && sizes[i] < want) i++;
    if (i === sizes.length || a.n === 0) return this.fail(a, 'bad-batch');
    const padded = sizes[i];
    const phases: Phases = { inStart };
    this.backend.copyInput(m, a.n, padded);
    phases.inEnd = this.now();
    if (phases.inEnd < a.earliest) await this.until(a.earliest);
    const start = this.now();
    if (start > a.latest) return this.fail(a, 'too-late', padded, phases);
    if (this.residency[m] !== LOADED) return this.fail(a, 'not-loaded', padded, phases);
    const version = this.version[m];
    const first = this.ran[m][i] === 0;
    this.ran[m][i] = 1;
    await this.backend.run(m, padded);
    const end = this.now();
    if (version !== this.version[m]) return { id: a.id, error: 'weights-changed', start, end, padded, phases, doneAt: end, first };
    phases.outStart = this.now();
    this.backend.copyOutput(m, a.n);
    phases.outEnd = this.now();
    return { id: a.id, error: null, start, end, padded, phases, doneAt: phases.outEnd, first };
  }
}
