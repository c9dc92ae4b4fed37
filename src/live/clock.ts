/**
 * The real clock of live mode (docs/live.md): nanoseconds since a shared origin, and precise timers.
 *
 * `RealClock.now()` is `process.hrtime.bigint()` (CLOCK_MONOTONIC, the same clock in every worker
 * thread of the process) minus the origin, as a number of ns like simulated time. Executors get the
 * controller's origin, so a window [earliest, latest] means the same instants on both sides.
 *
 * `PreciseTimers`: Node's setTimeout has ~1 ms granularity and fires late by 1 ms or more on a
 * loaded machine. A timer due at `at` is therefore woken in two steps: a setTimeout for the coarse
 * part, up to `spin` before it is due, then a setImmediate loop that polls the clock until it is
 * due. setImmediate yields to I/O (worker messages) between polls, so the thread stays responsive
 * while it spins; the cost is one core busy polling during the last `spin` before each wake-up
 * (DEFAULT_SPIN: 2 ms, about one setTimeout's granularity plus its usual jitter). Each fired timer's
 * lateness (fired - due) is recorded.
 */
import { Heap } from '../util/heap.js';
import type { Nanos } from '../sim/time.js';

/** Poll the clock for the last 2 ms before a timer is due. */
export const DEFAULT_SPIN: Nanos = 2_000_000;

/**
 * The spin of `--spin auto` (the default): DEFAULT_SPIN when the machine has a CPU beyond the
 * executors' intra-op threads, for the controller; else none, because polling would take the CPU
 * time the executors run on (docs/live.md, "Timers").
 */
export function autoSpin(executors: number, threadsPerExecutor: number, cpus: number): { spin: Nanos; why: string } {
  const used = executors * threadsPerExecutor;
  const what = `${cpus} CPUs for ${executors} executor${executors === 1 ? '' : 's'} x ${threadsPerExecutor} thread${threadsPerExecutor === 1 ? '' : 's'}`;
  return cpus > used
    ? { spin: DEFAULT_SPIN, why: `auto: ${what} leave one for the controller` }
    : { spin: 0, why: `auto: ${what} leave none for the controller, so no polling` };
}

/** The spin a live run uses: `spin` as given (ns), else autoSpin's choice; `why` says which. */
export function chooseSpin(spin: Nanos | undefined, executors: number, threadsPerExecutor: number, cpus: number): { spin: Nanos; why: string } {
  return spin !== undefined ? { spin, why: 'option' } : autoSpin(executors, threadsPerExecutor, cpus);
}

export class RealClock {
  readonly origin: bigint;
  constructor(origin?: bigint) {
    this.origin = origin ?? process.hrtime.bigint();
  }
  now(): Nanos {
    return Number(process.hrtime.bigint() - this.origin);
  }
}

interface Entry {
  at: Nanos;
  seq: number;
  fn: (arg: any) => void;
  arg: unknown;
  cancelled: boolean;
}

/** Lateness samples kept (the first ones; `count` still counts every fired timer). */
const MAX_LATENESS_SAMPLES = 1_000_000;

export interface LatenessSummaryUs {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

/** Percentiles (nearest rank) of lateness samples in ns, reported in microseconds (3 decimals). */
export function latenessSummary(samples: ArrayLike<number>, count = samples.length): LatenessSummaryUs {
  const n = samples.length;
  if (n === 0) return { count, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
  const s = Float64Array.from(samples).sort();
  const us = (x: number): number => Number((x / 1000).toFixed(3));
  const q = (p: number): number => us(s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return { count, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: us(s[n - 1]), mean: us(sum / n) };
}

/** Timers on the real clock, fired in (due time, creation) order, each at most once. */
export class PreciseTimers {
  private readonly heap = new Heap<Entry>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private coarse: NodeJS.Timeout | null = null;
  /** Due time the coarse setTimeout was armed for (Infinity: none). */
  private coarseFor = Infinity;
  private spinning = false;
  private stopped = false;
  private readonly lateness: number[] = [];
  private fired = 0;
  /** Live (not cancelled) timers. */
  pending = 0;

  constructor(
    readonly clock: RealClock,
    /** How long before a timer is due the clock is polled instead of waiting on setTimeout. */
    readonly spin: Nanos = DEFAULT_SPIN,
  ) {}

  /**
   * Call fn(arg) at `at`, or as soon as possible when `at` has passed (then due now: lateness
   * measures the timers, not how far in the past a caller asked). Returns a cancel handle.
   */
  set(at: Nanos, fn: (arg: any) => void, arg?: unknown): Entry {
    const e: Entry = { at: Math.max(at, this.clock.now()), seq: this.seq++, fn, arg, cancelled: false };
    this.heap.push(e);
    this.pending++;
    this.arm();
    return e;
  }

  cancel(e: { cancelled: boolean }): void {
    if (e.cancelled) return;
    e.cancelled = true;
    this.pending--;
  }

  /** Fire nothing more (pending timers are dropped). */
  stop(): void {
    this.stopped = true;
    if (this.coarse) clearTimeout(this.coarse);
    this.coarse = null;
  }

  /** Lateness of fired timers (ns), in firing order. */
  latenessSamples(): readonly number[] {
    return this.lateness;
  }

  /** Timers fired so far. */
  get firedCount(): number {
    return this.fired;
  }

  summary(): LatenessSummaryUs {
    return latenessSummary(this.lateness, this.fired);
  }

  /** When the next pending timer is due (Infinity: none). */
  nextDue(): Nanos {
    return this.head()?.at ?? Infinity;
  }

  private head(): Entry | undefined {
    let h = this.heap.peek();
    while (h && h.cancelled) {
      this.heap.pop();
      h = this.heap.peek();
    }
    return h;
  }

  private arm(): void {
    if (this.stopped || this.spinning) return;
    const h = this.head();
    if (!h) return;
    const wait = h.at - this.clock.now() - this.spin;
    if (wait <= 0) {
      this.startSpin();
      return;
    }
    if (this.coarse && this.coarseFor <= h.at) return;
    if (this.coarse) clearTimeout(this.coarse);
    this.coarseFor = h.at;
    this.coarse = setTimeout(this.onCoarse, Math.max(0, Math.floor(wait / 1e6)));
  }

  private readonly onCoarse = (): void => {
    this.coarse = null;
    this.coarseFor = Infinity;
    this.startSpin();
  };

  private startSpin(): void {
    if (this.spinning || this.stopped) return;
    if (this.coarse) {
      clearTimeout(this.coarse);
      this.coarse = null;
      this.coarseFor = Infinity;
    }
    this.spinning = true;
    setImmediate(this.poll);
  }

  private readonly poll = (): void => {
    if (this.stopped) {
      this.spinning = false;
      return;
    }
    let now = this.clock.now();
    for (let h = this.head(); h && h.at <= now; h = this.head()) {
      this.heap.pop();
      h.cancelled = true;
      this.pending--;
      this.record(now - h.at);
      h.fn(h.arg);
      if (this.stopped) {
        this.spinning = false;
        return;
      }
      now = this.clock.now();
    }
    const h = this.head();
    if (h && h.at - now <= this.spin) {
      setImmediate(this.poll);
      return;
    }
    this.spinning = false;
    this.arm();
  };

  private record(late: Nanos): void {
    this.fired++;
    if (this.lateness.length < MAX_LATENESS_SAMPLES) this.lateness.push(late);
  }
}
