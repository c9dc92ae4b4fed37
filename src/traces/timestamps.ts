/**
 * Replay any CSV of per-request timestamps: absolute date-times ("2023-11-16 18:17:03.9799600",
 * ISO 8601 with an optional Z or +hh:mm offset) or relative numbers (seconds by default). Times
 * are made relative to the earliest one. Parsing is pure arithmetic (Date.UTC on parsed fields),
 * never the wall clock.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { SEC } from '../sim/time.js';
import { UserError } from '../util/errors.js';
import { F64Vec, I32Vec, readCsv, resolveTracePath } from './csv.js';
import { registerWorkload, type WorkloadEnv, type WorkloadType } from './registry.js';
import { driveArrivals } from '../sim/simulation.js';
import { ArrayArrivalSource } from './replay.js';
import { sortOrder } from './azure2021.js';
import type { Workload, WorkloadContext } from './types.js';
import { MAX_COUNT, MAX_FACTOR, MIN_FACTOR } from '../util/units-zod.js';

const DATETIME =
  /^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;

/**
 * Parse an absolute date-time into [whole seconds since the epoch, nanoseconds within the second].
 * Returns null when the text is not a date-time.
 */
export function parseDateTime(text: string): [number, number] | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] ? Number(m[6]) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  let secs = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  const frac = m[7] ? Number((m[7] + '000000000').slice(0, 9)) : 0;
  if (m[8] && m[8].toUpperCase() !== 'Z') {
    const z = m[8].replace(':', '');
    const off = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60;
    secs -= z[0] === '+' ? off : -off;
  }
  return [secs, frac];
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
  if (typeof col === 'number') return col;
  if (!header) throw new UserError(`${file}: ${what} "${col}" given by name but the file is read without a header (use an index)`);
  const i = header.findIndex((h) => h.trim() === col);
  if (i < 0) throw new UserError(`${file}: line 1: no column named "${col}" (${what}); the header has ${header.map((h) => `"${h.trim()}"`).join(', ')}`);
  return i;
}

/** Read one timestamp column (and optionally a model column), validated and sorted. */
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
  let first = true;
  for await (const { fields, line } of readCsv(file, 'timestamp file')) {
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
    if (format === null) format = parseDateTime(text) ? 'datetime' : 'number';
    if (format === 'datetime') {
      const p = parseDateTime(text);
      if (!p) throw new UserError(`${file}: line ${line}, column ${col + 1}: expected a date-time such as "2023-11-16 18:17:03.9799600", found ${JSON.stringify(text)}`);
      if (base === null) base = p[0];
      secs.push(p[0] - base);
      fracs.push(p[1]);
    } else {
      const v = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(v)) throw new UserError(`${file}: line ${line}, column ${col + 1}: expected a number (${opts.unit}), found ${JSON.stringify(text)}`);
      secs.push((v * unit) / SEC);
      fracs.push(0);
    }
    modelValues?.push(fields[mcol].trim());
  }
  if (first) throw new UserError(`${file}: the file is empty`);
  if (secs.length === 0) throw new UserError(`${file}: no timestamps after the header`);
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
  })
  .superRefine((o, ctx) => {
    if ((o.assign === 'column') !== (o.modelColumn !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['modelColumn'], message: 'assign "column" and "modelColumn" go together' });
    }
  });
export type TimestampsConfig = z.output<typeof TimestampsOptions>;

export class TimestampsWorkload implements Workload {
  private data: TimestampColumn | null = null;
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
    this.info = {
      column: this.data.columnName,
      format: this.data.format,
      requests: this.data.times.length,
      spanSeconds: this.data.times[this.data.times.length - 1] / SEC,
    };
  }
  start(ctx: WorkloadContext): void {
    const d = this.data;
    if (!d) throw new Error('timestamps: start() before prepare()');
    const T = ctx.targets;
    const n = d.times.length;
    const models = new Int32Array(n);
    if (this.o.assign === 'round-robin') for (let i = 0; i < n; i++) models[i] = T[i % T.length];
    else if (this.o.assign === 'random') {
      const rng = ctx.rng('assign');
      for (let i = 0; i < n; i++) models[i] = T[rng.int(T.length)];
    } else {
      // A value naming a target instance goes to it; other labels go to the targets in order of first appearance.
      const byName = new Map(T.map((id) => [ctx.models[id].name, id]));
      const labels = new Map<string, number>();
      const perRow = d.modelValues!.map((v) => {
        const named = byName.get(v);
        if (named !== undefined) return named;
        let m = labels.get(v);
        if (m === undefined) {
          m = T[labels.size % T.length];
          labels.set(v, m);
        }
        return m;
      });
      for (let i = 0; i < n; i++) models[i] = perRow[d.rows[i]];
      this.info.labels = labels.size;
    }
    const tc = this.o.timeCompression;
    const times = tc === 1 ? d.times : d.times.map((t) => Math.round(t / tc));
    this.data = null;
    driveArrivals(ctx, new ArrayArrivalSource(times, (i) => models[i]));
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
