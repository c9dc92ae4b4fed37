/**
 * One simulated GPU, the emulated worker of Clockwork (docs/design.md, "Worker and lanes"; README.md,
 * "The simulated hardware"): a weights lane (LOAD, EVICT), an input-copy lane, the execution engine
 * and an output-copy lane (src/sim/lanes.ts lists them), plus a page-cached weight memory. It
 * executes what it is told as soon as its window allows, never deciding anything.
 *
 * Execution: by default one at a time. With `maxConcurrentExec` k > 1, overlapping executions share
 * the GPU (processor sharing) with the profile's aggregate speed-up g(n) for n running, each
 * progressing at g(n)/n of its standalone speed, and an execution that starts while others run has
 * its work multiplied by a lognormal factor of mean 1 and CV `interference.extraCv`.
 *
 * Serial executor (`serial`, the experiment's `cluster.executor: "serial"`): the worker does one
 * thing at a time, as live mode's executors do (docs/live.md): LOADs, EVICTs and INFERs share one
 * queue, in order of ready time, and an INFER holds the worker from the start of its input copy,
 * through the wait for `earliest` and its execution, to the end of its output copy.
 *
 * First runs: where the profile has `firstExec` for a model and batch size, the first execution at
 * that batch size after each LOAD of the model here draws from it instead of `exec` (a fresh
 * onnxruntime session plans its memory on its first run at a shape; docs/profiling.md).
 */
import { EventLoop, Priority } from './event-loop.js';
import type { DeviceHardware } from './hardware.js';
import { Lane } from './lane.js';
import type { BusyKind, GpuPhase } from './lanes.js';
import type { Empirical, Rng } from './random.js';
import type { Nanos } from './time.js';
import type { Action, ActionError, GpuInfo, InferAction, ModelInstance } from './types.js';

/** A model's weights on a GPU: the worker's state, and the schedulers' view of it (gpu-memory, clockwork). */
export const enum Residency {
  NONE = 0,
  LOADING = 1,
  LOADED = 2,
}

/** What the GPU reports to the simulation. */
export interface GpuListener {
  /** The action finished on the worker (successfully or not); `start`/`end` of its main task. */
  actionDone(gpu: Gpu, action: Action, error: ActionError | null, start: Nanos, end: Nanos, paddedBatch: number): void;
  /** Busy-time accounting: lane `kind` on this GPU went busy (true) or idle (false) at now. */
  laneBusy?(gpu: Gpu, kind: BusyKind, busy: boolean): void;
  /** A phase of an action ran on a lane over [start, end] (for timelines; called when it ends). */
  phase?(gpu: Gpu, action: Action, phase: GpuPhase, start: Nanos, end: Nanos): void;
}

interface Task {
  readyAt: Nanos;
  seq: number;
  action: Action;
  /** INFER: padded batch, and its position in the model's batch sizes. */
  padded: number;
  paddedIndex: number;
  /** Processor sharing: remaining standalone work (ns) and when the running set last changed. */
  remaining: number;
  execStart: Nanos;
  execEnd: Nanos;
  /** INFER: its model's weights version when its execution started. */
  version: number;
  /** Start of the input copy and of the output copy (timelines). */
  inStart: Nanos;
  outStart: Nanos;
}

export interface GpuConfig {
  /** How far before `earliest` an INFER's input copy may start (README.md, `cluster`: 5 ms by default). */
  inputLead: Nanos;
  maxConcurrentExec: number;
  /** One queue and one thing at a time for every action (the file comment); needs maxConcurrentExec 1. */
  serial?: boolean;
}

export class Gpu implements GpuInfo {
  readonly totalPages: number;
  freePages: number;
  /** Residency per model id. */
  readonly residency: Uint8Array;
  readonly maxConcurrentExec: number;

  /** LOAD and EVICT; with `serial`, every action. */
  private readonly weights: Lane<Task>;
  private readonly input: Lane<Task>;
  private readonly exec: Lane<Task>;
  private readonly output: Lane<Task>;
  private seq = 0;
  private readonly serial: boolean;

  /** Running executions (processor sharing when more than one). */
  private readonly running: Task[] = [];
  private psLast = 0;
  private psHandle = -1;
  /** Pages held by each resident model. */
  private readonly pagesHeld: Uint16Array;
  /**
   * Per model, how many times its weights were evicted here: an INFER executing while its model is
   * evicted fails 'weights-changed' at the end of its execution, as the released worker's version
   * check does (docs/clockwork-model.md, "LOAD and EVICT").
   */
  private readonly weightsVersion: Uint32Array;
  /** Per model, per position in its batch sizes: the execution-time distribution (profile.exec). */
  private readonly execTimes: ReadonlyArray<ReadonlyArray<Empirical>>;
  /**
   * Per model with first-run durations in its profile (profile.firstExec), per position in its batch
   * sizes: that distribution, or undefined; null for a model without any.
   */
  private readonly firstTimes: ReadonlyArray<ReadonlyArray<Empirical | undefined> | null>;
  /** Per model with firstTimes: 1 where its batch size ran since the model's last LOAD here. */
  private readonly ranSinceLoad: ReadonlyArray<Uint8Array | null>;

  constructor(
    readonly id: number,
    readonly worker: number,
    readonly local: number,
    private readonly loop: EventLoop,
    private readonly device: DeviceHardware,
    private readonly models: readonly ModelInstance[],
    pages: number,
    private readonly cfg: GpuConfig,
    private readonly rng: { exec: Rng; load: Rng; interference: Rng },
    private readonly listener: GpuListener,
  ) {
    this.totalPages = pages;
    this.freePages = pages;
    this.residency = new Uint8Array(models.length);
    this.pagesHeld = new Uint16Array(models.length);
    this.weightsVersion = new Uint32Array(models.length);
    this.maxConcurrentExec = cfg.maxConcurrentExec;
    this.execTimes = models.map((m) => m.profile.batchSizes.map((b) => m.profile.exec.get(b)!));
    this.firstTimes = models.map((m) => (m.profile.firstExec ? m.profile.batchSizes.map((b) => m.profile.firstExec!.get(b)) : null));
    this.ranSinceLoad = this.firstTimes.map((f) => (f ? new Uint8Array(f.length) : null));
    this.serial = cfg.serial === true;
    if (this.serial && cfg.maxConcurrentExec !== 1) throw new Error(`a serial executor runs one execution at a time, found maxConcurrentExec ${cfg.maxConcurrentExec}`);
    this.weights = new Lane(loop, 1, this.serial ? (t) => (t.action.type === 'INFER' ? this.startInput(t) : this.startWeights(t)) : (t) => this.startWeights(t));
    this.input = new Lane(loop, 1, (t) => this.startInput(t));
    this.exec = new Lane(loop, cfg.maxConcurrentExec, (t) => this.startExec(t));
    this.output = new Lane(loop, 1, (t) => this.startOutput(t));
  }

  /** An action arrived at this GPU's worker. */
  submit(action: Action): void {
    const t: Task = { readyAt: action.earliest, seq: this.seq++, action, padded: 0, paddedIndex: 0, remaining: 0, execStart: 0, execEnd: 0, version: 0, inStart: 0, outStart: 0 };
    if (action.type === 'INFER') {
      t.readyAt = action.earliest - this.cfg.inputLead;
      (this.serial ? this.weights : this.input).enqueue(t);
    } else {
      this.weights.enqueue(t);
    }
  }

  // ---- weights lane ----

  private startWeights(t: Task): boolean {
    const now = this.loop.now();
    const a = t.action;
    const m = a.model;
    if (now > a.latest) return this.fail(t, 'too-late');
    if (a.type === 'EVICT') {
      const r = this.residency[m];
      if (r === Residency.NONE) return this.fail(t, 'not-loaded');
      if (r === Residency.LOADING) return this.fail(t, 'busy');
      // Evicting a model that is executing is allowed (the released worker does too): the pages are
      // freed now and that execution fails at its end (execFinished).
      this.residency[m] = Residency.NONE;
      this.weightsVersion[m]++;
      this.freePages += this.pagesHeld[m];
      this.pagesHeld[m] = 0;
      this.listener.phase?.(this, a, 'EVICT', now, now);
      this.listener.actionDone(this, a, null, now, now, 0);
      return false;
    }
    // LOAD
    if (this.residency[m] !== Residency.NONE) return this.fail(t, 'already-loaded');
    const need = this.models[m].pages;
    if (need > this.freePages) return this.fail(t, 'no-pages');
    this.freePages -= need;
    this.pagesHeld[m] = need;
    this.residency[m] = Residency.LOADING;
    const dur = Math.max(1, Math.round(this.models[m].profile.load.sample(this.rng.load)));
    this.listener.laneBusy?.(this, 'pcie', true);
    this.loop.schedule(now + dur, Priority.HARDWARE, this.onLoadEnd, t);
    t.execStart = now;
    return true;
  }

  private readonly onLoadEnd = (t: Task): void => {
    const m = t.action.model;
    this.residency[m] = Residency.LOADED;
    this.ranSinceLoad[m]?.fill(0);
    this.listener.laneBusy?.(this, 'pcie', false);
    this.listener.phase?.(this, t.action, 'LOAD', t.execStart, this.loop.now());
    this.listener.actionDone(this, t.action, null, t.execStart, this.loop.now(), 0);
    this.weights.release();
  };

  private fail(t: Task, error: ActionError): false {
    const now = this.loop.now();
    this.listener.actionDone(this, t.action, error, now, now, t.padded);
    return false;
  }

  // ---- INFER: input copy -> exec -> output copy ----

  private copyTime(bytes: number): Nanos {
    return this.device.pcieLatency + Math.round((bytes / this.device.pcieBandwidth) * 1e9);
  }

  private startInput(t: Task): boolean {
    const a = t.action as InferAction;
    const now = this.loop.now();
    if (now > a.latest) return this.fail(t, 'too-late');
    const sizes = this.models[a.model].profile.batchSizes;
    const n = a.requests.length;
    const want = Math.max(n, a.padTo ?? 0);
    let i = 0;
    while (i < sizes.length && sizes[i] < want) i++;
    if (i === sizes.length || n === 0) return this.fail(t, 'bad-batch');
    t.padded = sizes[i];
    t.paddedIndex = i;
    t.inStart = now;
    this.loop.schedule(now + this.copyTime(n * this.models[a.model].profile.inputBytes), Priority.HARDWARE, this.onInputEnd, t);
    return true;
  }

  private readonly onInputEnd = (t: Task): void => {
    const now = this.loop.now();
    this.listener.phase?.(this, t.action, 'INPUT', t.inStart, now);
    t.readyAt = t.action.earliest;
    if (this.serial) {
      // The worker waits for the window, holding itself.
      if (now >= t.readyAt) this.serialExec(t);
      else this.loop.schedule(t.readyAt, Priority.HARDWARE, this.serialExec, t);
      return;
    }
    this.input.release();
    this.exec.enqueue(t);
  };

  /** Serial executor: the execution of an INFER whose input copy is done, at its `earliest` or later. */
  private readonly serialExec = (t: Task): void => {
    if (!this.startExec(t)) this.weights.release();
  };

  private startExec(t: Task): boolean {
    const a = t.action as InferAction;
    const now = this.loop.now();
    if (now > a.latest) return this.fail(t, 'too-late');
    if (this.residency[a.model] !== Residency.LOADED) return this.fail(t, 'not-loaded');
    let work = this.execDistribution(a.model, t.paddedIndex).sample(this.rng.exec);
    t.execStart = now;
    t.version = this.weightsVersion[a.model];
    if (this.cfg.maxConcurrentExec === 1) {
      const dur = Math.max(1, Math.round(work));
      this.running.push(t);
      this.listener.laneBusy?.(this, 'exec', true);
      this.loop.schedule(now + dur, Priority.HARDWARE, this.onExecEndSingle, t);
      return true;
    }
    if (this.running.length > 0 && this.device.interference.extraCv > 0) {
      work *= this.rng.interference.lognormal(1, this.device.interference.extraCv);
    }
    this.psAdvance(now);
    if (this.running.length === 0) this.listener.laneBusy?.(this, 'exec', true);
    t.remaining = Math.max(1, work);
    this.running.push(t);
    this.psReschedule(now);
    return true;
  }

  /** The distribution of model m's execution at batch position i now: its first run since the LOAD, or a later one. */
  private execDistribution(m: number, i: number): Empirical {
    const ran = this.ranSinceLoad[m];
    if (ran !== null && ran[i] === 0) {
      ran[i] = 1;
      const first = this.firstTimes[m]![i];
      if (first) return first;
    }
    return this.execTimes[m][i];
  }

  private readonly onExecEndSingle = (t: Task): void => {
    this.running.pop();
    this.listener.laneBusy?.(this, 'exec', false);
    this.execFinished(t);
  };

  private execFinished(t: Task): void {
    t.execEnd = this.loop.now();
    this.listener.phase?.(this, t.action, 'EXEC', t.execStart, t.execEnd);
    if (t.version !== this.weightsVersion[t.action.model]) {
      // Its weights were evicted (and maybe loaded again) while it ran: no output, the INFER fails
      // (reported before the next execution starts, which it precedes).
      this.listener.actionDone(this, t.action, 'weights-changed', t.execStart, t.execEnd, t.padded);
      (this.serial ? this.weights : this.exec).release();
      return;
    }
    if (this.serial) {
      this.startOutput(t);
      return;
    }
    this.exec.release();
    this.output.enqueue(t);
  }

  /** Aggregate speed-up for n overlapping executions. */
  private speedup(n: number): number {
    const s = this.device.interference.speedup;
    return s[Math.min(n, s.length) - 1];
  }

  /** Charge elapsed time since the last change to every running execution. */
  private psAdvance(now: Nanos): void {
    const n = this.running.length;
    if (n > 0) {
      const rate = this.speedup(n) / n;
      const done = (now - this.psLast) * rate;
      for (const r of this.running) r.remaining -= done;
    }
    this.psLast = now;
  }

  private psReschedule(now: Nanos): void {
    if (this.psHandle >= 0) this.loop.cancel(this.psHandle);
    this.psHandle = -1;
    const n = this.running.length;
    if (n === 0) return;
    const rate = this.speedup(n) / n;
    let min = Infinity;
    for (const r of this.running) if (r.remaining < min) min = r.remaining;
    const at = now + Math.max(0, Math.ceil(min / rate));
    this.psHandle = this.loop.schedule(at, Priority.HARDWARE, this.onPsEnd);
  }

  private readonly onPsEnd = (): void => {
    const now = this.loop.now();
    this.psHandle = -1;
    this.psAdvance(now);
    // Finish every execution whose work is done (allowing for rounding to whole ns).
    const done: Task[] = [];
    for (let i = 0; i < this.running.length; ) {
      if (this.running[i].remaining <= 0.5) {
        done.push(this.running[i]);
        this.running.splice(i, 1);
      } else i++;
    }
    if (this.running.length === 0) this.listener.laneBusy?.(this, 'exec', false);
    this.psReschedule(now);
    done.sort((a, b) => a.seq - b.seq);
    for (const t of done) this.execFinished(t);
  };

  private startOutput(t: Task): boolean {
    const a = t.action as InferAction;
    const now = this.loop.now();
    const dur = this.copyTime(a.requests.length * this.models[a.model].profile.outputBytes);
    t.outStart = now;
    this.loop.schedule(now + dur, Priority.HARDWARE, this.onOutputEnd, t);
    return true;
  }

  private readonly onOutputEnd = (t: Task): void => {
    if (!this.serial) this.output.release();
    this.listener.phase?.(this, t.action, 'OUTPUT', t.outStart, this.loop.now());
    this.listener.actionDone(this, t.action, null, t.execStart, t.execEnd, t.padded);
    // A serial worker sends the result, then takes its next action.
    if (this.serial) this.weights.release();
  };
}
