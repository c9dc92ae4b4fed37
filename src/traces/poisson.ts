/** Open-loop Poisson arrivals: a total rate (or a rate per model) spread uniformly over the targets. */
import { z } from 'zod';
import { driveArrivals } from './arrivals.js';
import type { Rng } from '../sim/random.js';
import { SEC } from '../sim/time.js';
import type { ModelId } from '../sim/types.js';
import { zRate } from '../util/units-zod.js';
import { registerWorkload } from './registry.js';
import type { ArrivalSource, Workload, WorkloadContext } from '../sim/workload.js';

const options = z
  .strictObject({
    /** Total arrival rate over all target models (requests per second). */
    rate: zRate().optional(),
    /** Arrival rate of each target model (requests per second); the total is this times the number of targets. */
    ratePerModel: zRate().optional(),
  })
  .refine((o) => (o.rate === undefined) !== (o.ratePerModel === undefined), {
    message: 'expected exactly one of "rate" (total) or "ratePerModel"',
  });

/**
 * The Poisson arrival process of every Poisson workload: exponential gaps at `rate` per second
 * from `from` (ns), each arrival's model chosen by `pick` (given the arrival's exact time). The
 * process time is kept unrounded and only each arrival's `time` is rounded to the nanosecond, so
 * rounding never accumulates: every arrival is within 0.5 ns of the exact process, and the gaps
 * keep their exponential distribution (rounding the running time at each step would add a random
 * walk of rounding errors and make the gaps integers). A rate of 0 yields no arrivals.
 */
export class PoissonArrivals implements ArrivalSource {
  time = 0;
  model = 0;
  private t: number;
  private readonly meanGap: number;
  constructor(
    rate: number,
    from: number,
    private readonly gaps: Rng,
    private readonly pick: (t: number) => ModelId,
  ) {
    this.meanGap = rate > 0 ? SEC / rate : Infinity;
    this.t = from;
  }
  advance(): boolean {
    if (!Number.isFinite(this.meanGap)) return false;
    this.t += this.gaps.exponential(this.meanGap);
    this.time = Math.round(this.t);
    this.model = this.pick(this.t);
    return true;
  }
}

/** Arrivals at `perSecond` in total, each to a uniformly chosen target (streams "gaps" and "models"). */
function uniformPoisson(ctx: WorkloadContext, perSecond: number): PoissonArrivals {
  const t = ctx.targets;
  const models = ctx.rng('models');
  return new PoissonArrivals(perSecond, 0, ctx.rng('gaps'), t.length === 1 ? () => t[0] : () => t[models.int(t.length)]);
}

registerWorkload({
  name: 'poisson',
  description: 'Open-loop Poisson arrivals at a total rate or a rate per model, models chosen uniformly',
  options: options as unknown as z.ZodObject,
  create(o: z.output<typeof options>): Workload {
    return {
      start(ctx) {
        const total = o.rate ?? o.ratePerModel! * ctx.targets.length;
        if (total > 0) driveArrivals(ctx, uniformPoisson(ctx, total));
      },
      describe: () => ({ totalRate: o.rate, ratePerModel: o.ratePerModel }),
    };
  },
});
