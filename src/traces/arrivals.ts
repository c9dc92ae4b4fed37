/**
 * Open-loop arrivals: feed an `ArrivalSource` (src/sim/workload.ts) to the engine through the
 * workload's context, one pending event at a time.
 */
import type { ModelId } from '../sim/types.js';
import type { ArrivalSource, SubmitOptions, WorkloadContext } from '../sim/workload.js';

/** Drive an ArrivalSource lazily: one pending event at a time, submitting each arrival. */
export function driveArrivals(ctx: WorkloadContext, source: ArrivalSource, opts?: (model: ModelId) => SubmitOptions | undefined): void {
  const fire = (): void => {
    ctx.submit(source.model, opts?.(source.model));
    if (source.advance() && source.time < ctx.end) ctx.at(source.time, fire);
  };
  if (source.advance() && source.time < ctx.end) ctx.at(source.time, fire);
}
