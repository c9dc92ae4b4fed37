/**
 * A test-only scheduler that exercises every GPU lane: one request at a time on GPU 0, it LOADs the
 * request's model, INFERs it, then EVICTs it; it records a completion-time prediction for every
 * LOAD and INFER (start + profile median), so prediction-error outputs have data.
 */
import { z } from 'zod';
import { getScheduler, registerScheduler } from '../../src/schedulers/registry.js';
import type { ActionResult, Request, Scheduler, SchedulerContext } from '../../src/sim/types.js';

class CycleScheduler implements Scheduler {
  readonly name = 'test-cycle';
  private ctx!: SchedulerContext;
  private readonly queue: Request[] = [];
  private busy = false;

  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
  }

  onRequest(r: Request): void {
    this.queue.push(r);
    this.next();
  }

  private next(): void {
    if (this.busy) return;
    const r = this.queue.shift();
    if (!r) return;
    const now = this.ctx.now();
    if (now > r.deadline) {
      this.ctx.respond(r, 'timeout');
      return this.next();
    }
    this.busy = true;
    this.ctx.send({ type: 'LOAD', gpu: 0, model: r.model, earliest: now, latest: Infinity, tag: r });
  }

  onResult(res: ActionResult): void {
    const a = res.action;
    const m = this.ctx.models[a.model].profile;
    const now = this.ctx.now();
    if (a.type === 'LOAD') {
      if (res.ok) this.ctx.recordPrediction('LOAD', res.start! + m.load.median(), res.end!);
      const r = a.tag as Request;
      this.ctx.send({ type: 'INFER', gpu: 0, model: a.model, requests: [r], earliest: now, latest: Infinity });
    } else if (a.type === 'INFER') {
      // A failed INFER's requests are answered 'failed' by the engine.
      if (res.ok) this.ctx.recordPrediction('INFER', res.start! + m.exec.get(1)!.median(), res.end!);
      this.ctx.send({ type: 'EVICT', gpu: 0, model: a.model, earliest: now, latest: Infinity });
    } else {
      this.busy = false;
      this.next();
    }
  }
}

export function registerCycleScheduler(): void {
  if (getScheduler('test-cycle')) return;
  registerScheduler({
    name: 'test-cycle',
    description: 'test only: LOAD, INFER, EVICT per request',
    options: z.strictObject({}),
    create: () => new CycleScheduler(),
  });
}
