/**
 * The real-time scheduler context (src/live/engine.ts) with an in-process fake executor (the
 * Executor of src/live/executor.ts over a backend that does nothing): timers, send and results,
 * respond, network too late, errors. Durations are real but nothing asserts how long anything took,
 * only orders and "not before".
 */
import { describe, expect, it } from 'vitest';
import { PreciseTimers } from '../src/live/clock.js';
import { LiveEngine, type ExecutorLinks } from '../src/live/engine.js';
import { Executor, type Backend, type ResultMsg } from '../src/live/executor.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import type { SimObserver } from '../src/sim/observer.js';
import { MS } from '../src/sim/time.js';
import type { ActionResult, Request, SchedulerContext } from '../src/sim/types.js';
import { ScriptedScheduler, ScriptedWorkload, instances, tinyProfile, type ScriptHooks } from './helpers.js';

const nothing: Backend = {
  load: async () => {},
  release: async () => {},
  copyInput: () => {},
  run: async () => {},
  copyOutput: () => {},
};

/** One fake GPU: an Executor on the engine's clock whose results go straight back to the engine. */
function engineWith(hooks: ScriptHooks, arrivals: Array<[number, number]>, opts: { duration?: number; observers?: SimObserver[] } = {}) {
  const profile = tinyProfile();
  const models = instances(profile);
  const scheduler = new ScriptedScheduler(hooks);
  const workload = new ScriptedWorkload(arrivals);
  const duration = opts.duration ?? 60 * MS;
  const metrics = new MetricsCollector(0, duration, 1, 1, { modelNames: models.map((m) => m.name) });
  const residency = new Uint8Array(models.length);
  let engine: LiveEngine;
  let executor: Executor;
  const links: ExecutorLinks = {
    post: (_g, a) => executor.submit(a),
    residency: (_g, m) => residency[m],
  };
  engine = new LiveEngine(
    {
      seed: 1,
      duration,
      warmup: 0,
      drain: 2000 * MS,
      models,
      workers: 1,
      gpusPerWorker: 1,
      pagesPerGpu: 4,
      execConcurrency: 1,
      network: { clientLatency: 0, clientBandwidth: 1e12, workerLatency: 0, workerBandwidth: 1e12 },
      spin: 2 * MS,
    },
    scheduler,
    [{ workload, group: 0, name: 'w', targets: models.map((m) => m.id), slo: 500 * MS }],
    [metrics, ...(opts.observers ?? [])],
    links,
  );
  executor = new Executor(
    models.map((m) => ({ pages: m.pages, batchSizes: m.profile.batchSizes })),
    4,
    residency,
    0,
    new PreciseTimers(engine.clock),
    nothing,
    (r: ResultMsg) => engine.onExecutorResult(0, r),
    (e) => engine.fail(e),
  );
  return { engine, scheduler, workload, metrics };
}

describe('LiveEngine: the scheduler context on the real clock', () => {
  it('now() never goes backwards; a timer fires onTimer with its token, not before its time; a cancelled one never fires', async () => {
    const fired: Array<{ token: unknown; at: number; due: number }> = [];
    let ctx!: SchedulerContext;
    const { engine } = engineWith(
      {
        start: (c) => {
          ctx = c;
          const t0 = c.now();
          expect(c.now()).toBeGreaterThanOrEqual(t0);
          // Gaps of tens of ms: a stall while setting them cannot reorder them (the past one is due when set).
          c.setTimer(t0 + 80 * MS, { due: t0 + 80 * MS, token: 'b' });
          c.setTimer(t0 + 40 * MS, { due: t0 + 40 * MS, token: 'a' });
          const h = c.setTimer(t0 + 60 * MS, { due: t0 + 60 * MS, token: 'cancelled' });
          c.cancelTimer(h);
          c.setTimer(t0 - 5 * MS, { due: t0, token: 'past' });
        },
        timer: (tok) => {
          const t = tok as { due: number; token: string };
          fired.push({ token: t.token, at: ctx.now(), due: t.due });
        },
      },
      [],
      { duration: 150 * MS },
    );
    await engine.run();
    expect(fired.map((f) => f.token)).toEqual(['past', 'a', 'b']);
    for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(f.due);
    expect(engine.timers.summary().count).toBeGreaterThanOrEqual(3);
  });

  it('an INFER answers its requests ok before onResult; results carry the simulator\'s fields; LOAD first', async () => {
    const order: string[] = [];
    const seen: Request[] = [];
    const answered: SimObserver = { onResponse: (r, outcome) => order.push(`answer ${r.id} ${outcome}`) };
    const { engine, scheduler, workload, metrics } = engineWith(
      {
        start: (c) => c.send({ type: 'LOAD', gpu: 0, model: 0, earliest: 0, latest: c.now() + 10_000 * MS }),
        request: (r, c) => {
          seen.push(r);
          if (seen.length === 2) c.send({ type: 'INFER', gpu: 0, model: 0, earliest: c.now(), latest: c.now() + 10_000 * MS, requests: [...seen] });
        },
        result: (res) => order.push(`result ${res.action.type}`),
      },
      [
        [1 * MS, 0],
        [2 * MS, 0],
      ],
      { observers: [answered] },
    );
    await engine.run();
    expect(order).toEqual(['result LOAD', 'answer 0 ok', 'answer 1 ok', 'result INFER']);
    const infer = scheduler.results[1] as ActionResult & { action: { type: 'INFER' } };
    expect(infer).toMatchObject({ ok: true, paddedBatch: 2 });
    expect(infer.duration).toBe(infer.end! - infer.start!);
    expect(infer.receivedAt).toBeGreaterThanOrEqual(infer.end!);
    expect(infer.start!).toBeGreaterThanOrEqual(infer.action.earliest);
    expect(scheduler.results[0].end!).toBeLessThanOrEqual(infer.start!);
    // The workload heard of both responses (closed loops work), and the metrics counted them.
    expect(workload.responses.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(metrics.overall.counts).toMatchObject({ total: 2, ok: 2, unfinished: 0 });
    expect(engine.unanswered).toBe(0);
  });

  it('a session\'s first run at each batch size after each LOAD is measured apart (firstExec), as the simulated GPU draws it', async () => {
    // The script of first-exec.test.ts: LOAD A; four requests, one INFER each (the third padded to
    // 2); before the fourth, EVICT A and LOAD A again. First runs: b1, b2, then b1 after the LOAD.
    let n = 0;
    const { engine, scheduler } = engineWith(
      {
        start: (c) => c.send({ type: 'LOAD', gpu: 0, model: 0, earliest: 0, latest: c.now() + 10_000 * MS }),
        request: (r, c) => {
          n++;
          if (n === 4) {
            c.send({ type: 'EVICT', gpu: 0, model: 0, earliest: 0, latest: c.now() + 10_000 * MS });
            c.send({ type: 'LOAD', gpu: 0, model: 0, earliest: 0, latest: c.now() + 10_000 * MS });
          }
          const earliest = n === 4 ? c.now() + 10 * MS : c.now();
          c.send({ type: 'INFER', gpu: 0, model: 0, earliest, latest: c.now() + 10_000 * MS, requests: [r], ...(n === 3 ? { padTo: 2 } : {}) });
        },
      },
      [10, 20, 30, 40].map((t) => [t * MS, 0] as [number, number]),
    );
    await engine.run();
    expect(scheduler.results.filter((r) => r.action.type === 'INFER').map((r) => [r.ok, r.paddedBatch])).toEqual([
      [true, 1],
      [true, 1],
      [true, 2],
      [true, 1],
    ]);
    const m = engine.measured.get('A')!;
    const counts = (x: ReadonlyMap<number, number[]>) => [...x].map(([b, xs]) => [b, xs.length]).sort((p, q) => p[0] - q[0]);
    expect(counts(m.firstExec)).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(counts(m.exec)).toEqual([[1, 1]]);
    expect(m.load).toHaveLength(2);
  });

  it('respond answers without executing; a send whose sendBy has passed fails network-too-late and its requests fail', async () => {
    const { engine, scheduler, metrics } = engineWith(
      {
        request: (r, c) => {
          if (r.id === 0) c.respond(r, 'rejected');
          else c.send({ type: 'INFER', gpu: 0, model: 0, earliest: c.now(), latest: c.now() + 10_000 * MS, requests: [r], sendBy: c.now() - 1 });
        },
      },
      [
        [1 * MS, 0],
        [2 * MS, 0],
      ],
    );
    await engine.run();
    expect(scheduler.results).toHaveLength(1);
    expect(scheduler.results[0]).toMatchObject({ ok: false, error: 'network-too-late' });
    expect(metrics.overall.counts).toMatchObject({ total: 2, rejected: 1, failed: 1 });
    expect(engine.counters).toEqual({ actionsSent: 1, resultsReceived: 0, networkDrops: 1 });
  });

  it('a request not outstanding (answered twice) ends the run with the error', async () => {
    const { engine } = engineWith(
      {
        request: (r, c) => {
          c.respond(r, 'rejected');
          c.respond(r, 'rejected');
        },
      },
      [[1 * MS, 0]],
    );
    await expect(engine.run()).rejects.toThrow(/answered request 0, which is not an unanswered request/);
  });

  it('requests sent before the duration only; the run ends once they are answered, well before duration + drain', async () => {
    const { engine, workload } = engineWith({ request: (r, c) => c.respond(r, 'timeout') }, [
      [1 * MS, 0],
      [30 * MS, 1],
      [80 * MS, 2], // after the 60 ms duration: never sent
    ]);
    const end = await engine.run();
    expect(workload.responses.map((r) => r.id)).toEqual([0, 1]);
    // Drain is 2 s: ending at all before it means the engine saw that nothing was left.
    expect(end).toBeLessThan(2060 * MS);
  });
});
