/**
 * Arrivals from per-model invocation counts per minute (the Azure 2019 trace's shape), produced
 * lazily in time order: each model holds only its next arrival, and a heap over the models yields
 * the earliest. Memory is the sparse count series plus O(models).
 *
 * Window minute k covers [k * minuteNs, (k+1) * minuteNs) of simulated time (minuteNs = 60 s /
 * timeCompression). A model's series lists its non-zero minutes as positions 0..cycle-1 from the
 * window start; minute k reads position k mod cycle, so replay wraps around at the end of the
 * loaded day(s). Minutes with no invocations are skipped.
 *
 * How a minute's `count x scale` invocations are spread inside it:
 * - `even`: n arrivals at (j + 0.5) / n of the minute;
 * - `uniform`: n sorted uniform points (a Poisson process conditioned on its count);
 * - `poisson` (Clockwork): a Poisson process at rate count x scale / minute; the exponential gap is
 *   drawn in "operational time" and carried across minute boundaries (what is left of a gap when a
 *   minute ends is consumed at the next non-zero minute's rate), so counts per minute are Poisson
 *   with mean count x scale, not exact;
 * - `gamma`: the same as poisson with Gamma(mean 1, cv) gaps in operational time: a renewal process
 *   whose inter-arrival CV is `cv` while the rate is constant.
 * For `even` and `uniform`, n = floor(carry + count x scale) and the fraction is carried to the
 * model's next minute, so an integral scale gives exactly count x scale arrivals per minute and a
 * fractional one loses at most one arrival per model over the whole run (deterministic rounding).
 *
 * A load-factor ramp multiplies the scale by a piecewise-constant factor (start x factor^floor(t /
 * every), at most max); a ramp step inside a minute splits it into segments, each with its share
 * of the minute's count.
 */
import type { Rng } from '../sim/random.js';
import type { Nanos } from '../sim/time.js';
import type { ModelId } from '../sim/types.js';
import { Heap } from '../util/heap.js';
import type { ArrivalSource } from '../sim/workload.js';

export type Spread = 'poisson' | 'uniform' | 'even' | 'gamma';

export interface Ramp {
  readonly start: number;
  readonly factor: number;
  /** ns */
  readonly every: number;
  readonly max: number;
}

/** The value of a ramp at time t (ns). */
export function rampAt(r: Ramp, t: number): number {
  const steps = Math.floor(t / r.every);
  return Math.min(r.max, r.start * Math.pow(r.factor, steps));
}

/** Sparse per-model series: model i's non-zero minutes are entries starts[i] .. starts[i+1]-1. */
export interface MinuteSeries {
  readonly starts: Int32Array;
  /** Minute positions (0..cycle-1), ascending within a model. */
  readonly offsets: Int32Array;
  readonly counts: Float64Array;
}

export interface MinuteSourceOptions {
  readonly series: MinuteSeries;
  /** Model id of each series index. */
  readonly models: ArrayLike<ModelId>;
  /** Length in minutes of one pass over the data before it wraps. */
  readonly cycle: number;
  /** Window length in minutes (Infinity: until `end`). */
  readonly minutes: number;
  readonly minuteNs: number;
  readonly scale: number;
  readonly ramp?: Ramp;
  readonly spread: Spread;
  readonly cv?: number;
  readonly rng: Rng;
  /** No arrival at or after this time. */
  readonly end: Nanos;
}

/** A model's pending arrival in the merge heap (one per model, reused: no allocation per arrival). */
interface Pending {
  time: number;
  readonly m: number;
}

/** Earlier time first; ties go to the smaller series index. */
function earlier(a: Pending, b: Pending): boolean {
  return a.time < b.time || (a.time === b.time && a.m < b.m);
}

export class MinuteArrivalSource implements ArrivalSource {
  time: Nanos = 0;
  model: ModelId = 0;

  private readonly o: MinuteSourceOptions;
  private readonly heap = new Heap<Pending>(earlier);
  private readonly pending: Pending[];
  // Per-model state.
  private readonly ptr: Int32Array;
  private readonly cyc: Int32Array;
  private readonly minEnd: Float64Array;
  private readonly segStart: Float64Array;
  private readonly segEnd: Float64Array;
  private readonly segScale: Float64Array;
  /** poisson/gamma: the current position; even/uniform: the last uniform position in the segment. */
  private readonly cur: Float64Array;
  /** poisson/gamma: operational time left until the next arrival; even/uniform: fraction carried. */
  private readonly residual: Float64Array;
  private readonly segN: Float64Array;
  private readonly segJ: Float64Array;

  constructor(opts: MinuteSourceOptions) {
    this.o = opts;
    const n = opts.series.starts.length - 1;
    this.pending = Array.from({ length: n }, (_, m) => ({ time: 0, m }));
    this.ptr = new Int32Array(n);
    this.cyc = new Int32Array(n);
    this.minEnd = new Float64Array(n);
    this.segStart = new Float64Array(n);
    this.segEnd = new Float64Array(n);
    this.segScale = new Float64Array(n);
    this.cur = new Float64Array(n);
    this.residual = new Float64Array(n);
    this.segN = new Float64Array(n);
    this.segJ = new Float64Array(n);
    if (opts.spread === 'gamma' && !(opts.cv! > 0)) throw new Error('gamma spread needs a positive cv');
    for (let m = 0; m < n; m++) {
      const s = opts.series.starts[m];
      if (s === opts.series.starts[m + 1]) continue;
      this.ptr[m] = s;
      if (!this.enterMinute(m)) continue;
      if (this.isRenewal) this.residual[m] = this.drawGap();
      this.schedule(m);
    }
  }

  private get isRenewal(): boolean {
    return this.o.spread === 'poisson' || this.o.spread === 'gamma';
  }

  private drawGap(): number {
    return this.o.spread === 'gamma' ? this.o.rng.gamma(1, this.o.cv!) : this.o.rng.exponential(1);
  }

  /** Make the minute at ptr/cyc current and open its first segment; false when past the window. */
  private enterMinute(m: number): boolean {
    const o = this.o;
    const k = o.series.offsets[this.ptr[m]] + this.cyc[m] * o.cycle;
    const start = k * o.minuteNs;
    if (k >= o.minutes || start >= o.end) return false;
    this.minEnd[m] = (k + 1) * o.minuteNs;
    this.openSegment(m, start);
    return true;
  }

  /** Move to the model's next non-zero minute (wrapping at the end of the cycle). */
  private nextMinute(m: number): boolean {
    const starts = this.o.series.starts;
    this.ptr[m]++;
    if (this.ptr[m] === starts[m + 1]) {
      this.ptr[m] = starts[m];
      this.cyc[m]++;
    }
    return this.enterMinute(m);
  }

  private openSegment(m: number, from: number): void {
    const o = this.o;
    let end = this.minEnd[m];
    let scale = o.scale;
    if (o.ramp) {
      const lf = rampAt(o.ramp, from);
      scale *= lf;
      if (lf < o.ramp.max) end = Math.min(end, (Math.floor(from / o.ramp.every) + 1) * o.ramp.every);
    }
    this.segStart[m] = from;
    this.segEnd[m] = end;
    this.segScale[m] = scale;
    this.cur[m] = from;
    if (!this.isRenewal) {
      const x = this.residual[m] + (o.series.counts[this.ptr[m]] * scale * (end - from)) / o.minuteNs;
      const n = Math.floor(x + 1e-9);
      this.residual[m] = Math.max(0, x - n);
      this.segN[m] = n;
      this.segJ[m] = 0;
      this.cur[m] = 0;
    }
  }

  /** The model's next arrival time (ns, rounded), or Infinity when it has no more. */
  private next(m: number): number {
    const o = this.o;
    for (;;) {
      const a = this.segStart[m];
      const b = this.segEnd[m];
      if (this.isRenewal) {
        const rate = (o.series.counts[this.ptr[m]] * this.segScale[m]) / o.minuteNs;
        const cur = this.cur[m];
        const avail = rate * (b - cur);
        const need = this.residual[m];
        if (rate > 0 && need <= avail) {
          const t = Math.min(cur + need / rate, b);
          this.cur[m] = t;
          this.residual[m] = this.drawGap();
          return Math.round(t);
        }
        this.residual[m] = need - avail;
      } else {
        const n = this.segN[m];
        const j = this.segJ[m];
        if (j < n) {
          let u: number;
          if (o.spread === 'even') u = (j + 0.5) / n;
          else {
            const prev = this.cur[m];
            u = prev + (1 - prev) * (1 - Math.pow(o.rng.next(), 1 / (n - j)));
            this.cur[m] = u;
          }
          this.segJ[m] = j + 1;
          return Math.round(a + u * (b - a));
        }
      }
      // Segment exhausted: the next one in this minute, or the next non-zero minute.
      if (b < this.minEnd[m]) this.openSegment(m, b);
      else if (!this.nextMinute(m)) return Infinity;
    }
  }

  /** Put the model's next arrival in the heap, if it has one before the end. */
  private schedule(m: number): void {
    const t = this.next(m);
    if (t < this.o.end) {
      const p = this.pending[m];
      p.time = t;
      this.heap.push(p);
    }
  }

  advance(): boolean {
    const p = this.heap.pop();
    if (p === undefined) return false;
    this.time = p.time;
    this.model = this.o.models[p.m];
    this.schedule(p.m);
    return true;
  }
}
