import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../experiment/config.js';
import { loadProfile } from '../models/profile.js';
import { UserError } from '../util/errors.js';

/** Profiles found in `dir` (or the package's hw-profiles) with their models. */
export function listProfiles(dir: string): string {
  const where = existsSync(dir) ? dir : join(PACKAGE_ROOT, 'hw-profiles');
  if (!existsSync(where)) return `Profiles: none (no directory ${dir})\n`;
  let out = `Profiles (${where}):\n`;
  for (const f of readdirSync(where).filter((f) => f.endsWith('.json')).sort()) {
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
