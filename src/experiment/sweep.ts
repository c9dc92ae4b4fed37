/**
 * Sweeps: every point of a config's grid, each run as an independent experiment into
 * <out>/<point id>/ (written under a temporary name and renamed into place, so a point directory
 * that exists is complete). Points run in parallel in child processes (`jobs`), a `resume` skips
 * complete points, and a `shard` i/n runs the points whose index k (in sweep order) has
 * k mod n = i - 1, so a cluster job array can split a sweep (`--shard auto` takes i and n from a
 * Slurm array's or a Kubernetes Indexed Job's variables); `mergeSweeps` joins shard outputs.
 * Each point's results depend only on its own config, so they are identical however the sweep is
 * split; index.json / index.csv list the complete points in sweep order.
 *
 * <out>/sweep.json records the sweep (config hash, every point's id and parameters) so that merge
 * and resume can check they are looking at the same sweep.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { UserError } from '../util/errors.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import { resolveExperiment, type SweepPoint } from './config.js';
import { loadPlugins, usedPluginHashes } from './plugins.js';
import { assertSafeSegment } from '../util/paths.js';
import { beginDir, inspectTarget, jsonText, MAX_NAME_BYTES, notOwnedReason, OutputDir, outputKind } from '../util/output.js';
import { sha256 } from '../util/hash.js';
import { readInputText } from '../util/io.js';
import { runToDirectory, writeIndex } from './runner.js';
import { hasSeedDimension } from '../util/seed-groups.js';
import { formatEta, openProgress, type ProgressDisplay, type ProgressJob, type ProgressSample } from '../util/progress.js';

export interface Shard {
  /** 1-based: the i-th of `count` shards. */
  index: number;
  count: number;
}

/** Parse "i/n" (1 <= i <= n). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UserError(`--shard expects i/n (the i-th of n shards, 1 <= i <= n), found "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard expects i/n with 1 <= i <= n, found "${text}"${index === 0 ? ' (shards count from 1: with a 0-based array index use $((INDEX + 1))/n)' : ''}`);
  }
  return { index, count };
}

/**
 * `--shard auto`: the shard of this task of a cluster job array, from the environment
 * (README.md, "Sweeps on a cluster"):
 * - a Slurm job array: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX and
 *   SLURM_ARRAY_TASK_COUNT (SLURM_ARRAY_TASK_STEP, if set, for `--array=0-14:2`). The array must
 *   have evenly spaced ids (`--array=0-7`, `1-8`, `0-14:2`; not a list such as `1,2,7`): the task
 *   with id ID is shard (ID - MIN) / STEP + 1 of COUNT, so 0-based and 1-based arrays both work;
 *   COUNT must equal (MAX - MIN) / STEP + 1.
 * - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based, set by Kubernetes) is shard
 *   INDEX + 1 of SERVESIM_SHARD_COUNT, which the pod spec sets to the Job's `completions`
 *   (Kubernetes does not export that count to pods).
 * Every inconsistency is an error naming the variable and its value.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): Shard & { from: string } {
  const has = (k: string): boolean => env[k] !== undefined && env[k] !== '';
  const int = (k: string, missing: string): number => {
    const v = env[k];
    if (v === undefined || v === '') throw new UserError(`--shard auto: ${missing}`);
    if (!/^\s*\d{1,15}\s*$/.test(v)) throw new UserError(`--shard auto: ${k} expects a non-negative integer, found "${v}"`);
    return Number(v);
  };
  const slurm = has('SLURM_ARRAY_TASK_ID');
  const k8s = has('JOB_COMPLETION_INDEX');
  if (slurm && k8s) {
    throw new UserError(
      `--shard auto: both a Slurm job array (SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID}) and a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${env.JOB_COMPLETION_INDEX}) are set; unset one, or use --shard i/n`,
    );
  }
  if (slurm) {
    const need = (k: string): string =>
      `SLURM_ARRAY_TASK_ID=${env.SLURM_ARRAY_TASK_ID} is set (a Slurm job array task), but ${k} is not (Slurm sets SLURM_ARRAY_TASK_MIN, _MAX and _COUNT in array tasks)`;
    const id = int('SLURM_ARRAY_TASK_ID', '');
    const min = int('SLURM_ARRAY_TASK_MIN', need('SLURM_ARRAY_TASK_MIN'));
    const max = int('SLURM_ARRAY_TASK_MAX', need('SLURM_ARRAY_TASK_MAX'));
    const count = int('SLURM_ARRAY_TASK_COUNT', need('SLURM_ARRAY_TASK_COUNT'));
    const step = has('SLURM_ARRAY_TASK_STEP') ? int('SLURM_ARRAY_TASK_STEP', '') : 1;
    if (step < 1) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_STEP expects a positive integer, found "${env.SLURM_ARRAY_TASK_STEP}"`);
    if (max < min) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_MAX=${max} is below SLURM_ARRAY_TASK_MIN=${min}`);
    if (id < min || id > max) {
      throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is outside SLURM_ARRAY_TASK_MIN..SLURM_ARRAY_TASK_MAX = ${min}..${max}`);
    }
    const spaced = (max - min) % step === 0 ? (max - min) / step + 1 : NaN;
    if (spaced !== count) {
      throw new UserError(
        `--shard auto: SLURM_ARRAY_TASK_COUNT=${count}, but ids ${min}..${max}${step > 1 ? ` in steps of ${step} (SLURM_ARRAY_TASK_STEP)` : ''} make ${Number.isNaN(spaced) ? 'no whole number of' : spaced} tasks: ` +
          'the array must have evenly spaced ids (e.g. sbatch --array=0-7 or --array=1-8, not a list such as 1,2,7); otherwise use --shard i/n',
      );
    }
    if ((id - min) % step !== 0) {
      throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is not SLURM_ARRAY_TASK_MIN=${min} plus a multiple of SLURM_ARRAY_TASK_STEP=${step}`);
    }
    const index = (id - min) / step + 1;
    return { index, count, from: `Slurm array task ${id} of ${min}-${max}${step > 1 ? `:${step}` : ''}` };
  }
  if (k8s) {
    const i = int('JOB_COMPLETION_INDEX', '');
    const count = int(
      'SERVESIM_SHARD_COUNT',
      `JOB_COMPLETION_INDEX=${env.JOB_COMPLETION_INDEX} is set (a Kubernetes Indexed Job), but SERVESIM_SHARD_COUNT is not: set it in the pod spec to the Job's spec.completions (Kubernetes does not pass that count to pods)`,
    );
    if (count < 1) throw new UserError(`--shard auto: SERVESIM_SHARD_COUNT expects a positive integer (the Job's spec.completions), found "${env.SERVESIM_SHARD_COUNT}"`);
    if (i >= count) {
      throw new UserError(`--shard auto: JOB_COMPLETION_INDEX=${i} is not below SERVESIM_SHARD_COUNT=${count} (indexes count from 0: set SERVESIM_SHARD_COUNT to the Job's spec.completions)`);
    }
    return { index: i + 1, count, from: `Kubernetes completion index ${i} of ${count}` };
  }
  throw new UserError(
    `--shard auto: found neither a Slurm job array (SLURM_ARRAY_TASK_ID${has('SLURM_JOB_ID') ? `; SLURM_JOB_ID=${env.SLURM_JOB_ID} is set, but this job is not an array: submit with sbatch --array=0-N` : ''}) ` +
      'nor a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) in the environment; use --shard i/n elsewhere',
  );
}

/** `--shard` as given: "auto" (from the environment: `shardFromEnv`) or "i/n". */
export function resolveShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard & { from?: string } {
  return text.trim() === 'auto' ? shardFromEnv(env) : parseShard(text);
}

/** The points of shard i/n: those whose position k in sweep order has k mod n = i - 1. */
export function shardPoints<T>(points: readonly T[], shard?: Shard): T[] {
  if (!shard) return [...points];
  return points.filter((_, k) => k % shard.count === shard.index - 1);
}

export interface SweepFile {
  servesim: string;
  name: string;
  configHash: string;
  points: Array<{ id: string; params: Record<string, unknown> }>;
  shard: string | null;
}

/** The hash a point's manifest.json records (of its effective config, config.json). */
export function pointHash(input: Record<string, unknown>): string {
  return sha256(jsonText(input));
}

export interface SweepOptions {
  /** The config file (for resolving relative paths and error messages). */
  file: string;
  /** The effective config with its `sweep`. */
  input: Record<string, unknown>;
  points: readonly SweepPoint[];
  outDir: string;
  /** Parallel points (default: one per core, at most the number of points). */
  jobs?: number;
  resume?: boolean;
  force?: boolean;
  shard?: Shard;
  /**
   * Progress on stderr: true opens a display (src/util/progress.ts: bars on a terminal, plain
   * lines otherwise, per SERVESIM_PROGRESS), or the caller's display; false or absent: none.
   */
  progress?: boolean | ProgressDisplay;
  traceEvents?: { from: number; to: number };
  /** Where outDir came from, for messages ("--out", "FILE: output.dir"). */
  flag?: string;
  /** Charts of the sweep to draw at the end (default: the config's output.charts). */
  charts?: boolean | readonly string[];
}

export interface SweepResult {
  /** Complete points of this invocation's subset, in sweep order. */
  rows: Array<{ point: SweepPoint; summary: Record<string, unknown> }>;
  ran: number;
  skipped: number;
  wallSeconds: number;
}

interface Task {
  file: string;
  input: Record<string, unknown>;
  dir: string;
  force: boolean;
  label: string;
  progress: boolean;
  traceEvents?: { from: number; to: number };
  forceHint?: string;
}

type TaskReply = { ok: true; summary: Record<string, unknown> } | { ok: false; message: string; user: boolean };

/**
 * What a sweep's child process sends its parent: that it is ready, the progress of its point and
 * message lines while it runs (forwarded to the parent's display), and the point's reply last.
 */
export type WorkerMessage = { ready: true } | { progress: ProgressSample } | { log: string } | TaskReply;

/** Which kind of message a child sent (anything else, e.g. from a plugin calling process.send, is ignored). */
export function messageKind(m: unknown): 'ready' | 'progress' | 'log' | 'reply' | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (o.ready === true) return 'ready';
  if (o.progress && typeof o.progress === 'object') return 'progress';
  if (typeof o.log === 'string') return 'log';
  if (typeof o.ok === 'boolean') return 'reply';
  return undefined;
}

/** Run one point (in this process; `job`: where its progress goes). */
export async function runPointTask(t: Task, job?: ProgressJob): Promise<TaskReply> {
  try {
    // A child process of a parallel sweep starts with no plugin loaded (a no-op when already loaded).
    await loadPlugins([t.input], t.file);
    const resolved = resolveExperiment(t.input, t.file);
    const out = await runToDirectory(resolved, t.dir, t.force, { progress: job ?? false, label: t.label, traceEvents: t.traceEvents, forceHint: t.forceHint });
    return { ok: true, summary: out.summary };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? (e instanceof UserError ? e.message : (e.stack ?? e.message)) : String(e), user: e instanceof UserError };
  }
}

function workerScript(): string {
  const here = fileURLToPath(new URL('./sweep-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  // Running from TypeScript sources (tests): use the built worker.
  const built = join(PACKAGE_ROOT, 'dist', 'experiment', 'sweep-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`parallel sweeps need the built worker (${built}); run "npx tsc -p ." first`);
}

function readSummary(dir: string): Record<string, unknown> {
  const f = join(dir, 'summary.json');
  try {
    return JSON.parse(readInputText(f, 'summary')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserError(`${f}: not valid JSON (${e.message}); rerun that point with --force`);
    throw e;
  }
}

/**
 * Is the point's directory complete (renamed into place), and made from this config and, when it
 * runs plugins, from the same plugin files (their sha256 in the manifest)?
 */
function completeState(dir: string, input: Record<string, unknown>, file: string): 'complete' | 'absent' | 'different' {
  const m = join(dir, 'manifest.json');
  if (!existsSync(m)) return existsSync(dir) ? 'different' : 'absent';
  try {
    const manifest = JSON.parse(readFileSync(m, 'utf8'));
    const before = JSON.stringify(((manifest.plugins ?? []) as Array<{ sha256?: unknown }>).map((x) => x.sha256));
    const samePlugins = before === JSON.stringify(usedPluginHashes(input, file));
    return manifest.configHash === pointHash(input) && samePlugins && existsSync(join(dir, 'summary.json')) ? 'complete' : 'different';
  } catch {
    return 'different';
  }
}

export function sweepFile(input: Record<string, unknown>, points: readonly SweepPoint[], shard?: Shard): SweepFile {
  return {
    servesim: VERSION,
    name: String(input.name),
    configHash: sha256(jsonText(input)),
    points: points.map((p) => ({ id: p.id, params: p.params })),
    shard: shard ? `${shard.index}/${shard.count}` : null,
  };
}

/** Write index.json / index.csv of every complete point of the sweep in `outDir`, in sweep order. */
function reindex(out: OutputDir, points: readonly SweepPoint[], known: Map<string, Record<string, unknown>>): void {
  const rows = [];
  for (const p of points) {
    let s = known.get(p.id);
    if (!s && existsSync(join(out.dir, p.id, 'manifest.json')) && outputKind(join(out.dir, p.id)) === 'run') s = readSummary(join(out.dir, p.id));
    if (s) rows.push({ point: p, summary: s });
  }
  writeIndex(out, rows, hasSeedDimension(points));
}

/** Run a sweep (or its shard) into `outDir`. */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const wall0 = process.hrtime.bigint();
  const mine = shardPoints(o.points, o.shard);
  const outDir = o.outDir;
  const display = o.progress === true ? openProgress() : o.progress || openProgress({ mode: 'none' });

  // The sweep directory: created if missing, else it must be one servesim wrote (src/util/output.ts);
  // held locked until the sweep ends, so a second writer fails at once.
  try {
    const out = new OutputDir(outDir, 'sweep', { flag: o.flag });
    try {
      return await runSweepIn(out, o, mine, display, wall0);
    } finally {
      out.close();
    }
  } finally {
    if (display !== o.progress) display.close();
  }
}

/** Read a sweep.json (ours), with one-line errors. */
function readSweepFile(dir: string): SweepFile {
  const f = join(dir, 'sweep.json');
  try {
    const v = JSON.parse(readInputText(f, 'sweep')) as SweepFile;
    if (!v || typeof v !== 'object' || !Array.isArray(v.points) || typeof v.configHash !== 'string') throw new SyntaxError('not a servesim sweep.json');
    v.points.forEach((p, i) => {
      if (!p || typeof p.id !== 'string') throw new SyntaxError(`points[${i}].id is not a string`);
      assertSafeSegment(p.id, `${f}: points[${i}].id`, MAX_NAME_BYTES);
    });
    return v;
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserError(`${f}: not a servesim sweep.json (${e.message})`);
    throw e;
  }
}

async function runSweepIn(out: OutputDir, o: SweepOptions, mine: SweepPoint[], display: ProgressDisplay, wall0: bigint): Promise<SweepResult> {
  const outDir = out.dir;
  const progress = display.mode !== 'none';
  const log = (s: string): void => display.log(s);
  // Which points are already complete?
  const summaries = new Map<string, Record<string, unknown>>();
  const todo: SweepPoint[] = [];
  const existing = existsSync(join(outDir, 'sweep.json')) ? readSweepFile(outDir) : undefined;
  const sf = sweepFile(o.input, o.points, o.shard);
  for (const p of o.points) assertSafeSegment(p.id, `${o.file}: sweep point`, MAX_NAME_BYTES);
  if (o.resume) {
    if (existing && existing.configHash !== sf.configHash && !o.force) {
      throw new UserError(`${outDir}: holds a sweep of a different config (sweep.json configHash differs); use another --out, or --force to replace its points`);
    }
    for (const p of mine) {
      const st = completeState(join(outDir, p.id), p.input, o.file);
      if (st === 'complete') summaries.set(p.id, readSummary(join(outDir, p.id)));
      else if (st === 'different' && !o.force) {
        throw new UserError(`${join(outDir, p.id)}: exists but was not produced by this config's point (manifest configHash differs, or a plugin file changed since); use --force to rerun it`);
      } else todo.push(p);
    }
  } else {
    todo.push(...mine);
  }
  // Before running anything: every point to (re)write must be absent, or servesim's (with --force).
  for (const p of todo) {
    inspectTarget(join(outDir, p.id), 'run', { force: o.force || o.resume, flag: o.flag, forceHint: 'use --resume to skip complete points, --force to replace them, or --out DIR' });
  }
  out.write('sweep.json', jsonText(sf));

  const skipped = mine.length - todo.length;
  const jobs = Math.max(1, Math.min(o.jobs ?? availableParallelism(), todo.length || 1));
  log(
    `sweep ${sf.name}: ${o.points.length} points${o.shard ? `, shard ${o.shard.index}/${o.shard.count}: ${mine.length}` : ''}` +
      `${skipped ? `, ${skipped} already complete` : ''}, running ${todo.length} on ${jobs} job${jobs === 1 ? '' : 's'}`,
  );

  let done = 0;
  const failures: string[] = [];
  const header = (): void => display.sweep({ name: sf.name, points: mine.length, done: done + skipped, failed: failures.length, jobs });
  header();
  const etaNote = (): string => {
    const eta = done + skipped < mine.length ? display.sweepEta() : undefined;
    return eta === undefined ? '' : `, sweep ETA ${formatEta(eta)}`;
  };
  const startPoint = (p: SweepPoint): Task => ({
    file: o.file,
    input: p.input,
    dir: join(outDir, p.id),
    force: true, // checked above: absent, or servesim's own and --force/--resume given
    label: p.id,
    progress,
    traceEvents: o.traceEvents,
  });
  const finished = (p: SweepPoint, r: TaskReply, t0: bigint): void => {
    done++;
    const secs = (Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1);
    if (r.ok) {
      summaries.set(p.id, r.summary);
      reindex(out, o.points, summaries);
      header();
      log(`[${done + skipped}/${mine.length}] ${p.id}: done in ${secs} s${etaNote()}`);
    } else {
      failures.push(`${p.id}: ${r.message}`);
      header();
      log(`[${done + skipped}/${mine.length}] ${p.id}: FAILED: ${r.message.split('\n')[0]}`);
    }
  };
  // A point's "running" line (plain only: on a terminal its bar says so).
  const running = (p: SweepPoint, k: number): void => {
    if (display.mode === 'plain') log(`[${k}/${mine.length}] ${p.id}: running`);
  };

  if (jobs === 1 || todo.length <= 1) {
    for (const p of todo) {
      if (failures.length) break;
      running(p, done + skipped + 1);
      const t0 = process.hrtime.bigint();
      const job = display.job(p.id);
      let reply: TaskReply;
      try {
        reply = await runPointTask(startPoint(p), job);
      } finally {
        job.end();
      }
      finished(p, reply, t0);
    }
  } else {
    // One child process per job (this process would block on its own point and hold back the
    // children's messages). Child processes rather than worker threads: node-canvas (charts) is not
    // safe in worker threads.
    // The children's stderr comes through this process, line by line, so that it goes above the
    // progress bars on a terminal; their progress and message lines come as messages.
    const script = workerScript();
    let next = 0;
    const runChild = async (): Promise<void> => {
      const child = fork(script, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
      let partial = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const l of lines) process.stderr.write(l + '\n'); // above the bars (the display's hook), or as is
      });
      const stderrDone = new Promise<void>((res) => child.stderr!.once('close', () => res()));
      const exited = new Promise<string>((res) => child.once('exit', (code, sig) => res(`worker process exited (${sig ?? `code ${code}`})`)));
      let onReady: (() => void) | undefined;
      let onReply: ((r: TaskReply) => void) | undefined;
      let job: ProgressJob | undefined;
      child.on('message', (m: WorkerMessage) => {
        switch (messageKind(m)) {
          case 'ready':
            onReady?.();
            break;
          case 'progress':
            job?.update((m as { progress: ProgressSample }).progress);
            break;
          case 'log':
            display.log((m as { log: string }).log);
            break;
          case 'reply': {
            const r = onReply;
            onReply = undefined;
            r?.(m as TaskReply);
            break;
          }
        }
      });
      try {
        // Take points only once the child has started.
        const ready = await Promise.race([new Promise<boolean>((res) => (onReady = () => res(true))), exited.then(() => false)]);
        if (!ready) throw new Error('sweep worker process failed to start');
        while (next < todo.length && failures.length === 0) {
          const p = todo[next++];
          running(p, next + skipped);
          const t0 = process.hrtime.bigint();
          job = display.job(p.id);
          let reply: TaskReply;
          try {
            reply = await Promise.race([
              new Promise<TaskReply>((res) => {
                onReply = res;
                child.send(startPoint(p));
              }),
              exited.then((why): TaskReply => ({ ok: false, message: why, user: false })),
            ]);
          } finally {
            job.end();
            job = undefined;
          }
          finished(p, reply, t0);
        }
      } finally {
        if (child.connected) child.disconnect();
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await exited;
        await stderrDone;
        if (partial) process.stderr.write(partial + '\n');
      }
    };
    await Promise.all(Array.from({ length: jobs }, runChild));
  }
  reindex(out, o.points, summaries);
  if (failures.length) throw new UserError(`sweep ${sf.name}: ${failures.length} point(s) failed:\n${failures.join('\n')}`);

  const rows = mine.filter((p) => summaries.has(p.id)).map((p) => ({ point: p, summary: summaries.get(p.id)! }));
  return { rows, ran: todo.length, skipped, wallSeconds: Number(process.hrtime.bigint() - wall0) / 1e9 };
}

export interface MergeOptions {
  out: string;
  /** Allow points missing from every input (merged index lists the present ones). */
  allowPartial?: boolean;
  /** Replace points already in `out` that differ from the shards'. */
  force?: boolean;
}

/** A small JSON file servesim wrote (manifest.json), or undefined. */
function readOwnJson(p: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readInputText(p, 'manifest', 16 * 2 ** 20)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Join shard outputs (or any directories of the same sweep) into one: copies each complete point
 * into `out` (unless it is already there) and writes sweep.json and the index for the whole sweep.
 */
export function mergeSweeps(dirs: readonly string[], o: MergeOptions): { points: number; copied: number; missing: string[] } {
  if (dirs.length === 0) throw new UserError('merge: expected at least one sweep directory');
  const sweeps = dirs.map((d) => {
    if (!existsSync(join(d, 'sweep.json'))) throw new UserError(`${d}: not a sweep output (no sweep.json)`);
    return readSweepFile(d); // point ids checked as safe names: a shard cannot point merge outside --out
  });
  const first = sweeps[0];
  sweeps.forEach((s, i) => {
    if (s.configHash !== first.configHash) {
      throw new UserError(`${dirs[i]}: a different sweep than ${dirs[0]} (config hash ${s.configHash.slice(0, 12)} vs ${first.configHash.slice(0, 12)}); merge joins shards of one sweep`);
    }
  });
  const points: SweepPoint[] = first.points.map((p) => ({ id: p.id, params: p.params, input: {} }));
  // Which input holds each point; the missing ones are reported before anything is copied.
  const sources = new Map<string, string>();
  const missing: string[] = [];
  for (const p of points) {
    const src = dirs.find((d) => existsSync(join(d, p.id, 'manifest.json')) && outputKind(join(d, p.id)) === 'run');
    if (src) sources.set(p.id, src);
    else missing.push(p.id);
  }
  if (missing.length && !o.allowPartial) {
    throw new UserError(`merge: ${missing.length} of ${points.length} points are in none of the inputs: ${missing.slice(0, 5).join(' ')}${missing.length > 5 ? ' ...' : ''} (run the missing shard, or pass --allow-partial)`);
  }
  const out = new OutputDir(o.out, 'sweep');
  try {
    const outAbs = out.dir;
    // --out may hold this sweep already (a shard, an earlier merge), never another one.
    if (existsSync(join(outAbs, 'sweep.json'))) {
      const there = readSweepFile(outAbs);
      if (there.configHash !== first.configHash) {
        throw new UserError(`${o.out}: holds a different sweep (config hash ${there.configHash.slice(0, 12)} vs ${first.configHash.slice(0, 12)}); merge into a new directory`);
      }
    }
    const summaries = new Map<string, Record<string, unknown>>();
    let copied = 0;
    for (const p of points) {
      const src = sources.get(p.id);
      if (!src) continue;
      const dst = join(outAbs, p.id);
      if (resolve(src) !== outAbs) {
        const from = join(src, p.id);
        const why = notOwnedReason(from);
        if (why) throw new UserError(`merge: ${from}: not copied: ${why}`);
        const same = existsSync(join(dst, 'manifest.json')) && readOwnJson(join(dst, 'manifest.json'))?.configHash === readOwnJson(join(from, 'manifest.json'))?.configHash;
        if (!same) {
          // A different point already in --out is replaced only with --force, like run's.
          const pending = beginDir(dst, 'run', { force: o.force, checked: true, forceHint: 'use --force to replace it with the shard\'s, or merge into a new directory' });
          try {
            cpSync(from, pending.tmp, { recursive: true });
            pending.commit();
          } catch (e) {
            pending.fail(e);
          }
          copied++;
        }
      }
      summaries.set(p.id, readSummary(dst));
    }
    out.write('sweep.json', jsonText({ ...first, shard: null }));
    reindex(out, points, summaries);
    return { points: points.length - missing.length, copied, missing };
  } finally {
    out.close();
  }
}
