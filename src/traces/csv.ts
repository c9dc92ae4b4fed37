/**
 * Streaming CSV reading for trace files: records come one at a time with their line number, and
 * every problem (missing file, empty file, a csv-parse error) becomes a UserError naming the file
 * and the line.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { UserError } from '../util/errors.js';

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

/** Fails with a UserError unless `file` is a readable, non-empty regular file. */
export function checkTraceFile(file: string, what = 'trace file'): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UserError(`${file}: ${what} not found`);
  }
  if (!st.isFile()) throw new UserError(`${file}: expected a ${what}, found a directory or special file`);
  if (st.size === 0) throw new UserError(`${file}: the file is empty (expected a CSV header line)`);
}

/**
 * Iterate over the records of a CSV file (header included, as line 1). Rows may have any number
 * of fields: callers check the count themselves so that they can say what was expected.
 */
export async function* readCsv(file: string, what?: string): AsyncGenerator<CsvRecord> {
  checkTraceFile(file, what);
  const parser = createReadStream(file).pipe(
    parse({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true }),
  );
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { fields: r.record, line: r.info.lines };
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = e as Error & { lines?: number; code?: string };
    const line = err.lines !== undefined ? `line ${err.lines}: ` : '';
    const msg = err.message.replace(/^Invalid (Record Length|Opening Quote|Closing Quote)?:?\s*/, '');
    throw new UserError(`${file}: ${line}malformed CSV (${msg})`);
  } finally {
    parser.destroy();
  }
}

/** A readable list of the first few names, for "expected ..." messages. */
export function headerPreview(fields: readonly string[], max = 6): string {
  if (fields.length <= max) return fields.join(',');
  return `${fields.slice(0, max - 1).join(',')},...,${fields[fields.length - 1]} (${fields.length} columns)`;
}

/** Parse a non-negative integer count; NaN when the text is not one. */
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
}
