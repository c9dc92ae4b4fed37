import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';
import { loadProfile } from '../models/profile.js';
import { UserError } from '../util/errors.js';
import { errnoCode, rethrowIo, withIo } from '../util/io.js';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Profiles found in `dir` with their models. A `dir` given (--profiles-dir) must be a directory;
 * without one, ./hw-profiles if there is one, else the package's.
 */
export function listProfiles(dir?: string): string {
  let where: string;
  if (dir === undefined) {
    where = isDirectory('hw-profiles') ? 'hw-profiles' : join(PACKAGE_ROOT, 'hw-profiles');
  } else {
    if (dir === '') throw new UserError('--profiles-dir: expected a directory, found ""');
    let st;
    try {
      st = statSync(dir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new UserError(`--profiles-dir ${dir}: no such directory`);
      rethrowIo(e, dir, 'read the profiles directory');
    }
    if (!st.isDirectory()) throw new UserError(`--profiles-dir ${dir}: not a directory`);
    where = dir;
  }
  const files = withIo(where, 'read the profiles directory', () => readdirSync(where));
  let out = `Profiles (${where}):\n`;
  for (const f of files.filter((f) => f.endsWith('.json')).sort()) {
    try {
      const p = loadProfile(join(where, f));
      const names = [...p.models.keys()].sort();
      out += `  ${f}: ${p.device.name} (${p.device.kind}), ${Math.floor(p.device.weightsMemoryBytes / p.device.pageSizeBytes)} pages of ${p.device.pageSizeBytes} B, ${names.length} models\n`;
      out += wrap(names.join(', '), 100, '    ');
    } catch (e) {
      out += `  ${f}: invalid (${e instanceof UserError ? e.message : (e as Error).message})\n`;
    }
  }
  return out;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    if ((cur + ' ' + w).length > width && cur) {
      lines.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(indent + cur);
  return lines.join('\n') + '\n';
}
