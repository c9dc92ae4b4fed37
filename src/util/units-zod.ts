/** zod field types for quantities with units; each yields plain numbers (ns, bytes, 1/s, bytes/s). */
import { z } from 'zod';
import { MS, parseBandwidth, parseDuration, parseRate, parseSize } from '../sim/time.js';

const EXAMPLES: Record<string, string> = {
  duration: 'a duration such as "5ms", "250us", "1.5s" or "15m" (units ns, us, ms, s, m, h, d; plain numbers are ms)',
  size: 'a size such as "16MiB", "602kB" or a number of bytes',
  rate: 'a rate such as 200 or "200/s" or "12/min"',
  bandwidth: 'a bandwidth such as "12.3GB/s", "10Gbit/s" or a number of bytes per second',
};

function quantity(name: string, parse: (v: string | number) => number, opts: { allowZero?: boolean } = {}) {
  return z.union([z.string(), z.number()], { error: `expected ${EXAMPLES[name]}` }).transform((v, ctx) => {
    let n: number;
    try {
      n = parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected ${EXAMPLES[name]}` });
      return z.NEVER;
    }
    if (n < 0 || (!opts.allowZero && n === 0)) {
      ctx.addIssue({ code: 'custom', message: `expected a ${opts.allowZero ? 'non-negative' : 'positive'} ${name}` });
      return z.NEVER;
    }
    return n;
  });
}

/** Duration: "5ms", "250us", "15m"; plain numbers in `plainUnit` (milliseconds by default). Result in ns. */
export const zDuration = (opts: { allowZero?: boolean; plainUnit?: number } = {}) =>
  quantity('duration', (v) => parseDuration(v, opts.plainUnit ?? MS), opts);
/** Size: "16MiB", "602kB"; plain numbers in bytes. Result in bytes. */
export const zSize = (opts: { allowZero?: boolean } = {}) => quantity('size', parseSize, opts);
/** Rate: 200, "200/s", "5/min". Result per second. */
export const zRate = (opts: { allowZero?: boolean } = {}) => quantity('rate', parseRate, opts);
/** Bandwidth: "12.3GB/s", "10Gbit/s"; plain numbers in bytes per second. */
export const zBandwidth = () => quantity('bandwidth', parseBandwidth);
