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
  return /^(object|array|integer)$/.test(t) ? `an ${t}` : /^(string|number|boolean)$/.test(t) ? `a ${t}` : t;
}

/** One message per zod issue: "<file>: <path>: expected ..., found ...". */
export function formatZodIssue(file: string, root: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path as PropertyKey[];
  const found = valueAt(root, path);
  let what: string;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = (issue as { keys: string[] }).keys;
      const where = formatPath(path);
      return `${file}: ${where === '(top level)' ? '' : where + ': '}unknown field${keys.length > 1 ? 's' : ''} ${keys
        .map((k) => `"${k}"`)
        .join(', ')}`;
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
      const noun = i.origin === 'array' ? `a list with length ${op} ${bound}` : i.origin === 'string' ? `a string with length ${op} ${bound}` : `a number ${op} ${bound}`;
      what = `expected ${noun}, found ${describeValue(found)}`;
      break;
    }
    case 'custom':
    default:
      what = `${issue.message}, found ${describeValue(found)}`;
  }
  return `${file}: ${formatPath(path)}: ${what}`;
}

/** Parse with a zod schema or throw a UserError naming the file, field path, expectation and value. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).map((i) => formatZodIssue(file, value, i));
  if (r.error.issues.length > 5) lines.push(`(${r.error.issues.length - 5} more problems)`);
  throw new UserError(lines.join('\n'));
}
