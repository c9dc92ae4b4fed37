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

/**
 * Offset of the first JSON syntax error in `t` (t.length when it ends too early), found by a small
 * scanner of the JSON grammar: JSON.parse's messages give no position for many errors.
 */
export function jsonErrorOffset(t: string): number {
  let i = 0;
  let depth = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = (): void => {
    while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  };
  const str = (): void => {
    i++;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 92) {
        const e = t[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) fail();
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail();
        i += 2;
        continue;
      }
      i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = t[i];
    if (c === '{' || c === '[') {
      if (++depth > 1_000) fail(); // deeper than any config (checkJsonValue allows 64 levels)
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (t[i] === close) {
        i++;
        depth--;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (t[i] !== '"') fail();
          str();
          ws();
          if (t[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (t[i] === ',') {
          i++;
          continue;
        }
        if (t[i] === close) {
          i++;
          depth--;
          return;
        }
        fail();
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(t.slice(i, i + 1000));
      if (!m) fail();
      i += m![0].length;
      return;
    }
    for (const w of ['true', 'false', 'null']) {
      if (t.startsWith(w, i)) {
        i += w.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    ws();
    if (i < t.length) fail();
    return -1;
  } catch (p) {
    if (typeof p === 'number') return p;
    throw p;
  }
}

/** JSON.parse's message, without its position and quoted excerpt, on one line. */
function oneLineJsonMessage(msg: string): string {
  const short = msg.replace(/ (in|after) JSON at position \d+.*$/s, '').replace(/, (\.\.\.)?".*is not valid JSON$/s, '');
  return short.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 120);
}

/** " at line L, column C" of the first syntax error in `text` ("" if none is found). */
function lineColumn(text: string): string {
  const pos = jsonErrorOffset(text);
  if (pos < 0) return '';
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${col}${pos >= text.length ? ' (the text ends too early)' : ''}`;
}

/**
 * Parse the text of `file` as JSON (errors name the line and column when the parser gives a
 * position), then check it with checkJsonValue. `topObject` requires an object at the top level.
 */
export function parseJsonInput(text: string, file: string, opts: { topObject?: boolean } = {}): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // an editor's byte-order mark is fine
  } catch (e) {
    const msg = (e as Error).message;
    const why = oneLineJsonMessage(msg);
    throw new UserError(`${file}: not valid JSON${lineColumn(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)} (${why})`);
  }
  if (opts.topObject && (json === null || typeof json !== 'object' || Array.isArray(json))) {
    throw new UserError(`${file}: expected a JSON object at the top level, found ${describeValue(json)}`);
  }
  checkJsonValue(json, file);
  return json;
}
