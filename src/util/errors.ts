/**
 * Errors meant for people: they carry the file, the field path or line, what was expected and
 * what was found. The CLI prints `message` alone (no stack trace) and exits non-zero.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * Format a field path like `cluster.network.latency` or `models[2].profile`; a key that is a path
 * itself (a plugin's per-type block, `scheduler["./edf.js"].inflight`) is quoted.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && out !== '' && /^\.|\//.test(p)) out += `[${JSON.stringify(p)}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** A short rendering of a found value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return 'an object';
}
