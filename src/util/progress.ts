/**
 * Progress display on stderr for runs and sweeps (README.md, "Progress"):
 * - "tty" (stderr is a terminal): one line per running job (a bar, percent of simulated time, ETA
 *   from the wall-clock rate, requests so far, x real time), under a header line for a sweep
 *   (points done of total, overall ETA), redrawn in place with ANSI cursor movement at most every
 *   `frameMs`. Other writes to the stream while it is open (warnings, notes) go above the bars, and
 *   closing it (the end, an error, Ctrl-C through process.exit) leaves the cursor on a clean line.
 * - "plain" (not a terminal: logs, CI): each job's progress as a line every `interval` ms, and
 *   its last figures when it ends.
 * - "none" (--quiet, or SERVESIM_PROGRESS=none): nothing.
 * The mode follows SERVESIM_PROGRESS=tty|plain|none when set, else whether stderr is a terminal.
 * Nothing here touches what a run writes to its output directory.
 */
import { formatDuration, SEC } from '../sim/time.js';
import { UserError } from './errors.js';

export type ProgressMode = 'tty' | 'plain' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['tty', 'plain', 'none'];

/** For --help: what the progress display shows and how to choose it. */
export const PROGRESS_HELP =
  'Progress (stderr): on a terminal, a bar per running run or sweep point (percent of simulated time, ETA, requests\n' +
  'so far, x real time) under a sweep line (points done, overall ETA), redrawn in place; otherwise a plain line per\n' +
  'run every 2 s. --quiet shows none. SERVESIM_PROGRESS=tty|plain|none chooses the display (e.g. plain for CI logs).';

/** The display mode: none with `quiet`, else SERVESIM_PROGRESS when set, else tty when the stream is a terminal. */
export function progressMode(o: { quiet?: boolean; env?: NodeJS.ProcessEnv; stream?: { isTTY?: boolean } } = {}): ProgressMode {
  if (o.quiet) return 'none';
  const v = (o.env ?? process.env).SERVESIM_PROGRESS;
  if (v !== undefined && v !== '') {
    const m = v.trim().toLowerCase();
    if (!(PROGRESS_MODES as readonly string[]).includes(m)) throw new UserError(`SERVESIM_PROGRESS expects one of ${PROGRESS_MODES.join(', ')}, found "${v}"`);
    return m as ProgressMode;
  }
  return (o.stream ?? process.stderr).isTTY ? 'tty' : 'plain';
}

/** Where a job stands: simulated time `t` of `total` (ns), requests measured and events processed so far. */
export interface ProgressSample {
  t: number;
  total: number;
  requests: number;
  events: number;
}

/** One job (a run, a sweep point) of a display. */
export interface ProgressJob {
  /** Where it stands (the first call marks the start of its simulation: rates and ETA count from it). */
  update(s: ProgressSample): void;
  /** A message line (no newline needed), printed above the bars. */
  log(line: string): void;
  /** It finished (or failed): its line goes away. */
  end(): void;
}

/** The header of a sweep: its name, points to run in this invocation, done (incl. failed) and failed so far. */
export interface SweepHeader {
  name: string;
  points: number;
  done: number;
  failed: number;
  /** Parallel jobs (for the ETA). */
  jobs: number;
}

export interface ProgressDisplay {
  readonly mode: ProgressMode;
  job(label: string): ProgressJob;
  /** A message line (no newline needed), printed above the bars. */
  log(line: string): void;
  /** Show (and keep up to date) a sweep header line (tty only). */
  sweep(h: SweepHeader): void;
  /** The sweep's estimated seconds left (undefined: no estimate yet). */
  sweepEta(): number | undefined;
  close(): void;
}

/** The stream a display writes to: process.stderr, or a test's Writable. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface DisplayOptions {
  mode?: ProgressMode;
  stream?: ProgressStream;
  /** Wall clock in milliseconds (injected by tests). */
  now?: () => number;
  /** Plain mode: milliseconds between two lines of a job (default 2000). */
  interval?: number;
  /** TTY mode: least milliseconds between two frames (default 200). */
  frameMs?: number;
  /** Clear the bars when the process exits (default true; tests pass false). */
  hookExit?: boolean;
}

/** A duration in seconds for ETAs: "45s", "3m05s", "2h07m". */
export function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const r = Math.max(0, Math.round(s));
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

interface JobState {
  label: string;
  created: number;
  started?: number;
  sample?: ProgressSample;
  lastLine: number;
  /** Plain: the last sample's line is out. */
  printed?: boolean;
}

/** Seconds of wall time the job has run its simulation, and its fraction done (0..1), or undefined before its start. */
function jobRate(j: JobState, now: number): { wall: number; frac: number } | undefined {
  if (j.started === undefined || !j.sample) return undefined;
  const frac = j.sample.total > 0 ? Math.min(1, j.sample.t / j.sample.total) : 1;
  return { wall: (now - j.started) / 1000, frac };
}

/** A job's seconds left: its wall time so far x (1 - f) / f; undefined before any simulated time. */
function jobEta(j: JobState, now: number): number | undefined {
  const r = jobRate(j, now);
  if (!r || r.frac <= 0) return undefined;
  return (r.wall * (1 - r.frac)) / r.frac;
}

const ESC = '\x1b[';

class Display implements ProgressDisplay {
  private jobs: JobState[] = [];
  private header?: SweepHeader;
  /** Wall seconds of each finished job (creation to end). */
  private finished: number[] = [];
  private readonly now: () => number;
  private readonly interval: number;
  private readonly frameMs: number;
  /** Lines of the frame on screen (tty). */
  private drawn = 0;
  private lastFrame = -Infinity;
  private timer?: ReturnType<typeof setTimeout>;
  /** The last write through the stream did not end a line: the next frame starts on a new one. */
  private midLine = false;
  private closed = false;
  private readonly origWrite?: ProgressStream['write'];
  private readonly onExit = (): void => this.close();

  constructor(
    readonly mode: ProgressMode,
    private readonly stream: ProgressStream,
    o: DisplayOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.interval = o.interval ?? 2000;
    this.frameMs = o.frameMs ?? 200;
    if (mode === 'tty') {
      // Every other write to the stream while the bars are up: bars off, the write, bars back.
      const orig = stream.write;
      this.origWrite = orig;
      stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
        this.clearFrame();
        const ok = (orig as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
        if (text.length > 0) this.midLine = !text.endsWith('\n');
        if (!this.midLine) this.draw();
        return ok;
      }) as ProgressStream['write'];
      if (o.hookExit ?? true) process.on('exit', this.onExit);
    }
  }

  private raw(s: string): void {
    if (s) (this.origWrite ?? this.stream.write).call(this.stream, s);
  }

  job(label: string): ProgressJob {
    const j: JobState = { label, created: this.now(), lastLine: 0 };
    if (this.mode === 'none') return { update: () => {}, log: () => {}, end: () => {} };
    this.jobs.push(j);
    let ended = false;
    return {
      update: (s) => {
        if (ended) return;
        const now = this.now();
        if (j.started === undefined) {
          j.started = now;
          j.lastLine = now;
        }
        j.sample = s;
        j.printed = false;
        if (this.mode === 'plain') {
          if (now - j.lastLine >= this.interval) {
            j.lastLine = now;
            j.printed = true;
            this.raw(plainLine(j, now) + '\n');
          }
        } else this.schedule();
      },
      log: (line) => this.log(line),
      end: () => {
        if (ended) return;
        ended = true;
        // Plain: the job's last sample, unless just printed (so a log has every job's final figures).
        if (this.mode === 'plain' && j.sample && !j.printed && !this.closed) this.raw(plainLine(j, this.now()) + '\n');
        this.finished.push((this.now() - j.created) / 1000);
        this.jobs = this.jobs.filter((x) => x !== j);
        if (this.mode === 'tty') this.schedule();
      },
    };
  }

  log(line: string): void {
    if (this.mode === 'none' || this.closed) {
      if (this.mode !== 'none') this.stream.write(line.endsWith('\n') ? line : line + '\n');
      return;
    }
    const text = line.endsWith('\n') ? line : line + '\n';
    if (this.mode === 'plain') this.raw(text);
    else this.stream.write(text); // through the hook: above the bars
  }

  sweep(h: SweepHeader): void {
    this.header = { ...h };
    if (this.mode === 'tty') this.schedule();
  }

  sweepEta(): number | undefined {
    const h = this.header;
    if (!h) return undefined;
    const now = this.now();
    const running = this.jobs.map((j) => ({ j, eta: jobEta(j, now) }));
    // A point's wall time: the mean of the finished ones, else the running ones' estimated totals.
    let per: number | undefined;
    if (this.finished.length > 0) per = this.finished.reduce((a, b) => a + b, 0) / this.finished.length;
    else {
      const est = running.filter((r) => r.eta !== undefined).map((r) => (now - r.j.created) / 1000 + r.eta!);
      if (est.length > 0) per = est.reduce((a, b) => a + b, 0) / est.length;
    }
    if (per === undefined) return undefined;
    // A running point's time left: its own estimate weighted by its fraction done f, the typical
    // point's time left weighted by 1 - f (early in a point its own rate says little).
    const left = running.map((r) => {
      const typical = Math.max(0, per! - (now - r.j.created) / 1000);
      const f = jobRate(r.j, now)?.frac ?? 0;
      return r.eta === undefined ? typical : f * r.eta + (1 - f) * typical;
    });
    const pending = Math.max(0, h.points - h.done - running.length);
    if (pending === 0 && left.length === 0) return 0;
    const sum = left.reduce((a, b) => a + b, 0) + pending * per;
    return Math.max(left.length ? Math.max(...left) : 0, sum / Math.max(1, h.jobs));
  }

  /** Draw now if the last frame is old enough, else once it is. */
  private schedule(): void {
    if (this.closed) return;
    const wait = this.lastFrame + this.frameMs - this.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref?.();
  }

  /** The frame's lines (tty). */
  frame(): string[] {
    const now = this.now();
    const cols = Math.max(20, (this.stream.columns ?? 80) - 1);
    const lines: string[] = [];
    const h = this.header;
    if (h) {
      const eta = this.sweepEta();
      lines.push(
        fit(
          `sweep ${h.name}: ${h.done}/${h.points} points done${h.failed ? ` (${h.failed} failed)` : ''}, ${this.jobs.length} running, ETA ${eta === undefined ? '?' : formatEta(eta)}`,
          cols,
        ),
      );
    }
    for (const j of this.jobs) lines.push(ttyLine(j, now, cols));
    return lines;
  }

  /** Redraw the frame in place: up over the old one, each line cleared and written, the rest below erased. */
  draw(): void {
    if (this.mode !== 'tty' || this.closed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastFrame = this.now();
    const lines = this.frame();
    if (lines.length === 0 && this.drawn === 0) return;
    let s = this.midLine ? '\n' : '';
    this.midLine = false;
    if (this.drawn > 0) s += `${ESC}${this.drawn}A`;
    s += '\r';
    for (const l of lines) s += `${ESC}2K${l}\n`;
    s += `${ESC}J`;
    this.drawn = lines.length;
    this.raw(s);
  }

  /** Take the frame off the screen (the cursor ends where the frame began). */
  private clearFrame(): void {
    if (this.drawn === 0) return;
    this.raw(`${ESC}${this.drawn}A\r${ESC}J`);
    this.drawn = 0;
  }

  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.mode === 'tty') {
      this.clearFrame();
      if (this.midLine) this.raw('\n');
      this.midLine = false;
      this.stream.write = this.origWrite!;
      process.removeListener('exit', this.onExit);
    }
    this.closed = true;
  }
}

/** Cut a line to `cols` characters (an ellipsis marks the cut). */
function fit(s: string, cols: number): string {
  return s.length <= cols ? s : s.slice(0, cols - 1) + '…';
}

/** The plain line of a job, as servesim has always printed it, with its ETA. */
export function plainLine(j: { label: string; started?: number; sample?: ProgressSample }, now: number): string {
  const s = j.sample!;
  const wall = Math.max(1e-9, (now - (j.started ?? now)) / 1000);
  const eta = jobEta(j as JobState, now);
  return (
    `${j.label}: simulated ${formatDuration(s.t)} of ${formatDuration(s.total)} (${Math.min(100, (100 * s.t) / s.total).toFixed(0)}%), ` +
    `${s.requests.toLocaleString('en-US')} requests measured, ${(s.events / wall / 1e6).toFixed(2)}M events/s, ${(s.t / SEC / wall).toFixed(1)}x real time` +
    (eta !== undefined && s.t < s.total ? `, ETA ${formatEta(eta)}` : '')
  );
}

/**
 * The bar line of a job: "LABEL [#####---------------]  25% ETA 12s, 1,234 req, 3.7x" (the bar
 * narrows, then the label is cut, to fit `cols`).
 */
function ttyLine(j: JobState, now: number, cols: number): string {
  const r = jobRate(j, now);
  if (!r || !j.sample) return fit(`${j.label}: starting`, cols);
  const s = j.sample;
  const eta = jobEta(j, now);
  const speed = s.t > 0 && r.wall > 0 ? `${(s.t / SEC / r.wall).toFixed(1)}x` : '-';
  const etaText = s.t >= s.total ? 'draining' : `ETA ${eta === undefined ? '?' : formatEta(eta)}`;
  const rest = ` ${(100 * r.frac).toFixed(0).padStart(3)}% ${etaText}, ${s.requests.toLocaleString('en-US')} req, ${speed}`;
  const keep = Math.min(j.label.length, 12);
  // The bar's width depends only on the columns and the label, so that it does not jump as the numbers grow.
  const width = Math.max(8, Math.min(20, cols - keep - 45));
  const full = Math.round(r.frac * width);
  const right = ` [${'#'.repeat(full)}${'-'.repeat(width - full)}]${rest}`;
  const room = cols - right.length;
  const label = room >= j.label.length ? j.label : room >= 2 ? j.label.slice(0, room - 1) + '…' : '';
  return fit(label + right, cols);
}

/** Open a display (mode: `progressMode()` unless given). */
export function openProgress(o: DisplayOptions = {}): ProgressDisplay {
  const stream = o.stream ?? (process.stderr as unknown as ProgressStream);
  const mode = o.mode ?? progressMode({ stream });
  return new Display(mode, stream, o);
}
