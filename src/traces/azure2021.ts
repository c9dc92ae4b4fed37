/**
 * The Azure Functions 2021 invocation trace: one row per invocation, `app,func,end_timestamp,duration`
 * in seconds from the trace start; a request arrives at end_timestamp - duration. Reading keeps
 * two typed arrays (arrival time, function index), sorted once by time; functions are ranked by
 * invocation count and mapped onto the targets like the 2019 trace.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { SEC } from '../sim/time.js';
import { describeValue, UserError } from '../util/errors.js';
import { MAX_COUNT, MAX_FACTOR, MIN_FACTOR, zDuration } from '../util/units-zod.js';
import { F64Vec, I32Vec, headerPreview, MAX_TRACE_SECONDS, oneLine, parseDecimal, readCsv, resolveTracePath } from './csv.js';
import { FunctionIndex, mapRanks, MappingSchema, rankByTotal } from './mapping.js';
import { registerWorkload, type WorkloadEnv, type WorkloadType } from './registry.js';
import { driveArrivals } from './arrivals.js';
import { ArrayArrivalSource } from './replay.js';
import type { TraceEnd, Workload, WorkloadContext } from '../sim/workload.js';

export const AZURE2021_HEADER = ['app', 'func', 'end_timestamp', 'duration'] as const;

export interface Invocations2021 {
  /** Function ids ("app:func"), by first appearance. */
  ids: string[];
  /** Invocations per function. */
  totals: Float64Array;
  /** Arrival times in seconds from the trace start, ascending. */
  arrivals: Float64Array;
  /** Function index of each arrival. */
  funcs: Int32Array;
  /** Durations in seconds, in the order of `arrivals` (only when asked for). */
  durations?: Float64Array;
}

/** A time in seconds: a decimal number from 0 to MAX_TRACE_SECONDS (docs/traces.md, "Errors"). */
function num(file: string, line: number, col: string, text: string): number {
  const v = parseDecimal(text);
  if (!(v >= 0)) {
    throw new UserError(`${file}: line ${line}, column ${col}: expected a non-negative number of seconds, found ${describeValue(text)}`);
  }
  if (v > MAX_TRACE_SECONDS) {
    throw new UserError(
      `${file}: line ${line}, column ${col}: ${describeValue(text)} seconds is beyond the limit of ${MAX_TRACE_SECONDS} s (2,500 hours)`,
    );
  }
  return v;
}

/** Read and validate a 2021-format file; arrivals sorted by time (stable). */
export async function readAzure2021(file: string, opts: { durations?: boolean } = {}): Promise<Invocations2021> {
  const fidx = new FunctionIndex();
  const times = new F64Vec(1 << 14);
  const funcs = new I32Vec(1 << 14);
  const durs = opts.durations ? new F64Vec(1 << 14) : null;
  let header = true;
  let short: { line: number; found: number } | null = null;
  for await (const { fields, line } of readCsv(file, '2021 invocation trace')) {
    if (header) {
      if (fields.length !== 4 || fields.some((f, i) => f.trim() !== AZURE2021_HEADER[i])) {
        throw new UserError(
          `${file}: line 1: expected the header ${AZURE2021_HEADER.join(',')}, found ${headerPreview(fields)}`,
        );
      }
      header = false;
      continue;
    }
    if (short) throw new UserError(`${file}: line ${short.line}: expected 4 fields (app,func,end_timestamp,duration), found ${short.found}`);
    if (fields.length !== 4) {
      if (fields.length < 4) {
        short = { line, found: fields.length };
        continue;
      }
      throw new UserError(`${file}: line ${line}: expected 4 fields (app,func,end_timestamp,duration), found ${fields.length}`);
    }
    const end = num(file, line, 'end_timestamp', fields[2]);
    const dur = num(file, line, 'duration', fields[3]);
    if (dur > end) {
      throw new UserError(
        `${file}: line ${line}: duration ${oneLine(fields[3].trim(), 40)} is longer than end_timestamp ${oneLine(fields[2].trim(), 40)}: the arrival (end_timestamp - duration) would be before the trace start`,
      );
    }
    const key = `${fields[0]}:${fields[1]}`;
    const f = fidx.idOf(key);
    fidx.totals.data[f]++;
    times.push(end - dur);
    funcs.push(f);
    durs?.push(dur);
  }
  if (header) throw new UserError(`${file}: the file is empty (expected the header ${AZURE2021_HEADER.join(',')})`);
  if (short) {
    throw new UserError(
      `${file}: line ${short.line}: the last line is cut short: expected 4 fields (app,func,end_timestamp,duration), found ${short.found} (is the file truncated?)`,
    );
  }
  if (times.length === 0) throw new UserError(`${file}: no invocations in the file (only the header line)`);
  const t = times.toArray();
  const order = sortOrder(t);
  const arrivals = new Float64Array(order.length);
  const fs = new Int32Array(order.length);
  const ds = durs ? new Float64Array(order.length) : undefined;
  for (let i = 0; i < order.length; i++) {
    arrivals[i] = t[order[i]];
    fs[i] = funcs.data[order[i]];
    if (ds) ds[i] = durs!.data[order[i]];
  }
  return { ids: fidx.ids, totals: fidx.totals.toArray(), arrivals, funcs: fs, durations: ds };
}

/** Indices sorting `t` ascending, ties by index (stable). Skips the sort when already sorted. */
export function sortOrder(t: Float64Array): Uint32Array {
  const order = new Uint32Array(t.length);
  let sorted = true;
  for (let i = 0; i < t.length; i++) {
    order[i] = i;
    if (i > 0 && t[i] < t[i - 1]) sorted = false;
  }
  if (!sorted) order.sort((a, b) => t[a] - t[b] || a - b);
  return order;
}

export const Azure2021Options = z.strictObject({
  /** The per-invocation trace file (AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt or a sample). */
  file: z.string().min(1),
  /** Trace time replayed first (seconds into the trace by default): "0s", "36h". */
  start: zDuration({ allowZero: true, plainUnit: SEC }).prefault(0),
  /** How much trace time to replay (default: to the end of the trace or of the experiment). */
  length: zDuration({ plainUnit: SEC }).optional(),
  topN: z.number().int().positive().max(MAX_COUNT).optional(),
  mapping: MappingSchema.default('contiguous'),
  /** Replay this many seconds of trace per simulated second. */
  timeCompression: z.number().positive().min(MIN_FACTOR).max(MAX_FACTOR).default(1),
});
export type Azure2021Config = z.output<typeof Azure2021Options>;

export class Azure2021Workload implements Workload {
  private data: Invocations2021 | null = null;
  private end: TraceEnd | null = null;
  private readonly file: string;
  private info: Record<string, unknown> = {};
  constructor(
    private readonly o: Azure2021Config,
    env: WorkloadEnv,
  ) {
    this.file = resolveTracePath(o.file, env.configDir);
  }
  async prepare(): Promise<void> {
    const d = await readAzure2021(this.file);
    const last = d.arrivals[d.arrivals.length - 1];
    const startS = this.o.start / SEC;
    if (startS > last) {
      throw new UserError(
        `workload azure-2021: start ${startS}s is after the last arrival in ${this.file} (at ${last}s): nothing to replay`,
      );
    }
    // The replay ends at the window's end ("length") or at the trace's last arrival, if sooner.
    const endS = this.o.length !== undefined ? Math.min(startS + this.o.length / SEC, last) : last;
    const byLength = this.o.length !== undefined && startS + this.o.length / SEC <= last;
    this.end = {
      at: Math.round(((endS - startS) * SEC) / this.o.timeCompression),
      what: byLength ? `the ${this.o.length! / SEC}s window ("length") of ${this.file}` : `${this.file} (its last arrival)`,
    };
    this.data = d;
  }
  traceEnd(): TraceEnd | null {
    return this.end;
  }
  start(ctx: WorkloadContext): void {
    const d = this.data;
    if (!d) throw new Error('azure-2021: start() before prepare()');
    const F = d.ids.length;
    const ranked = rankByTotal(d.totals, d.ids);
    const used = Math.min(F, this.o.topN ?? F);
    const map = mapRanks(used, ctx.targets.length, this.o.mapping, ctx.rng('mapping'));
    const modelOfFunc = new Int32Array(F).fill(-1);
    for (let i = 0; i < used; i++) modelOfFunc[ranked[i]] = ctx.targets[map[i]];
    // Keep the arrivals inside the window, as simulated ns.
    const startS = this.o.start / SEC;
    const endS = this.o.length !== undefined ? startS + this.o.length / SEC : Infinity;
    const times = new F64Vec(1024);
    const models = new I32Vec(1024);
    for (let i = 0; i < d.arrivals.length; i++) {
      const a = d.arrivals[i];
      const m = modelOfFunc[d.funcs[i]];
      if (a < startS || a >= endS || m < 0) continue;
      times.push(Math.round(((a - startS) * SEC) / this.o.timeCompression));
      models.push(m);
    }
    this.data = null;
    const t = times.toArray();
    const ms = models.toArray();
    this.info = { functions: F, functionsUsed: used, invocationsInWindow: t.length };
    driveArrivals(ctx, new ArrayArrivalSource(t, (i) => ms[i]));
  }
  describe(): Record<string, unknown> {
    return {
      trace: 'azure-2021 per-invocation (arrival = end_timestamp - duration)',
      file: basename(this.file),
      start: `${this.o.start / SEC}s`,
      length: this.o.length !== undefined ? `${this.o.length / SEC}s` : null,
      topN: this.o.topN ?? null,
      mapping: this.o.mapping,
      rankedBy: 'invocations, descending; ties by id',
      timeCompression: this.o.timeCompression,
      ...this.info,
    };
  }
}

export const azure2021Type: WorkloadType<typeof Azure2021Options> = {
  name: 'azure-2021',
  description:
    'Replays the Azure Functions 2021 per-invocation trace (app,func,end_timestamp,duration; arrival = end - duration), functions mapped to models like azure-2019',
  options: Azure2021Options,
  create: (options, env) => new Azure2021Workload(options, env),
};

registerWorkload(azure2021Type);
