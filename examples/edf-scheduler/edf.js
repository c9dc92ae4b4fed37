// @ts-check
/**
 * An earliest-deadline-first scheduler with admission control, as a servesim plugin
 * (docs/writing-a-scheduler.md walks through it).
 *
 * - Placement: at the start each model gets one replica, round-robin over the GPUs while memory
 *   lasts; a model that fits nowhere is not served (its requests fail).
 * - Admission: a request is admitted only if the work queued ahead of it on its GPU plus its own
 *   estimated execution ends by its deadline; otherwise it is rejected at once. Work ahead is all
 *   the queued work, which is exact when every request has the same SLO (deadlines then come in
 *   arrival order) and conservative otherwise.
 * - Dispatch: each GPU serves its queue in deadline order, batch 1, with at most `inflight`
 *   executions outstanding; a request that can no longer finish by its deadline is dropped.
 * - Estimates: a sliding-window percentile of measured execution times per model, seeded with the
 *   hardware profile's value (servesim's WindowEstimator, as Clockwork does).
 */
import { EdfQueue, NEVER, WindowEstimator, defineScheduler, memoryViews, placeStatically, z } from 'servesim';

const options = z.strictObject({
  /** Executions outstanding per GPU (2 keeps the next one waiting at the worker). */
  inflight: z.number().int().positive().default(2),
  /** Percentile (0..1) of the execution-time window used as the estimate. */
  percentile: z.number().min(0).max(1).default(0.99),
  /** Measurements in each model's estimation window. */
  window: z.number().int().positive().default(10),
});

/** @typedef {import('servesim').Request} Request */
/** @typedef {import('servesim').Scheduler} Scheduler */
/** @typedef {{ id: number, queue: EdfQueue, inflight: number, busyUntil: number, queuedWork: number, mem: import('servesim').GpuMemoryView }} Gpu */

/** @implements {Scheduler} */
class EdfScheduler {
  name = 'edf';
  /** @param {z.output<typeof options>} o */
  constructor(o) {
    this.o = o;
    /** @type {import('servesim').SchedulerContext} */ this.ctx = /** @type {any} */ (undefined);
    /** @type {Gpu[]} */ this.gpus = [];
    /** @type {Array<Gpu | undefined>} the GPU holding each model */ this.home = [];
    /** @type {WindowEstimator[]} */ this.est = [];
    this.admitted = 0;
    this.rejected = 0;
    this.dropped = 0;
  }

  /** @param {import('servesim').SchedulerContext} ctx */
  start(ctx) {
    this.ctx = ctx;
    this.gpus = memoryViews(ctx).map((mem) => ({ id: mem.gpu, queue: new EdfQueue(), inflight: 0, busyUntil: 0, queuedWork: 0, mem }));
    const placed = placeStatically(this.gpus.map((g) => g.mem), ctx.models.length, 1);
    this.home = placed.map((gpus) => (gpus.length > 0 ? this.gpus[gpus[0]] : undefined));
    const exec1 = (/** @type {number} */ m) => /** @type {import('servesim').Empirical} */ (ctx.models[m].profile.exec.get(1)).quantile(this.o.percentile);
    this.est = ctx.models.map((m) => new WindowEstimator(this.o.window, this.o.percentile, exec1(m.id)));
  }

  /** @param {Request} r */
  onRequest(r) {
    const g = this.home[r.model];
    if (!g) return this.ctx.respond(r, 'failed');
    const now = this.ctx.now();
    const work = this.est[r.model].value;
    // Admission control: the queued work and this request's own must end by its deadline.
    if (Math.max(now, g.busyUntil) + g.queuedWork + work > r.deadline) {
      this.rejected++;
      return this.ctx.respond(r, 'rejected');
    }
    this.admitted++;
    g.queue.push(r);
    g.queuedWork += work;
    this.pump(g);
  }

  /** Dispatch from the head of the GPU's EDF queue while executions may be outstanding. @param {Gpu} g */
  pump(g) {
    while (g.inflight < this.o.inflight && g.queue.length > 0) {
      const r = /** @type {Request} */ (g.queue.peek());
      if (!g.mem.loaded(r.model)) return; // its LOAD is still on the way
      g.queue.shift();
      const work = this.est[r.model].value;
      g.queuedWork -= work;
      const now = this.ctx.now();
      const start = Math.max(now, g.busyUntil);
      if (start + work > r.deadline) {
        this.dropped++;
        this.ctx.respond(r, 'timeout');
        continue;
      }
      g.busyUntil = start + work;
      g.inflight++;
      this.ctx.send({ type: 'INFER', gpu: g.id, model: r.model, earliest: now, latest: NEVER, requests: [r] });
    }
  }

  /** @param {import('servesim').ActionResult} res */
  onResult(res) {
    const a = res.action;
    const g = this.gpus[a.gpu];
    if (a.type === 'INFER') {
      g.inflight--;
      if (res.ok && res.duration !== undefined) this.est[a.model].add(res.duration);
      if (g.inflight === 0) g.busyUntil = this.ctx.now(); // idle: forget estimation error
    } else g.mem.onResult(res);
    this.pump(g);
  }

  summary() {
    return { admitted: this.admitted, rejected: this.rejected, dropped: this.dropped };
  }
}

export default defineScheduler({
  name: 'edf',
  description: 'Earliest deadline first with admission control, batch 1, one replica per model',
  options,
  create: (o) => new EdfScheduler(o),
});
