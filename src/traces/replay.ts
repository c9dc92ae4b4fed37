/**
 * Small ArrivalSources shared by the trace workloads (they are driven by the engine's
 * `driveArrivals`, one pending event per source).
 */
import type { ModelId } from '../sim/types.js';
import type { ArrivalSource } from '../sim/workload.js';

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
