/** Open-loop Poisson arrivals: a total rate (or a rate per model) spread uniformly over the targets. */
import { z } from 'zod';
import { driveArrivals } from './arrivals.js';
import type { Rng } from '../sim/random.js';
import { SEC } from '../sim/time.js';
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

/** Exponential gaps at rate `perSecond`; each arrival goes to a uniformly chosen target. */
export class PoissonSource implements ArrivalSource {
  time = 0;
  model = -1;
  private readonly meanGap: number;
  private readonly gaps: Rng;
  private readonly pick: Rng;
  private readonly targets: readonly number[];
  constructor(ctx: WorkloadContext, perSecond: number, start = 0) {
    this.meanGap = SEC / perSecond;
    this.time = start;
    this.gaps = ctx.rng('gaps');
    this.pick = ctx.rng('models');
    this.targets = ctx.targets;
  }
  advance(): boolean {
    this.time = Math.round(this.time + this.gaps.exponential(this.meanGap));
    const t = this.targets;
    this.model = t.length === 1 ? t[0] : t[this.pick.int(t.length)];
    return true;
  }
}

registerWorkload({
  name: 'poisson',
  description: 'Open-loop Poisson arrivals at a total rate or a rate per model, models chosen uniformly',
  options: options as unknown as z.ZodObject,
  create(o: z.output<typeof options>): Workload {
    return {
      start(ctx) {
        const total = o.rate ?? o.ratePerModel! * ctx.targets.length;
        if (total > 0) driveArrivals(ctx, new PoissonSource(ctx, total));
      },
      describe: () => ({ totalRate: o.rate, ratePerModel: o.ratePerModel }),
    };
  },
});
