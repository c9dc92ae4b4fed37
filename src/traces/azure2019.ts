/**
 * The Azure Functions 2019 trace (Shahrad et al., ATC'20): `invocations_per_function_md.anon.dNN.csv`
 * files with one row per function and 1440 per-minute invocation counts. Reading streams the file
 * once and keeps only the non-zero counts of the minutes the experiment will replay; at start the
 * functions are ranked by daily total, mapped onto the target models and merged into one sparse
 * count series per model (see minute-arrivals.ts for how arrivals are generated from it).
 */
import { closeSync, read } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { MIN, SEC } from '../sim/time.js';
import { describeValue, UserError } from '../util/errors.js';
import { MAX_COUNT, MAX_FACTOR, MIN_FACTOR, zDuration } from '../util/units-zod.js';
import {
  F64Vec,
  I32Vec,
  headerPreview,
  MAX_MINUTE_COUNT,
  oneLine,
  openTraceFile,
  parseCount,
  readCsv,
  resolveTracePath,
} from './csv.js';
import { rethrowIo } from '../util/io.js';
import { FunctionIndex, mapRanks, MappingSchema, rankByTotal } from './mapping.js';
import { MinuteArrivalSource, type MinuteSeries, type Ramp } from './minute-arrivals.js';
import { registerWorkload, type WorkloadEnv, type WorkloadType } from './registry.js';
import { driveArrivals } from './arrivals.js';
import type { TraceEnd, Workload, WorkloadContext } from '../sim/workload.js';

export const MINUTES_PER_DAY = 1440;
export const INVOCATION_KEY_COLUMNS = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const;
export const INVOCATION_HEADER: readonly string[] = [
  ...INVOCATION_KEY_COLUMNS,
  ...Array.from({ length: MINUTES_PER_DAY }, (_, i) => String(i + 1)),
];
export const TRIGGERS = ['http', 'timer', 'event', 'queue', 'storage', 'orchestration', 'others'] as const;

export const invocationFileName = (day: number): string =>
  `invocations_per_function_md.anon.d${String(day).padStart(2, '0')}.csv`;
export const durationFileName = (day: number): string =>
  `function_durations_percentiles.anon.d${String(day).padStart(2, '0')}.csv`;
export const memoryFileName = (day: number): string =>
  `app_memory_percentiles.anon.d${String(day).padStart(2, '0')}.csv`;

const EXPECTED_HEADER_TEXT = 'HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440';

/** Check an invocations file's header; throws a UserError naming the file and what is wrong. */
export function checkInvocationHeader(file: string, fields: readonly string[]): void {
  const name = file;
  for (let i = 0; i < INVOCATION_KEY_COLUMNS.length; i++) {
    if (fields[i]?.trim() !== INVOCATION_KEY_COLUMNS[i]) {
      throw new UserError(
        `${name}: line 1: expected the header ${EXPECTED_HEADER_TEXT}, found ${headerPreview(fields)} ` +
          `(is this an invocations_per_function_md file?)`,
      );
    }
  }
  const minutes = fields.length - INVOCATION_KEY_COLUMNS.length;
  if (minutes !== MINUTES_PER_DAY) {
    throw new UserError(
      `${name}: line 1: expected ${MINUTES_PER_DAY} minute columns (1..1440) after Trigger, found ${minutes}`,
    );
  }
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const f = fields[i + INVOCATION_KEY_COLUMNS.length].trim();
    if (f !== String(i + 1)) {
      throw new UserError(
        `${name}: line 1: column ${i + 5} should be minute "${i + 1}", found ${describeValue(f)}`,
      );
    }
  }
}

export interface InvocationRow {
  readonly owner: string;
  readonly app: string;
  readonly func: string;
  readonly trigger: string;
  /** 1440 counts. */
  readonly counts: Float64Array;
  readonly line: number;
}

/**
 * Stream the rows of an invocations file, validated: a header with exactly 1440 minute columns,
 * 1444 fields per row, non-negative integer counts in decimal of at most MAX_MINUTE_COUNT, at
 * least one row. The `counts` array is reused between rows.
 *
 * A day file is ~144 MB of digits and commas, too slow for a general CSV parser (csv-parse took
 * 15-40 s a day). The rows are therefore scanned from the bytes by `plainRows` as long as the
 * file keeps to the plain layout of the published trace; from the first line that does not (a
 * quote, a space, "12.0", a blank line, mixed line endings, an error of any kind), the CSV reader
 * `csvInvocationRows` takes over from that row. It is the reference for every rule and message, so
 * both ways give the same rows and the same errors (docs/traces.md, "Reading day files").
 */
export async function* readInvocationRows(file: string): AsyncGenerator<InvocationRow> {
  const counts = new Float64Array(MINUTES_PER_DAY);
  const done = { rows: 0 };
  if (yield* plainRows(file, counts, done)) return;
  yield* csvInvocationRows(file, counts, done.rows);
}

/**
 * The rows of an invocations file through the CSV reader (csv-parse), validated as
 * readInvocationRows says; the first `skip` rows are validated but not yielded.
 */
export async function* csvInvocationRows(
  file: string,
  counts = new Float64Array(MINUTES_PER_DAY),
  skip = 0,
): AsyncGenerator<InvocationRow> {
  const width = INVOCATION_HEADER.length;
  let header = true;
  let rows = 0;
  let short: { line: number; found: number } | null = null;
  for await (const { fields, line } of readCsv(file, '2019 invocations')) {
    if (header) {
      checkInvocationHeader(file, fields);
      header = false;
      continue;
    }
    if (short) {
      throw new UserError(`${file}: line ${short.line}: expected ${width} fields (4 ids and 1440 minute counts), found ${short.found}`);
    }
    if (fields.length !== width) {
      if (fields.length < width) {
        short = { line, found: fields.length };
        continue;
      }
      throw new UserError(`${file}: line ${line}: expected ${width} fields (4 ids and 1440 minute counts), found ${fields.length}`);
    }
    for (let i = 0; i < MINUTES_PER_DAY; i++) {
      const text = fields[i + 4];
      const v = parseCount(text);
      if (!(v >= 0)) {
        throw new UserError(
          `${file}: line ${line}, column ${i + 5} (minute ${i + 1}): expected a non-negative integer count, found ${describeValue(text)}`,
        );
      }
      if (v > MAX_MINUTE_COUNT) {
        throw new UserError(
          `${file}: line ${line}, column ${i + 5} (minute ${i + 1}): count ${oneLine(text.trim(), 40)} is above the limit of ${MAX_MINUTE_COUNT} invocations of one function in one minute`,
        );
      }
      counts[i] = v;
    }
    if (++rows <= skip) continue;
    yield { owner: fields[0], app: fields[1], func: fields[2], trigger: fields[3], counts, line };
  }
  if (header) throw new UserError(`${file}: the file is empty (expected the header ${EXPECTED_HEADER_TEXT})`);
  if (short) {
    throw new UserError(
      `${file}: line ${short.line}: the last line is cut short: expected ${width} fields (4 ids and 1440 minute counts), found ${short.found} (is the file truncated?)`,
    );
  }
  if (rows === 0) throw new UserError(`${file}: no invocations in the file (only the header line, no function rows)`);
}

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const ZERO = 0x30;
const READ_CHUNK = 1 << 20;
const readAsync = promisify(read);

/**
 * The fast reader of readInvocationRows: yields the rows of a file in the plain layout and returns
 * true at its end, or returns false at the first line it leaves to the CSV reader (`done.rows`
 * rows yielded before it). Plain means: an optional UTF-8 byte-order mark; lines ending all in LF
 * or all in CRLF (as the header does); the header and ids in printable ASCII without quotes; 1444
 * fields on every line after the header but empty ones, which are skipped (the CSV reader skips
 * them too); counts of plain digits (no sign, space or fraction) of at most MAX_MINUTE_COUNT; at
 * least one row. Where csv-parse reads such a line, it gives the same fields (no quoting, no
 * trimming, no other special character) and the same line numbers (one record a line), so the rows
 * are those csvInvocationRows yields. Exported for the tests.
 */
export async function* plainRows(file: string, counts: Float64Array, done: { rows: number }): AsyncGenerator<InvocationRow, boolean> {
  const fd = openTraceFile(file, '2019 invocations');
  let buf = Buffer.allocUnsafe(2 * READ_CHUNK);
  let len = 0; // bytes of buf holding file data
  let pos = 0; // start of the next line in buf
  let eof = false;
  let line = 0;
  let crlf = false;
  const ids = ['', '', '', ''];
  try {
    for (;;) {
      let nl = buf.indexOf(LF, pos);
      if (nl >= len) nl = -1;
      let end: number; // end of the line's text, line ending excluded
      if (nl >= 0) {
        end = nl;
      } else if (!eof) {
        // Keep the partial line, make room (a line may be longer than a chunk) and read on.
        buf.copy(buf, 0, pos, len);
        len -= pos;
        pos = 0;
        if (buf.length - len < READ_CHUNK) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        let n: number;
        try {
          n = (await readAsync(fd, buf, len, buf.length - len, null)).bytesRead;
        } catch (e) {
          return rethrowIo(e, file, 'read 2019 invocations file');
        }
        len += n;
        if (n === 0) eof = true;
        continue;
      } else if (pos < len) {
        end = len; // a last line without a line ending
      } else {
        return done.rows > 0; // at least one row after the header (else the CSV reader says so)
      }
      line++;
      if (line === 1) {
        if (end - pos >= 3 && buf[pos] === 0xef && buf[pos + 1] === 0xbb && buf[pos + 2] === 0xbf) pos += 3;
        crlf = nl >= 0 && end > pos && buf[end - 1] === CR;
      }
      if (crlf) {
        if (nl >= 0 && !(end > pos && buf[end - 1] === CR)) return false;
        if (nl >= 0) end--;
      }
      if (end === pos && line > 1) {
        // An empty line: skipped, as the CSV reader skips it (its line still counts).
        pos = nl >= 0 ? nl + 1 : len;
        continue;
      }
      if (line === 1) {
        if (plainText(buf, pos, end, -1) < 0) return false;
        try {
          checkInvocationHeader(file, buf.toString('latin1', pos, end).split(','));
        } catch {
          return false;
        }
      } else {
        if (!plainRow(buf, pos, end, ids, counts)) return false;
        done.rows++;
        yield { owner: ids[0], app: ids[1], func: ids[2], trigger: ids[3], counts, line };
      }
      pos = nl >= 0 ? nl + 1 : len;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether buf[from, to) is printable ASCII without a quote (and without a comma when `stop` is a
 * comma); returns the index of the first `stop` byte found (or `to`), or -1 for another byte.
 */
function plainText(buf: Buffer, from: number, to: number, stop: number): number {
  for (let p = from; p < to; p++) {
    const c = buf[p];
    if (c === stop) return p;
    if (c < 0x20 || c > 0x7e || c === QUOTE) return -1;
  }
  return to;
}

/** Parse a plain row of buf[from, to) into `ids` and `counts`; false when it is not one. */
function plainRow(buf: Buffer, from: number, to: number, ids: string[], counts: Float64Array): boolean {
  let p = from;
  for (let k = 0; k < INVOCATION_KEY_COLUMNS.length; k++) {
    const comma = plainText(buf, p, to, COMMA);
    if (comma < 0 || comma === to) return false;
    ids[k] = buf.toString('latin1', p, comma);
    p = comma + 1;
  }
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const start = p;
    let v = 0;
    for (; p < to; p++) {
      const d = buf[p] - ZERO;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (p === start || v > MAX_MINUTE_COUNT) return false;
    counts[i] = v;
    // A count ends at a comma, the last one at the end of the line.
    if (i < MINUTES_PER_DAY - 1 ? p >= to || buf[p] !== COMMA : p !== to) return false;
    p++;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The workload type.

const RampSchema = z.strictObject({
  start: z.number().positive().max(MAX_FACTOR).default(0.1),
  factor: z.number().positive().max(MAX_FACTOR).default(1.5),
  every: zDuration().prefault('60s'),
  max: z.number().positive().max(MAX_FACTOR).default(4),
});

export const SpreadSchema = z.enum(['poisson', 'uniform', 'even', 'gamma']);

export const Azure2019Options = z
  .strictObject({
    /** Directory holding invocations_per_function_md.anon.dNN.csv files (with `days`). */
    dir: z.string().min(1).optional(),
    /** Explicit invocation files, one per day, replayed in this order (instead of dir + days). */
    files: z.array(z.string().min(1)).min(1).optional(),
    /** Day numbers (1..14) read from `dir`, replayed in this order. */
    days: z.union([z.number().int().min(1).max(99), z.array(z.number().int().min(1).max(99)).min(1)]).default(1),
    /** First replayed minute, counted from midnight of the first day (0-based). */
    startMinute: z.number().int().min(0).max(99 * 1440).default(0),
    /** Minutes replayed; by default until the experiment ends, wrapping around after the last day. */
    minutes: z.number().int().positive().max(99 * 1440).optional(),
    /** Keep only the N functions with the most invocations. */
    topN: z.number().int().positive().max(MAX_COUNT).optional(),
    mapping: MappingSchema.default('contiguous'),
    /** Multiplies every count. Default 1, or loadFactor x perWorker x workers when loadFactor is given. */
    scale: z.number().positive().max(MAX_FACTOR).optional(),
    /** Clockwork's load factor: a number, or a ramp {start, factor, every, max} (fig11). */
    loadFactor: z.union([z.number().positive().max(MAX_FACTOR), RampSchema]).optional(),
    perWorker: z.number().positive().max(MAX_FACTOR).default(0.125),
    /** Clockwork's num_workers in scale = loadFactor x perWorker x workers (default: the cluster's workers). */
    workers: z.number().int().positive().max(MAX_COUNT).optional(),
    spread: SpreadSchema.default('poisson'),
    /** Coefficient of variation of the gaps for spread "gamma". */
    cv: z.number().positive().max(MAX_FACTOR).optional(),
    /** Replay this many trace minutes per simulated minute. */
    timeCompression: z.number().positive().min(MIN_FACTOR).max(MAX_FACTOR).default(1),
  })
  .superRefine((o, ctx) => {
    if ((o.dir === undefined) === (o.files === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['dir'], message: 'give either "dir" (with "days") or "files"' });
    }
    if (o.scale !== undefined && o.loadFactor !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'give either "scale" or "loadFactor", not both' });
    }
    if (o.spread === 'gamma' && o.cv === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cv'], message: 'spread "gamma" needs "cv" (coefficient of variation)' });
    }
    if (o.spread !== 'gamma' && o.cv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['cv'], message: '"cv" applies only to spread "gamma"' });
    }
  });
export type Azure2019Config = z.output<typeof Azure2019Options>;

/** Per-function data gathered from the files: the kept non-zero minutes of each (function, day) row. */
interface LoadedTrace {
  ids: string[];
  totals: Float64Array;
  rowFunc: Int32Array;
  /** Row r's entries are rowStart[r] .. rowStart[r+1]-1. */
  rowStart: Int32Array;
  positions: Int32Array;
  counts: Float64Array;
  /** Sum of counts in the kept positions (before scaling). */
  keptInvocations: number;
}

/** Read invocation files, keeping per row the counts of window positions < keep (position = (minute - start) mod cycle). */
export async function loadInvocations(
  files: readonly string[],
  startMinute: number,
  keep: number,
  onProgress?: (file: string, rows: number) => void,
): Promise<LoadedTrace> {
  const cycle = files.length * MINUTES_PER_DAY;
  const fidx = new FunctionIndex();
  const rowFunc = new I32Vec();
  const rowStart = new I32Vec();
  const positions = new I32Vec(1 << 16);
  const counts = new F64Vec(1 << 16);
  let kept = 0;
  for (let d = 0; d < files.length; d++) {
    let rows = 0;
    let fileTotal = 0;
    for await (const row of readInvocationRows(files[d])) {
      const key = `${row.owner}:${row.app}:${row.func}`;
      const f = fidx.idOf(key);
      let total = 0;
      rowFunc.push(f);
      rowStart.push(positions.length);
      for (let i = 0; i < MINUTES_PER_DAY; i++) {
        const c = row.counts[i];
        if (c === 0) continue;
        total += c;
        let p = d * MINUTES_PER_DAY + i - startMinute;
        if (p < 0) p += cycle;
        if (p < keep) {
          positions.push(p);
          counts.push(c);
          kept += c;
        }
      }
      fidx.totals.data[f] += total;
      fileTotal += total;
      if (++rows % 5000 === 0) onProgress?.(files[d], rows);
    }
    if (fileTotal === 0) throw new UserError(`${files[d]}: no invocations in the file (every count of its ${rows} function row(s) is 0)`);
  }
  rowStart.push(positions.length);
  return {
    ids: fidx.ids,
    totals: fidx.totals.toArray(),
    rowFunc: rowFunc.toArray(),
    rowStart: rowStart.toArray(),
    // Views, not copies: a day's entries are ~100 MB, and the trace lives only until start().
    positions: positions.view(),
    counts: counts.view(),
    keptInvocations: kept,
  };
}

/**
 * Merge rows into one sparse series per model. `modelOfFunc[f]` is the series index of function f
 * (or -1 to drop it).
 */
export function mergeSeries(t: LoadedTrace, modelOfFunc: Int32Array, models: number, keep: number): MinuteSeries {
  const rows = t.rowFunc.length;
  // Rows grouped by model (counting sort).
  const rowsPer = new Int32Array(models + 1);
  for (let r = 0; r < rows; r++) {
    const m = modelOfFunc[t.rowFunc[r]];
    if (m >= 0) rowsPer[m + 1]++;
  }
  for (let m = 0; m < models; m++) rowsPer[m + 1] += rowsPer[m];
  const fill = rowsPer.slice(0, models);
  const byModel = new Int32Array(rowsPer[models]);
  for (let r = 0; r < rows; r++) {
    const m = modelOfFunc[t.rowFunc[r]];
    if (m >= 0) byModel[fill[m]++] = r;
  }
  const scratch = new Float64Array(keep);
  const touched = new I32Vec();
  const starts = new Int32Array(models + 1);
  const offsets = new I32Vec(1 << 12);
  const counts = new F64Vec(1 << 12);
  for (let m = 0; m < models; m++) {
    touched.length = 0;
    for (let k = rowsPer[m]; k < rowsPer[m + 1]; k++) {
      const r = byModel[k];
      for (let e = t.rowStart[r]; e < t.rowStart[r + 1]; e++) {
        const p = t.positions[e];
        if (scratch[p] === 0) touched.push(p);
        scratch[p] += t.counts[e];
      }
    }
    const ps = touched.data.subarray(0, touched.length).sort();
    for (const p of ps) {
      offsets.push(p);
      counts.push(scratch[p]);
      scratch[p] = 0;
    }
    starts[m + 1] = offsets.length;
  }
  return { starts, offsets: offsets.toArray(), counts: counts.toArray() };
}

function resolveFiles(o: Azure2019Config, env: WorkloadEnv): { files: string[]; days: number[] | null } {
  if (o.files) return { files: o.files.map((f) => resolveTracePath(f, env.configDir)), days: null };
  const days = typeof o.days === 'number' ? [o.days] : o.days;
  const dir = resolveTracePath(o.dir!, env.configDir);
  return { files: days.map((d) => join(dir, invocationFileName(d))), days };
}

export interface ResolvedScale {
  scale: number;
  ramp?: Ramp;
  how: string;
}

export function resolveScale(
  o: { scale?: number; loadFactor?: number | Ramp; perWorker: number; workers?: number },
  env: { workers: number },
): ResolvedScale {
  if (o.scale !== undefined) return { scale: o.scale, how: 'scale' };
  if (o.loadFactor === undefined) return { scale: 1, how: 'default' };
  const workers = o.workers ?? env.workers;
  const base = o.perWorker * workers;
  if (typeof o.loadFactor === 'number') {
    return { scale: o.loadFactor * base, how: `loadFactor ${o.loadFactor} x perWorker ${o.perWorker} x workers ${workers}` };
  }
  return {
    scale: base,
    ramp: o.loadFactor,
    how: `ramped loadFactor x perWorker ${o.perWorker} x workers ${workers}`,
  };
}

export class Azure2019Workload implements Workload {
  private trace: LoadedTrace | null = null;
  private readonly files: string[];
  private readonly days: number[] | null;
  private readonly scale: ResolvedScale;
  private readonly minuteNs: number;
  private readonly cycle: number;
  private readonly windowMinutes: number;
  private readonly keep: number;
  private info: Record<string, unknown> = {};

  constructor(
    private readonly o: Azure2019Config,
    env: WorkloadEnv,
  ) {
    const r = resolveFiles(o, env);
    this.files = r.files;
    this.days = r.days;
    this.scale = resolveScale(o, env);
    this.minuteNs = MIN / o.timeCompression;
    this.cycle = this.files.length * MINUTES_PER_DAY;
    if (o.startMinute >= this.cycle) {
      throw new UserError(
        `workload azure-2019: startMinute ${o.startMinute} is beyond the ${this.files.length} day(s) loaded (${this.cycle} minutes)`,
      );
    }
    // Without "minutes" the replay runs until the experiment ends (env.duration), wrapping around.
    this.windowMinutes = o.minutes ?? Math.max(1, Math.ceil(env.duration / this.minuteNs));
    this.keep = Math.min(this.cycle, this.windowMinutes);
  }

  async prepare(): Promise<void> {
    this.trace = await loadInvocations(this.files, this.o.startMinute, this.keep);
  }

  start(ctx: WorkloadContext): void {
    const t = this.trace;
    if (!t) throw new Error('azure-2019: start() before prepare()');
    const F = t.ids.length;
    const ranked = rankByTotal(t.totals, t.ids);
    const used = Math.min(F, this.o.topN ?? F);
    const M = ctx.targets.length;
    const map = mapRanks(used, M, this.o.mapping, ctx.rng('mapping'));
    const modelOfFunc = new Int32Array(F).fill(-1);
    for (let i = 0; i < used; i++) modelOfFunc[ranked[i]] = map[i];
    const series = mergeSeries(t, modelOfFunc, M, this.keep);
    let replayed = 0;
    for (let i = 0; i < series.counts.length; i++) replayed += series.counts[i];
    this.trace = null; // the per-function rows are no longer needed
    this.info.functions = F;
    this.info.functionsUsed = used;
    this.info.modelsWithArrivals = Array.from({ length: M }, (_, m) => series.starts[m + 1] > series.starts[m]).filter(Boolean).length;
    this.info.invocationsInWindow = replayed;
    const source = new MinuteArrivalSource({
      series,
      models: ctx.targets,
      cycle: this.cycle,
      minutes: this.o.minutes ?? Infinity,
      minuteNs: this.minuteNs,
      scale: this.scale.scale,
      ramp: this.scale.ramp,
      spread: this.o.spread,
      cv: this.o.cv,
      rng: ctx.rng('arrivals'),
      end: ctx.end,
    });
    driveArrivals(ctx, source);
  }

  /** With `minutes` the replay stops at the window's end; without, it wraps around until the run ends. */
  traceEnd(): TraceEnd | null {
    if (this.o.minutes === undefined) return null;
    return {
      at: Math.round(this.o.minutes * this.minuteNs),
      what: `the ${this.o.minutes}-minute window ("minutes") of ${this.files.join(', ')}`,
    };
  }

  describe(): Record<string, unknown> {
    const o = this.o;
    return {
      trace: 'azure-2019 invocations_per_function_md',
      files: this.files.map((f) => basename(f)),
      ...(this.days ? { days: this.days } : {}),
      startMinute: o.startMinute,
      minutes: o.minutes ?? null,
      windowMinutes: this.windowMinutes,
      wrapsAround: o.startMinute + this.windowMinutes > this.cycle,
      topN: o.topN ?? null,
      mapping: o.mapping,
      rankedBy: 'total invocations over the loaded days, descending; ties by id',
      scale: this.scale.scale,
      scaleFrom: this.scale.how,
      ...(this.scale.ramp
        ? { loadFactorRamp: { ...this.scale.ramp, every: `${this.scale.ramp.every / SEC}s` } }
        : typeof o.loadFactor === 'number'
          ? { loadFactor: o.loadFactor }
          : {}),
      spread: o.spread,
      ...(o.cv !== undefined ? { cv: o.cv } : {}),
      fractionalCounts: o.spread === 'even' || o.spread === 'uniform' ? 'carried to the next minute' : 'poisson mean',
      timeCompression: o.timeCompression,
      zeroMinutes: 'skipped',
      ...this.info,
    };
  }
}

export const azure2019Type: WorkloadType<typeof Azure2019Options> = {
  name: 'azure-2019',
  description:
    'Replays Azure Functions 2019 invocations_per_function_md day files: functions ranked by daily total and mapped to models (contiguous/stripe/random), per-minute counts x scale spread inside each minute (poisson/uniform/even/gamma)',
  options: Azure2019Options,
  create: (options, env) => new Azure2019Workload(options, env),
};

registerWorkload(azure2019Type);
