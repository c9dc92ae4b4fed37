#!/usr/bin/env node
/**
 * `npm run mutation:chunks [-- options]`: mutation testing of whole folders in chunks of a few files,
 * one Stryker run per chunk, each chunk's report kept in reports/mutation/chunks/ (docs/testing.md,
 * "Mutation testing"). A folder takes hours on two cores; chunks let that work stop and resume: a
 * chunk whose report was made from the current text of its files, and of the tests that ran, is
 * skipped (unless --force), so rerunning the command continues where it stopped, and reruns
 * (incrementally) the chunks whose tests changed. `npm run mutation:score` adds the chunks up per
 * folder and per file.
 *
 * Options:
 *   --folders a,b      folders to mutate (default: src/sim,src/schedulers,src/metrics)
 *   --max-lines N      files of one folder are grouped up to N lines per chunk (default 400)
 *   --only TEXT        only chunks with a file whose path contains TEXT
 *   --force            rerun chunks whose report is current
 *   --list             print the chunks and whether each is current, to run, or has tests changed, run nothing
 *   --concurrency N    passed to Stryker (default 2)
 *   --ignore-static    Stryker's ignoreStatic: mutants of code that runs when a module is loaded
 *                      (registrations, schemas) are not tested (each needs the whole suite)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHUNKS = join(ROOT, 'reports', 'mutation', 'chunks');
const REPORT = join(ROOT, 'reports', 'mutation', 'mutation.json');

function parseArgs(argv) {
  const o = { folders: ['src/sim', 'src/schedulers', 'src/metrics'], maxLines: 400, only: undefined, force: false, list: false, concurrency: '2', ignoreStatic: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--folders') o.folders = val().split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean);
    else if (a === '--max-lines') {
      o.maxLines = Number(val());
      if (!Number.isInteger(o.maxLines) || o.maxLines < 1) throw new Error(`--max-lines expects a positive integer`);
    } else if (a === '--only') o.only = val();
    else if (a === '--force') o.force = true;
    else if (a === '--list') o.list = true;
    else if (a === '--concurrency') o.concurrency = val();
    else if (a === '--ignore-static') o.ignoreStatic = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(2, 18).map((l) => l.replace(/^ \*\s?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const lines = (f) => readFileSync(join(ROOT, f), 'utf8').split('\n').length;

/** Consecutive files of one directory, up to maxLines per chunk (a longer file is a chunk alone). */
export function makeChunks(folders, maxLines) {
  const chunks = [];
  for (const folder of folders) {
    if (!existsSync(join(ROOT, folder)) || !statSync(join(ROOT, folder)).isDirectory()) throw new Error(`${folder}: not a folder`);
    let cur = [];
    let n = 0;
    let curDir = '';
    for (const f of tsFiles(folder)) {
      const k = lines(f);
      const d = dirname(f);
      if (cur.length && (n + k > maxLines || d !== curDir)) {
        chunks.push(cur);
        cur = [];
        n = 0;
      }
      cur.push(f);
      n += k;
      curDir = d;
    }
    if (cur.length) chunks.push(cur);
  }
  return chunks.map((files) => ({ files, id: files.map((f) => f.replace(/^src\//, '').replace(/\.ts$/, '').replace(/[/]/g, '-')).join('+') }));
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Test files (vitest's default pattern), relative to the root. */
function testFiles(dir = 'test') {
  const out = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (/\.test\.[cm]?[jt]s$/.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * A chunk's state: 'to run' (no report, or a file of the chunk changed since it), 'tests changed'
 * (a test file the report ran changed, or a test file is newer than the report: it may kill more
 * now; the rerun is incremental) or 'current'.
 */
function chunkState(chunk) {
  const p = join(CHUNKS, `${chunk.id}.json`);
  if (!existsSync(p)) return 'to run';
  let r;
  try {
    r = JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return 'to run';
  }
  // Files without mutants (types only) are not in the report: their text is in the sidecar written
  // when the chunk ran.
  let ran = {};
  try {
    ran = JSON.parse(readFileSync(join(CHUNKS, `${chunk.id}.sources.json`), 'utf8'));
  } catch {}
  const same = (f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    return r.files?.[f] ? r.files[f].source === text : ran[f] === sha256(text);
  };
  if (!chunk.files.every(same)) return 'to run';
  for (const [f, t] of Object.entries(r.testFiles ?? {})) {
    const abs = join(ROOT, relative(ROOT, f));
    if (!existsSync(abs) || (t.source !== undefined && readFileSync(abs, 'utf8') !== t.source)) return 'tests changed';
  }
  const made = statSync(p).mtimeMs;
  if (testFiles().some((f) => statSync(join(ROOT, f)).mtimeMs > made)) return 'tests changed';
  return 'current';
}

function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`mutation-chunks: ${e.message}\n`);
    process.exit(2);
  }
  let chunks = makeChunks(o.folders, o.maxLines);
  if (o.only) chunks = chunks.filter((c) => c.files.some((f) => f.includes(o.only)));
  if (o.list) {
    for (const c of chunks) process.stdout.write(`${chunkState(c).padEnd(13)}  ${c.files.join(' ')}\n`);
    return;
  }
  mkdirSync(CHUNKS, { recursive: true });
  let i = 0;
  for (const c of chunks) {
    i++;
    if (!o.force && chunkState(c) === 'current') {
      process.stderr.write(`[${i}/${chunks.length}] ${c.id}: current, skipped\n`);
      continue;
    }
    process.stderr.write(`[${i}/${chunks.length}] ${c.id}: ${c.files.join(', ')}\n`);
    const t0 = Date.now();
    const sources = Object.fromEntries(c.files.map((f) => [f, sha256(readFileSync(join(ROOT, f), 'utf8'))]));
    rmSync(REPORT, { force: true });
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts', 'mutation.mjs'), '--mutate', c.files.join(','), '--incrementalFile', relative(ROOT, join(CHUNKS, `${c.id}.incremental.json`)), '--concurrency', o.concurrency, '--reporters', 'json,progress-append-only', ...(o.ignoreStatic ? ['--ignoreStatic'] : [])],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status !== 0 || !existsSync(REPORT)) {
      process.stderr.write(`mutation-chunks: Stryker failed on ${c.id} (exit ${r.status}); stopping (finished chunks are kept)\n`);
      process.exit(1);
    }
    copyFileSync(REPORT, join(CHUNKS, `${c.id}.json`));
    writeFileSync(join(CHUNKS, `${c.id}.sources.json`), JSON.stringify(sources, null, 1) + '\n');
    process.stderr.write(`[${i}/${chunks.length}] ${c.id}: done in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  }
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'mutation-score.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
