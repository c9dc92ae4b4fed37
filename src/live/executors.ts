/**
 * The executors of a live run: one worker thread per GPU of the cluster (src/live/executor-worker.ts),
 * each holding its own copy of the models' bytes and its own onnxruntime sessions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RuntimeOptions } from '../models/harness/runtime.js';
import type { ModelInstance } from '../sim/types.js';
import { UserError } from '../util/errors.js';
import { PACKAGE_ROOT } from '../version.js';
import type { ExecutorLinks } from './engine.js';
import type { ActionMsg, ResultMsg } from './executor.js';
import type { ExecutorInit } from './executor-worker.js';
import type { LiveModel } from './models.js';

function workerScript(): string {
  const here = fileURLToPath(new URL('./executor-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  // Running from TypeScript sources (tests): use the built worker.
  const built = join(PACKAGE_ROOT, 'dist', 'live', 'executor-worker.js');
  if (existsSync(built)) return built;
  throw new Error(`live executors need the built worker (${built}); run "npx tsc -p ." first`);
}

export interface ExecutorPoolOptions {
  gpus: number;
  /** Distinct profile models, and per model instance the index of its profile model. */
  profileModels: readonly LiveModel[];
  instanceModel: readonly number[];
  instances: readonly ModelInstance[];
  pagesPerGpu: number;
  inputLead: number;
  spin: number;
  runtime: RuntimeOptions;
  /** CUDA: device ordinal of each GPU (default: its index within its worker). */
  deviceIds?: readonly number[];
  seed: string;
  /**
   * Pin each executor to a CPU of its own when there are more CPUs than executors (default false:
   * on a shared machine pinning made session creation 15x slower, docs/live.md).
   */
  pin?: boolean;
}

/** The CPUs this process may run on (Linux, from taskset), or a reason why they are unknown. */
export function allowedCpus(): number[] | string {
  if (process.platform !== 'linux') return `${process.platform}`;
  const r = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `taskset: ${r.error?.message ?? (r.stderr || '').trim()}`;
  const list = /:\s*([0-9,\-\s]+)$/.exec(r.stdout.trim())?.[1];
  if (!list) return `taskset: unexpected output "${r.stdout.trim()}"`;
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/**
 * The CPU of each executor: the last `gpus` allowed CPUs, one each, leaving the first ones to the
 * controller; none (and why) when there are not more CPUs than executors.
 */
export function executorCpus(gpus: number): { cpus: Array<number | undefined>; controller: number[]; all: number[]; why?: string } {
  const allowed = allowedCpus();
  if (typeof allowed === 'string') return { cpus: [], controller: [], all: [], why: `CPUs unknown (${allowed})` };
  if (allowed.length <= gpus) {
    return { cpus: [], controller: [], all: allowed, why: `${gpus} executor${gpus === 1 ? '' : 's'} and only ${allowed.length} CPUs: none left for the controller` };
  }
  return { cpus: allowed.slice(allowed.length - gpus), controller: allowed.slice(0, allowed.length - gpus), all: allowed };
}

/** Set the affinity of thread `tid` (Linux; the main thread's id is the process id). True if it worked. */
function setAffinity(tid: number, cpus: readonly number[]): boolean {
  const r = spawnSync('taskset', ['-p', '-c', cpus.join(','), String(tid)], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

type FromWorker =
  | { type: 'ready'; pinned: number | string | null }
  | { type: 'result'; r: ResultMsg }
  | { type: 'fatal'; message: string }
  | { type: 'stopped'; lateness: Float64Array; fired: number };

export class ExecutorPool implements ExecutorLinks {
  private readonly workers: Worker[] = [];
  private readonly residencies: Uint8Array[] = [];
  private onResult: (gpu: number, r: ResultMsg) => void = () => {};
  private onFatal: (e: Error) => void = () => {};
  private readonly stopped: Array<((m: { lateness: Float64Array; fired: number }) => void) | null> = [];
  /** Per executor: the CPU it is pinned to, or why it is not. */
  readonly pinned: Array<number | string> = [];
  /** The CPUs the controller's thread was pinned to while the executors run (empty: not pinned). */
  controllerCpus: number[] = [];
  private restoreCpus: number[] = [];

  private constructor() {}

  /** Start one worker per GPU; resolves once every one has its inputs ready. */
  static async start(o: ExecutorPoolOptions): Promise<ExecutorPool> {
    const pool = new ExecutorPool();
    const script = workerScript();
    const ready: Array<Promise<void>> = [];
    const pin = o.pin !== true ? { cpus: [], controller: [], all: [], why: 'pinning off (--pin turns it on)' } : executorCpus(o.gpus);
    for (let g = 0; g < o.gpus; g++) {
      pool.pinned.push(pin.why ? `not pinned: ${pin.why}` : 'not pinned');
      const sab = new SharedArrayBuffer(o.instances.length);
      pool.residencies.push(new Uint8Array(sab));
      const init: ExecutorInit = {
        gpu: g,
        profileModels: o.profileModels.map((m) => ({ name: m.name, origin: m.origin, bytes: m.bytes, specs: m.specs })),
        instances: o.instances.map((m, i) => ({ profileModel: o.instanceModel[i], pages: m.pages, batchSizes: m.profile.batchSizes })),
        totalPages: o.pagesPerGpu,
        residency: sab,
        inputLead: o.inputLead,
        spin: o.spin,
        runtime: { ...o.runtime, deviceId: o.deviceIds?.[g] ?? o.runtime.deviceId },
        seed: o.seed,
        cpu: pin.cpus[g],
      };
      const w = new Worker(script, { workerData: init });
      pool.workers.push(w);
      pool.stopped.push(null);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.on('message', (m: FromWorker) => {
            if (m.type === 'ready') {
              if (m.pinned !== null) pool.pinned[g] = m.pinned;
              resolve();
            }
            else if (m.type === 'result') pool.onResult(g, m.r);
            else if (m.type === 'fatal') {
              const e = new UserError(`executor ${g}: ${m.message}`);
              reject(e);
              pool.onFatal(e);
            } else if (m.type === 'stopped') pool.stopped[g]?.(m);
          });
          w.on('error', (e) => {
            reject(e);
            pool.onFatal(e);
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    // The controller's (main) thread keeps off the executors' CPUs while they run. Only this
    // thread: the workers were created (with the whole mask) before, and pinned themselves.
    if (pin.controller.length > 0 && pool.pinned.every((p) => typeof p === 'number') && setAffinity(process.pid, pin.controller)) {
      pool.controllerCpus = pin.controller;
      pool.restoreCpus = pin.all;
    }
    return pool;
  }

  /** Where results and fatal errors go (the engine). */
  connect(onResult: (gpu: number, r: ResultMsg) => void, onFatal: (e: Error) => void): void {
    this.onResult = onResult;
    this.onFatal = onFatal;
  }

  /** Give every executor the run's clock origin: from then on, action windows are on that clock. */
  begin(origin: bigint): void {
    for (const w of this.workers) w.postMessage({ type: 'start', origin });
  }

  post(gpu: number, a: ActionMsg): void {
    this.workers[gpu].postMessage({ type: 'action', a });
  }

  residency(gpu: number, m: number): number {
    return this.residencies[gpu][m];
  }

  get size(): number {
    return this.workers.length;
  }

  /** Stop every executor; their timer lateness samples (ns) and fired counts. */
  async stop(): Promise<Array<{ lateness: Float64Array; fired: number }>> {
    const out = await Promise.all(
      this.workers.map(
        (w, g) =>
          new Promise<{ lateness: Float64Array; fired: number }>((resolve) => {
            const t = setTimeout(() => resolve({ lateness: new Float64Array(0), fired: 0 }), 10_000);
            this.stopped[g] = (m) => {
              clearTimeout(t);
              resolve(m);
            };
            w.postMessage({ type: 'stop' });
          }),
      ),
    );
    await this.terminate();
    return out;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    if (this.restoreCpus.length > 0) setAffinity(process.pid, this.restoreCpus);
    this.restoreCpus = [];
  }
}
