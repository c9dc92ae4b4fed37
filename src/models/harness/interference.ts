/**
 * Interference measurement (`servesim profile --interference`): how much aggregate throughput k
 * executions overlapping on the device give, relative to one, and how much more their durations
 * vary than alone. These are the profile's `device.interference.speedup` (g(k), the simulator's
 * processor sharing: src/sim/gpu.ts) and `extraCv`, written with `"source": "measured"`.
 *
 * Method, per batch size (the model's smallest and largest profiled) and k = 1..K: k worker
 * threads each load their own onnxruntime session of the model (the profile's session options:
 * same provider and intra-op threads), run the warm-up, and wait at a barrier; then all start at
 * one instant and run back to back for a common duration. onnxruntime-node's run blocks the thread
 * that calls it, so concurrency needs one thread per session. Over [start, end], end being the
 * first moment a session stops (so all k run throughout), the aggregate throughput counts every
 * run by the fraction of it inside the interval; speedup[k-1] = throughput(k) / throughput(1) of
 * the same batch size. The extra CV at k is sqrt(max(0, cv(k)^2 - cv(1)^2)) of the durations of
 * the runs wholly inside the interval (variances of independent factors add, as the simulator's
 * lognormal factor multiplies the standalone duration). The profile gets, per k, the mean of the
 * batch sizes' speed-ups, and the mean extra CV over batch sizes and k >= 2; each batch size's own
 * figures go to `measuredWith.perBatch`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { UserError } from '../../util/errors.js';
import type { ProfileJson } from '../profile.js';
import { sessionOptions, makeFeeds, type InputSpec, type RuntimeOptions } from './runtime.js';
import { median } from './stats.js';

export interface InterferenceOptions extends RuntimeOptions {
  /** Largest number of concurrent sessions (>= 2). */
  readonly maxK: number;
  readonly warmup: number;
  /** Runs per session and shortest duration of a measurement (like the exec measurement's). */
  readonly minRuns: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly seed: string;
  readonly log: (line: string) => void;
}

export interface InterferenceModel {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly specs: readonly InputSpec[];
  /** The batch sizes the model was profiled at (ascending). */
  readonly batchSizes: readonly number[];
}

type Interference = NonNullable<ProfileJson['device']['interference']>;

/** Runs of one session: absolute start and end (ms since the epoch, sub-ms resolution). */
interface SessionRuns {
  starts: number[];
  ends: number[];
}

/** Plain tensors for a worker (structured clone copies the typed arrays). */
interface PlainTensor {
  type: string;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

/** The worker: plain CommonJS evaluated in the thread, so it runs from the TypeScript sources too. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const now = () => performance.timeOrigin + performance.now();
(async () => {
  try {
    ort.env.logLevel = 'fatal';
    const session = await ort.InferenceSession.create(workerData.bytes, workerData.options);
    const feeds = {};
    for (const [k, t] of Object.entries(workerData.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
    for (let i = 0; i < workerData.warmup; i++) await session.run(feeds);
    parentPort.postMessage({ ready: true });
    const { startAt, durationMs, minRuns } = await new Promise((r) => parentPort.once('message', r));
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - now())));
    const starts = [];
    const ends = [];
    const deadline = startAt + durationMs;
    while (starts.length < minRuns || now() < deadline) {
      starts.push(now());
      await session.run(feeds);
      ends.push(now());
    }
    await session.release();
    parentPort.postMessage({ starts, ends });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
})();
`;

let ortPath: string | undefined;
function onnxruntimePath(): string {
  ortPath ??= createRequire(import.meta.url).resolve('onnxruntime-node');
  return ortPath;
}

/** Run k sessions at once for `durationMs` (each at least `minRuns` runs); their runs. */
async function runConcurrent(m: InterferenceModel, feeds: Record<string, PlainTensor>, k: number, durationMs: number, o: InterferenceOptions): Promise<SessionRuns[]> {
  const options = sessionOptions(o);
  const workers: Worker[] = [];
  try {
    const ready: Array<Promise<void>> = [];
    const done: Array<Promise<SessionRuns>> = [];
    for (let i = 0; i < k; i++) {
      const w = new Worker(WORKER, { eval: true, workerData: { ortPath: onnxruntimePath(), bytes: m.bytes, options, feeds, warmup: Math.max(1, o.warmup) } });
      workers.push(w);
      const messages: unknown[] = [];
      let wake: (() => void) | undefined;
      let failure: Error | undefined;
      w.on('message', (msg) => {
        messages.push(msg);
        wake?.();
      });
      w.on('error', (e) => {
        failure = e;
        wake?.();
      });
      const next = async (): Promise<Record<string, unknown>> => {
        while (messages.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
        if (failure) throw failure;
        const msg = messages.shift() as Record<string, unknown>;
        if (typeof msg.error === 'string') throw new Error(`interference session ${i + 1} of ${k}: ${msg.error}`);
        return msg;
      };
      const readyMsg = next();
      ready.push(readyMsg.then(() => undefined));
      done.push(readyMsg.then(() => next()).then((msg) => ({ starts: msg.starts as number[], ends: msg.ends as number[] })));
    }
    await Promise.all(ready);
    // A common start a little ahead, so every thread is waiting for it.
    const startAt = performance.timeOrigin + performance.now() + 20;
    for (const w of workers) w.postMessage({ startAt, durationMs, minRuns: Math.max(1, Math.min(o.minRuns, 3)) });
    return await Promise.all(done);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Aggregate throughput (runs/ms) over the interval during which all sessions ran, counting runs by
 * the fraction inside it, and the durations of the runs wholly inside it.
 */
export function overlapStats(sessions: readonly SessionRuns[]): { throughput: number; durations: number[] } {
  const start = Math.max(...sessions.map((s) => s.starts[0]));
  const end = Math.min(...sessions.map((s) => s.ends[s.ends.length - 1]));
  let runs = 0;
  const durations: number[] = [];
  for (const s of sessions) {
    for (let i = 0; i < s.starts.length; i++) {
      const a = s.starts[i];
      const b = s.ends[i];
      const inside = Math.min(b, end) - Math.max(a, start);
      if (inside > 0 && b > a) runs += inside / (b - a);
      if (a >= start && b <= end) durations.push(b - a);
    }
  }
  return { throughput: end > start ? runs / (end - start) : 0, durations };
}

function cv(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return mean > 0 ? Math.sqrt(v) / mean : 0;
}

const round = (x: number, d = 4): number => Number(x.toFixed(d));

/** Shortest measurement (ms): thread start-up skew must stay small against it. */
const MIN_DURATION_MS = 250;
/** Tries (doubling the duration) before giving up on sessions that never overlap. */
const TRIES = 3;

/** Measure the interference of `m` (module comment); returns the profile's `device.interference`. */
export async function measureInterference(m: InterferenceModel, o: InterferenceOptions): Promise<Interference> {
  const t0 = performance.now();
  const sizes = [...new Set([m.batchSizes[0], m.batchSizes[m.batchSizes.length - 1]])];
  const ks = Array.from({ length: o.maxK }, (_, i) => i + 1);
  const perBatch: Record<string, { speedup: number[]; extraCv: number; throughputPerSec: number[]; cv: number[]; runs: number[] }> = {};
  for (const b of sizes) {
    const feeds: Record<string, PlainTensor> = {};
    for (const [name, t] of Object.entries(makeFeeds(m.specs, b, o.seed))) feeds[name] = { type: t.type, data: t.data, dims: t.dims };
    const thr: number[] = [];
    const cvs: number[] = [];
    const runs: number[] = [];
    let single = 0;
    for (const k of ks) {
      // Long enough for minRuns runs of each session at k-fold sharing (from the k = 1 median), within the time options.
      let durationMs = Math.max(MIN_DURATION_MS, k === 1 ? o.minTimeMs : Math.min(o.maxTimeMs, Math.max(o.minTimeMs, o.minRuns * single * k)));
      let s = overlapStats(await runConcurrent(m, feeds, k, durationMs, o));
      // On a busy machine a thread may start so late that the sessions never run together: longer.
      for (let t = 1; t < TRIES && !(s.throughput > 0 && s.durations.length > 0); t++) {
        durationMs *= 2;
        s = overlapStats(await runConcurrent(m, feeds, k, durationMs, o));
      }
      if (!(s.throughput > 0 && s.durations.length > 0)) {
        throw new UserError(`${m.name}: interference at batch ${b}: the ${k} sessions never ran together (${TRIES} tries, up to ${durationMs} ms); is the machine overloaded?`);
      }
      if (k === 1) single = median(s.durations);
      thr.push(s.throughput);
      cvs.push(cv(s.durations));
      runs.push(s.durations.length);
      o.log(`${m.name} b${b} interference k=${k}: ${(s.throughput * 1000).toFixed(1)} runs/s, speed-up ${(s.throughput / thr[0]).toFixed(3)}, cv ${cv(s.durations).toFixed(3)} (${s.durations.length} runs)`);
    }
    const speedup = thr.map((x, i) => (i === 0 ? 1 : round(x / thr[0])));
    const extra = cvs.slice(1).map((c) => Math.sqrt(Math.max(0, c * c - cvs[0] * cvs[0])));
    perBatch[String(b)] = {
      speedup,
      extraCv: round(extra.length ? extra.reduce((a, x) => a + x, 0) / extra.length : 0),
      throughputPerSec: thr.map((x) => round(x * 1000 * b, 2)),
      cv: cvs.map((c) => round(c)),
      runs,
    };
  }
  const rows = Object.values(perBatch);
  const speedup = ks.map((_, i) => (i === 0 ? 1 : round(rows.reduce((a, r) => a + r.speedup[i], 0) / rows.length)));
  const extraCv = round(rows.reduce((a, r) => a + r.extraCv, 0) / rows.length);
  const seconds = Math.round((performance.now() - t0) / 1000);
  o.log(`interference: speed-up [${speedup.join(', ')}], extra CV ${extraCv} (${seconds} s)`);
  return {
    speedup,
    extraCv,
    source: 'measured',
    measuredWith: {
      model: m.name,
      batchSizes: sizes,
      sessions: ks,
      intraOpThreads: o.threads,
      method:
        'k concurrent onnxruntime sessions (one worker thread each) started together; aggregate throughput over the interval all ran, relative to k = 1; ' +
        'extra CV = sqrt(cv(k)^2 - cv(1)^2) of run durations; speedup: mean over batch sizes, extraCv: mean over batch sizes and k >= 2; throughputPerSec in items/s',
      perBatch,
      seconds,
    },
  };
}
