import type { Nanos } from '../sim/time.js';

/**
 * The measured window: a request counts in the results when it was sent in [warmup, duration)
 * (docs/design.md, "Metrics"). Requests are placed by their send time, whenever they are answered.
 */
export function inMeasuredWindow(sentAt: Nanos, warmup: Nanos, duration: Nanos): boolean {
  return sentAt >= warmup && sentAt < duration;
}
