/**
 * The fuzz harness: runs the servesim CLI in process on one generated case inside a fresh sandbox
 * directory, and judges the outcome.
 *
 * A case is a set of files (configs, profiles, traces, ONNX bytes, pre-existing outputs), an argv
 * and an expectation. Running it: make the sandbox, write the files, snapshot the tree, chdir into
 * it, call `main()` with stdout/stderr captured, chdir back, snapshot again, judge, remove the
 * sandbox. No vitest import here: scripts/fuzz.mjs uses this module under tsx too.
 *
 * Verdicts (anything but "clean" is a failure):
 * - a thrown non-UserError (main() rethrows it: "internal error" with a stack in the real CLI);
 * - a bad input accepted (exit 0);
 * - an error message that is not one clean `servesim: ...` report: a stack trace, a zod default
 *   ("Invalid input"), "[object Object]", "undefined", or one that does not name the file and the
 *   field (configs, profiles) or the line (traces);
 * - anything created, changed or deleted in the sandbox outside the allowed output path.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { main } from '../../src/cli/main.js';

/** What a case expects of the CLI. */
export type Expect =
  /** A bad input: must end in a clean user error. */
  | 'reject'
  /** Unclear whether valid: either a clean user error or success, never a crash or stray write. */
  | 'either'
  /** A valid input: must succeed. */
  | 'accept';

export interface FuzzCase {
  /** Category (config, set, profile, trace-2019, ...). */
  category: string;
  /** The kind of mutation (class of bad input), e.g. "duration:1e999s"; groups failures. */
  kind: string;
  /** Human description: which field or line was changed and how. */
  label: string;
  /** Files to create, relative to the sandbox: text or bytes. */
  files: Record<string, string | Uint8Array>;
  /** Directories to create (relative), e.g. an empty output directory. */
  dirs?: string[];
  /** Symbolic links to create: link path (relative) -> target (as written). */
  symlinks?: Record<string, string>;
  /** chmod after creating (relative path -> mode), e.g. a read-only directory. */
  modes?: Record<string, number>;
  /** Arguments after `servesim`; relative paths are relative to the sandbox (the cwd). */
  argv: string[];
  expect: Expect;
  /**
   * What an error message must name: each entry is a string that must appear, or a list of which
   * one must appear. Typically the file and the field path (or the line).
   */
  mentions: Array<string | string[]>;
  /** Run in a subdirectory of the sandbox, so that ".." is still inside it (output-location cases). */
  nested?: boolean;
  /** Paths (relative) under which the command may write: the --out target and its temporaries. */
  allowedWrites: string[];
  /** A case that takes longer than this (ms, default 5000) fails as "slow": a guard against near-hangs. */
  slowMs?: number;
  /** Extra check of an accepted run (valid-run cases), given its cwd and a way to run more commands; returns problems. */
  checkOutput?: (cwd: string, run: (argv: string[]) => Promise<CliResult>) => Promise<string[]>;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** A non-UserError that main() rethrew: an internal error. */
  thrown?: unknown;
  /** Properties the command added to Object.prototype or Array.prototype (removed again). */
  polluted?: string[];
  ms: number;
}

export interface Verdict {
  ok: boolean;
  /** Failure classes this case shows (category | kind or * | what went wrong). */
  signatures: string[];
  /** The first of them ('' when ok). */
  signature: string;
  problems: string[];
  result: CliResult;
}

// ------------------------------------------------------------------ running the CLI in process

/** Thrown by the stand-in for process.exit (no `code` property: main() reads that of errors). */
class ExitCalled extends Error {
  constructor(readonly status: number) {
    super(`process.exit(${status})`);
  }
}

/** Run `servesim ...argv` in process with cwd = `cwd`, capturing output and the exit code. */
let running = false;

export async function runCli(argv: string[], cwd: string): Promise<CliResult> {
  // Cases share the process (cwd, stdout, process.exit): one at a time.
  if (running) throw new Error('fuzz harness: runCli called while another case is running');
  running = true;
  try {
    return await runCliAlone(argv, cwd);
  } finally {
    running = false;
  }
}

async function runCliAlone(argv: string[], cwd: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture =
    (sink: string[]) =>
    (chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    };
  const protos: Array<[string, object]> = [
    ['Object.prototype', Object.prototype],
    ['Array.prototype', Array.prototype],
    ['Function.prototype', Function.prototype],
  ];
  const protoKeys = protos.map(([, p]) => new Map(Reflect.ownKeys(p).map((k) => [k, Reflect.getOwnPropertyDescriptor(p, k)!])));
  const savedExit = process.exitCode;
  const savedCwd = process.cwd();
  process.exitCode = undefined;
  let thrown: unknown;
  const t0 = performance.now();
  process.stdout.write = capture(out) as typeof process.stdout.write;
  process.stderr.write = capture(err) as typeof process.stderr.write;
  // Commander's subcommands call process.exit() on usage errors: that must not end the test run.
  const exit = process.exit;
  let exitCalled: number | undefined;
  process.exit = ((code?: number | string | null) => {
    exitCalled = Number(code ?? 0);
    throw new ExitCalled(exitCalled);
  }) as typeof process.exit;
  try {
    process.chdir(cwd);
    await main(['node', 'servesim', ...argv]);
  } catch (e) {
    if (!(e instanceof ExitCalled)) thrown = e;
  } finally {
    process.exit = exit;
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.chdir(savedCwd);
  }
  const code = exitCalled ?? process.exitCode;
  process.exitCode = savedExit;
  const polluted: string[] = [];
  protos.forEach(([name, p], i) => {
    for (const k of Reflect.ownKeys(p)) {
      const was = protoKeys[i].get(k);
      const now = Reflect.getOwnPropertyDescriptor(p, k)!;
      if (was && was.value === now.value && was.get === now.get && was.set === now.set) continue;
      polluted.push(`${name}.${String(k)}`);
      if (was) Object.defineProperty(p, k, was);
      else delete (p as Record<PropertyKey, unknown>)[k];
    }
  });
  return {
    polluted: polluted.length ? polluted : undefined,
    exitCode: thrown !== undefined ? 2 : typeof code === 'number' ? code : Number(code ?? 0),
    stdout: out.join(''),
    stderr: err.join(''),
    thrown,
    ms: performance.now() - t0,
  };
}

// ------------------------------------------------------------------ sandboxes

export interface Entry {
  type: 'file' | 'dir' | 'link' | 'other';
  size: number;
  mode: number;
  /** sha256 of a file's bytes, or a link's target. */
  hash: string;
}

/** Every path under `root` (not following links) with its type, size, mode and content hash. */
export function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // unreadable (a chmod-000 case): its listing cannot change without us noticing the mode
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = relative(root, p);
      if (st.isSymbolicLink()) {
        out.set(rel, { type: 'link', size: 0, mode: st.mode, hash: '' });
      } else if (st.isDirectory()) {
        out.set(rel, { type: 'dir', size: 0, mode: st.mode, hash: '' });
        walk(p);
      } else if (st.isFile()) {
        let hash = '';
        try {
          hash = createHash('sha256').update(readFileSync(p)).digest('hex');
        } catch {
          hash = 'unreadable';
        }
        out.set(rel, { type: 'file', size: st.size, mode: st.mode, hash });
      } else out.set(rel, { type: 'other', size: 0, mode: st.mode, hash: '' });
    }
  };
  walk(root);
  return out;
}

function under(rel: string, allowed: string[]): boolean {
  return allowed.some((a) => {
    if (a === '') return false;
    const norm = a.replace(/\/+$/, '');
    return rel === norm || rel.startsWith(norm + sep);
  });
}

/** Temporaries a writer may leave next to an allowed path while it runs: `.NAME.tmp-PID`. */
function allowedTemporaries(allowed: string[]): string[] {
  return allowed.map((a) => {
    const d = dirname(a);
    const b = a.split(sep).pop()!;
    return join(d === '.' ? '' : d, `.${b}.tmp-${process.pid}`);
  });
}

/** Differences between two snapshots outside the allowed paths. */
export function diffSnapshots(before: Map<string, Entry>, after: Map<string, Entry>, allowed: string[]): string[] {
  const problems: string[] = [];
  for (const [p, e] of before) {
    if (under(p, allowed)) continue;
    const a = after.get(p);
    if (!a) problems.push(`deleted ${p}`);
    else if (a.type !== e.type || a.hash !== e.hash || a.size !== e.size || a.mode !== e.mode) problems.push(`changed ${p}`);
  }
  for (const p of after.keys()) {
    if (before.has(p) || under(p, allowed)) continue;
    problems.push(under(p, allowedTemporaries(allowed)) ? `left temporary ${p}` : `created ${p}`);
  }
  return problems;
}

// ------------------------------------------------------------------ shared read-only inputs

/**
 * Inputs most cases share (the small profile, valid traces, base configs, a tiny ONNX model) are
 * written once per process to one directory and referenced by absolute path: writing and removing
 * files is most of a case's cost on a slow disk. No command may change them (checkShared).
 */
let sharedDir: string | undefined;
const sharedFiles = new Map<string, { content: string | Uint8Array; hash: string }>();

function sha(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The absolute path of a shared input file, written on first use. */
export function sharedFile(name: string, content: string | Uint8Array | (() => string | Uint8Array)): string {
  if (!sharedDir) {
    sharedDir = mkdtempSync(join(tmpdir(), 'servesim-fuzz-shared-'));
    const dir = sharedDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(sharedDir, name);
  if (!sharedFiles.has(name)) {
    const c = typeof content === 'function' ? content() : content;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, c);
    sharedFiles.set(name, { content: c, hash: sha(c) });
  }
  return path;
}

/** Shared inputs that some command changed or removed (each should be none). */
export function checkShared(): string[] {
  const problems: string[] = [];
  for (const [name, f] of sharedFiles) {
    const path = join(sharedDir!, name);
    let now: string;
    try {
      now = sha(readFileSync(path));
    } catch {
      problems.push(`shared input ${path} was removed`);
      continue;
    }
    if (now !== f.hash) problems.push(`shared input ${path} was changed`);
  }
  return problems;
}

/** The working directory of a case inside its sandbox (one level down, so that ".." stays inside). */
export const WORK = 'w';

/** Make a sandbox with the case's files (under its WORK directory for nested cases: the cwd of the command). */
export function materialize(c: FuzzCase): string {
  const root = mkdtempSync(join(tmpdir(), 'servesim-fuzz-'));
  const cwd = c.nested ? join(root, WORK) : root;
  if (c.nested) mkdirSync(cwd);
  for (const d of c.dirs ?? []) mkdirSync(join(cwd, d), { recursive: true });
  for (const [p, content] of Object.entries(c.files)) {
    mkdirSync(dirname(join(cwd, p)), { recursive: true });
    writeFileSync(join(cwd, p), content);
  }
  for (const [link, target] of Object.entries(c.symlinks ?? {})) {
    mkdirSync(dirname(join(cwd, link)), { recursive: true });
    symlinkSync(target, join(cwd, link));
  }
  for (const [p, mode] of Object.entries(c.modes ?? {})) chmodSync(join(cwd, p), mode);
  return root;
}

export function removeSandbox(root: string, modes = false): void {
  // Undo read-only modes first so that removal cannot fail.
  if (modes) fix(root);
  rmSync(root, { recursive: true, force: true });
}

function fix(dir0: string): void {
  const fix = (dir: string): void => {
    try {
      chmodSync(dir, 0o755);
    } catch {
      /* gone */
    }
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (lstatSync(p).isDirectory()) fix(p);
      } catch {
        /* gone */
      }
    }
  };
  fix(dir0);
}

// ------------------------------------------------------------------ judging

const STACK = /^\s+at .+/m;
const INTERNAL_WORDS = /\b(TypeError|ReferenceError|RangeError|SyntaxError|AssertionError|internal error|Cannot read propert|is not a function|is not iterable|Maximum call stack)\b/;
const VAGUE = /Invalid input|\[object Object\]|\bundefined\b|Invalid (element|key|option)/;

/**
 * Judge one CLI result against the case's expectation. Each kind of problem is its own failure
 * class ("signature"): classes about what the input was (accepted, unnamed field, vague message)
 * carry the case's kind; classes about how the command failed (internal error at a source line,
 * stack trace, stray write) do not, so that one bug is one class however it was reached.
 */
export function judge(c: FuzzCase, r: CliResult, writes: string[], outputProblems: string[] = []): Verdict {
  const problems: string[] = [];
  const sigs: string[] = [];
  const byKind = (what: string): void => void sigs.push(`${c.category}|${c.kind}|${what}`);
  const byWay = (what: string): void => void sigs.push(`${c.category}|*|${what}`);
  if (r.thrown !== undefined) {
    const e = r.thrown as Error;
    const name = e?.constructor?.name ?? typeof e;
    const first = String(e?.message ?? e).split('\n')[0];
    problems.push(`internal error: ${name}: ${first}`);
    if (e?.stack) problems.push(e.stack.split('\n').slice(0, 6).join('\n'));
    // The throw site names the bug better than the message, whose values vary.
    const site = /\n\s+at (?:.*? \()?(?:.*\/)?(src\/[^:)]+):(\d+)/.exec(e?.stack ?? '');
    byWay(`internal ${name}${site ? ` at ${site[1]}:${site[2]}` : `: ${first.slice(0, 60)}`}`);
  } else if (r.exitCode === 0) {
    if (c.expect === 'reject') {
      problems.push('accepted a bad input (exit 0)');
      byKind('accepted');
    } else if (outputProblems.length) {
      problems.push(...outputProblems);
      for (const o of new Set(outputProblems.map((p) => p.replace(/:.*$/, '').replace(/\d+/g, 'N')))) byWay(`bad output: ${o}`);
    }
  } else {
    if (c.expect === 'accept') {
      problems.push(`rejected a valid input (exit ${r.exitCode})`);
      byKind('rejected valid');
    }
    const text = r.stderr;
    const lines = text.split('\n').filter((l) => l !== '');
    if (lines.length === 0) {
      problems.push('exit non-zero with nothing on stderr');
      byWay('silent error');
    } else if (!lines[0].startsWith('servesim: ')) {
      problems.push(`first stderr line does not start with "servesim: ": ${lines[0].slice(0, 200)}`);
      byWay('no "servesim:" prefix');
    }
    if (STACK.test(text)) {
      problems.push('stderr holds a stack trace');
      byWay('stack trace');
    }
    if (INTERNAL_WORDS.test(text)) {
      problems.push(`stderr reads like an internal error: ${INTERNAL_WORDS.exec(text)![0]}`);
      byWay(`internal-looking message (${INTERNAL_WORDS.exec(text)![0]})`);
    }
    if (VAGUE.test(text)) {
      problems.push(`vague message (${VAGUE.exec(text)![0]}): ${lines.join(' | ').slice(0, 300)}`);
      byWay(`vague message ("${VAGUE.exec(text)![0]}")`);
    }
    if (lines.length > 8) {
      problems.push(`error report of ${lines.length} lines`);
      byWay('long error report');
    }
    const missing: string[] = [];
    for (const m of c.mentions) {
      const alts = Array.isArray(m) ? m : [m];
      if (!alts.some((a) => text.includes(a))) missing.push(alts.map((a) => JSON.stringify(a.length > 40 ? a.slice(0, 40) + '...' : a)).join(' or '));
    }
    if (missing.length && lines.length) {
      problems.push(`message does not name ${missing.join(', ')}: ${lines.join(' | ').slice(0, 300)}`);
      byKind('message does not name the file/field/line');
    }
  }
  if (r.ms > (c.slowMs ?? 5000)) {
    problems.push(`took ${(r.ms / 1000).toFixed(1)} s`);
    byKind(`slow (over ${((c.slowMs ?? 5000) / 1000).toFixed(0)} s)`);
  }
  if (r.polluted) {
    problems.push(`prototype pollution: the command set ${r.polluted.join(', ')}`);
    byKind('prototype pollution');
  }
  if (writes.length) {
    problems.push(`outside the output location: ${writes.slice(0, 5).join(', ')}`);
    const destroyed = writes.some((w) => /^(deleted|changed) /.test(w));
    if (destroyed) byKind('destroyed data');
    if (writes.some((w) => w.startsWith('left temporary'))) byWay('left a temporary behind');
    if (writes.some((w) => w.startsWith('created'))) byWay(destroyed ? 'created files outside --out' : 'created files outside --out');
  }
  return { ok: problems.length === 0, signatures: sigs, signature: sigs[0] ?? '', problems, result: r };
}

/** Run one case from start to finish: sandbox, CLI, judgement, cleanup. */
export async function evaluate(c: FuzzCase): Promise<Verdict> {
  const root = materialize(c);
  try {
    const cwd = c.nested ? join(root, WORK) : root;
    const before = snapshot(root);
    const r = await runCli(c.argv, cwd);
    const after = snapshot(root);
    const writes = diffSnapshots(before, after, c.nested ? c.allowedWrites.map((a) => join(WORK, a)) : c.allowedWrites);
    const outProblems =
      r.exitCode === 0 && r.thrown === undefined && c.checkOutput ? await c.checkOutput(cwd, (argv) => runCli(argv, cwd)) : [];
    return judge(c, r, writes, outProblems);
  } finally {
    removeSandbox(root, c.modes !== undefined);
  }
}

// ------------------------------------------------------------------ reproducers

function gzip64(content: string | Uint8Array): string {
  return gzipSync(content, { level: 9 }).toString('base64');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A shell script that recreates the case's files and runs the command (from the repository root). */
export function reproducer(c: FuzzCase): string {
  const lines = [c.nested ? `d=$(mktemp -d) && mkdir "$d/${WORK}" && cd "$d/${WORK}"` : 'cd "$(mktemp -d)"'];
  const S = sharedDir;
  const subst = (t: string): string => (S ? t.split(S).join('@SHARED@') : t);
  const texts = [...Object.values(c.files).map((v) => (typeof v === 'string' ? v : '')), ...c.argv];
  const used = S ? [...sharedFiles.keys()].filter((n) => texts.some((t) => t.includes(join(S, n)))) : [];
  if (used.length) {
    lines.push('SHARED=$(mktemp -d)');
    for (const n of used) {
      if (dirname(n) !== '.') lines.push(`mkdir -p "$SHARED"/${shellQuote(dirname(n))}`);
      lines.push(`echo ${gzip64(sharedFiles.get(n)!.content)} | base64 -d | gunzip > "$SHARED"/${shellQuote(n)}`);
    }
  }
  const fixShared: string[] = [];
  for (const d of c.dirs ?? []) lines.push(`mkdir -p ${shellQuote(d)}`);
  for (const [p, content] of Object.entries(c.files)) {
    const d = dirname(p);
    if (d !== '.') lines.push(`mkdir -p ${shellQuote(d)}`);
    const text = typeof content === 'string' ? subst(content) : null;
    if (text !== null && S && text.includes('@SHARED@')) fixShared.push(p);
    const printable = text !== null && text.length <= 2500 && !/[\0-\x08\x0b-\x1f\x7f]/.test(text.replace(/\r\n/g, '\n'));
    if (printable && !text.includes('\r')) {
      lines.push(`cat > ${shellQuote(p)} <<'EOF'\n${text}${text.endsWith('\n') ? '' : '\n'}EOF`);
      if (!text.endsWith('\n')) lines.push(`truncate -s -1 ${shellQuote(p)}`);
    } else {
      const bytes = text !== null ? text : (content as Uint8Array);
      lines.push(`echo ${gzip64(bytes)} | base64 -d | gunzip > ${shellQuote(p)}  # ${Buffer.byteLength(bytes)} bytes${text !== null ? `: ${JSON.stringify(text.slice(0, 80))}...` : ''}`);
    }
  }
  for (const p of fixShared) lines.push(`sed -i "s|@SHARED@|$SHARED|g" ${shellQuote(p)}`);
  for (const [link, target] of Object.entries(c.symlinks ?? {})) lines.push(`ln -s ${shellQuote(target)} ${shellQuote(link)}`);
  for (const [p, mode] of Object.entries(c.modes ?? {})) lines.push(`chmod ${mode.toString(8)} ${shellQuote(p)}`);
  const arg = (a: string): string => (S && a.includes(S) ? a.split(S).map((x) => (x === '' ? '' : shellQuote(x))).join('"$SHARED"') : shellQuote(a));
  lines.push(`node "$SERVESIM"/bin/servesim.js ${c.argv.map(arg).join(' ')}`);
  return lines.join('\n');
}
