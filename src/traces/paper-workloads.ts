/**
 * Workloads of the Clockwork paper's figures that are not plain Poisson or closed loops:
 * - `bursty-activation` (fig6): N major models become active one per interval after a lead-in; a
 *   fixed total rate is shared evenly among the active majors (one Poisson stream at the total
 *   rate, each arrival going to a uniformly drawn active major), plus minor models, each a Poisson
 *   stream at its own rate from time 0.
 * - `slo-ramp` (fig7/fig8 foreground): Poisson at a total rate over the targets; each request
 *   carries an SLO factor (of the model's batch-1 estimate) that starts at `start` and is
 *   multiplied by `factor` every `every`, up to `max`.
 * Foreground/background mixes (fig8) are several workload groups in one experiment.
 */
import { z } from 'zod';
import { SEC } from '../sim/time.js';
import { UserError } from '../util/errors.js';
import { MAX_COUNT, MAX_FACTOR, zDuration, zRate } from '../util/units-zod.js';
import { rampAt } from './minute-arrivals.js';
import { registerWorkload, type WorkloadType } from './registry.js';
import { driveArrivals } from './arrivals.js';
import { PoissonArrivals } from './poisson.js';
import { MergedArrivalSource } from './replay.js';
import type { ArrivalSource, Workload, WorkloadContext } from '../sim/workload.js';

export const BurstyActivationOptions = z.strictObject({
  /** Total rate shared evenly among the active major models. */
  majorRate: zRate().prefault(1000),
  /** Rate of each minor model. */
  minorRate: zRate({ allowZero: true }).prefault(200),
  /** How many of the targets are minor models (the rest are major). */
  minorCount: z.number().int().min(0).max(MAX_COUNT).default(1),
  /** Whether the minor models are the first or the last targets. */
  minorPosition: z.enum(['first', 'last']).default('last'),
  /** One more major model becomes active every interval. */
  interval: zDuration().prefault('1s'),
  /** Time before the first major model becomes active (minors run from time 0). */
  leadIn: zDuration({ allowZero: true }).prefault(0),
  /** Majors activate in target order or in a seeded random order. */
  order: z.enum(['sequential', 'random']).default('sequential'),
});
type BurstyConfig = z.output<typeof BurstyActivationOptions>;

export class BurstyActivationWorkload implements Workload {
  private counts = { majors: 0, minors: 0 };
  constructor(private readonly o: BurstyConfig) {}
  start(ctx: WorkloadContext): void {
    const o = this.o;
    const T = ctx.targets;
    if (o.minorCount > T.length) {
      throw new UserError(`workload bursty-activation: minorCount ${o.minorCount} exceeds the ${T.length} target models`);
    }
    const minors = o.minorPosition === 'first' ? T.slice(0, o.minorCount) : T.slice(T.length - o.minorCount);
    const majors = o.minorPosition === 'first' ? T.slice(o.minorCount) : T.slice(0, T.length - o.minorCount);
    if (o.order === 'random') {
      const rng = ctx.rng('order');
      for (let i = majors.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [majors[i], majors[j]] = [majors[j], majors[i]];
      }
    }
    this.counts = { majors: majors.length, minors: minors.length };
    const sources: ArrivalSource[] = [];
    if (majors.length > 0) {
      const rng = ctx.rng('major');
      sources.push(
        new PoissonArrivals(o.majorRate, o.leadIn, rng, (t) => {
          const active = Math.min(majors.length, Math.floor((t - o.leadIn) / o.interval) + 1);
          return majors[rng.int(active)];
        }),
      );
    }
    if (minors.length > 0 && o.minorRate > 0) {
      const rng = ctx.rng('minor');
      sources.push(new PoissonArrivals(o.minorRate * minors.length, 0, rng, () => minors[rng.int(minors.length)]));
    }
    driveArrivals(ctx, new MergedArrivalSource(sources));
  }
  describe(): Record<string, unknown> {
    const o = this.o;
    return {
      majorRate: o.majorRate,
      minorRate: o.minorRate,
      minorCount: o.minorCount,
      minorPosition: o.minorPosition,
      interval: `${o.interval / SEC}s`,
      leadIn: `${o.leadIn / SEC}s`,
      order: o.order,
      process: 'poisson',
      ...this.counts,
    };
  }
}

export const burstyActivationType: WorkloadType<typeof BurstyActivationOptions> = {
  name: 'bursty-activation',
  description:
    'fig6: major models activated one per interval after a lead-in sharing a fixed total Poisson rate, plus minor models at their own Poisson rate',
  options: BurstyActivationOptions,
  create: (options) => new BurstyActivationWorkload(options),
  checkTargets: (options, targets) =>
    options.minorCount > targets ? { path: ['minorCount'], message: `expected at most the ${targets} target models, found ${options.minorCount}` } : null,
};

export const SloRampOptions = z.strictObject({
  /** Total Poisson rate over the target models (each arrival to a uniformly drawn target). */
  rate: zRate(),
  ramp: z
    .strictObject({
      /** SLO factor (x the model's batch-1 estimate) at time 0. */
      start: z.number().positive().max(MAX_FACTOR).default(1),
      factor: z.number().positive().max(MAX_FACTOR).default(1.5),
      every: zDuration().prefault('30s'),
      max: z.number().positive().max(MAX_FACTOR).default(100),
      /** After reaching max, start over from `start` instead of holding. */
      repeat: z.boolean().default(false),
    })
    .prefault({}),
});
type SloRampConfig = z.output<typeof SloRampOptions>;

/** The SLO factor of an slo-ramp at time t (ns). */
export function sloFactorAt(r: SloRampConfig['ramp'], t: number): number {
  if (r.repeat && r.factor > 1) {
    const steps = Math.ceil(Math.log(r.max / r.start) / Math.log(r.factor)) + 1;
    t = t % (steps * r.every);
  }
  return rampAt(r, t);
}

export class SloRampWorkload implements Workload {
  constructor(private readonly o: SloRampConfig) {}
  start(ctx: WorkloadContext): void {
    const T = ctx.targets;
    const rng = ctx.rng('arrivals');
    const src = new PoissonArrivals(this.o.rate, 0, rng, () => T[rng.int(T.length)]);
    // At a firing, ctx.now() is the arrival's time.
    driveArrivals(ctx, src, () => ({ sloFactor: sloFactorAt(this.o.ramp, ctx.now()) }));
  }
  describe(): Record<string, unknown> {
    const r = this.o.ramp;
    return {
      rate: this.o.rate,
      process: 'poisson, uniform over targets',
      sloFactorRamp: { start: r.start, factor: r.factor, every: `${r.every / SEC}s`, max: r.max, repeat: r.repeat },
    };
  }
}

export const sloRampType: WorkloadType<typeof SloRampOptions> = {
  name: 'slo-ramp',
  description:
    'fig7: Poisson at a total rate; each request SLO = factor x batch-1 estimate, the factor multiplied every interval up to a limit',
  options: SloRampOptions,
  create: (options) => new SloRampWorkload(options),
};

registerWorkload(burstyActivationType);
registerWorkload(sloRampType);
