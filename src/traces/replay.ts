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

/**
 * A window of a trace replayed again and again, back to back (the `timestamps` workload's `loop`,
 * docs/traces.md, "`timestamps`"): pass k sends request i at trace time base + k x period +
 * offsets[i], simulated time round(that / timeCompression). Offsets are sorted, at least 0 and
 * below the period, so arrivals stay in time order; every pass sends the same models. It never
 * runs out (the engine stops it at the run's end).
 */
export class LoopArrivalSource implements ArrivalSource {
  time = 0;
  model = 0;
  private i = -1;
  private pass = 0;
  constructor(
    private readonly offsets: Float64Array,
    private readonly period: number,
    private readonly base: number,
    private readonly timeCompression: number,
    private readonly modelOf: (index: number) => ModelId,
  ) {
    if (offsets.length === 0 || !(offsets[0] >= 0) || !(offsets[offsets.length - 1] < period)) {
      throw new Error('LoopArrivalSource: needs offsets in [0, period)');
    }
  }
  advance(): boolean {
    if (++this.i >= this.offsets.length) {
      this.i = 0;
      this.pass++;
    }
    const t = this.base + this.pass * this.period + this.offsets[this.i];
    this.time = this.timeCompression === 1 ? t : Math.round(t / this.timeCompression);
    this.model = this.modelOf(this.i);
    return true;
  }
}
