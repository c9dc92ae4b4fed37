/**
 * Replay any CSV of per-request timestamps: absolute date-times ("2023-11-16 18:17:03.9799600",
 * ISO 8601 with an optional Z or +hh:mm offset) or relative numbers (seconds by default). Times
 * are made relative to the earliest one. Parsing is pure arithmetic (Date.UTC on parsed fields),
 * never the wall clock.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { formatDuration, SEC } from '../sim/time.js';
import { describeValue, UserError } from '../util/errors.js';
import { F64Vec, I32Vec, MAX_TRACE_SECONDS, oneLine, parseDecimal, readCsv, resolveTracePath } from './csv.js';
import { registerWorkload, type WorkloadEnv, type WorkloadType } from './registry.js';
import { driveArrivals } from './arrivals.js';
import { ArrayArrivalSource, LoopArrivalSource } from './replay.js';
import { sortOrder } from './azure2021.js';
import type { TraceEnd, Workload, WorkloadContext } from '../sim/workload.js';
import { MAX_COUNT, MAX_FACTOR, MIN_FACTOR, zDuration } from '../util/units-zod.js';

const DATETIME =
  /^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** True when `text` has the shape of a date-time (possible or not). */
export function looksLikeDateTime(text: string): boolean {
  return DATETIME.test(text);
}

/**
 * Parse an absolute date-time into [whole seconds since the epoch, nanoseconds within the second],
 * or say why it is impossible ("February 2023 has 28 days"); null when the text does not have the
 * shape of a date-time. Offsets are +-hh:mm with hh <= 23 and mm <= 59 (RFC 3339); second 60 (a
 * leap second) counts as the next minute's first.
 */
export function parseDateTimeOrWhy(text: string): [number, number] | string | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] ? Number(m[6]) : 0;
  if (mo < 1 || mo > 12) return `month ${m[2]} does not exist`;
  if (d < 1 || d > daysInMonth(y, mo)) return `${MONTHS[mo - 1]} ${m[1]} has ${daysInMonth(y, mo)} days, not ${d}`;
  if (h > 23) return `hour ${m[4]} does not exist (00 to 23)`;
  if (mi > 59) return `minute ${m[5]} does not exist (00 to 59)`;
  if (s > 60) return `second ${m[6]} does not exist (00 to 60)`;
  let secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  const frac = m[7] ? Number((m[7] + '000000000').slice(0, 9)) : 0;
  if (m[8] && m[8].toUpperCase() !== 'Z') {
    const z = m[8].replace(':', '');
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3, 5));
    if (oh > 23 || om > 59) return `offset ${m[8]} is out of range (-23:59 to +23:59)`;
    const off = (oh * 60 + om) * 60;
    secs -= z[0] === '+' ? off : -off;
  }
  return [secs, frac];
}

/**
 * Parse an absolute date-time into [whole seconds since the epoch, nanoseconds within the second].
 * Returns null when the text is not a possible date-time.
 */
export function parseDateTime(text: string): [number, number] | null {
  const r = parseDateTimeOrWhy(text);
  return typeof r === 'string' ? null : r;
}

export const TIME_UNITS: Record<string, number> = { s: SEC, ms: 1e6, us: 1e3, ns: 1 };

export interface TimestampColumn {
  /** ns relative to the earliest timestamp, ascending. */
  times: Float64Array;
  /** Row index in the file (data rows from 0) of each sorted time. */
  rows: Uint32Array;
  format: 'datetime' | 'number';
  /** Values of the model column, in file row order (when asked for). */
  modelValues?: string[];
  columnName: string;
}

function columnIndex(file: string, header: string[] | null, col: string | number, what: string): number {
  if (typeof col === 'number') {
    if (header && col >= header.length) {
      throw new UserError(`${file}: line 1: the ${what} is index ${col} (0-based) but the header has ${header.length} column(s)`);
    }
    return col;
  }
  if (!header) throw new UserError(`${file}: ${what} "${col}" given by name but the file is read without a header (use an index)`);
  const i = header.findIndex((h) => h.trim() === col);
  if (i < 0) throw new UserError(`${file}: line 1: no column named "${col}" (${what}); the header has ${header.map((h) => JSON.stringify(oneLine(h.trim(), 40))).join(', ')}`);
  return i;
}

/**
 * Read one timestamp column (and optionally a model column), validated and sorted. Numbers are
 * decimal; date-times must exist (no February 31st); the span from the earliest to the latest
 * timestamp is at most MAX_TRACE_SECONDS (docs/traces.md, "Errors").
 */
export async function readTimestamps(
  file: string,
  opts: { column: string | number; header: boolean; unit: string; format: 'auto' | 'datetime' | 'number'; modelColumn?: string | number },
): Promise<TimestampColumn> {
  let header: string[] | null = null;
  let col = -1;
  let mcol = -1;
  let format: 'datetime' | 'number' | null = opts.format === 'auto' ? null : opts.format;
  const secs = new F64Vec(1 << 14); // seconds relative to the first row's whole second
  const fracs = new I32Vec(1 << 14);
  let base: number | null = null;
  const modelValues: string[] | undefined = opts.modelColumn !== undefined ? [] : undefined;
  const unit = TIME_UNITS[opts.unit];
  // The earliest and latest timestamps (seconds, approximately), for the span check.
  const lo = { v: Infinity, line: 0, text: '' };
  const hi = { v: -Infinity, line: 0, text: '' };
  let first = true;
  for await (const { fields, line } of readCsv(file, 'timestamp')) {
    if (first) {
      first = false;
      if (opts.header) header = fields;
      col = columnIndex(file, header, opts.column, 'timestamp column');
      if (opts.modelColumn !== undefined) mcol = columnIndex(file, header, opts.modelColumn, 'model column');
      if (opts.header) continue;
    }
    const width = Math.max(col, mcol) + 1;
    if (fields.length < width) {
      throw new UserError(`${file}: line ${line}: expected at least ${width} fields, found ${fields.length}`);
    }
    const text = fields[col];
    if (format === null) format = looksLikeDateTime(text) ? 'datetime' : 'number';
    let approx: number;
    if (format === 'datetime') {
      const p = parseDateTimeOrWhy(text);
      if (p === null) throw new UserError(`${file}: line ${line}, column ${col + 1}: expected a date-time such as "2023-11-16 18:17:03.9799600", found ${describeValue(text)}`);
      if (typeof p === 'string') throw new UserError(`${file}: line ${line}, column ${col + 1}: impossible date-time ${describeValue(text)}: ${p}`);
      if (base === null) base = p[0];
      secs.push(p[0] - base);
      fracs.push(p[1]);
      approx = p[0] - base + p[1] / SEC;
    } else {
      const v = parseDecimal(text);
      if (Number.isNaN(v)) throw new UserError(`${file}: line ${line}, column ${col + 1}: expected a decimal number (${opts.unit}), found ${describeValue(text)}`);
      approx = (v * unit) / SEC;
      if (!Number.isFinite(approx)) {
        throw new UserError(`${file}: line ${line}, column ${col + 1}: ${describeValue(text)} is too large a number of ${opts.unit}`);
      }
      secs.push(approx);
      fracs.push(0);
    }
    if (approx < lo.v) Object.assign(lo, { v: approx, line, text });
    if (approx > hi.v) Object.assign(hi, { v: approx, line, text });
    modelValues?.push(fields[mcol].trim());
  }
  if (first) throw new UserError(`${file}: the file is empty`);
  if (secs.length === 0) throw new UserError(`${file}: no timestamps after the header`);
  if (!(hi.v - lo.v <= MAX_TRACE_SECONDS)) {
    throw new UserError(
      `${file}: line ${hi.line}: timestamp ${describeValue(hi.text.trim())} is more than ${MAX_TRACE_SECONDS} s (2,500 hours, the limit) after the earliest one, ${describeValue(lo.text.trim())} on line ${lo.line}`,
    );
  }
  const ns = new Float64Array(secs.length);
  let min = Infinity;
  for (let i = 0; i < ns.length; i++) {
    ns[i] = format === 'datetime' ? secs.data[i] * SEC + fracs.data[i] : Math.round(secs.data[i] * SEC);
    if (ns[i] < min) min = ns[i];
  }
  for (let i = 0; i < ns.length; i++) ns[i] -= min;
  const order = sortOrder(ns);
  const times = Float64Array.from(order, (i) => ns[i]);
  return {
    times,
    rows: order,
    format: format!,
    modelValues,
    columnName: header ? header[col].trim() : `#${col}`,
  };
}

const ColumnRef = z.union([z.string().min(1), z.number().int().min(0).max(MAX_COUNT)]);

export const TimestampsOptions = z
  .strictObject({
    file: z.string().min(1),
    /** The timestamp column: a header name or a 0-based index. */
    column: ColumnRef.default(0),
    /** Whether the first line is a header. */
    header: z.boolean().default(true),
    /** Absolute date-times or relative numbers; "auto" decides from the first value. */
    format: z.enum(['auto', 'datetime', 'number']).default('auto'),
    /** Unit of relative numbers. */
    unit: z.enum(['s', 'ms', 'us', 'ns']).default('s'),
    /** How requests go to the target models. */
    assign: z.enum(['round-robin', 'random', 'column']).default('round-robin'),
    /** With assign "column": the column naming the model (an instance name or any label). */
    modelColumn: ColumnRef.optional(),
    /** Replay this many seconds of trace per simulated second. */
    timeCompression: z.number().positive().min(MIN_FACTOR).max(MAX_FACTOR).default(1),
    /**
     * Trace time skipped before the replay (after the earliest timestamp; plain numbers are
     * seconds): "2h" replays from 2 h into the trace, sent at simulated time 0. All four of start,
     * length, loop and loopGap are in trace time, before timeCompression (docs/traces.md).
     */
    start: zDuration({ allowZero: true, plainUnit: SEC }).optional(),
    /** How much trace time to replay from `start` (default: to the last timestamp). */
    length: zDuration({ plainUnit: SEC }).optional(),
    /** Replay the window again after it ends, back to back, until the run ends. */
    loop: z.boolean().optional(),
    /**
     * With loop and without length: trace time from a pass's last request to the next pass's
     * first (default: the mean inter-arrival time of the replayed requests).
     */
    loopGap: zDuration({ plainUnit: SEC }).optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.assign === 'column') !== (o.modelColumn !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['modelColumn'], message: 'assign "column" and "modelColumn" go together' });
    }
    if (o.loopGap !== undefined && o.loop !== true) {
      ctx.addIssue({ code: 'custom', path: ['loopGap'], message: 'loopGap needs "loop": true' });
    } else if (o.loopGap !== undefined && o.length !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['loopGap'],
        message: 'loopGap and length exclude each other: with length each pass is the whole window (its quiet edges included), so passes start every length',
      });
    }
  });
export type TimestampsConfig = z.output<typeof TimestampsOptions>;

/** The part of the trace a timestamps replay sends (docs/traces.md, "`timestamps`"). */
interface ReplayWindow {
  /** Indices [lo, hi) of the sorted times inside the window. */
  lo: number;
  hi: number;
  /** With loop: the trace time (ns) from one pass's start to the next's, and the first pass's lead. */
  loop?: { period: number; base: number; gap: number };
}

/** First index of sorted `t` at or after `x` (t.length when none). */
function lowerBound(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const secs = (ns: number): string => `${ns / SEC}s`;

export class TimestampsWorkload implements Workload {
  private data: TimestampColumn | null = null;
  private window: ReplayWindow | null = null;
  private end: TraceEnd | null = null;
  private readonly file: string;
  private info: Record<string, unknown> = {};
  constructor(
    private readonly o: TimestampsConfig,
    env: WorkloadEnv,
  ) {
    this.file = resolveTracePath(o.file, env.configDir);
  }
  async prepare(): Promise<void> {
    this.data = await readTimestamps(this.file, {
      column: this.o.column,
      header: this.o.header,
      unit: this.o.unit,
      format: this.o.format,
      modelColumn: this.o.assign === 'column' ? this.o.modelColumn : undefined,
    });
    const times = this.data.times;
    const last = times[times.length - 1];
    this.info = {
      column: this.data.columnName,
      format: this.data.format,
      requests: times.length,
      spanSeconds: last / SEC,
    };
    this.window = this.replayWindow(times);
    const { lo, hi } = this.window;
    const start = this.o.start ?? 0;
    if (this.o.start !== undefined || this.o.length !== undefined || this.o.loop !== undefined) {
      this.info.requestsInWindow = hi - lo;
    }
    if (this.window.loop) {
      this.info.loopPeriod = secs(this.window.loop.period);
      if (this.o.length === undefined) this.info.loopGap = secs(this.window.loop.gap);
    }
    const tc = this.o.timeCompression;
    if (this.window.loop) {
      this.end = null; // A looping replay never runs out.
    } else {
      // The replay ends at the window's end ("length") or at the trace's last timestamp, if sooner.
      const byLength = this.o.length !== undefined && start + this.o.length <= last;
      const span = (byLength ? start + this.o.length! : last) - start;
      this.end = {
        at: tc === 1 ? span : Math.round(span / tc),
        what: byLength ? `the ${formatDuration(this.o.length!)} window ("length") of ${this.file}` : `${this.file} (its last timestamp)`,
      };
    }
  }
  /** Check start, length and loop against the trace and find the window (errors name the field). */
  private replayWindow(times: Float64Array): ReplayWindow {
    const o = this.o;
    const n = times.length;
    const last = times[n - 1];
    const start = o.start ?? 0;
    const where = `${this.file} (its timestamps span ${formatDuration(last)} after the earliest)`;
    if (start > last) {
      throw new UserError(`workload timestamps: "start" ${formatDuration(start)} is after the last timestamp of ${where}: nothing to replay`);
    }
    const lo = lowerBound(times, start);
    const hi = o.length !== undefined ? lowerBound(times, start + o.length) : n;
    if (hi === lo) {
      throw new UserError(
        `workload timestamps: no timestamps from "start" ${formatDuration(start)} for "length" ${formatDuration(o.length!)} in ${where}: nothing to replay`,
      );
    }
    if (!o.loop) return { lo, hi };
    if (o.length !== undefined) {
      // Each pass is the whole window, its quiet edges included: passes start every `length`.
      if (start + o.length > last) {
        throw new UserError(
          `workload timestamps: with "loop", "start" + "length" (${formatDuration(start)} + ${formatDuration(o.length)}) goes past the last timestamp of ${where}; ` +
            `shorten "length", or leave it out to loop to the last timestamp with "loopGap"`,
        );
      }
      return { lo, hi, loop: { period: o.length, base: 0, gap: o.length - (times[hi - 1] - times[lo]) } };
    }
    // To the last timestamp, then loopGap to the next pass's first request.
    const spanW = last - times[lo];
    let gap = o.loopGap;
    if (gap === undefined) {
      if (hi - lo < 2 || spanW === 0) {
        throw new UserError(
          `workload timestamps: "loop" needs "loopGap" here: the replayed part of ${this.file} ` +
            `(${hi - lo} request(s) from "start" ${formatDuration(start)}) has no mean inter-arrival time to use as the gap between passes`,
        );
      }
      gap = Math.max(1, Math.round(spanW / (hi - lo - 1)));
    }
    return { lo, hi, loop: { period: spanW + gap, base: times[lo] - start, gap } };
  }
  traceEnd(): TraceEnd | null {
    return this.end;
  }
  start(ctx: WorkloadContext): void {
    const d = this.data;
    const w = this.window;
    if (!d || !w) throw new Error('timestamps: start() before prepare()');
    const T = ctx.targets;
    const { lo, hi } = w;
    const n = hi - lo;
    // Models of the window's requests (index j is the window's j-th request in time order); a
    // looping replay sends the same models on every pass.
    const models = new Int32Array(n);
    if (this.o.assign === 'round-robin') for (let j = 0; j < n; j++) models[j] = T[j % T.length];
    else if (this.o.assign === 'random') {
      const rng = ctx.rng('assign');
      for (let j = 0; j < n; j++) models[j] = T[rng.int(T.length)];
    } else {
      // A value naming a target instance goes to it; other labels go to the targets in order of
      // first appearance (in file order) among the replayed rows.
      const byName = new Map(T.map((id) => [ctx.models[id].name, id]));
      const labels = new Map<string, number>();
      const rows = d.rows.slice(lo, hi).sort();
      const perRow = new Int32Array(d.modelValues!.length);
      for (const r of rows) {
        const v = d.modelValues![r];
        let m = byName.get(v);
        if (m === undefined) {
          m = labels.get(v);
          if (m === undefined) {
            m = T[labels.size % T.length];
            labels.set(v, m);
          }
        }
        perRow[r] = m;
      }
      for (let j = 0; j < n; j++) models[j] = perRow[d.rows[lo + j]];
      this.info.labels = labels.size;
    }
    const tc = this.o.timeCompression;
    const start = this.o.start ?? 0;
    this.data = null;
    if (w.loop) {
      const { period, base } = w.loop;
      // Offsets from the pass's start: from `start` with length, from the window's first request without.
      const first = this.o.length !== undefined ? start : d.times[lo];
      const offsets = Float64Array.from(d.times.subarray(lo, hi), (t) => t - first);
      driveArrivals(ctx, new LoopArrivalSource(offsets, period, base, tc, (j) => models[j]));
      return;
    }
    const window = lo === 0 && hi === d.times.length && start === 0 ? d.times : d.times.subarray(lo, hi);
    const times = tc === 1 && start === 0 ? window : window.map((t) => (tc === 1 ? t - start : Math.round((t - start) / tc)));
    driveArrivals(ctx, new ArrayArrivalSource(times, (j) => models[j]));
  }
  describe(): Record<string, unknown> {
    return {
      trace: 'timestamps',
      file: basename(this.file),
      assign: this.o.assign,
      ...(this.o.modelColumn !== undefined ? { modelColumn: this.o.modelColumn } : {}),
      unit: this.o.unit,
      timeCompression: this.o.timeCompression,
      relativeTo: 'the earliest timestamp',
      ...(this.o.start !== undefined ? { start: secs(this.o.start) } : {}),
      ...(this.o.length !== undefined ? { length: secs(this.o.length) } : {}),
      ...(this.o.loop !== undefined ? { loop: this.o.loop } : {}),
      ...this.info,
    };
  }
}

export const timestampsType: WorkloadType<typeof TimestampsOptions> = {
  name: 'timestamps',
  description:
    'Replays per-request timestamps from any CSV column (absolute date-times or relative numbers) to the target models (round-robin, random or by a model column)',
  options: TimestampsOptions,
  create: (options, env) => new TimestampsWorkload(options, env),
};

registerWorkload(timestampsType);
