/**
 * File-system errors as user errors, and reading input files safely.
 *
 * Every I/O failure a person can cause (a missing file, a directory where a file was expected, a
 * full disk, a read-only or too-long path) becomes a one-line `UserError` naming the path and the
 * cause. Inputs are read only from regular files of bounded size, so a FIFO or /dev/zero given as a
 * config cannot hang the process or exhaust memory.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from './errors.js';

/** Plain words for the errno codes a person can cause. */
const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EBUSY: 'resource busy',
  EXDEV: 'cross-device rename',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EINVAL: 'invalid argument',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ETXTBSY: 'text file busy',
};

/** The errno code of a Node.js system error, if it is one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** True for system errors (errno codes) that a person's paths or disk can cause. */
export function isIoError(e: unknown): boolean {
  const code = errnoCode(e);
  return code !== undefined && code in CAUSES;
}

/** "PATH: cause (CODE)" for a system error; `what` says what the path was for. */
export function ioErrorMessage(e: unknown, path: string, what?: string): string {
  const code = errnoCode(e) ?? 'EIO';
  const cause = CAUSES[code] ?? (e as Error)?.message ?? String(e);
  return `${path}: ${what ? `cannot ${what}: ` : ''}${cause} (${code})`;
}

/** Rethrow a system error as a one-line UserError naming the path; anything else unchanged. */
export function rethrowIo(e: unknown, path: string, what?: string): never {
  if (e instanceof UserError) throw e;
  if (isIoError(e)) throw new UserError(ioErrorMessage(e, path, what));
  throw e;
}

/** Run `fn`, turning a system error into a UserError naming `path`. */
export function withIo<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    rethrowIo(e, path, what);
  }
}

/** "a config", "an ONNX model". */
const article = (what: string): string => `${/^[aeiouAEIOU]/.test(what) ? 'an' : 'a'} ${what}`;

/** Default size limit of a config or profile file. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/**
 * Check that `path` names a readable regular file of at most `maxBytes`; returns its size.
 * `what` names the kind of file in messages ("config", "profile", "trace").
 */
export function checkRegularFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): number {
  if (path === '') throw new UserError(`${what} path is empty`);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw new UserError(`${path}: ${what} file not found`);
    rethrowIo(e, path, `read ${what}`);
  }
  if (st.isDirectory()) throw new UserError(`${path}: is a directory, expected ${article(what)} file`);
  if (!st.isFile()) throw new UserError(`${path}: not a regular file (a device, FIFO or socket), expected ${article(what)} file`);
  if (st.size > maxBytes) throw new UserError(`${path}: ${what} file is ${st.size} bytes, more than the limit of ${maxBytes}`);
  return st.size;
}

/**
 * Read a regular file of at most `maxBytes` (never a device or FIFO, so it cannot hang), with
 * one-line errors. The size is checked again on the open descriptor so a file swapped between the
 * check and the read is still bounded.
 */
export function readInputFile(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Buffer {
  checkRegularFile(path, what, maxBytes);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${path}: not a regular file, expected ${article(what)} file`);
    if (st.size > maxBytes) throw new UserError(`${path}: ${what} file is ${st.size} bytes, more than the limit of ${maxBytes}`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === st.size ? buf : buf.subarray(0, off);
  } catch (e) {
    return rethrowIo(e, path, `read ${what}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `readInputFile` as UTF-8 text. */
export function readInputText(path: string, what: string, maxBytes = MAX_INPUT_BYTES): string {
  return readInputFile(path, what, maxBytes).toString('utf8');
}
