/**
 * Time series over fixed windows of simulated time [k W, (k+1) W), covering the whole run (warm-up
 * and drain included; the summary's measured window is a separate thing).
 *
 * Each quantity is attributed to the window of the instant it happened: offered load to the
 * request's send time, outcomes and latency to the request's completion (`metrics.measureAt`: its
 * result back at the controller, or its response at the client), cold
 * starts to the request's arrival at the controller, loads and evictions to their completion on the
 * worker, busy time is split across the windows it spans. With several workload groups, each group
 * also gets its offered load, goodput, answered count and SLO attainment (ok / answered) per window. Accounting is O(1) per request: counters
 * in growable typed-array columns, and one coarse latency histogram (COARSE_SUB_BITS, 1.6%) per
 * window that is reduced to p50/p99/max and dropped once the engine's onAdvance has passed the
 * window's end (the engine advances observers only to a time before which nothing more is recorded:
 * a result waiting for the controller's CPU is stamped with its earlier receipt). Memory: a few dozen doubles per window
 * (28,800 windows for 8 h at 1 s: a few MiB) plus the histograms of the open windows.
 */
import { roundTo } from '../util/round.js';
import type { Nanos } from '../sim/time.js';
import { UTILIZATION, busyIndex, type BusyKind } from '../sim/lanes.js';
import { MS, SEC } from '../sim/time.js';
import { csvText } from '../util/csv.js';
import { COARSE_SUB_BITS, Histogram } from './histogram.js';

/** Per-GPU utilization columns are written up to this many GPUs. */
export const MAX_PER_GPU_COLUMNS = 16;
/** Per-group offered/goodput columns are written up to this many workload groups. */
export const MAX_PER_GROUP_COLUMNS = 8;

/** Busy time of each lane with utilization (src/sim/lanes.ts UTILIZATION order) from column BUSY on. */
const BUSY = 9;
const NBUSY = UTILIZATION.length;
const C = {
  sent: 0,
  ok: 1,
  late: 2,
  timeout: 3,
  rejected: 4,
  failed: 5,
  coldStarts: 6,
  loads: 7,
  evictions: 8,
  p50: BUSY + NBUSY,
  p99: BUSY + NBUSY + 1,
  max: BUSY + NBUSY + 2,
} as const;
const NFIXED = BUSY + NBUSY + 3;
/** Lanes with per-GPU utilization columns (UTILIZATION indices), in column order. */
const PER_GPU_LANES = UTILIZATION.flatMap((u, i) => (u.perGpuColumn ? [i] : []));
/** Per UTILIZATION index: its position in PER_GPU_LANES, or -1. */
const PER_GPU_INDEX = UTILIZATION.map((_, i) => PER_GPU_LANES.indexOf(i));

export class TimeSeries {
  private cap = 64;
  private cols: Float64Array[];
  /** Windows touched so far (max index + 1). */
  private n = 0;
  private readonly hists: Array<Histogram | undefined> = [];
  /** Windows [0, finalized) have their latency quantiles computed. */
  private finalized = 0;
  private end = 0;
  private readonly perGpu: boolean;
  private readonly perGroup: boolean;
  /** Column offsets: per-GPU busy (per lane in PER_GPU_LANES), then per-group sent, per-group ok, per-group answered. */
  private readonly gpuCol: number;
  private readonly groupSentCol: number;
  private readonly groupOkCol: number;
  private readonly groupAnsweredCol: number;

  constructor(
    readonly window: Nanos,
    readonly gpus: number,
    readonly groupNames: readonly string[] = [],
  ) {
    if (!(window > 0)) throw new Error(`time-series window must be positive, found ${window}`);
    this.perGpu = gpus > 1 && gpus <= MAX_PER_GPU_COLUMNS;
    this.perGroup = groupNames.length > 1 && groupNames.length <= MAX_PER_GROUP_COLUMNS;
    this.gpuCol = NFIXED;
    this.groupSentCol = this.gpuCol + (this.perGpu ? gpus * PER_GPU_LANES.length : 0);
    this.groupOkCol = this.groupSentCol + (this.perGroup ? groupNames.length : 0);
    this.groupAnsweredCol = this.groupOkCol + (this.perGroup ? groupNames.length : 0);
    const ncols = this.groupAnsweredCol + (this.perGroup ? groupNames.length : 0);
    this.cols = Array.from({ length: ncols }, () => new Float64Array(this.cap));
  }

  get windows(): number {
    return this.n;
  }

  private idx(t: Nanos): number {
    const k = Math.floor(t / this.window);
    if (k >= this.n) {
      if (k >= this.cap) {
        let cap = this.cap;
        while (cap <= k) cap *= 2;
        this.cols = this.cols.map((c) => {
          const d = new Float64Array(cap);
          d.set(c);
          return d;
        });
        this.cap = cap;
      }
      this.n = k + 1;
    }
    return k;
  }

  submit(at: Nanos, group: number): void {
    const k = this.idx(at);
    this.cols[C.sent][k]++;
    if (this.perGroup) this.cols[this.groupSentCol + group][k]++;
  }

  /** outcomeCol: 1 ok, 2 late, 3 timeout, 4 rejected, 5 failed (OUTCOME_COLUMN). */
  response(at: Nanos, outcomeCol: number, group: number, latency: Nanos): void {
    const k = this.idx(at);
    this.cols[outcomeCol][k]++;
    if (this.perGroup) this.cols[this.groupAnsweredCol + group][k]++;
    if (outcomeCol <= C.late) {
      if (outcomeCol === C.ok && this.perGroup) this.cols[this.groupOkCol + group][k]++;
      let h = this.hists[k];
      if (h === undefined) {
        if (k < this.finalized) return; // cannot happen: the engine advances observers only to times before which nothing more is recorded
        h = this.hists[k] = new Histogram(COARSE_SUB_BITS);
      }
      h.record(latency);
    }
  }

  coldStart(at: Nanos): void {
    this.cols[C.coldStarts][this.idx(at)]++;
  }

  load(at: Nanos): void {
    this.cols[C.loads][this.idx(at)]++;
  }

  eviction(at: Nanos): void {
    this.cols[C.evictions][this.idx(at)]++;
  }

  /** Busy interval [from, to) of one GPU's lane with utilization `kind` (src/sim/lanes.ts). */
  busy(gpu: number, kind: BusyKind, from: Nanos, to: Nanos): void {
    if (!(to > from)) return;
    const lane = busyIndex(kind);
    const col = BUSY + lane;
    const j = this.perGpu ? PER_GPU_INDEX[lane] : -1;
    const gcol = j >= 0 ? this.gpuCol + j * this.gpus + gpu : -1;
    const W = this.window;
    const last = this.idx(to - 1);
    for (let k = Math.floor(from / W); k <= last; k++) {
      const d = Math.min(to, (k + 1) * W) - Math.max(from, k * W);
      this.cols[col][k] += d;
      if (gcol >= 0) this.cols[gcol][k] += d;
    }
  }

  /** The simulation clock reached `now`: reduce and drop the histograms of windows ending by then. */
  advance(now: Nanos): void {
    const upto = Math.min(this.n, Math.floor(now / this.window));
    for (let k = this.finalized; k < upto; k++) this.finalize(k);
    if (upto > this.finalized) this.finalized = upto;
  }

  private finalize(k: number): void {
    const h = this.hists[k];
    if (h !== undefined && h.count > 0) {
      this.cols[C.p50][k] = h.quantile(0.5);
      this.cols[C.p99][k] = h.quantile(0.99);
      this.cols[C.max][k] = h.max;
    } else {
      this.cols[C.p50][k] = NaN;
      this.cols[C.p99][k] = NaN;
      this.cols[C.max][k] = NaN;
    }
    this.hists[k] = undefined;
  }

  /** The run ended at `end`: finalize every window. */
  finish(end: Nanos): void {
    this.end = end;
    if (end > 0) this.idx(end - 1);
    for (let k = this.finalized; k < this.n; k++) this.finalize(k);
    this.finalized = this.n;
  }

  /** Bytes held by open window histograms (for tests of boundedness). */
  get openHistogramBytes(): number {
    let b = 0;
    for (let k = this.finalized; k < this.hists.length; k++) b += this.hists[k]?.allocatedBytes ?? 0;
    return b;
  }

  /** The series as CSV text (deterministic: fixed decimals). */
  toCsv(): string {
    const r = (x: number, d: number): string => (Number.isFinite(x) ? String(roundTo(x, d)) : '');
    const head = [
      'timeS',
      'windowS',
      'offeredLoad',
      'goodput',
      'throughput',
      'ok',
      'late',
      'timeout',
      'rejected',
      'failed',
      'p50Ms',
      'p99Ms',
      'maxMs',
      ...UTILIZATION.map((u) => u.column),
      'loads',
      'evictions',
      'coldStarts',
    ];
    if (this.perGpu) for (const i of PER_GPU_LANES) for (let g = 0; g < this.gpus; g++) head.push(UTILIZATION[i].perGpuColumn!(g));
    if (this.perGroup) {
      for (const n of this.groupNames) head.push(`offeredLoad:${n}`);
      for (const n of this.groupNames) head.push(`goodput:${n}`);
      for (const n of this.groupNames) head.push(`answered:${n}`);
      for (const n of this.groupNames) head.push(`sloAttainment:${n}`);
    }
    const lines = [head];
    const c = this.cols;
    const W = this.window;
    for (let k = 0; k < this.n; k++) {
      const start = k * W;
      const len = this.end > start ? Math.min(W, this.end - start) : W;
      const secs = len / SEC;
      const row = [
        r(start / SEC, 9),
        r(secs, 9),
        r(c[C.sent][k] / secs, 6),
        r(c[C.ok][k] / secs, 6),
        r((c[C.ok][k] + c[C.late][k]) / secs, 6),
        String(c[C.ok][k]),
        String(c[C.late][k]),
        String(c[C.timeout][k]),
        String(c[C.rejected][k]),
        String(c[C.failed][k]),
        r(c[C.p50][k] / MS, 6),
        r(c[C.p99][k] / MS, 6),
        r(c[C.max][k] / MS, 6),
        ...UTILIZATION.map((_, i) => r(c[BUSY + i][k] / (len * this.gpus), 6)),
        String(c[C.loads][k]),
        String(c[C.evictions][k]),
        String(c[C.coldStarts][k]),
      ];
      if (this.perGpu) for (let j = 0; j < PER_GPU_LANES.length * this.gpus; j++) row.push(r(c[this.gpuCol + j][k] / len, 6));
      if (this.perGroup) {
        for (let g = 0; g < this.groupNames.length; g++) row.push(r(c[this.groupSentCol + g][k] / secs, 6));
        for (let g = 0; g < this.groupNames.length; g++) row.push(r(c[this.groupOkCol + g][k] / secs, 6));
        for (let g = 0; g < this.groupNames.length; g++) row.push(String(c[this.groupAnsweredCol + g][k]));
        for (let g = 0; g < this.groupNames.length; g++) {
          const n = c[this.groupAnsweredCol + g][k];
          row.push(n > 0 ? r(c[this.groupOkCol + g][k] / n, 8) : '');
        }
      }
      lines.push(row);
    }
    return csvText(lines);
  }
}

/** Column of each outcome in TimeSeries.response. */
export const OUTCOME_COLUMN = { ok: C.ok, late: C.late, timeout: C.timeout, rejected: C.rejected, failed: C.failed } as const;
