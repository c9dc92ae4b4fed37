/**
 * Field catalogues for the fuzz suite, read from the zod schemas themselves (the experiment config,
 * the hardware profile, and every registered scheduler's and workload's options), and the bad
 * values to try on each kind of field.
 *
 * The schemas only tell us where the fields are and what kind each is (a duration, a size, an
 * integer, an enum...); which values are bad is decided here, independently of the schema, so that
 * a schema that accepts "1e999s" or 1e300 is caught rather than trusted.
 */
import type { z } from 'zod';

export type Path = Array<string | number>;

export type Kind =
  | 'duration'
  | 'size'
  | 'rate'
  | 'bandwidth'
  | 'int'
  | 'number'
  | 'string'
  | 'boolean'
  | 'enum'
  | 'array'
  | 'union'
  | 'object'
  | 'record'
  | 'other';

export interface Field {
  path: Path;
  kind: Kind;
  required: boolean;
  /** JSON types a union takes (string, number, boolean, array, object). */
  members?: string[];
  /** Enum and literal values. */
  values?: unknown[];
  /** Whether the schema takes "" (strings). */
  emptyOk?: boolean;
}

/** A JSON value, plus Infinity/-Infinity written as 1e999/-1e999 and own "__proto__" keys. */
export type Json = unknown;

type AnyZod = z.ZodType & { _zod: { def: Record<string, any> } };

const WRAPPERS = ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'];

/** The schema under optional/default/prefault wrappers, and whether the field may be left out. */
export function unwrap(s: AnyZod): { inner: AnyZod; required: boolean } {
  let t = s;
  let required = true;
  while (WRAPPERS.includes(t._zod.def.type)) {
    if (t._zod.def.type !== 'nullable' && t._zod.def.type !== 'readonly') required = false;
    t = t._zod.def.innerType;
  }
  return { inner: t, required };
}

function accepts(s: AnyZod, v: unknown): boolean {
  try {
    return s.safeParse(v).success;
  } catch {
    return false;
  }
}

/** The kind of a field, from its (unwrapped) schema: probed with typical values for quantities. */
function jsonType(s: AnyZod): string {
  const t = s._zod.def.type;
  if (t === 'pipe') return 'quantity';
  if (t === 'literal' || t === 'enum') return typeof [...(s._zod.def.values ?? Object.values(s._zod.def.entries ?? {}))][0];
  if (t === 'record') return 'object';
  return t;
}

export function kindOf(inner: AnyZod): { kind: Kind; values?: unknown[]; emptyOk?: boolean; members?: string[] } {
  const def = inner._zod.def;
  switch (def.type) {
    case 'pipe': {
      // Quantities: union(string, number) -> transform. Which one is told by what it parses.
      if (accepts(inner, '5ms')) return { kind: 'duration' };
      if (accepts(inner, '10Gbit/s')) return { kind: 'bandwidth' };
      if (accepts(inner, '16MiB')) return { kind: 'size' };
      if (accepts(inner, '200/s')) return { kind: 'rate' };
      return { kind: 'other' };
    }
    case 'number':
      return { kind: accepts(inner, 1.5) ? 'number' : 'int' };
    case 'string':
      return { kind: 'string', emptyOk: accepts(inner, '') };
    case 'boolean':
      return { kind: 'boolean' };
    case 'enum':
      return { kind: 'enum', values: Object.values(def.entries) };
    case 'literal':
      return { kind: 'enum', values: [...def.values] };
    case 'array':
      return { kind: 'array' };
    case 'union':
      return { kind: 'union', members: (def.options as AnyZod[]).map((o) => jsonType(unwrap(o).inner)) };
    case 'object':
      return { kind: 'object' };
    case 'record':
      return { kind: 'record' };
    default:
      return { kind: 'other' };
  }
}

/**
 * Every field of `schema`, guided by `value` (records and arrays are walked through the keys and
 * elements the value has). Paths are relative to `prefix`.
 */
export function fieldsOf(schema: z.ZodType, value: unknown, prefix: Path = []): Field[] {
  const out: Field[] = [];
  const walk = (s: AnyZod, v: unknown, path: Path, required: boolean): void => {
    const { inner, required: req } = unwrap(s);
    const k = kindOf(inner);
    if (path.length > prefix.length) out.push({ path, kind: k.kind, required: required && req, values: k.values, emptyOk: k.emptyOk, members: k.members });
    const def = inner._zod.def;
    if (def.type === 'object') {
      const shape = (inner as unknown as { shape: Record<string, AnyZod> }).shape;
      for (const [key, child] of Object.entries(shape)) {
        walk(child, (v as Record<string, unknown> | undefined)?.[key], [...path, key], true);
      }
    } else if (def.type === 'array' && Array.isArray(v)) {
      const el = unwrap(def.element).inner;
      // An element of a list or an entry of a record may be left out (when the rest stays valid).
      if (el._zod.def.type === 'object') v.forEach((item, i) => walk(def.element, item, [...path, i], false));
    } else if (def.type === 'record' && v && typeof v === 'object') {
      for (const key of Object.keys(v)) walk(def.valueType, (v as Record<string, unknown>)[key], [...path, key], false);
    }
  };
  walk(schema as AnyZod, value, prefix, true);
  return out;
}

// ------------------------------------------------------------------ bad values

export interface BadValue {
  value: Json;
  /** Class of the mutation, e.g. "duration:1e999s" (failures are grouped by it). */
  kind: string;
  expect: 'reject' | 'either';
}

const r = (value: Json, kind: string): BadValue => ({ value, kind, expect: 'reject' });
const e = (value: Json, kind: string): BadValue => ({ value, kind, expect: 'either' });

/** Values of the wrong JSON type for a field. */
function wrongTypes(f: Field): BadValue[] {
  const takes = (t: string): boolean =>
    f.kind === 'union' ? (f.members ?? []).includes(t) : t === 'object' ? f.kind === 'object' || f.kind === 'record' : t === 'array' ? f.kind === 'array' : f.kind === 'boolean';
  const out: BadValue[] = [r(null, 'null')];
  if (!takes('object')) out.push(r({}, 'wrong-type:object'));
  if (!takes('array')) out.push(r([], 'wrong-type:array'), r([1, 2], 'wrong-type:array'));
  if (!takes('boolean')) out.push(r(true, 'wrong-type:boolean'));
  return out;
}

const UNIT = { duration: 's', size: 'GiB', rate: '/s', bandwidth: 'GB/s' } as const;

/** Bad values for a field of this kind. */
export function badValues(f: Field): BadValue[] {
  const out = wrongTypes(f);
  switch (f.kind) {
    case 'duration':
    case 'size':
    case 'rate':
    case 'bandwidth': {
      const u = UNIT[f.kind];
      const q = `quantity`;
      out.push(
        r(`1e999${u}`, `${q}:overflow "1e999${u}"`),
        r('1e999', `${q}:overflow "1e999"`),
        r(Infinity, `${q}:literal 1e999`),
        r(-Infinity, `${q}:literal -1e999`),
        r(1e300, `${q}:huge 1e300`),
        r(`1e300${u}`, `${q}:huge "1e300${u}"`),
        r(Number.MAX_VALUE, `${q}:huge MAX_VALUE`),
        r(`-3${u}`, `${q}:negative string`),
        r(-1, `${q}:negative number`),
        r('5 parsecs', `${q}:unknown unit`),
        r('0x10', `${q}:hex`),
        r('NaN', `${q}:"NaN"`),
        r('Infinity', `${q}:"Infinity"`),
        r('', `${q}:empty string`),
        r('   ', `${q}:blank string`),
        r(`5${u}5`, `${q}:trailing junk`),
        r('1.2.3', `${q}:malformed number`),
        r(`${u}`, `${q}:unit only`),
        r('abc', `${q}:word`),
        e(0, `${q}:zero`),
        e(`0${u}`, `${q}:zero string`),
        e(`1e-30${u}`, `${q}:rounds to zero`),
      );
      break;
    }
    case 'int':
    case 'number':
      out.push(
        r(-1, 'number:negative'),
        r(-0.5, 'number:negative fraction'),
        r(Infinity, 'number:literal 1e999'),
        r(-Infinity, 'number:literal -1e999'),
        r(1e300, 'number:huge 1e300'),
        r(Number.MAX_VALUE, 'number:huge MAX_VALUE'),
        r('1', 'number:numeric string'),
        r('NaN', 'number:"NaN"'),
        r('0x10', 'number:hex string'),
        e(0, 'number:zero'),
      );
      if (f.kind === 'int') out.push(r(1.5, 'int:fraction'), r(2 ** 53 + 2, 'int:unsafe'));
      break;
    case 'string':
      out.push(r(5, 'string:number'), f.emptyOk ? e('', 'string:empty') : r('', 'string:empty'));
      break;
    case 'boolean':
      out.push(r('true', 'boolean:string'), r(1, 'boolean:number'), r('yes', 'boolean:word'));
      break;
    case 'enum':
      out.push(r('nonsense', 'enum:unknown'), r('', 'enum:empty'), r(3, 'enum:number'));
      for (const v of f.values ?? []) {
        if (typeof v === 'string') out.push(r(v.toUpperCase() === v ? v.toLowerCase() + 'x' : v.toUpperCase(), 'enum:case'));
        if (typeof v === 'number') out.push(r(String(v), 'enum:numeric string'), r(v + 1000, 'enum:out of set'));
      }
      break;
    case 'array':
      out.push(r('x', 'array:string'), r(5, 'array:number'), r([null], 'array:null item'), r([{}], 'array:object item'), e([], 'array:empty'), r([-1], 'array:negative item'), r([Infinity], 'array:1e999 item'));
      break;
    case 'union':
      // (members: string, number, boolean, array, object, quantity)
      out.push(r(-1, 'union:negative'), r(Infinity, 'union:literal 1e999'));
      if (!(f.members ?? []).includes('string')) out.push(r('', 'union:empty string'), r('x', 'union:word'));
      if ((f.members ?? []).some((m) => m === 'number' || m === 'quantity')) out.push(r(1e300, 'union:huge'));
      break;
    case 'object':
    case 'record':
      out.push(r('x', 'object:string'), r(5, 'object:number'), r([], 'object:array'));
      break;
    default:
      break;
  }
  return out;
}

/** Keys that must never be taken as fields: prototype names and unknown words. */
export const STRANGE_KEYS: Array<{ key: string; kind: string }> = [
  { key: '__proto__', kind: 'key:__proto__' },
  { key: 'constructor', kind: 'key:constructor' },
  { key: 'prototype', kind: 'key:prototype' },
  { key: 'hasOwnProperty', kind: 'key:hasOwnProperty' },
  { key: 'toString', kind: 'key:toString' },
  { key: 'colour', kind: 'key:unknown' },
  { key: 'Duration', kind: 'key:case' },
  { key: '', kind: 'key:empty' },
];

// ------------------------------------------------------------------ JSON text with 1e999 and __proto__

/** Set an own property, even "__proto__" (which plain assignment would take as the prototype). */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep copy keeping own "__proto__" keys. */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(o, k, clone((v as Record<string, unknown>)[k]));
    return o as T;
  }
  return v;
}

/** The value at `path`'s parent, created along the way (objects, or arrays for numeric keys). */
export function parentOf(root: Record<string, unknown>, path: Path): Record<string, unknown> {
  let cur: any = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') {
      const fresh = typeof path[i + 1] === 'number' ? [] : {};
      if (Array.isArray(cur)) cur[k as number] = fresh;
      else setOwn(cur, String(k), fresh);
    }
    cur = cur[k];
  }
  return cur;
}

export function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  const p = parentOf(root, path);
  const k = path[path.length - 1];
  if (Array.isArray(p)) p[k as number] = value;
  else setOwn(p, String(k), value);
}

export function deleteAt(root: Record<string, unknown>, path: Path): void {
  const p = parentOf(root, path);
  const k = path[path.length - 1];
  if (Array.isArray(p)) p.splice(k as number, 1);
  else delete p[String(k)];
}

export function getAt(root: unknown, path: Path): unknown {
  let cur: any = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** JSON text; Infinity/-Infinity as 1e999/-1e999 (which JSON.parse reads back as Infinity). */
export function jsonText(v: unknown, indent = 2): string {
  return JSON.stringify(v, (_k, x) => (x === Infinity ? '__INF__' : x === -Infinity ? '__NINF__' : x), indent)
    .replace(/"__INF__"/g, '1e999')
    .replace(/"__NINF__"/g, '-1e999');
}

/** A field path as servesim writes it: cluster.network.latency, models[0].copies. */
export function formatPath(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}
