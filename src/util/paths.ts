/**
 * Names that become one directory or file name (an experiment's `name`, a sweep point's id): a
 * single path segment that cannot climb out of its parent, hide itself, pass for an option, or
 * fail later with ENAMETOOLONG once a temporary suffix (".NAME.tmp-PID") is added.
 */
import { describeValue, UserError } from './errors.js';

/** Longest segment by default (bytes of UTF-8); file systems allow 255 with the temporary suffix. */
export const MAX_SEGMENT_BYTES = 100;

/** Why `s` is not a safe single path segment of at most `maxBytes`, or undefined when it is. */
export function segmentProblem(s: string, maxBytes = MAX_SEGMENT_BYTES): string | undefined {
  if (s === '') return 'it is empty';
  if (s === '.' || s === '..') return `"${s}" names a directory itself`;
  if (/[/\\]/.test(s)) return 'it contains "/" or "\\"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'it contains a control character';
  if (s.startsWith('.')) return 'it starts with "."';
  if (s.startsWith('-')) return 'it starts with "-"';
  const bytes = Buffer.byteLength(s, 'utf8');
  if (bytes > maxBytes) return `it is ${bytes} bytes long, more than ${maxBytes}`;
  return undefined;
}

/**
 * Throw a UserError unless `s` is a safe single path segment: not empty, not "." or "..", no "/",
 * "\\", NUL or other control characters, no leading "." or "-", at most `maxBytes` bytes.
 * `where` names the field ("FILE: name", "FILE: sweep point").
 */
export function assertSafeSegment(s: string, where: string, maxBytes = MAX_SEGMENT_BYTES): void {
  const problem = segmentProblem(s, maxBytes);
  if (problem) {
    throw new UserError(
      `${where}: expected a single directory name (no "/", "\\", control characters or leading "." or "-", at most ${maxBytes} bytes), found ${describeValue(s)} (${problem})`,
    );
  }
}
