/**
 * Writing outputs safely: the one module every command that writes goes through.
 *
 * The rules (README "Where results go, and what --force may replace"):
 * - servesim replaces only what it wrote. Every directory it creates carries a marker file
 *   (`.servesim.json`) that lists the entries it wrote; a directory may be replaced only if the
 *   marker is there and every entry in it is one servesim wrote (so a file a person put into a
 *   results directory protects it). A file, device, symbolic link or any other directory at the
 *   target is an error and is never touched, `--force` or not.
 * - A results directory is built under a temporary name beside the target and moved into place
 *   when complete. Replacing an old one moves the old aside first, moves the new in, then deletes
 *   the old: killed at any instant, the target holds the old or the new results, never a mixture;
 *   in the one instant between the two moves the old results are at `.NAME.servesim-old-PID`, and
 *   the next servesim command writing to that place moves them back.
 * - One writer at a time: a lock file `.NAME.servesim-lock` beside the target makes a second
 *   concurrent writer fail clearly. Locks and temporaries of dead processes are cleaned up by the
 *   next writer into the same place.
 * - Paths are checked before anything is created: no pseudo file systems (/proc, /sys, /dev), no
 *   path through a file, no name too long for the file system.
 * - Every system error is a one-line UserError naming the path and the cause.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserError } from './errors.js';
import { errnoCode, rethrowIo } from './io.js';
import { assertSafeSegment } from './paths.js';

/** The marker file of a directory servesim wrote. */
export const MARKER = '.servesim.json';

export type OutputKind = 'run' | 'sweep' | 'charts' | 'paper' | 'trace' | 'fidelity';

interface Marker {
  servesim: true;
  kind: OutputKind;
  /** Entries (files and directories) servesim wrote into the directory. */
  files: string[];
}

/** Stable JSON text (2-space indent, trailing newline). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Names and paths

/** Longest name servesim gives a file or directory (leaves room for its temporary suffixes). */
export const MAX_NAME_BYTES = 200;
/** Longest last segment of an output path: 255 less the longest suffix servesim adds (".NAME.servesim-tmp-PID-N"). */
const MAX_TARGET_BYTES = 220;

/** Names of servesim's own temporaries, locks and markers (never a person's files). */
const OWN_TRANSIENT = /^\.(.+)\.(servesim-tmp-\d+-[0-9a-z]+|servesim-old-\d+|servesim-lock(\.stale-\d+)?)$/;

/**
 * The bytes of `p` if it is a regular file of at most `max` bytes, else undefined: servesim's own
 * small files (markers, manifests, locks) are read this way, so a FIFO or device put in their
 * place cannot block the process.
 */
function readOwnFile(p: string, max = 16 * 2 ** 20): Buffer | undefined {
  try {
    const st = lstatSync(p);
    if (!st.isFile() || st.size > max) return undefined;
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

/** File-system types where results must never go (Linux statfs magic numbers). */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0x1cd1: 'devpts',
  0x6165676c: 'pstore',
  0xcafe4a11: 'bpf',
  0x62656570: 'configfs',
  0x65735543: 'fusectl',
};

function lstatOrUndefined(p: string, what: string, notDirIsAbsent = false): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || (notDirIsAbsent && code === 'ENOTDIR')) return undefined;
    if (code === 'ENOTDIR') throw new UserError(`${p}: a path component is not a directory`);
    return rethrowIo(e, p, what);
  }
}

/**
 * Check an output path before anything is created, and return it absolute. `flag` names the option
 * or field it came from. The first existing ancestor must be a directory on a real file system
 * (not /proc, /sys, /dev); every segment must fit the file system's name limit.
 */
export function checkOutputPath(path: string, flag = '--out'): string {
  if (typeof path !== 'string' || path.trim() === '') throw new UserError(`${flag} is empty: give a file or directory path`);
  if (path.includes('\0')) throw new UserError(`${flag} ${JSON.stringify(path)}: contains a NUL character`);
  const abs = resolve(path);
  if (abs === sep || dirname(abs) === abs) throw new UserError(`${flag} ${path}: cannot write to the root directory`);
  const segs = abs.split(sep);
  for (const seg of segs) {
    if (Buffer.byteLength(seg) > 255) {
      throw new UserError(`${flag} ${path}: the name "${seg.slice(0, 40)}..." is ${Buffer.byteLength(seg)} bytes long, more than a file system allows (255)`);
    }
  }
  const last = Buffer.byteLength(segs[segs.length - 1]);
  if (last > MAX_TARGET_BYTES) {
    throw new UserError(`${flag} ${path}: the name is ${last} bytes long; servesim needs names of at most ${MAX_TARGET_BYTES} bytes (its temporaries add a suffix, and a file system allows 255)`);
  }
  // The first existing ancestor (or the path itself).
  let p = abs;
  let st = lstatOrUndefined(p, 'check output path', true);
  while (!st) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
    st = lstatOrUndefined(p, 'check output path', true);
  }
  const what = (x: Stats): string => (x.isFile() ? 'a file' : x.isFIFO() ? 'a FIFO' : x.isSocket() ? 'a socket' : x.isSymbolicLink() ? 'a symbolic link' : 'a device');
  const resolveLink = (): string => {
    try {
      return realpathSync(p);
    } catch (e) {
      if (st?.isSymbolicLink() && errnoCode(e) === 'ENOENT') throw new UserError(`${flag} ${path}: ${p} is a symbolic link to a path that does not exist`);
      return rethrowIo(e, p, 'resolve output path');
    }
  };
  if (st && p !== abs && !st.isDirectory()) {
    if (st.isSymbolicLink()) {
      // A symbolic link to a directory is a fine ancestor.
      const target = lstatSync(resolveLink());
      if (!target.isDirectory()) throw new UserError(`${flag} ${path}: ${p} is not a directory (it links to ${what(target)})`);
    } else {
      throw new UserError(`${flag} ${path}: ${p} is not a directory (it is ${what(st)})`);
    }
  }
  const real = resolveLink();
  const where = real + sep;
  if ((where.startsWith('/dev/') && !where.startsWith('/dev/shm/')) || where.startsWith('/proc/') || where.startsWith('/sys/')) {
    throw new UserError(`${flag} ${path}: ${real} is a system directory (/dev, /proc, /sys), not a place for results`);
  }
  try {
    const fs = PSEUDO_FS[statfsSync(real).type];
    if (fs) throw new UserError(`${flag} ${path}: ${real} is on a ${fs} pseudo file system, not a place for results`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    // statfs unsupported here: the path checks above still apply.
  }
  return abs;
}

/** Create the missing ancestors of `abs` (already checked by checkOutputPath), one at a time. */
function ensureDir(abs: string): void {
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') rethrowIo(e, d, 'create directory');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Files

let tmpCounter = 0;
function tmpName(target: string): string {
  tmpCounter = (tmpCounter + 1) % 1_000_000;
  return join(dirname(target), `.${basename(target)}.servesim-tmp-${process.pid}-${tmpCounter.toString(36)}`);
}

/** Temporaries this process has open: removed at exit (Ctrl-C included) if still there. */
const liveTemps = new Set<string>();
let exitHookInstalled = false;
function trackTemp(p: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const t of liveTemps) rmSync(t, { recursive: true, force: true });
      for (const l of heldLocks) releaseLockFile(l);
    });
  }
  liveTemps.add(p);
}

/** Ctrl-C or a TERM signal: exit through process.exit, so this process's temporaries and locks are removed. */
let signalsHooked = false;
export function exitCleanlyOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/**
 * Write a file atomically (a temporary name in the same directory, then rename): readers see the
 * old or the new content, never a part. The temporary is removed if writing fails (a full disk).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  ensureDir(dirname(path));
  const tmp = tmpName(path);
  trackTemp(tmp);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    rethrowIo(e, path, 'write');
  } finally {
    liveTemps.delete(tmp);
  }
}

export interface OutputFileOptions {
  force?: boolean;
  /** The option or field the path came from (for messages). */
  flag?: string;
  /** What kind of file it is ("profile", "ONNX model"). */
  what: string;
  /** Recognises content servesim wrote (such a file may be replaced without --force). */
  isOurs?: (existing: Buffer) => boolean;
}

/**
 * Check a single output file that a person names (`--out FILE`) before any work is done: the
 * target may be replaced only if it is a regular file that servesim wrote (`isOurs` recognises its
 * content) or with `force`; never a directory, device, FIFO or symbolic link. Returns it absolute.
 */
export function checkOutputFile(path: string, o: OutputFileOptions): string {
  const abs = checkOutputPath(path, o.flag ?? '--out');
  const st = lstatOrUndefined(abs, 'check output file');
  if (st) {
    if (st.isSymbolicLink()) throw new UserError(`${path}: is a symbolic link; refusing to replace it (give the real path)`);
    if (st.isDirectory()) throw new UserError(`${path}: is a directory; expected a ${o.what} file name`);
    if (!st.isFile()) throw new UserError(`${path}: is not a regular file (a device, FIFO or socket); refusing to replace it`);
    if (!o.force) {
      let ours = false;
      try {
        const bytes = readOwnFile(abs, 512 * 2 ** 20);
        ours = bytes !== undefined && (o.isOurs?.(bytes) ?? false);
      } catch {
        ours = false;
      }
      if (!ours) throw new UserError(`${path}: exists and is not a ${o.what} servesim wrote; refusing to replace it (use --force to replace it, or another path)`);
    }
  }
  return abs;
}

/** Write a single output file (checked as by checkOutputFile), atomically and under its lock. */
export function writeOutputFile(path: string, content: string | Uint8Array, o: OutputFileOptions): void {
  const abs = checkOutputFile(path, o);
  ensureDir(dirname(abs));
  const lock = acquireLock(abs);
  try {
    cleanStale(abs);
    checkOutputFile(path, o); // again: it may have appeared while the work was done
    writeFileAtomic(abs, content);
  } finally {
    releaseLock(lock);
  }
}

/** True if `text` parses as JSON with a top-level field `key` whose value satisfies `ok`. */
export function jsonHas(buf: Buffer, key: string, ok: (v: unknown) => boolean = (v) => v !== undefined): boolean {
  try {
    const v = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    return typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, key) && ok(v[key]);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Locks

const heldLocks = new Set<string>();

function lockPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.servesim-lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function readLock(p: string): { pid: number; host: string } | undefined {
  try {
    const v = JSON.parse(readOwnFile(p, 4096)?.toString('utf8') ?? '') as { pid?: unknown; host?: unknown };
    return typeof v.pid === 'number' ? { pid: v.pid, host: String(v.host ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

export interface Lock {
  file: string;
  target: string;
}

/**
 * Take the write lock of `target` (a file beside it). Fails with a UserError naming the other
 * process if a live one holds it; a lock left by a dead process is broken.
 */
/**
 * Places whose locks this process or its parents hold (a sweep's worker processes write points
 * inside the directory their parent locked): inherited through the environment.
 */
const HELD_ENV = 'SERVESIM_HELD_LOCKS';
const heldByUs = (dir: string): boolean => (process.env[HELD_ENV] ?? '').split('\n').includes(dir);

/** Fail if a live servesim other than this process (or its parents) is writing a directory above `target`. */
function checkAncestorLocks(target: string): void {
  for (let a = dirname(target); dirname(a) !== a; a = dirname(a)) {
    if (heldByUs(a)) continue;
    const holder = readLock(lockPath(a));
    if (holder && holder.pid !== process.pid && holder.host === hostname() && alive(holder.pid)) {
      throw new UserError(`${target}: another servesim (process ${holder.pid}) is writing ${a}, which holds it; wait for it, or use another --out`);
    }
  }
}

export function acquireLock(target: string): Lock {
  const file = lockPath(target);
  ensureDir(dirname(target));
  checkAncestorLocks(target);
  for (let attempt = 0; attempt < 20; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }) + '\n');
      fsyncSync(fd);
      closeSync(fd);
      trackTemp(file);
      liveTemps.delete(file);
      heldLocks.add(file);
      if (!heldByUs(target)) process.env[HELD_ENV] = [process.env[HELD_ENV], target].filter(Boolean).join('\n');
      return { file, target };
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      if (errnoCode(e) !== 'EEXIST') rethrowIo(e, file, 'create lock file');
    }
    const holder = readLock(file);
    if (holder && (holder.host !== hostname() || alive(holder.pid))) {
      const where = holder.host === hostname() ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`;
      throw new UserError(`${target}: another servesim (${where}) is writing here; wait for it, or use another --out (if no servesim is running, delete ${file})`);
    }
    if (!holder) {
      // Empty or unreadable: its creator may be writing it this instant (give it a moment), or was
      // killed between creating and writing it (stale once it is a second old).
      let age = Infinity;
      try {
        age = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // gone: try again
      }
      if (age < 1000) {
        const t = Date.now();
        while (Date.now() - t < 50);
        continue;
      }
    }
    // A dead holder's lock: move it aside (only one breaker can), then check it was the one read.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue;
      rethrowIo(e, file, 'break stale lock');
    }
    const taken = readLock(aside);
    if (taken && (!holder || taken.pid !== holder.pid) && alive(taken.pid)) {
      // A live writer's fresh lock was moved: put it back and report it.
      try {
        renameSync(aside, file);
      } catch {
        // nothing better to do: its owner still runs and releases by pid
      }
      throw new UserError(`${target}: another servesim (process ${taken.pid}) is writing here; wait for it, or use another --out`);
    }
    rmSync(aside, { force: true });
  }
  throw new UserError(`${target}: could not take the lock ${file}; if no servesim is running, delete it`);
}

function releaseLockFile(file: string): void {
  const holder = readLock(file);
  if (holder && holder.pid === process.pid) rmSync(file, { force: true });
  heldLocks.delete(file);
}

export function releaseLock(lock: Lock): void {
  releaseLockFile(lock.file);
  process.env[HELD_ENV] = (process.env[HELD_ENV] ?? '').split('\n').filter((d) => d !== '' && d !== lock.target).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Stale temporaries

/**
 * With the lock of `target` held: remove temporaries of `target` left by dead processes, and if an
 * interrupted replacement left the target missing with its old version aside, move it back.
 */
function cleanStale(target: string): void {
  const dir = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    return rethrowIo(e, dir, 'list directory');
  }
  const olds: string[] = [];
  for (const e of entries) {
    const m = OWN_TRANSIENT.exec(e);
    if (!m || m[1] !== name) continue;
    const kind = m[2];
    if (kind.startsWith('servesim-lock')) continue;
    const pid = Number(/-(\d+)/.exec(kind)?.[1]);
    if (pid === process.pid ? liveTemps.has(join(dir, e)) : alive(pid)) continue;
    if (kind.startsWith('servesim-old')) olds.push(join(dir, e));
    else rmSync(join(dir, e), { recursive: true, force: true });
  }
  for (const old of olds) {
    if (!existsSync(target)) renameSync(old, target);
    else rmSync(old, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Directories servesim owns

function readMarker(dir: string): Marker | undefined {
  try {
    const m = JSON.parse(readOwnFile(join(dir, MARKER))?.toString('utf8') ?? '') as Partial<Marker>;
    if (m && m.servesim === true && typeof m.kind === 'string' && Array.isArray(m.files)) return m as Marker;
  } catch {
    // no marker, or not ours
  }
  return legacyMarker(dir);
}

/** What a run directory written before the marker existed (servesim 0.1) may hold. */
const LEGACY_RUN_FILES = [
  'summary.json',
  'config.json',
  'config.resolved.json',
  'manifest.json',
  'run.json',
  'timeseries.csv',
  'per-model.csv',
  'latency-histogram.json',
  'requests.csv',
  'trace-events.json',
];

function jsonFile(p: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readOwnFile(p)?.toString('utf8') ?? '') as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Results written before the marker existed are recognised by what servesim always wrote into
 * them: a run by its manifest.json (servesim version and config hash), a sweep by its sweep.json,
 * a charts directory (inside one of those) by holding PNG files only. Anything else in them still
 * makes them a person's (see notOwnedReason).
 */
function legacyMarker(dir: string): Marker | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  const manifest = entries.includes('manifest.json') ? jsonFile(join(dir, 'manifest.json')) : undefined;
  if (manifest && typeof manifest.servesim === 'string' && typeof manifest.configHash === 'string') {
    return { servesim: true, kind: 'run', files: entries.filter((e) => LEGACY_RUN_FILES.includes(e)) };
  }
  const sweep = entries.includes('sweep.json') ? jsonFile(join(dir, 'sweep.json')) : undefined;
  if (sweep && typeof sweep.servesim === 'string' && Array.isArray(sweep.points)) {
    return { servesim: true, kind: 'sweep', files: entries.filter((e) => ['sweep.json', 'index.csv', 'index.json'].includes(e)) };
  }
  if (basename(dir) === 'charts' && entries.length > 0 && entries.every((e) => e.endsWith('.png'))) {
    const parent = dirname(dir);
    const up = jsonFile(join(parent, 'manifest.json')) ?? jsonFile(join(parent, 'sweep.json'));
    if (up && typeof up.servesim === 'string') return { servesim: true, kind: 'charts', files: entries };
  }
  return undefined;
}

/** The marker of `dir` if servesim wrote it, else undefined. */
export function outputKind(dir: string): OutputKind | undefined {
  return readMarker(dir)?.kind;
}

/**
 * Why `dir` may not be replaced (a person's file in it, no marker, a link), or undefined if every
 * entry in it, recursively, is one servesim wrote.
 */
export function notOwnedReason(dir: string, depth = 0): string | undefined {
  const m = readMarker(dir);
  if (!m) return depth === 0 ? `no ${MARKER} marker` : `${dir} has no ${MARKER} marker`;
  if (depth > 8) return `${dir} is nested too deeply`;
  const listed = new Set(m.files);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    return rethrowIo(e, dir, 'list directory');
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (e === MARKER) continue;
    const t = OWN_TRANSIENT.exec(e);
    // servesim's temporaries (and a lock only if it holds servesim's lock record).
    if (t && (!t[2].startsWith('servesim-lock') || readLock(p) !== undefined)) continue;
    const st = lstatSync(p);
    if (st.isDirectory()) {
      const why = notOwnedReason(p, depth + 1);
      if (why) return why;
    } else if (!st.isFile() || !listed.has(e)) {
      return `${p} is not a file servesim wrote`;
    }
  }
  return undefined;
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** Write the marker of `dir` listing its entries (call when the directory is complete). */
function writeMarker(dir: string, kind: OutputKind): void {
  const prev = readMarker(dir);
  const files = new Set<string>(prev && prev.kind === kind ? prev.files : []);
  for (const e of readdirSync(dir)) if (e !== MARKER && !OWN_TRANSIENT.test(e)) files.add(e);
  saveMarker(dir, kind, files);
}

/** Write the marker of `dir`: servesim wrote `files` there. */
function saveMarker(dir: string, kind: OutputKind, files: Iterable<string>): void {
  writeFileAtomic(join(dir, MARKER), jsonText({ servesim: true, kind, files: [...files].sort() } satisfies Marker));
}

/**
 * Check what is at `target` before writing a directory of `kind` there. Returns 'absent' (nothing,
 * or an empty directory), or 'ours' (a directory servesim wrote; replacing it needs `force`). Any
 * other thing is an error that leaves it untouched.
 */
export function inspectTarget(target: string, kind: OutputKind, o: { force?: boolean; flag?: string; forceHint?: string }): 'absent' | 'ours' {
  const st = lstatOrUndefined(target, 'check output directory');
  if (!st) return 'absent';
  if (st.isSymbolicLink()) throw new UserError(`${target}: is a symbolic link; refusing to replace it (give the real path)`);
  if (!st.isDirectory()) throw new UserError(`${target}: exists and is not a directory (a file or device); refusing to replace it (choose another ${o.flag ?? '--out'})`);
  if (st.dev !== lstatSync(dirname(target)).dev) {
    throw new UserError(`${target}: is a mount point; servesim replaces a results directory by renaming, which a mount point cannot be (use a directory inside it)`);
  }
  if (isEmptyDir(target)) return 'absent';
  const why = notOwnedReason(target);
  if (why) throw new UserError(`${target}: exists and was not written by servesim (${why}); refusing to replace it, even with --force (choose another ${o.flag ?? '--out'}, or move your files away)`);
  const k = outputKind(target);
  if (k !== kind) throw new UserError(`${target}: holds servesim ${k} output, not ${kind} output; refusing to replace it (choose another ${o.flag ?? '--out'})`);
  if (!o.force) throw new UserError(`${target}: output directory exists and is not empty (${o.forceHint ?? 'use --force to replace it, or --out DIR'})`);
  return 'ours';
}

/** A directory being written under a temporary name, moved into place by `commit`. */
export interface PendingDir {
  /** Where to write now. */
  tmp: string;
  target: string;
  /** Mark it complete and move it into place (replacing the old one crash-safely). */
  commit(): void;
  /** Give up: remove the temporary, release the lock. */
  abort(): void;
  /** Abort and rethrow `e`, with the temporary's name in its message replaced by the target's. */
  fail(e: unknown): never;
}

/**
 * Start writing a directory of `kind` at `target` (see the module comment for the rules). With
 * `lock: false` the caller already holds a lock covering the target (a sweep's points).
 */
export function beginDir(target: string, kind: OutputKind, o: { force?: boolean; flag?: string; lock?: boolean; checked?: boolean; forceHint?: string } = {}): PendingDir {
  const abs = o.checked ? target : checkOutputPath(target, o.flag);
  ensureDir(dirname(abs));
  const lock = o.lock === false ? undefined : acquireLock(abs);
  try {
    cleanStale(abs);
    inspectTarget(abs, kind, o);
    const tmp = tmpName(abs);
    trackTemp(tmp);
    try {
      mkdirSync(tmp);
    } catch (e) {
      rethrowIo(e, tmp, 'create directory');
    }
    let done = false;
    return {
      tmp,
      target: abs,
      commit() {
        if (done) return;
        done = true;
        try {
          writeMarker(tmp, kind);
          replaceDir(tmp, abs, kind);
        } catch (e) {
          rmSync(tmp, { recursive: true, force: true }); // e.g. no space left for the marker
          throw e;
        } finally {
          liveTemps.delete(tmp);
          if (lock) releaseLock(lock);
        }
      },
      abort() {
        if (done) return;
        done = true;
        rmSync(tmp, { recursive: true, force: true });
        liveTemps.delete(tmp);
        if (lock) releaseLock(lock);
      },
      fail(e: unknown): never {
        this.abort();
        if (e instanceof UserError && e.message.includes(tmp)) throw new UserError(e.message.split(tmp).join(abs));
        throw e;
      },
    };
  } catch (e) {
    if (lock) releaseLock(lock);
    throw e;
  }
}

/** Move `tmp` to `target`; an existing target (checked to be ours) is moved aside first. */
function replaceDir(tmp: string, target: string, kind: OutputKind): void {
  const st = lstatOrUndefined(target, 'replace output directory');
  if (!st) {
    renameOrThrow(tmp, target);
    return;
  }
  // Checked again now: it may have changed while the run went on.
  if (!st.isDirectory() || (!isEmptyDir(target) && (notOwnedReason(target) !== undefined || outputKind(target) !== kind))) {
    throw new UserError(`${target}: changed while servesim was writing (it is no longer servesim ${kind} output); nothing was replaced and the new results were discarded`);
  }
  const old = join(dirname(target), `.${basename(target)}.servesim-old-${process.pid}`);
  trackTemp(old);
  renameOrThrow(target, old);
  try {
    renameOrThrow(tmp, target);
  } catch (e) {
    renameSync(old, target);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
  liveTemps.delete(old);
}

function renameOrThrow(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    rethrowIo(e, to, 'move into place');
  }
}

/**
 * A directory that servesim adds files to (charts, a synthetic trace, a sweep, the paper's
 * results) rather than replacing whole. It is created if missing; an existing one must be empty or
 * one servesim wrote of the same kind. A file in it may be replaced only if servesim wrote it
 * (listed in the marker); a person's file is never replaced. Holds the directory's lock until
 * `close`.
 */
export class OutputDir {
  readonly dir: string;
  private readonly lock: Lock | undefined;
  private readonly listed: Set<string>;
  private closed = false;

  constructor(dir: string, readonly kind: OutputKind, o: { flag?: string; lock?: boolean } = {}) {
    this.dir = checkOutputPath(dir, o.flag);
    const flag = o.flag ?? '--out';
    const st = lstatOrUndefined(this.dir, 'check output directory');
    if (st && !st.isDirectory()) {
      throw new UserError(`${dir}: exists and is not a directory${st.isSymbolicLink() ? ' (a symbolic link)' : ''}; refusing to replace it (choose another ${flag})`);
    }
    const m = st ? readMarker(this.dir) : undefined;
    if (st && !m && !isEmptyDir(this.dir)) {
      throw new UserError(`${dir}: exists and holds files servesim did not write; refusing to write into it (choose another ${flag}, or an empty directory)`);
    }
    if (m && m.kind !== kind) throw new UserError(`${dir}: holds servesim ${m.kind} output, not ${kind} output (choose another ${flag})`);
    this.listed = new Set(m?.files ?? []);
    ensureDir(this.dir);
    this.lock = o.lock === false ? undefined : acquireLock(this.dir);
    try {
      cleanStale(this.dir);
      // Claim a new (or empty) directory at once, so whatever is written into it later, even by a
      // run that fails halfway, stays recognisably servesim's.
      if (!m) this.saveMarker();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Check that `name` may be written (before doing expensive work); returns its path. */
  check(name: string): string {
    assertSafeSegment(name, `${this.dir}: output file`, MAX_NAME_BYTES);
    const p = join(this.dir, name);
    const st = lstatOrUndefined(p, 'check output file');
    if (!st) return p;
    if (st.isDirectory()) {
      if (outputKind(p) !== undefined || isEmptyDir(p)) return p;
      throw new UserError(`${p}: is a directory servesim did not write; refusing to replace it`);
    }
    if (!st.isFile()) throw new UserError(`${p}: is not a regular file (a link, device or FIFO); refusing to replace it`);
    if (!this.listed.has(name)) throw new UserError(`${p}: exists and was not written by servesim; refusing to replace it (move it away, or use another --out)`);
    return p;
  }

  /** Write a file atomically into the directory. */
  write(name: string, content: string | Uint8Array): string {
    const p = this.claim(name);
    writeFileAtomic(p, content);
    return p;
  }

  /** Record an entry about to be written by other means (a file streamed to a temporary and renamed). */
  claim(name: string): string {
    const p = this.check(name);
    if (!this.listed.has(name)) {
      this.listed.add(name);
      this.saveMarker();
    }
    return p;
  }

  private saveMarker(): void {
    saveMarker(this.dir, this.kind, this.listed);
  }

  /** A temporary path beside `name` in this directory (removed at exit if still there). */
  tempFor(name: string): string {
    const t = tmpName(join(this.dir, name));
    trackTemp(t);
    return t;
  }

  /** Forget a temporary from tempFor once it was renamed or removed. */
  doneWith(tmp: string): void {
    liveTemps.delete(tmp);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.lock) releaseLock(this.lock);
  }
}

/** Write one file into an output directory of `kind` (opened, written, closed). */
export function writeIntoDir(dir: string, kind: OutputKind, name: string, content: string | Uint8Array): string {
  const out = new OutputDir(dir, kind);
  try {
    return out.write(name, content);
  } finally {
    out.close();
  }
}
