/**
 * JSON a person gives (config files, hardware profiles, `--set` values): parse errors with line and
 * column, and no field names that reach into JavaScript's object machinery. `__proto__`,
 * `constructor` and `prototype` are rejected by name wherever they appear, before anything is
 * merged, so no input can change Object.prototype or slip a field past the schemas' unknown-field
 * checks. Nesting is bounded too, so validating cannot exhaust the stack.
 */
import { describeValue, formatPath, UserError } from './errors.js';

/** Field names no input may use. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting of objects and lists accepted (real configs and profiles nest fewer than 10). */
export const MAX_JSON_DEPTH = 64;

/** The message for a reserved field name at `path` (the path of the object holding it). */
export function reservedKeyMessage(where: string, path: ReadonlyArray<string | number>, key: string): string {
  return `${where}: ${path.length > 0 ? `${formatPath(path)}: ` : ''}"${key}" is not allowed as a field name`;
}

/**
 * Throw a UserError if `value` holds a reserved field name (at any depth) or nests deeper than
 * MAX_JSON_DEPTH. `where` starts every message (a file name, or "--set PATH").
 */
export function checkJsonValue(value: unknown, where: string): void {
  const stack: Array<{ v: unknown; path: Array<string | number> }> = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) {
      throw new UserError(`${where}: ${formatPath(path)}: expected at most ${MAX_JSON_DEPTH} levels of nested objects and lists, found more`);
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(v);
    for (const k of keys) if (RESERVED_KEYS.has(k)) throw new UserError(reservedKeyMessage(where, path, k));
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (v as Record<string, unknown>)[keys[i]], path: [...path, keys[i]] });
  }
}

/** " at line L, column C" for a JSON.parse error message that gives a position, else "". */
function lineColumn(text: string, message: string): string {
  const pos = /position (\d+)/.exec(message);
  if (!pos) return '';
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const col = Number(pos[1]) - before.lastIndexOf('\n');
  return ` at line ${line}, column ${col}`;
}

/**
 * Parse the text of `file` as JSON (errors name the line and column when the parser gives a
 * position), then check it with checkJsonValue. `topObject` requires an object at the top level.
 */
export function parseJsonInput(text: string, file: string, opts: { topObject?: boolean } = {}): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new UserError(`${file}: not valid JSON${lineColumn(text, msg)} (${msg.replace(/ in JSON at position \d+.*$/s, '')})`);
  }
  if (opts.topObject && (json === null || typeof json !== 'object' || Array.isArray(json))) {
    throw new UserError(`${file}: expected a JSON object at the top level, found ${describeValue(json)}`);
  }
  checkJsonValue(json, file);
  return json;
}
