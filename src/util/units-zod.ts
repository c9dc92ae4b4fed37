/**
 * zod field types for quantities with units; each yields plain numbers (ns, bytes, 1/s, bytes/s),
 * always finite and within the ranges of src/sim/time.ts (documented in README.md, "Experiment
 * configs"), so nothing derived from them can overflow to Infinity or lose integer precision.
 */
import { z } from 'zod';
import { MIN_BANDWIDTH, MS, SEC } from '../sim/time.js';
import { parseBandwidth, parseDuration, parseRate, parseSize, QuantityRangeError, RANGE_TEXT } from './units.js';

const EXAMPLES: Record<keyof typeof RANGE_TEXT | 'durationPlainS', string> = {
  duration: 'a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are ms)',
  durationPlainS: 'a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are seconds)',
  size: 'a size such as "16MiB", "602kB" or a number of bytes',
  rate: 'a rate such as 200 or "200/s" or "12/min"',
  bandwidth: 'a bandwidth such as "12.3GB/s", "10Gbit/s" or a number of bytes per second',
};

/** Largest count (clients, copies, replicas, batch sizes, window lengths...) an option may give. */
export const MAX_COUNT = 1_000_000;
/** Largest multiplier (SLO factors, load factors, scales, time compression) an option may give. */
export const MAX_FACTOR = 1e6;
/** Smallest time compression / scale-like divisor, so that dividing by it stays finite. */
export const MIN_FACTOR = 1e-6;

function quantity(
  name: keyof typeof RANGE_TEXT,
  parse: (v: string | number) => number,
  opts: { allowZero?: boolean; min?: number } = {},
  examples: string = EXAMPLES[name],
) {
  const range = `expected a ${name} ${opts.allowZero ? RANGE_TEXT[name].nonNegative : RANGE_TEXT[name].positive}`;
  // A number that fails the union is Infinity (JSON's 1e999) or NaN: out of range, not of the wrong form.
  const error = (iss: { input?: unknown }) => (typeof iss.input === 'number' ? range : `expected ${examples}`);
  return z.union([z.string(), z.number()], { error }).transform((v, ctx) => {
    let n: number;
    try {
      n = parse(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof QuantityRangeError ? range : `expected ${examples}` });
      return z.NEVER;
    }
    if (n < 0 || (!opts.allowZero && n === 0)) {
      // "0.1ns" is positive but rounds to 0: it is below the range, not of the wrong sign.
      const roundedToZero = n === 0 && typeof v === 'string' && parseFloat(v) > 0;
      ctx.addIssue({ code: 'custom', message: roundedToZero ? range : `expected a ${opts.allowZero ? 'non-negative' : 'positive'} ${name}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && n < opts.min && !(opts.allowZero && n === 0)) {
      ctx.addIssue({ code: 'custom', message: range });
      return z.NEVER;
    }
    return n;
  });
}

/**
 * Duration: "5ms", "250us", "15m"; plain numbers in `plainUnit` (milliseconds by default). Result
 * in integer ns, at most MAX_DURATION (30 days).
 */
export const zDuration = (opts: { allowZero?: boolean; plainUnit?: number } = {}) =>
  quantity('duration', (v) => parseDuration(v, opts.plainUnit ?? MS), opts, opts.plainUnit === SEC ? EXAMPLES.durationPlainS : EXAMPLES.duration);
/** Size: "16MiB", "602kB"; plain numbers in bytes. Result in integer bytes, at most MAX_SIZE (1 PiB). */
export const zSize = (opts: { allowZero?: boolean } = {}) => quantity('size', parseSize, opts);
/** Rate: 200, "200/s", "5/min". Result per second, at most MAX_RATE (1e9/s). */
export const zRate = (opts: { allowZero?: boolean } = {}) => quantity('rate', parseRate, opts);
/** Bandwidth: "12.3GB/s", "10Gbit/s"; plain numbers in bytes per second, from 1 B/s to 1 PB/s. */
export const zBandwidth = () => quantity('bandwidth', parseBandwidth, { min: MIN_BANDWIDTH });
