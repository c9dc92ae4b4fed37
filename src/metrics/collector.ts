/**
 * Streams every request outcome and hardware event into fixed-size aggregates. Only requests sent
 * inside the measured window [warmup, duration) count towards request metrics; busy time is
 * clipped to the window.
 */
import { roundTo } from '../util/round.js';
import { UTILIZATION, busyIndex, type BusyKind } from '../sim/lanes.js';
import type { SimObserver } from '../sim/observer.js';
import type { Nanos } from '../sim/time.js';
import { MS, SEC } from '../sim/time.js';
import type { Action, ActionError, Outcome, Request } from '../sim/types.js';
import { csvText } from '../util/csv.js';
import { COARSE_SUB_BITS, Histogram, type HistogramJSON } from './histogram.js';
import { OUTCOME_COLUMN, TimeSeries } from './timeseries.js';
import { inMeasuredWindow } from './window.js';

export interface RequestCounts {
  total: number;
  ok: number;
  late: number;
  timeout: number;
  rejected: number;
  failed: number;
  /** Still unanswered when the simulation ended (duration + drain). */
  unfinished: number;
}

export interface LatencySummaryMs {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  p9999: number | null;
  p99999: number | null;
  p999999: number | null;
  max: number | null;
  mean: number | null;
}

function emptyCounts(): RequestCounts {
  return { total: 0, ok: 0, late: 0, timeout: 0, rejected: 0, failed: 0, unfinished: 0 };
}

/** Output precision (src/util/round.ts): 6 decimals (ms: 1 ns; r/s), fractions 8. */
const round = (x: number, digits = 6): number => roundTo(x, digits);

export function latencySummary(h: Histogram): LatencySummaryMs {
  const q = (p: number): number | null => (h.count ? round(h.quantile(p) / MS) : null);
  return {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    p999: q(0.999),
    p9999: q(0.9999),
    p99999: q(0.99999),
    p999999: q(0.999999),
    max: h.count ? round(h.max / MS) : null,
    mean: h.count ? round(h.mean() / MS) : null,
  };
}

/** Index of each outcome in the per-model counts (after `total` at 0; `unfinished` at 6). */
const OUTCOME_INDEX: Record<Outcome, number> = { ok: 1, late: 2, timeout: 3, rejected: 4, failed: 5 };
const PER_MODEL = 7;

export interface CollectorOptions {
  /** Time-series window (default 1 s). */
  window?: Nanos;
  /** Model instance names: per-model counts and coarse latency histograms when given. */
  modelNames?: readonly string[];
  /** Workload group names (time-series column names). */
  groupNames?: readonly string[];
}

class GroupStats {
  readonly counts = emptyCounts();
  /** Latency of completed (ok + late) requests, ns (shared with the overall one when there is one group). */
  constructor(readonly latency = new Histogram()) {}
}

/** The engine's first observer in an experiment (src/sim/observer.ts). */
export class MetricsCollector implements SimObserver {
  readonly overall = new GroupStats();
  readonly groups: GroupStats[];
  loads = 0;
  loadsFailed = 0;
  evictions = 0;
  coldStarts = 0;
  actionErrors: Record<string, number> = {};
  inferActions = 0;
  inferRequests = 0;
  /** Per lane with utilization (src/sim/lanes.ts UTILIZATION order), per GPU: busy time in the window, and since when busy (-1: idle). */
  private readonly busyTime: Float64Array[];
  private readonly busySince: Float64Array[];
  /** Predicted minus actual completion times (ns), per action kind. */
  readonly predictionError = { INFER: new Histogram(), LOAD: new Histogram() };
  readonly predictionErrorSigned = { INFER: { early: 0, late: 0, sum: 0 }, LOAD: { early: 0, late: 0, sum: 0 } };
  /** Magnitudes of early (predicted >= actual) and late predictions, for signed error CDFs. */
  readonly predictionEarly = { INFER: new Histogram(), LOAD: new Histogram() };
  readonly predictionLate = { INFER: new Histogram(), LOAD: new Histogram() };
  /** Fixed-window time series over the whole run. */
  readonly timeseries: TimeSeries;
  /** Per model: [total, ok, late, timeout, rejected, failed, unfinished] (measured window). */
  private readonly modelCounts: Float64Array;
  /** Per model: loads, evictions, cold starts (measured window). */
  private readonly modelEvents: Float64Array;
  /** Per model latency (ok + late), coarse, allocated on a model's first response. */
  private readonly modelLatency: Array<Histogram | undefined>;
  readonly modelNames: readonly string[];

  constructor(
    readonly warmup: Nanos,
    readonly duration: Nanos,
    groups: number,
    readonly gpus: number,
    opts: CollectorOptions = {},
  ) {
    // One group: its latency histogram is the overall one (recorded once).
    this.groups = groups === 1 ? [new GroupStats(this.overall.latency)] : Array.from({ length: groups }, () => new GroupStats());
    this.timeseries = new TimeSeries(opts.window ?? SEC, gpus, opts.groupNames ?? []);
    this.modelNames = opts.modelNames ?? [];
    const m = this.modelNames.length;
    this.modelCounts = new Float64Array(m * PER_MODEL);
    this.modelEvents = new Float64Array(m * 3);
    this.modelLatency = new Array(m).fill(undefined);
    this.busyTime = UTILIZATION.map(() => new Float64Array(gpus));
    this.busySince = UTILIZATION.map(() => new Float64Array(gpus).fill(-1));
  }

  inWindow(r: Request): boolean {
    return inMeasuredWindow(r.sentAt, this.warmup, this.duration);
  }

  onSubmit(r: Request): void {
    this.timeseries.submit(r.sentAt, r.group);
    if (!this.inWindow(r)) return;
    this.overall.counts.total++;
    this.groups[r.group].counts.total++;
    if (r.model < this.modelLatency.length) this.modelCounts[r.model * PER_MODEL]++;
  }

  onColdStart(r: Request): void {
    this.timeseries.coldStart(r.arrival);
    if (!this.inWindow(r)) return;
    this.coldStarts++;
    if (r.model < this.modelLatency.length) this.modelEvents[r.model * 3 + 2]++;
  }

  /** The request completed at `at` (at the controller or the client: SimulationSetup.measureAt). */
  onResponse(r: Request, outcome: Outcome, at: Nanos): void {
    const lat = at - r.arrival;
    this.timeseries.response(at, OUTCOME_COLUMN[outcome], r.group, lat);
    if (!this.inWindow(r)) return;
    const g = this.groups[r.group];
    this.overall.counts[outcome]++;
    g.counts[outcome]++;
    const served = outcome === 'ok' || outcome === 'late';
    if (served) {
      this.overall.latency.record(lat);
      if (g.latency !== this.overall.latency) g.latency.record(lat);
    }
    if (r.model < this.modelLatency.length) {
      this.modelCounts[r.model * PER_MODEL + OUTCOME_INDEX[outcome]]++;
      if (served) {
        let h = this.modelLatency[r.model];
        if (h === undefined) h = this.modelLatency[r.model] = new Histogram(COARSE_SUB_BITS);
        h.record(lat);
      }
    }
  }

  onUnfinished(r: Request): void {
    if (!this.inWindow(r)) return;
    this.overall.counts.unfinished++;
    this.groups[r.group].counts.unfinished++;
    if (r.model < this.modelLatency.length) this.modelCounts[r.model * PER_MODEL + 6]++;
  }

  /** The simulation clock reached `now` (lets the time series drop finished windows' histograms). */
  onAdvance(now: Nanos): void {
    this.timeseries.advance(now);
  }

  /** Counted when the engine learns of it (`at`), the worker's [start, end] aside. */
  onActionDone(_gpu: number, action: Action, error: ActionError | null, _start: Nanos, _end: Nanos, _padded: number, at: Nanos): void {
    if (error) this.actionErrors[`${action.type}:${error}`] = (this.actionErrors[`${action.type}:${error}`] ?? 0) + 1;
    else if (action.type === 'LOAD') this.timeseries.load(at);
    else if (action.type === 'EVICT') this.timeseries.eviction(at);
    if (at < this.warmup || at >= this.duration) return;
    const perModel = action.model < this.modelLatency.length;
    if (action.type === 'LOAD') {
      if (error) this.loadsFailed++;
      else {
        this.loads++;
        if (perModel) this.modelEvents[action.model * 3]++;
      }
    } else if (action.type === 'EVICT') {
      if (!error) {
        this.evictions++;
        if (perModel) this.modelEvents[action.model * 3 + 1]++;
      }
    } else if (!error) {
      this.inferActions++;
      this.inferRequests += action.requests.length;
    }
  }

  onLaneBusy(gpu: number, kind: BusyKind, busy: boolean, now: Nanos): void {
    const i = busyIndex(kind);
    const acc = this.busyTime[i];
    const since = this.busySince[i];
    if (busy) since[gpu] = now;
    else if (since[gpu] >= 0) {
      this.timeseries.busy(gpu, kind, since[gpu], now);
      const lo = Math.max(since[gpu], this.warmup);
      const hi = Math.min(now, this.duration);
      if (hi > lo) acc[gpu] += hi - lo;
      since[gpu] = -1;
    }
  }

  onPrediction(kind: 'INFER' | 'LOAD', predicted: Nanos, actual: Nanos): void {
    const err = predicted - actual;
    this.predictionError[kind].record(Math.abs(err));
    const s = this.predictionErrorSigned[kind];
    if (err >= 0) {
      s.early++;
      this.predictionEarly[kind].record(err);
    } else {
      s.late++;
      this.predictionLate[kind].record(-err);
    }
    s.sum += err;
  }

  /** Close open busy intervals at the end of the run. */
  onFinish(now: Nanos): void {
    for (let g = 0; g < this.gpus; g++) {
      for (let i = 0; i < UTILIZATION.length; i++) if (this.busySince[i][g] >= 0) this.onLaneBusy(g, UTILIZATION[i].kind, false, now);
    }
    this.timeseries.finish(now);
  }

  /** Per-model results as CSV rows (every model instance, in id order). */
  perModelCsv(): string {
    const windowS = (this.duration - this.warmup) / SEC;
    const r = (x: number, d = 6): string => (Number.isFinite(x) ? String(roundTo(x, d)) : '');
    const lines: unknown[][] = [
      'model,requests,ok,late,timeout,rejected,failed,unfinished,goodput,throughput,sloAttainment,p50Ms,p99Ms,p999Ms,maxMs,meanMs,loads,evictions,coldStarts'.split(','),
    ];
    for (let m = 0; m < this.modelNames.length; m++) {
      const c = this.modelCounts.subarray(m * PER_MODEL, (m + 1) * PER_MODEL);
      const h = this.modelLatency[m];
      const q = (p: number): string => (h && h.count ? r(h.quantile(p) / MS) : '');
      lines.push([
        this.modelNames[m],
        c[0], c[1], c[2], c[3], c[4], c[5], c[6],
        r(c[1] / windowS), r((c[1] + c[2]) / windowS), c[0] ? r(c[1] / c[0], 8) : '',
        q(0.5), q(0.99), q(0.999), h && h.count ? r(h.max / MS) : '', h && h.count ? r(h.mean() / MS) : '',
        this.modelEvents[m * 3], this.modelEvents[m * 3 + 1], this.modelEvents[m * 3 + 2],
      ]);
    }
    return csvText(lines);
  }

  /** Latency histograms (ns) of the measured window and prediction-error histograms, for plots made later. */
  histogramsJson(groupNames: readonly string[], slos: readonly Nanos[] = []): Record<string, unknown> {
    const pred = (kind: 'INFER' | 'LOAD'): { early: HistogramJSON; late: HistogramJSON } | null =>
      this.predictionError[kind].count ? { early: this.predictionEarly[kind].toJSON(), late: this.predictionLate[kind].toJSON() } : null;
    return {
      unit: 'ns',
      description: 'Latency of requests answered ok or late (sent in the measured window), log-linear histograms: see src/metrics/histogram.ts',
      overall: this.overall.latency.toJSON(),
      groups: Object.fromEntries(this.groups.map((g, i) => [groupNames[i] ?? String(i), { sloNs: slos[i] ?? null, latency: g.latency.toJSON() }])),
      predictionError: { INFER: pred('INFER'), LOAD: pred('LOAD') },
    };
  }

  summary(groupNames: readonly string[]): Record<string, unknown> {
    const windowS = (this.duration - this.warmup) / SEC;
    const perGroup = (g: GroupStats) => {
      const c = g.counts;
      return {
        requests: { ...c },
        goodput: round(c.ok / windowS),
        throughput: round((c.ok + c.late) / windowS),
        offeredLoad: round(c.total / windowS),
        sloAttainment: c.total ? round(c.ok / c.total, 8) : null,
        lateFraction: c.ok + c.late ? round(c.late / (c.ok + c.late), 8) : null,
        latencyMs: latencySummary(g.latency),
      };
    };
    const util = (acc: Float64Array) => Array.from(acc, (b) => round(b / (this.duration - this.warmup)));
    const pred = (kind: 'INFER' | 'LOAD') => {
      const h = this.predictionError[kind];
      if (h.count === 0) return null;
      const s = this.predictionErrorSigned[kind];
      return {
        count: h.count,
        absErrorMs: latencySummary(h),
        meanSignedErrorMs: round(s.sum / h.count / MS),
        earlyFraction: round(s.early / h.count, 8),
      };
    };
    const result: Record<string, unknown> = {
      windowSeconds: round(windowS),
      ...perGroup(this.overall),
      ...Object.fromEntries(UTILIZATION.map((u, i) => [u.summaryKey, util(this.busyTime[i])])),
      loads: this.loads,
      loadsFailed: this.loadsFailed,
      evictions: this.evictions,
      coldStarts: this.coldStarts,
      batches: { count: this.inferActions, meanSize: this.inferActions ? round(this.inferRequests / this.inferActions) : null },
      actionErrors: Object.fromEntries(Object.entries(this.actionErrors).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    const p = { INFER: pred('INFER'), LOAD: pred('LOAD') };
    if (p.INFER || p.LOAD) result.predictionError = p;
    if (this.groups.length > 1) {
      result.groups = Object.fromEntries(this.groups.map((g, i) => [groupNames[i], perGroup(g)]));
    }
    return result;
  }
}
