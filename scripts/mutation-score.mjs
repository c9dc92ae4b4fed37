#!/usr/bin/env node
/**
 * `npm run mutation:score [-- --json] [reports...]`: mutation scores per folder and per file from
 * Stryker JSON reports (default: every chunk report in reports/mutation/chunks/, written by
 * `npm run mutation:chunks`). Score = detected (killed + timed out) / (detected + survived + no
 * coverage), Stryker's "mutation score". A file found in several reports counts from the newest.
 * A file whose current text differs from the text its report was made from is marked stale: its
 * figures describe older code (rerun its chunk).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHUNKS = join(ROOT, 'reports', 'mutation', 'chunks');

const FOLDERS = ['src/sim', 'src/schedulers', 'src/metrics', 'src/traces'];

/** Per-file counts of the newest report holding each file. */
export function collect(reportPaths) {
  const byFile = new Map();
  const dated = reportPaths.map((p) => ({ p, t: statSync(p).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { p } of dated) {
    const r = JSON.parse(readFileSync(p, 'utf8'));
    for (const [file, v] of Object.entries(r.files ?? {})) {
      const c = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
      for (const m of v.mutants) {
        if (m.status === 'Killed') c.killed++;
        else if (m.status === 'Timeout') c.timeout++;
        else if (m.status === 'Survived') c.survived++;
        else if (m.status === 'NoCoverage') c.noCoverage++;
        else if (m.status === 'Ignored') c.ignored++;
        else c.errors++;
      }
      const now = existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), 'utf8') : undefined;
      byFile.set(file, { ...c, stale: now !== v.source, report: p });
    }
  }
  return byFile;
}

export function score(c) {
  const detected = c.killed + c.timeout;
  const valid = detected + c.survived + c.noCoverage;
  return valid ? detected / valid : NaN;
}

function add(a, b) {
  for (const k of ['killed', 'timeout', 'survived', 'noCoverage', 'ignored', 'errors']) a[k] += b[k];
  a.stale ||= b.stale;
  a.files++;
}

function main() {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  let paths = args.filter((a) => a !== '--json');
  if (!paths.length) {
    if (!existsSync(CHUNKS)) {
      process.stderr.write('mutation-score: no reports in reports/mutation/chunks/ (run npm run mutation:chunks)\n');
      process.exit(1);
    }
    paths = readdirSync(CHUNKS).filter((f) => f.endsWith('.json') && !f.endsWith('.incremental.json')).map((f) => join(CHUNKS, f));
  }
  const files = collect(paths);
  const folders = new Map();
  for (const [file, c] of files) {
    const folder = FOLDERS.find((f) => file.startsWith(`${f}/`)) ?? dirname(file);
    if (!folders.has(folder)) folders.set(folder, { killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0, stale: false, files: 0 });
    add(folders.get(folder), c);
  }
  const pct = (x) => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`);
  if (json) {
    const out = { folders: {}, files: {} };
    for (const [k, c] of folders) out.folders[k] = { ...c, score: score(c) };
    for (const [k, c] of files) out.files[k] = { ...c, score: score(c), report: undefined };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const row = (name, c) => `| ${name} | ${pct(score(c))} | ${c.killed} | ${c.timeout} | ${c.survived} | ${c.noCoverage} |${c.stale ? ' stale' : ''}`;
  const lines = ['| folder | score | killed | timed out | survived | no coverage |', '|---|---|---|---|---|---|'];
  for (const [k, c] of [...folders].sort()) lines.push(row(`${k} (${c.files} files)`, c));
  lines.push('', '| file | score | killed | timed out | survived | no coverage |', '|---|---|---|---|---|---|');
  for (const [k, c] of [...files].sort()) lines.push(row(k, c));
  process.stdout.write(lines.join('\n') + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
