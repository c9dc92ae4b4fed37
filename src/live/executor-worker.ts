/**
 * The worker thread of one live executor (src/live/executor.ts): owns onnxruntime sessions and the
 * input and output buffers, runs the actions it is sent and posts their results. Protocol
 * (src/live/executors.ts): workerData = ExecutorInit; messages in: {type: 'start', origin} (the
 * run's clock origin, after 'ready'), {type: 'action', a} and {type: 'stop'}; out: {type: 'ready'}, {type: 'result', r}, {type: 'fatal', message} and
 * {type: 'stopped', lateness}.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createSession, makeFeeds, type InputSpec, type RuntimeOptions } from '../models/harness/runtime.js';
import { PreciseTimers, RealClock } from './clock.js';
import { Executor, type ActionMsg, type Backend } from './executor.js';

export interface ExecutorInit {
  readonly gpu: number;
  /** The profile models this executor runs (each model instance names one). */
  readonly profileModels: ReadonlyArray<{ name: string; origin: string; bytes: Uint8Array; specs: InputSpec[] }>;
  /** Per model instance (ModelId): its profile model, pages and batch sizes. */
  readonly instances: ReadonlyArray<{ profileModel: number; pages: number; batchSizes: readonly number[] }>;
  readonly totalPages: number;
  /** Uint8Array over it: residency per model instance, read by the controller. */
  readonly residency: SharedArrayBuffer;
  readonly inputLead: number;
  readonly spin: number;
  readonly runtime: RuntimeOptions;
  readonly seed: string;
  /** Pin this executor's thread (and the threads it creates, onnxruntime's) to this CPU, if the OS allows. */
  readonly cpu?: number;
}

/**
 * Pin the calling thread to `cpu` (Linux: `taskset -p` on the thread's id from /proc/thread-self;
 * threads created afterwards, onnxruntime's among them, inherit it). The pinned CPU, or why not.
 */
function pinThisThread(cpu: number): number | string {
  if (process.platform !== 'linux') return `not pinned: ${process.platform}`;
  try {
    const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
    const r = spawnSync('taskset', ['-p', '-c', String(cpu), tid], { encoding: 'utf8' });
    if (r.error) return `not pinned: taskset: ${r.error.message}`;
    if (r.status !== 0) return `not pinned: taskset: ${(r.stderr || '').trim().split('\n')[0]}`;
    return cpu;
  } catch (e) {
    return `not pinned: ${(e as Error).message}`;
  }
}

/** Bytes of each tensor, as a byte view. */
function bytesOf(t: ort.Tensor): Uint8Array {
  const d = t.data as ArrayBufferView;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

class OrtBackend implements Backend {
  private readonly sessions = new Map<number, ort.InferenceSession>();
  /** Per profile model, per padded batch: the feeds, and a host copy of their bytes (the requests' inputs). */
  private readonly feeds = new Map<string, { feeds: Record<string, ort.Tensor>; host: Uint8Array[] }>();
  private lastOutputs: Record<string, ort.Tensor> | null = null;
  private lastPadded = 1;
  private outBuf = new Uint8Array(0);

  constructor(private readonly init: ExecutorInit) {}

  /**
   * Before the run: create a session of each model, run it once at every batch size and release
   * it, because a process's first session creation, and its first run at each shape, are several
   * times slower than later ones. The profiler's process has done both before it measures `load`
   * and `firstExec` (a new session's first run at each batch size); this does the same here
   * (docs/profiling.md, "First runs"). It does not make first runs while serving as fast as the
   * profiler's: docs/fidelity.md has what was measured.
   */
  async warmUp(): Promise<void> {
    for (let pm = 0; pm < this.init.profileModels.length; pm++) {
      const inst = this.init.instances.find((i) => i.profileModel === pm);
      if (!inst) continue;
      const { session } = await createSession(this.init.profileModels[pm].bytes, this.init.runtime, this.init.profileModels[pm].origin);
      for (const b of inst.batchSizes) await session.run(this.feedsFor(pm, b).feeds);
      await session.release();
    }
  }

  /** Generate every batch size's inputs up front (before the run's clock matters). */
  prepare(): void {
    const seen = new Set<string>();
    for (const inst of this.init.instances) {
      for (const b of inst.batchSizes) {
        const key = `${inst.profileModel}/${b}`;
        if (seen.has(key)) continue;
        seen.add(key);
        this.feedsFor(inst.profileModel, b);
      }
    }
  }

  private feedsFor(pm: number, padded: number): { feeds: Record<string, ort.Tensor>; host: Uint8Array[] } {
    const key = `${pm}/${padded}`;
    let f = this.feeds.get(key);
    if (!f) {
      const feeds = makeFeeds(this.init.profileModels[pm].specs, padded, `${this.init.seed}/live`);
      f = { feeds, host: Object.values(feeds).map((t) => bytesOf(t).slice()) };
      this.feeds.set(key, f);
    }
    return f;
  }

  async load(m: number): Promise<void> {
    const pm = this.init.profileModels[this.init.instances[m].profileModel];
    const { session } = await createSession(pm.bytes, this.init.runtime, pm.origin);
    this.sessions.set(m, session);
  }

  async release(m: number): Promise<void> {
    const s = this.sessions.get(m);
    this.sessions.delete(m);
    if (s) await s.release();
  }

  copyInput(m: number, n: number, padded: number): void {
    const f = this.feedsFor(this.init.instances[m].profileModel, padded);
    const tensors = Object.values(f.feeds);
    for (let i = 0; i < tensors.length; i++) {
      const dst = bytesOf(tensors[i]);
      const per = dst.byteLength / padded;
      dst.set(f.host[i].subarray(0, n * per));
    }
  }

  async run(m: number, padded: number): Promise<void> {
    const s = this.sessions.get(m);
    if (!s) throw new Error(`executor ${this.init.gpu}: model ${m} has no session`);
    this.lastOutputs = await s.run(this.feedsFor(this.init.instances[m].profileModel, padded).feeds);
    this.lastPadded = padded;
  }

  copyOutput(_m: number, n: number): void {
    const outs = this.lastOutputs;
    if (!outs) return;
    for (const t of Object.values(outs)) {
      if (t.type === 'string') continue;
      const src = bytesOf(t);
      const len = Math.floor((src.byteLength / this.lastPadded) * n);
      if (this.outBuf.byteLength < len) this.outBuf = new Uint8Array(len);
      this.outBuf.set(src.subarray(0, len));
    }
    this.lastOutputs = null;
  }
}

if (parentPort) void main(parentPort);

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  const init = workerData as ExecutorInit;
  const fatal = (e: unknown): void => {
    port.postMessage({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
  };
  try {
    ort.env.logLevel = 'fatal';
    const pinned = init.cpu === undefined ? null : pinThisThread(init.cpu);
    const backend = new OrtBackend(init);
    backend.prepare();
    await backend.warmUp();
    const residency = new Uint8Array(init.residency);
    let timers: PreciseTimers | null = null;
    let exec: Executor | null = null;
    port.on('message', (msg: { type: 'start'; origin: bigint } | { type: 'action'; a: ActionMsg } | { type: 'stop' }) => {
      if (msg.type === 'start') {
        timers = new PreciseTimers(new RealClock(msg.origin), init.spin);
        exec = new Executor(
          init.instances.map((i) => ({ pages: i.pages, batchSizes: i.batchSizes })),
          init.totalPages,
          residency,
          init.inputLead,
          timers,
          backend,
          (r) => port.postMessage({ type: 'result', r }),
          fatal,
        );
      } else if (msg.type === 'action') {
        if (!exec) fatal(new Error('action before start'));
        else exec.submit(msg.a);
      } else {
        timers?.stop();
        port.postMessage({ type: 'stopped', lateness: Float64Array.from(timers?.latenessSamples() ?? []), fired: timers?.firedCount ?? 0 });
      }
    });
    port.postMessage({ type: 'ready', pinned });
  } catch (e) {
    fatal(e);
  }
}
