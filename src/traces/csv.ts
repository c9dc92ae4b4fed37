/**
 * Streaming CSV reading for trace files: records come one at a time with their line number, and
 * every problem (missing file, empty file, a special file, a csv-parse error, a read error)
 * becomes a UserError naming the file and the line. Numbers in traces are decimal only
 * (docs/traces.md, "Errors").
 */
import { closeSync, constants, createReadStream, existsSync, fstatSync, openSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { UserError } from '../util/errors.js';
import { checkRegularFile, isIoError, rethrowIo } from '../util/io.js';

export interface CsvRecord {
  readonly fields: string[];
  /** 1-based line number of the record in the file. */
  readonly line: number;
}

/** Resolve a trace path: absolute as is; relative against `configDir` first, then the cwd. */
export function resolveTracePath(path: string, configDir?: string): string {
  if (isAbsolute(path)) return path;
  if (configDir) {
    const p = resolve(configDir, path);
    if (existsSync(p)) return p;
  }
  return resolve(path);
}

/**
 * Fails with a UserError unless `file` is a non-empty regular file (never a FIFO or device, which
 * could hang or never end). `what` names the kind of file in messages ("invocations", "trace").
 * Trace files are streamed, so their size is not bounded.
 */
export function checkTraceFile(file: string, what = 'trace'): void {
  const size = checkRegularFile(file, what, Number.MAX_SAFE_INTEGER);
  if (size === 0) throw new UserError(`${file}: the file is empty (expected a CSV header line)`);
}

/**
 * Open a checked trace file for reading. O_NONBLOCK keeps a FIFO swapped in after the check from
 * blocking the open; the descriptor is checked again so only a regular file is streamed.
 */
export function openTraceFile(file: string, what: string): number {
  checkTraceFile(file, what);
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) throw new UserError(`${file}: not a regular file, expected a ${what} file`);
    return fd;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    return rethrowIo(e, file, `read ${what} file`);
  }
}

/**
 * Iterate over the records of a CSV file (header included, as line 1; blank lines skipped). Rows
 * may have any number of fields: callers check the count themselves so that they can say what was
 * expected.
 */
export async function* readCsv(file: string, what = 'trace'): AsyncGenerator<CsvRecord> {
  const fd = openTraceFile(file, what);
  const source = createReadStream('', { fd });
  const parser = source.pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true }));
  // pipe() does not forward the source's errors: a read error ends the iteration below instead.
  source.on('error', (e) => parser.destroy(e));
  let lastLine = 0;
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      lastLine = r.info.lines;
      // A line of spaces (or a stray CR where the file mixes line endings) is a blank line.
      if (r.record.length === 1 && r.record[0].trim() === '') continue;
      yield { fields: r.record, line: r.info.lines };
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (isIoError(e)) rethrowIo(e, file, `read ${what} file`);
    const err = e as Error & { lines?: number; code?: string };
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      // The parser reports where the file ended; the quote opened on the record after the last
      // complete one (trace rows never span lines).
      throw new UserError(`${file}: line ${lastLine + 1}: malformed CSV (a quote opened on this line is never closed)`);
    }
    const line = err.lines !== undefined ? `line ${err.lines}: ` : '';
    const msg = oneLine(String(err.message).replace(/^Invalid (Record Length|Opening Quote|Closing Quote)?:?\s*/, ''), 200);
    throw new UserError(`${file}: ${line}malformed CSV (${msg})`);
  } finally {
    parser.destroy();
    source.destroy();
  }
}

/**
 * File text quoted in a message stays on one line and short: control characters escaped (a quoted
 * CSV field may hold a newline), long text cut.
 */
export function oneLine(text: string, max = 60): string {
  const t = text.length > max ? text.slice(0, max - 3) + '...' : text;
  return t.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** A readable list of the first few names, for "expected ..." messages (one line). */
export function headerPreview(fields: readonly string[], max = 6): string {
  const f = fields.map((x) => oneLine(x, 40));
  if (f.length <= max) return f.join(',');
  return `${f.slice(0, max - 1).join(',')},...,${f[f.length - 1]} (${f.length} columns)`;
}

/** The largest count accepted in one minute of one function (docs/traces.md, "Errors"). */
export const MAX_MINUTE_COUNT = 1_000_000_000;

/**
 * Parse a non-negative integer count written in decimal digits ("12", " 12 ", "12.0"); NaN when
 * the text is not one (hex, signs, exponents, fractions, empty).
 */
export function parseCount(text: string): number {
  // Fast path for the common case of plain digits.
  const n = text.length;
  if (n > 0 && n < 16) {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return parseCountSlow(text);
      v = v * 10 + c;
    }
    return v;
  }
  return parseCountSlow(text);
}

function parseCountSlow(text: string): number {
  const t = text.trim();
  if (!/^[0-9]+(\.0*)?$/.test(t)) return NaN;
  return Number(t);
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * Parse a decimal number: an optional sign, digits with an optional fraction and exponent
 * ("12", "-0.5", "1.5e-3"), surrounding spaces allowed. Anything else is NaN: hex ("0x10"), octal
 * or binary prefixes, "Infinity", digit separators, an empty field. Too large a value gives
 * +-Infinity, which callers report as out of range.
 */
export function parseDecimal(text: string): number {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : NaN;
}

/**
 * The longest span of trace time accepted (seconds): 9,000,000 s (2,500 hours, about 104 days), so
 * that every arrival time stays an exact integer of nanoseconds (below 2^53 ns).
 */
export const MAX_TRACE_SECONDS = 9_000_000;

/** A growable typed array of doubles. */
export class F64Vec {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
  /** The values pushed, without a copy: a view of the storage, for a vector that is done growing. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** A growable typed array of 32-bit signed integers. */
export class I32Vec {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
  /** The values pushed, without a copy: a view of the storage, for a vector that is done growing. */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}
