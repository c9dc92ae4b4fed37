import type { z } from 'zod';
import { describeValue, formatPath, UserError } from './errors.js';

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p as string];
  }
  return v;
}

function article(t: string): string {
  if (t === 'int') return 'an integer';
  if (t === 'record') return 'an object';
  return /^(object|array|integer)$/.test(t) ? `an ${t}` : /^(string|number|boolean)$/.test(t) ? `a ${t}` : t;
}

/** zod's own message of a union none of whose branches matched. */
const DEFAULT_UNION_MESSAGE = 'Invalid input';

/**
 * A union that failed: report the branch the value was meant for (the first whose failure is not
 * the value's own type, e.g. the object branch for an object), with its path; when the value fits
 * no branch's type at all, list the types the branches expect.
 */
function formatUnionIssue(file: string, root: unknown, issue: z.core.$ZodIssue, found: unknown): string {
  const path = issue.path as PropertyKey[];
  if (issue.message && issue.message !== DEFAULT_UNION_MESSAGE) return `${file}: ${formatPath(path)}: ${issue.message}, found ${describeValue(found)}`;
  const branches = ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).filter((b) => b.length > 0);
  const ownType = (b: z.core.$ZodIssue[]) => b.every((i) => i.code === 'invalid_type' && i.path.length === 0);
  const meant = branches.find((b) => !ownType(b));
  if (meant) return formatZodIssue(file, root, { ...meant[0], path: [...path, ...meant[0].path] } as z.core.$ZodIssue);
  const expected = [...new Set(branches.map((b) => ((b[0] as { expected?: string }).expected ?? 'something else')))];
  const what = expected.length > 0 ? expected.map(article).join(' or ') : 'one of the allowed forms';
  return `${file}: ${formatPath(path)}: expected ${what}, found ${describeValue(found)}`;
}

/** One message per zod issue: "<file>: <path>: expected ..., found ...". */
export function formatZodIssue(file: string, root: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path as PropertyKey[];
  const found = valueAt(root, path);
  let what: string;
  switch (issue.code) {
    case 'invalid_union':
      return formatUnionIssue(file, root, issue, found);
    case 'invalid_key': {
      // A record key that fails its schema: the path ends with the key itself.
      const key = path[path.length - 1];
      const sub = (issue as { issues?: z.core.$ZodIssue[] }).issues?.[0];
      const expected =
        sub?.message.startsWith('expected ')
          ? sub.message
          : sub?.code === 'invalid_format' && (sub as { pattern?: string }).pattern
            ? `expected a key matching ${(sub as { pattern?: string }).pattern}`
            : 'expected another key';
      return `${file}: ${formatPath(path.slice(0, -1))}: ${expected}, found the key ${JSON.stringify(String(key))}`;
    }
    case 'unrecognized_keys': {
      const keys = (issue as { keys: string[] }).keys;
      const where = formatPath(path);
      const shown = keys.slice(0, 10).map((k) => JSON.stringify(k.length > 60 ? `${k.slice(0, 57)}...` : k));
      if (keys.length > 10) shown.push(`and ${keys.length - 10} more`);
      // `"scheduler": {"type": ..., "options": {...}}` is a common guess: options sit next to `type`.
      const hint =
        keys.includes('options') && (path[0] === 'scheduler' || path[0] === 'workload') && path.length <= 2
          ? ` (options go next to "type", e.g. {"type": "fifo", "inflight": 2}, not in an "options" object)`
          : '';
      return `${file}: ${where === '(top level)' ? '' : where + ': '}unknown field${keys.length > 1 ? 's' : ''} ${shown.join(', ')}${hint}`;
    }
    case 'invalid_type':
      what = issue.message.startsWith('expected ') && !issue.message.startsWith('expected ' + (issue as { expected: string }).expected)
        ? `${issue.message}, found ${describeValue(found)}`
        : `expected ${article((issue as { expected: string }).expected)}, found ${describeValue(found)}`;
      break;
    case 'invalid_value':
      what = `expected one of ${(issue as { values: unknown[] }).values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(found)}`;
      break;
    case 'too_small':
    case 'too_big': {
      const i = issue as unknown as { origin: string; minimum?: number; maximum?: number; inclusive?: boolean };
      const bound = issue.code === 'too_small' ? i.minimum : i.maximum;
      const op = issue.code === 'too_small' ? (i.inclusive ? '>=' : '>') : i.inclusive ? '<=' : '<';
      const noun =
        i.origin === 'array'
          ? `a list with length ${op} ${bound}`
          : i.origin === 'string'
            ? `a string with length ${op} ${bound}`
            : i.origin === 'int' || i.origin === 'safeint'
              ? `an integer ${op} ${bound}`
              : `a number ${op} ${bound}`;
      what = `expected ${noun}, found ${describeValue(found)}`;
      break;
    }
    case 'custom':
    default:
      what = `${issue.message}, found ${describeValue(found)}`;
  }
  return `${file}: ${formatPath(path)}: ${what}`;
}

/**
 * One issue per field: zod may report several for one value (1e300 for an integer with a maximum
 * is both outside the safe integers and above the maximum); keep the most telling one (the tighter
 * bound).
 */
function onePerPath(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const byPath = new Map<string, z.core.$ZodIssue>();
  for (const iss of issues) {
    const key = JSON.stringify(iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
    const prev = byPath.get(key);
    if (!prev) byPath.set(key, iss);
    else if (prev.code === 'too_big' && iss.code === 'too_big' && Number(iss.maximum) < Number(prev.maximum)) byPath.set(key, iss);
    else if (prev.code === 'too_small' && iss.code === 'too_small' && Number(iss.minimum) > Number(prev.minimum)) byPath.set(key, iss);
  }
  return [...byPath.values()];
}

/** The messages of a failed parse (at most 5, then a count), one line each. */
export function formatZodIssues(file: string, root: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const kept = onePerPath(issues);
  const lines = kept.slice(0, 5).map((i) => formatZodIssue(file, root, i));
  if (kept.length > 5) lines.push(`(${kept.length - 5} more problems)`);
  return lines.join('\n');
}

/** Parse with a zod schema or throw a UserError naming the file, field path, expectation and value. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new UserError(formatZodIssues(file, value, r.error.issues));
}
