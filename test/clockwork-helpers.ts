/** Fixtures for the clockwork scheduler tests: a hand-checkable profile and a fake controller context. */
import { resolveProfile, type HardwareProfile, type ProfileJson } from '../src/models/profile.js';
import { ClockworkScheduler, clockworkOptions, type ClockworkOptions } from '../src/schedulers/clockwork/index.js';
import type { Action, ActionResult, GpuInfo, InferAction, ModelInstance, Request, SchedulerContext, TimerHandle } from '../src/sim/types.js';

export const MS = 1_000_000;
import { constant, instances, testProfileJson } from './helpers.js';

export { constant, instances };

/**
 * Pages of 1 MB. Models (batch sizes 1, 2, 4, 8; exec b1 2 ms, b2 3 ms, b4 4 ms, b8 6 ms; no input
 * or output bytes): A, B, C, D, E of 2 pages with LOAD 8 ms; SLOW of 2 pages with LOAD 50 ms.
 */
export function profileJson(pages = 64): ProfileJson {
  const model = (load: number) => ({ weightsBytes: 2_000_000, exec: { 1: 2, 2: 3, 4: 4, 8: 6 }, load });
  return testProfileJson({
    pageSize: 1_000_000,
    pages,
    source: 'clockwork test fixture',
    models: { A: model(8), B: model(8), C: model(8), D: model(8), E: model(8), SLOW: model(50) },
  });
}

export function profile(pages = 64): HardwareProfile {
  return resolveProfile(profileJson(pages), 'clockwork-test.json');
}

interface Timer {
  at: number;
  seq: number;
  token: unknown;
  cancelled: boolean;
}

/**
 * A controller context whose clock, network and workers are the test: sends are recorded (never
 * executed), results are delivered by hand, timers fire when the test advances time.
 */
export class FakeContext implements SchedulerContext {
  t = 0;
  readonly sent: Action[] = [];
  readonly responses: Array<{ id: number; outcome: string; at: number }> = [];
  readonly predictions: Array<{ kind: string; predicted: number; actual: number }> = [];
  spent = 0;
  /** The controller CPU clock as the engine keeps it (SchedulerContext.controllerFreeAt). */
  private freeAt = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private nextId = 0;
  private nextReq = 0;
  readonly gpus: GpuInfo[];
  sched!: ClockworkScheduler;

  constructor(
    readonly models: readonly ModelInstance[],
    gpus = 1,
    pages = 64,
  ) {
    this.gpus = Array.from({ length: gpus }, (_, id) => ({ id, worker: id, local: 0, totalPages: pages, maxConcurrentExec: 1 }));
  }

  start(options: Partial<Record<keyof ClockworkOptions, unknown>> = {}): ClockworkScheduler {
    this.sched = new ClockworkScheduler(clockworkOptions.parse(options));
    this.sched.start(this);
    return this.sched;
  }

  now(): number {
    return this.t;
  }
  send(a: Action): number {
    a.id = this.nextId++;
    this.sent.push(a);
    return a.id;
  }
  respond(r: Request, outcome: 'timeout' | 'rejected' | 'failed'): void {
    this.responses.push({ id: r.id, outcome, at: this.t });
  }
  setTimer(at: number, token: unknown): TimerHandle {
    const t: Timer = { at: Math.max(at, this.t), seq: this.seq++, token, cancelled: false };
    this.timers.push(t);
    return { id: t.seq };
  }
  cancelTimer(h: TimerHandle): void {
    const t = this.timers.find((x) => x.seq === h.id);
    if (t) t.cancelled = true;
  }
  rng(): never {
    throw new Error('clockwork must not use randomness');
  }
  recordPrediction(kind: 'INFER' | 'LOAD', predicted: number, actual: number): void {
    this.predictions.push({ kind, predicted, actual });
  }
  spend(d: number): void {
    this.spent += d;
    if (d > 0) this.freeAt = Math.max(this.freeAt, this.t) + Math.round(d);
  }
  controllerFreeAt(): number {
    return this.freeAt;
  }

  /** Fire due timers in time order up to `t`, then set the clock to `t`. */
  advance(t: number): void {
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= t).sort((a, b) => a.at - b.at || a.seq - b.seq);
      if (due.length === 0) break;
      const x = due[0];
      x.cancelled = true;
      this.t = x.at;
      this.sched.onTimer(x.token);
    }
    this.t = t;
  }

  /** A client request for `model` arriving now. */
  request(model: number, slo = 100 * MS, sloFactor?: number): Request {
    const r: Request = { id: this.nextReq++, model, group: 0, sentAt: this.t, arrival: this.t, slo, deadline: this.t + slo, sloFactor };
    this.sched.onRequest(r);
    return r;
  }

  /** Deliver a successful result now for an action that ran [start, end]. */
  ok(a: Action, start: number, end: number): void {
    const padded = a.type === 'INFER' ? [1, 2, 4, 8].find((b) => b >= (a as InferAction).requests.length) : undefined;
    const res: ActionResult = { action: a, ok: true, start, end, duration: end - start, paddedBatch: padded, receivedAt: this.t };
    this.sched.onResult(res);
  }

  of(type: Action['type']): Action[] {
    return this.sent.filter((a) => a.type === type);
  }
  infers(): InferAction[] {
    return this.of('INFER') as InferAction[];
  }
}
