/**
 * The lanes of a simulated GPU, as data (docs/design.md, "Worker and lanes"). src/sim/gpu.ts runs
 * them; the outputs iterate this table: busy-time accounting and utilization (src/metrics/collector.ts:
 * summary.json keys; src/metrics/timeseries.ts: timeseries.csv columns), timeline threads
 * (src/metrics/trace-events.ts) and the gpu-utilization chart (src/charts/plot.ts). Adding a lane:
 * an entry here and its machinery in gpu.ts.
 *
 * Output names and orders are part of the results (test/golden.test.ts): the table's order is the
 * timeline's thread order; `utilization.order` is the order of the utilization columns and keys.
 */

export interface LaneUtilization {
  /** The busy kind GpuListener.laneBusy and SimObserver.onLaneBusy report. */
  readonly kind: string;
  /** Position among the utilization columns (timeseries.csv) and keys (summary.json). */
  readonly order: number;
  /** timeseries.csv: mean busy fraction over GPUs per window. */
  readonly column: string;
  /** timeseries.csv, when per-GPU columns are written: this lane's busy fraction per GPU (null: none). */
  readonly perGpuColumn: ((gpu: number) => string) | null;
  /** summary.json: busy fraction per GPU over the measured window. */
  readonly summaryKey: string;
  /** gpu-utilization chart: dataset label after the run's label; secondary lanes are drawn dashed. */
  readonly chartLabel: string;
  readonly secondary: boolean;
}

export interface LaneSpec {
  readonly id: string;
  /** The phases of actions this lane carries (GpuPhase). */
  readonly phases: readonly string[];
  /** Timeline thread label, after "GPU <id> ". */
  readonly label: string;
  /** Runs several items at once (the exec lane with execConcurrency > 1): one timeline thread per slot. */
  readonly concurrent: boolean;
  /** Busy time counted as utilization, or null. */
  readonly utilization: LaneUtilization | null;
}

export const LANES = [
  {
    id: 'weights',
    phases: ['LOAD', 'EVICT'],
    label: 'weights (LOAD/EVICT)',
    concurrent: false,
    utilization: { kind: 'pcie', order: 1, column: 'pcieUtilization', perGpuColumn: null, summaryKey: 'pcieUtilization', chartLabel: 'PCIe (weights)', secondary: true },
  },
  { id: 'input', phases: ['INPUT'], label: 'input copy', concurrent: false, utilization: null },
  {
    id: 'exec',
    phases: ['EXEC'],
    label: 'exec',
    concurrent: true,
    utilization: { kind: 'exec', order: 0, column: 'gpuUtilization', perGpuColumn: (g: number) => `gpu${g}Utilization`, summaryKey: 'gpuUtilization', chartLabel: 'GPU exec', secondary: false },
  },
  { id: 'output', phases: ['OUTPUT'], label: 'output copy', concurrent: false, utilization: null },
] as const satisfies readonly LaneSpec[];

type Lane = (typeof LANES)[number];
/** The phases of actions on the lanes: LOAD and EVICT on the weights lane; INPUT, EXEC and OUTPUT of an INFER. */
export type GpuPhase = Lane['phases'][number];
/** The lanes whose busy time is accounted (utilization). */
export type BusyKind = NonNullable<Lane['utilization']>['kind'];

/** Lanes with utilization, in `utilization.order`. */
export const UTILIZATION: ReadonlyArray<LaneUtilization & { readonly kind: BusyKind }> = LANES.map((l) => l.utilization as (LaneUtilization & { kind: BusyKind }) | null)
  .filter((u) => u !== null)
  .sort((a, b) => a.order - b.order);

/**
 * Index in UTILIZATION of a busy kind. A scan of the few entries rather than a lookup keyed by the
 * kind: a lookup keyed by several different strings is a slow (megamorphic) access in V8, and this
 * runs twice per execution.
 */
export function busyIndex(kind: BusyKind): number {
  let i = 0;
  while (UTILIZATION[i].kind !== kind) i++;
  return i;
}

/** Index in LANES of the lane carrying each phase. */
export const PHASE_LANE: Readonly<Record<GpuPhase, number>> = Object.fromEntries(
  LANES.flatMap((l, i) => l.phases.map((p) => [p, i] as const)),
) as Record<GpuPhase, number>;
