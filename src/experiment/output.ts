/** Writing results: nothing is half-written (temporary names, then rename). */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';

/** Stable JSON text (2-space indent, trailing newline). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Write a file atomically: to a temporary name in the same directory, then rename. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function isNonEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Refuse to replace a non-empty directory unless `force`. Returns a fresh temporary directory next
 * to `dir`; `commitDir` renames it into place.
 */
export function prepareOutputDir(dir: string, force: boolean): string {
  if (isNonEmptyDir(dir) && !force) {
    throw new UserError(`${dir}: output directory exists and is not empty (use --force to replace it, or --out DIR)`);
  }
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

export function commitDir(tmp: string, dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(tmp, dir);
}
