/**
 * Timelines: a Chrome / Perfetto trace-event JSON (open it in https://ui.perfetto.dev or
 * chrome://tracing) of a window [from, to] of simulated time.
 *
 * - process "controller" (pid 0): every request as an async slice from the client's send to the
 *   response reaching the client, named "<model> <outcome>" (args: id, SLO, deadline, arrival at the
 *   controller, latency); an instant per request arrival at the controller; an instant per action
 *   sent to a worker.
 * - process "worker <w>" (pid w + 1): per GPU, one thread per lane of src/sim/lanes.ts in its order
 *   (weights: LOAD, EVICT; input copy: INPUT; exec: EXEC, one thread per concurrent slot when
 *   executions may overlap; output copy: OUTPUT), then "failed actions" (instants: an action that
 *   failed, with its error).
 * Timestamps are microseconds of simulated time (fractional: ns resolution). Everything that
 * overlaps the window is included; at most `maxEvents` events are kept (the file says if truncated).
 */
import { LANES, PHASE_LANE, type GpuPhase } from '../sim/lanes.js';
import type { SimObserver } from '../sim/observer.js';
import type { Nanos } from '../sim/time.js';
import { formatDuration } from '../sim/time.js';
import { parseDuration } from '../util/units.js';
import type { Action, ActionError, Outcome, Request } from '../sim/types.js';
import { UserError } from '../util/errors.js';

/**
 * Thread ids within a GPU's block of LANES_PER_GPU: the lanes that run one item at a time from 1 in
 * table order, then the failed-actions thread, then the slots of the concurrent lane (exec; there
 * is at most one) to the end of the block. Index FAILURES is the failed-actions thread.
 */
const LANE_TID: readonly number[] = (() => {
  const tids: number[] = [];
  let next = 1;
  LANES.forEach((l, i) => {
    if (!l.concurrent) tids[i] = next++;
  });
  const failures = next++;
  LANES.forEach((l, i) => {
    if (l.concurrent) tids[i] = next;
  });
  tids.push(failures);
  return tids;
})();
/** The failed-actions thread (after the lanes in LANE_TID). */
const FAILURES = LANES.length;
const LANES_PER_GPU = 64;
/** Most exec threads one GPU gets in the timeline. */
const MAX_EXEC_SLOTS = LANES_PER_GPU - Math.max(...LANE_TID);

/** Parse "FROM:TO" (durations such as "10s:12s", "1500ms:2s"; plain numbers are seconds). */
export function parseTraceWindow(text: string): { from: Nanos; to: Nanos } {
  const m = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (!m) throw new UserError(`--trace-events expects FROM:TO, e.g. 10s:12s, found "${text}"`);
  let from: Nanos;
  let to: Nanos;
  try {
    from = parseDuration(m[1], 1e9);
    to = parseDuration(m[2], 1e9);
  } catch (e) {
    throw new UserError(`--trace-events: ${(e as Error).message}`);
  }
  if (!(to > from) || from < 0) throw new UserError(`--trace-events: expected 0 <= FROM < TO, found ${formatDuration(from)}:${formatDuration(to)}`);
  return { from, to };
}

interface GpuDesc {
  id: number;
  worker: number;
  local: number;
  maxConcurrentExec: number;
}

export class TraceEventRecorder implements SimObserver {
  private readonly events: string[] = [];
  private truncated = false;
  /**
   * Per GPU, when each exec slot is next free (to place overlapping executions on separate
   * threads). Slots are added as overlapping executions need them (a policy may leave the engine's
   * concurrency uncapped), up to the threads a GPU has in the timeline.
   */
  private readonly execSlots: number[][];
  private readonly gpus: readonly GpuDesc[];

  constructor(
    readonly from: Nanos,
    readonly to: Nanos,
    gpus: readonly GpuDesc[],
    private readonly modelNames: readonly string[],
    private readonly groupNames: readonly string[],
    private readonly maxEvents = 5_000_000,
  ) {
    this.gpus = gpus;
    this.execSlots = gpus.map(() => [-Infinity]);
    this.meta(0, 0, 'process_name', { name: 'controller' });
    this.meta(0, 0, 'process_sort_index', { sort_index: 0 });
    this.meta(0, 1, 'thread_name', { name: 'request arrivals' });
    this.meta(0, 2, 'thread_name', { name: 'actions sent' });
    const workers = new Set<number>();
    for (const g of gpus) {
      if (!workers.has(g.worker)) {
        workers.add(g.worker);
        this.meta(g.worker + 1, 0, 'process_name', { name: `worker ${g.worker}` });
        this.meta(g.worker + 1, 0, 'process_sort_index', { sort_index: g.worker + 1 });
      }
      const base = g.local * LANES_PER_GPU;
      const name = `GPU ${g.id}`;
      const labels = LANES.map((_, i) => this.laneLabel(g, i, 0));
      labels.push(`${name} failed actions`);
      labels.forEach((label, i) => {
        this.meta(g.worker + 1, base + LANE_TID[i], 'thread_name', { name: label });
        this.meta(g.worker + 1, base + LANE_TID[i], 'thread_sort_index', { sort_index: base + i });
      });
    }
  }

  private laneLabel(g: GpuDesc, lane: number, slot: number): string {
    const l = LANES[lane];
    return l.concurrent && g.maxConcurrentExec > 1 ? `GPU ${g.id} ${l.label} slot ${slot}` : `GPU ${g.id} ${l.label}`;
  }

  private meta(pid: number, tid: number, name: string, args: Record<string, unknown>): void {
    this.events.push(JSON.stringify({ ph: 'M', pid, tid, name, args }));
  }

  private push(ev: Record<string, unknown>): void {
    if (this.events.length >= this.maxEvents) {
      this.truncated = true;
      return;
    }
    this.events.push(JSON.stringify(ev));
  }

  private overlaps(start: Nanos, end: Nanos): boolean {
    return end >= this.from && start <= this.to;
  }

  onResponse(r: Request, outcome: Outcome, at: Nanos): void {
    this.requestSpan(r, outcome, at);
  }

  onUnfinished(r: Request): void {
    this.requestSpan(r, 'unfinished', Math.max(this.to, r.sentAt));
  }

  private requestSpan(r: Request, outcome: string, at: Nanos): void {
    if (!this.overlaps(r.sentAt, at)) return;
    const name = `${this.modelNames[r.model]} ${outcome}`;
    const args = {
      id: r.id,
      model: this.modelNames[r.model],
      group: this.groupNames[r.group],
      outcome,
      sloMs: r.slo / 1e6,
      deadlineUs: r.deadline / 1e3,
      arrivalUs: r.arrival / 1e3,
      latencyMs: outcome === 'unfinished' ? null : (at - r.arrival) / 1e6,
    };
    this.push({ ph: 'b', cat: outcome, name, id: r.id, pid: 0, tid: 0, ts: r.sentAt / 1e3, args });
    this.push({ ph: 'e', cat: outcome, name, id: r.id, pid: 0, tid: 0, ts: at / 1e3 });
    if (r.arrival >= this.from && r.arrival <= this.to) {
      this.push({ ph: 'i', s: 't', name: `arrive #${r.id} ${this.modelNames[r.model]}`, pid: 0, tid: 1, ts: r.arrival / 1e3, args: { id: r.id } });
    }
  }

  onActionSent(a: Action, at: Nanos): void {
    if (at < this.from || at > this.to) return;
    this.push({ ph: 'i', s: 't', name: `send ${a.type} ${this.modelNames[a.model]} -> GPU ${a.gpu}`, pid: 0, tid: 2, ts: at / 1e3, args: this.actionArgs(a) });
  }

  private actionArgs(a: Action): Record<string, unknown> {
    const args: Record<string, unknown> = {
      action: a.id,
      type: a.type,
      model: this.modelNames[a.model],
      gpu: a.gpu,
      earliestUs: a.earliest / 1e3,
      latestUs: Number.isFinite(a.latest) ? a.latest / 1e3 : null,
    };
    if (a.type === 'INFER') {
      args.batch = a.requests.length;
      args.requests = a.requests.slice(0, 32).map((r) => r.id);
      let deadline = Infinity;
      for (const r of a.requests) if (r.deadline < deadline) deadline = r.deadline;
      args.earliestDeadlineUs = deadline / 1e3;
    }
    return args;
  }

  onPhase(gpu: number, a: Action, phase: GpuPhase, start: Nanos, end: Nanos): void {
    if (!this.overlaps(start, end)) return;
    const g = this.gpus[gpu];
    const li = PHASE_LANE[phase];
    let lane = LANE_TID[li];
    if (LANES[li].concurrent) {
      const slots = this.execSlots[gpu];
      let s = 0;
      while (s < slots.length && slots[s] > start) s++;
      if (s === slots.length) {
        if (slots.length < MAX_EXEC_SLOTS) {
          // A new thread for this GPU's overlapping executions, named like the first.
          slots.push(-Infinity);
          const tid = g.local * LANES_PER_GPU + lane + s;
          this.meta(g.worker + 1, tid, 'thread_name', { name: this.laneLabel(g, li, s) });
          this.meta(g.worker + 1, tid, 'thread_sort_index', { sort_index: tid });
        } else s = slots.length - 1; // more overlap than threads: share the last one
      }
      slots[s] = end;
      lane += s;
    }
    const n = a.type === 'INFER' ? ` x${a.requests.length}` : '';
    this.push({
      ph: 'X',
      cat: phase,
      name: `${phase} ${this.modelNames[a.model]}${n}`,
      pid: g.worker + 1,
      tid: g.local * LANES_PER_GPU + lane,
      ts: start / 1e3,
      dur: (end - start) / 1e3,
      args: this.actionArgs(a),
    });
  }

  onActionDone(gpu: number, a: Action, error: ActionError | null, start: Nanos, end: Nanos): void {
    if (!error || !this.overlaps(start, end)) return;
    const g = this.gpus[gpu];
    this.push({
      ph: 'i',
      s: 't',
      cat: 'failed',
      name: `${a.type} ${error} ${this.modelNames[a.model]}`,
      pid: g.worker + 1,
      tid: g.local * LANES_PER_GPU + LANE_TID[FAILURES],
      ts: end / 1e3,
      args: { ...this.actionArgs(a), error },
    });
  }

  /** The trace file's text (deterministic: events in the order they happened). */
  toJson(): string {
    const meta = {
      generator: 'servesim',
      window: { fromNs: this.from, toNs: this.to },
      truncated: this.truncated,
      units: 'ts and dur in microseconds of simulated time',
    };
    return `{"displayTimeUnit":"ns","metadata":${JSON.stringify(meta)},"traceEvents":[\n${this.events.join(',\n')}\n]}\n`;
  }
}
