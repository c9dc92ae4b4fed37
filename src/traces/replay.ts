/**
 * Driving a lazy ArrivalSource through a WorkloadContext: exactly one pending event per source.
 */
import type { ModelId } from '../sim/types.js';
import type { ArrivalSource, SubmitOptions, WorkloadContext } from './types.js';

/** Options per arrival (e.g. an SLO factor that depends on time); undefined for the defaults. */
export type SubmitOptionsFn = (time: number, model: ModelId) => SubmitOptions | undefined;

/**
 * Submit every arrival of `source` at its time, until the source ends or `ctx.end`. The next
 * arrival is pulled only when the previous one fires.
 */
export function replay(ctx: WorkloadContext, source: ArrivalSource, options?: SubmitOptionsFn): void {
  const fire = (): void => {
    const model = source.model;
    ctx.submit(model, options ? options(source.time, model) : undefined);
    schedule();
  };
  const schedule = (): void => {
    if (!source.advance()) return;
    if (source.time >= ctx.end) return;
    ctx.at(Math.max(source.time, ctx.now()), fire);
  };
  schedule();
}

/** Arrivals from sorted times (ns) and the model of each. */
export class ArrayArrivalSource implements ArrivalSource {
  time = 0;
  model = 0;
  private i = -1;
  constructor(
    private readonly times: Float64Array,
    private readonly modelOf: (index: number) => ModelId,
  ) {}
  advance(): boolean {
    if (++this.i >= this.times.length) return false;
    this.time = this.times[this.i];
    this.model = this.modelOf(this.i);
    return true;
  }
}

/** Merge several sources in time order (ties: the earlier source in the list). */
export class MergedArrivalSource implements ArrivalSource {
  time = 0;
  model = 0;
  private readonly live: boolean[];
  constructor(private readonly sources: ArrivalSource[]) {
    this.live = sources.map((s) => s.advance());
  }
  advance(): boolean {
    let best = -1;
    for (let i = 0; i < this.sources.length; i++) {
      if (this.live[i] && (best < 0 || this.sources[i].time < this.sources[best].time)) best = i;
    }
    if (best < 0) return false;
    const s = this.sources[best];
    this.time = s.time;
    this.model = s.model;
    this.live[best] = s.advance();
    return true;
  }
}
