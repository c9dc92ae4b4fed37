/**
 * CSV as servesim writes and reads it, through the csv-parse family (RFC 4180): a cell holding a
 * comma, a quote, CR or LF is quoted with its quotes doubled. Cells are written as strings as
 * they are, numbers as String(x), booleans as true/false, null and undefined as empty, anything
 * else as JSON. Records end with "\n".
 */
import { parse } from 'csv-parse/sync';
import { stringify, type Options } from 'csv-stringify/sync';

const WRITE: Options = { cast: { boolean: (v) => String(v) } };
const WRITE_LINE: Options = { ...WRITE, eof: false };

/** CSV text of the records, each ended by "\n" ('' for none). */
export function csvText(records: readonly (readonly unknown[])[]): string {
  return records.length === 0 ? '' : stringify(records as unknown[][], WRITE);
}

/** One record without its line end. */
export function csvLine(cells: readonly unknown[]): string {
  return stringify([cells as unknown[]], WRITE_LINE);
}

/** One cell, quoted if it must be. */
export function csvCell(v: unknown): string {
  return csvLine([v]);
}

/** The records of CSV text (any line ends; blank lines skipped; rows may differ in length). */
export function parseCsv(text: string): string[][] {
  return parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
}

/** CSV of objects: one column per key (in order of first appearance), a header line first. */
export function recordsCsv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return csvText([cols, ...rows.map((r) => cols.map((c) => r[c]))]);
}
