/**
 * Streams every request outcome and hardware event into fixed-size aggregates. Only requests sent
 * inside the measured window [warmup, duration) count towards request metrics; busy time is
 * clipped to the window.
 */
import type { Nanos } from '../sim/time.js';
import { MS, SEC } from '../sim/time.js';
import type { Action, ActionError, Outcome, Request } from '../sim/types.js';
import { Histogram } from './histogram.js';

export const OUTCOMES: readonly Outcome[] = ['ok', 'late', 'timeout', 'rejected', 'failed'];

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
  max: number | null;
  mean: number | null;
}

function emptyCounts(): RequestCounts {
  return { total: 0, ok: 0, late: 0, timeout: 0, rejected: 0, failed: 0, unfinished: 0 };
}

const round = (x: number, digits = 6): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export function latencySummary(h: Histogram): LatencySummaryMs {
  const q = (p: number): number | null => (h.count ? round(h.quantile(p) / MS) : null);
  return {
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    p999: q(0.999),
    p9999: q(0.9999),
    max: h.count ? round(h.max / MS) : null,
    mean: h.count ? round(h.mean() / MS) : null,
  };
}

class GroupStats {
  readonly counts = emptyCounts();
  /** Latency of completed (ok + late) requests, ns. */
  readonly latency = new Histogram();
}

export class MetricsCollector {
  readonly overall = new GroupStats();
  readonly groups: GroupStats[];
  loads = 0;
  loadsFailed = 0;
  evictions = 0;
  coldStarts = 0;
  actionErrors: Record<string, number> = {};
  inferActions = 0;
  inferRequests = 0;
  private readonly execBusy: Float64Array;
  private readonly execBusySince: Float64Array;
  private readonly pcieBusy: Float64Array;
  private readonly pcieBusySince: Float64Array;
  /** Predicted minus actual completion times (ns), per action kind. */
  readonly predictionError = { INFER: new Histogram(), LOAD: new Histogram() };
  readonly predictionErrorSigned = { INFER: { early: 0, late: 0, sum: 0 }, LOAD: { early: 0, late: 0, sum: 0 } };

  constructor(
    readonly warmup: Nanos,
    readonly duration: Nanos,
    groups: number,
    readonly gpus: number,
  ) {
    this.groups = Array.from({ length: groups }, () => new GroupStats());
    this.execBusy = new Float64Array(gpus);
    this.execBusySince = new Float64Array(gpus).fill(-1);
    this.pcieBusy = new Float64Array(gpus);
    this.pcieBusySince = new Float64Array(gpus).fill(-1);
  }

  inWindow(r: Request): boolean {
    return r.sentAt >= this.warmup && r.sentAt < this.duration;
  }

  onSubmit(r: Request): void {
    if (!this.inWindow(r)) return;
    this.overall.counts.total++;
    this.groups[r.group].counts.total++;
  }

  onColdStart(r: Request): void {
    if (this.inWindow(r)) this.coldStarts++;
  }

  /** The response reached the client at `at`. */
  onResponse(r: Request, outcome: Outcome, at: Nanos): void {
    if (!this.inWindow(r)) return;
    const g = this.groups[r.group];
    this.overall.counts[outcome]++;
    g.counts[outcome]++;
    if (outcome === 'ok' || outcome === 'late') {
      const lat = at - r.arrival;
      this.overall.latency.record(lat);
      g.latency.record(lat);
    }
  }

  onUnfinished(r: Request): void {
    if (!this.inWindow(r)) return;
    this.overall.counts.unfinished++;
    this.groups[r.group].counts.unfinished++;
  }

  onActionDone(action: Action, error: ActionError | null, at: Nanos): void {
    if (error) this.actionErrors[`${action.type}:${error}`] = (this.actionErrors[`${action.type}:${error}`] ?? 0) + 1;
    if (at < this.warmup || at >= this.duration) return;
    if (action.type === 'LOAD') {
      if (error) this.loadsFailed++;
      else this.loads++;
    } else if (action.type === 'EVICT') {
      if (!error) this.evictions++;
    } else if (!error) {
      this.inferActions++;
      this.inferRequests += action.requests.length;
    }
  }

  laneBusy(gpu: number, kind: 'exec' | 'pcie', busy: boolean, now: Nanos): void {
    const acc = kind === 'exec' ? this.execBusy : this.pcieBusy;
    const since = kind === 'exec' ? this.execBusySince : this.pcieBusySince;
    if (busy) since[gpu] = now;
    else if (since[gpu] >= 0) {
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
    if (err >= 0) s.early++;
    else s.late++;
    s.sum += err;
  }

  /** Close open busy intervals at the end of the run. */
  finish(now: Nanos): void {
    for (let g = 0; g < this.gpus; g++) {
      if (this.execBusySince[g] >= 0) this.laneBusy(g, 'exec', false, now);
      if (this.pcieBusySince[g] >= 0) this.laneBusy(g, 'pcie', false, now);
    }
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
      gpuUtilization: util(this.execBusy),
      pcieUtilization: util(this.pcieBusy),
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
