/**
 * A tiny WorkloadContext for testing workloads without the engine: `at` callbacks in a queue
 * ordered by (time, insertion), `submit` records what was sent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomStreams } from '../../src/sim/random.js';
import type { ModelInstance } from '../../src/sim/types.js';
import type { WorkloadEnv } from '../../src/traces/registry.js';
import type { SubmitOptions, Workload, WorkloadContext } from '../../src/sim/workload.js';

export interface Sent {
  time: number;
  model: number;
  opts?: SubmitOptions;
}

export interface FakeRun {
  sent: Sent[];
  maxPending: number;
}

export function fakeModels(n: number): ModelInstance[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, name: `m#${i}`, profile: {} as never, pages: 1 }));
}

export function fakeEnv(over: Partial<WorkloadEnv> = {}): WorkloadEnv {
  return {
    configDir: process.cwd(),
    models: fakeModels(4),
    profile: {} as never,
    duration: 3_600_000_000_000,
    gpus: 1,
    workers: 1,
    ...over,
  };
}

/** Prepare, start and run a workload to `end` (ns). */
export async function runWorkload(
  w: Workload,
  opts: { models?: number; targets?: number[]; end: number; seed?: number | string; batch1?: number },
): Promise<FakeRun> {
  const models = fakeModels(opts.models ?? 4);
  const targets = opts.targets ?? models.map((m) => m.id);
  const streams = new RandomStreams(opts.seed ?? 1);
  const queue: Array<{ t: number; seq: number; h: (a: unknown) => void; a: unknown }> = [];
  let seq = 0;
  let now = 0;
  let maxPending = 0;
  const sent: Sent[] = [];
  const ctx: WorkloadContext = {
    now: () => now,
    models,
    targets,
    group: 0,
    end: opts.end,
    submit(model, o) {
      sent.push(o ? { time: now, model, opts: o } : { time: now, model });
      return sent.length;
    },
    at(time, handler, arg) {
      if (!(time >= now) || !Number.isInteger(time)) throw new Error(`bad event time ${time} at ${now}`);
      queue.push({ t: time, seq: seq++, h: handler, a: arg });
      maxPending = Math.max(maxPending, queue.length);
    },
    rng: (name = 'default') => streams.stream(`workload0/${name}`),
    batch1Estimate: () => opts.batch1 ?? 2_900_000,
  };
  await w.prepare?.();
  w.start(ctx);
  for (;;) {
    if (queue.length === 0) break;
    let bi = 0;
    for (let i = 1; i < queue.length; i++) {
      const q = queue[i];
      const b = queue[bi];
      if (q.t < b.t || (q.t === b.t && q.seq < b.seq)) bi = i;
    }
    const e = queue.splice(bi, 1)[0];
    if (e.t >= opts.end) continue;
    now = e.t;
    e.h(e.a);
  }
  return { sent, maxPending };
}

export function tempDir(prefix = 'servesim-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write an invocations_per_function_md file: rows of [owner, app, func, trigger, counts(1440)]. */
export function writeInvocations(
  file: string,
  rows: Array<{ id: string; trigger?: string; counts: Record<number, number> | number[] }>,
): void {
  const header = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: 1440 }, (_, i) => String(i + 1))];
  const lines = [header.join(',')];
  for (const r of rows) {
    const c = new Array(1440).fill(0);
    if (Array.isArray(r.counts)) r.counts.forEach((v, i) => (c[i] = v));
    else for (const [k, v] of Object.entries(r.counts)) c[Number(k)] = v;
    lines.push([`o${r.id}`, `a${r.id}`, `f${r.id}`, r.trigger ?? 'http', ...c].join(','));
  }
  writeFileSync(file, lines.join('\n') + '\n');
}
