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

/** The profiles directory (`dir`, else ./hw-profiles, else the package's) and its entries. */
function profilesDir(dir?: string): { where: string; files: string[] } {
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
  return { where, files: withIo(where, 'read the profiles directory', () => readdirSync(where)) };
}

/**
 * Profiles found in `dir` with their models (see profilesDir), as text. A `dir` given
 * (--profiles-dir) must be a directory; without one, ./hw-profiles if there is one, else the package's.
 */
export function listProfiles(dir?: string): string {
  const { where, files } = profilesDir(dir);
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

/** One profile as `servesim list --json` gives it (invalid files: `error` instead of the figures). */
export interface ProfileEntry {
  file: string;
  path: string;
  device?: string;
  kind?: string;
  pages?: number;
  pageSizeBytes?: number;
  models?: string[];
  error?: string;
}

/** `servesim list --json`: the profiles of `dir` (as listProfiles) as data. */
export function profileEntries(dir?: string): { dir: string; profiles: ProfileEntry[] } {
  const { where, files } = profilesDir(dir);
  const profiles: ProfileEntry[] = [];
  for (const f of files.filter((f) => f.endsWith('.json')).sort()) {
    const path = join(where, f);
    try {
      const p = loadProfile(path);
      profiles.push({
        file: f,
        path,
        device: p.device.name,
        kind: p.device.kind,
        pages: Math.floor(p.device.weightsMemoryBytes / p.device.pageSizeBytes),
        pageSizeBytes: p.device.pageSizeBytes,
        models: [...p.models.keys()].sort(),
      });
    } catch (e) {
      profiles.push({ file: f, path, error: e instanceof UserError ? e.message : (e as Error).message });
    }
  }
  return { dir: where, profiles };
}

/**
 * Options of a registered scheduler or workload as `servesim list --json` gives them: per option,
 * its description and, where the JSON Schema states one, its default (in config form), from the
 * experiment JSON Schema (`servesim schema`), so the two agree. `defs` is that schema's
 * $defs.schedulerOptions or $defs.workloadOptions; `names` the option names (a plugin's options
 * are not in the schema: names only).
 */
export function optionEntries(defs: Record<string, any> | undefined, names: readonly string[]): Record<string, { description?: string; default?: unknown }> {
  const props: Record<string, any> = defs?.properties ?? {};
  return Object.fromEntries(
    names.map((n) => {
      const p = props[n] ?? {};
      return [n, { ...(p.description !== undefined ? { description: p.description } : {}), ...(p.default !== undefined ? { default: p.default } : {}) }];
    }),
  );
}
