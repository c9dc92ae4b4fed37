/**
 * Closed loop: each target model has `concurrency` clients; a client sends a request, waits for
 * its response (any outcome), thinks, and sends the next.
 */
import { z } from 'zod';
import type { Request } from '../sim/types.js';
import type { Rng } from '../sim/random.js';
import { UserError } from '../util/errors.js';
import { MAX_COUNT, zDuration } from '../util/units-zod.js';
import { registerWorkload } from './registry.js';
import type { Workload, WorkloadContext } from '../sim/workload.js';

const options = z.strictObject({
  /** Clients per target model (0: none, e.g. a background group switched off in a sweep). */
  concurrency: z.number().int().min(0).max(MAX_COUNT).default(1),
  /** Think time between a response and the client's next request (0 by default). */
  thinkTime: zDuration({ allowZero: true }).default(0),
  /** "constant" think time or "exponential" with that mean. */
  thinkDistribution: z.enum(['constant', 'exponential']).default('constant'),
});

class ClosedLoop implements Workload {
  private ctx!: WorkloadContext;
  /** The think-time stream, taken once (a name lookup per response otherwise). */
  private think!: Rng;
  constructor(private readonly o: z.output<typeof options>) {}

  start(ctx: WorkloadContext): void {
    this.ctx = ctx;
    const clients = this.o.concurrency * ctx.targets.length;
    if (clients > MAX_COUNT) {
      throw new UserError(`workload closed-loop: concurrency ${this.o.concurrency} x ${ctx.targets.length} target models is ${clients} clients, more than ${MAX_COUNT}`);
    }
    this.think = ctx.rng('think');
    for (const m of ctx.targets) for (let i = 0; i < this.o.concurrency; i++) ctx.submit(m);
  }

  private readonly send = (model: number): void => {
    this.ctx.submit(model);
  };

  onResponse(r: Request): void {
    const ctx = this.ctx;
    if (ctx.now() >= ctx.end) return;
    const o = this.o;
    if (o.thinkTime === 0) {
      ctx.submit(r.model);
      return;
    }
    const think = o.thinkDistribution === 'constant' ? o.thinkTime : Math.round(this.think.exponential(o.thinkTime));
    ctx.at(ctx.now() + think, this.send, r.model);
  }

  describe(): Record<string, unknown> {
    return { clientsPerModel: this.o.concurrency };
  }
}

registerWorkload({
  name: 'closed-loop',
  description: 'Closed loop: `concurrency` clients per model, each sending its next request when answered (after an optional think time)',
  options,
  create: (o) => new ClosedLoop(o),
});
