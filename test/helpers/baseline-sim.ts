/**
 * Drives a scheduler through the real Simulation on a tiny hand-made profile with constant
 * durations, zero network and copy latency, so that every time in a scenario can be computed by
 * hand. Records every action sent, every action's outcome on its worker and every response.
 */
import { MetricsCollector } from '../../src/metrics/collector.js';
import { resolveProfile, type ProfileJson } from '../../src/models/profile.js';
import { testProfileJson } from '../helpers.js';
import { getScheduler } from '../../src/schedulers/index.js';
import { Simulation } from '../../src/sim/simulation.js';
import { MS } from '../../src/sim/time.js';
import type { Action, ActionError, ModelInstance, Outcome, Request } from '../../src/sim/types.js';
import type { Workload, WorkloadContext } from '../../src/sim/workload.js';

export interface Scenario {
  scheduler: string;
  options?: Record<string, unknown>;
  /** Batch size -> constant execution time (ms). */
  exec: Record<number, number>;
  /** LOAD time (ms). */
  load?: number;
  models?: number;
  gpus?: number;
  /** Pages each model needs and pages per GPU. */
  modelPages?: number;
  pagesPerGpu?: number;
  interference?: { speedup: number[]; extraCv: number };
  /** Open-loop arrivals: [time ms, model, slo ms], or [time ms, model, 0, SLO factor] (SubmitOptions.sloFactor). */
  arrivals?: Array<[number, number, number] | [number, number, number, number]>;
  /** Closed loop: clients per model (all models), SLO ms. */
  closedLoop?: { clients: number; slo: number };
  /** ms */
  duration: number;
  drain?: number;
  /**
   * Fault injection: actions for which this returns true reach their worker already past their
   * `latest`, so the worker fails them ('too-late') and the scheduler gets a real failed result.
   * `i` counts the actions of the same type sent before this one.
   */
  fail?: (a: Action, i: number) => boolean;
}

export interface Sent {
  t: number;
  type: Action['type'];
  model: number;
  gpu: number;
  /** INFER: request ids and count. */
  ids: number[];
  n: number;
}
export interface Done {
  type: Action['type'];
  model: number;
  gpu: number;
  error: ActionError | null;
  start: number;
  end: number;
  padded: number;
  n: number;
}
export interface Response {
  id: number;
  model: number;
  outcome: Outcome;
  at: number;
  sentAt: number;
}

const PAGE = 16 * 2 ** 20;

export function profileJson(s: Scenario): ProfileJson {
  return testProfileJson({
    pageSize: PAGE,
    pages: s.pagesPerGpu ?? 100,
    interference: s.interference ?? { speedup: [1, 1.25], extraCv: 0 },
    source: 'hand-made test profile',
    models: { m: { weightsBytes: (s.modelPages ?? 1) * PAGE, exec: s.exec, load: s.load ?? 5 } },
  });
}

export function run(s: Scenario) {
  const profile = resolveProfile(profileJson(s), 'test-profile.json');
  const mp = profile.models.get('m')!;
  const models: ModelInstance[] = Array.from({ length: s.models ?? 1 }, (_, i) => ({ id: i, name: `m#${i}`, profile: mp, pages: s.modelPages ?? 1 }));
  const type = getScheduler(s.scheduler);
  if (!type) throw new Error(`no scheduler ${s.scheduler}`);
  const options = type.options.parse(s.options ?? {});
  const scheduler = type.create(options);
  const engine = type.engine?.(options) ?? {};

  let ctx: WorkloadContext;
  const workload: Workload = {
    start(c) {
      ctx = c;
      if (s.closedLoop) for (const m of c.targets) for (let i = 0; i < s.closedLoop.clients; i++) c.submit(m, { slo: s.closedLoop.slo * MS });
      for (const [t, m, slo, factor] of s.arrivals ?? []) c.at(Math.round(t * MS), () => c.submit(m, factor === undefined ? { slo: Math.round(slo * MS) } : { sloFactor: factor }));
    },
    onResponse(r: Request) {
      if (s.closedLoop && ctx.now() < ctx.end) ctx.submit(r.model, { slo: s.closedLoop.slo * MS });
    },
  };
  const metrics = new MetricsCollector(0, s.duration * MS, 1, s.gpus ?? 1);
  const sim = new Simulation(
    {
      seed: 1,
      duration: s.duration * MS,
      warmup: 0,
      drain: (s.drain ?? 1000) * MS,
      profile,
      models,
      workers: 1,
      gpusPerWorker: s.gpus ?? 1,
      pagesPerGpu: s.pagesPerGpu ?? 100,
      network: { clientLatency: 0, clientBandwidth: 1e15, workerLatency: 0, workerBandwidth: 1e15 },
      inputLead: 0,
      execConcurrency: engine.execConcurrency ?? 1,
      sendConcurrency: engine.sendConcurrency ?? 0,
    },
    scheduler,
    [{ workload, group: 0, name: 'test', targets: models.map((m) => m.id), slo: 100 * MS }],
    [metrics],
  );
  const sent: Sent[] = [];
  const done: Done[] = [];
  const responses: Response[] = [];
  sim.addObserver({
    onActionSent: (a, at) =>
      sent.push({ t: at / MS, type: a.type, model: a.model, gpu: a.gpu, ids: a.type === 'INFER' ? a.requests.map((r) => r.id) : [], n: a.type === 'INFER' ? a.requests.length : 0 }),
    onActionDone: (gpu, a, error, start, end, padded) =>
      done.push({ type: a.type, model: a.model, gpu, error, start: start / MS, end: end / MS, padded, n: a.type === 'INFER' ? a.requests.length : 0 }),
    onResponse: (r, outcome, at) => responses.push({ id: r.id, model: r.model, outcome, at: at / MS, sentAt: r.sentAt / MS }),
  });
  if (s.fail) {
    const ctx = sim.schedulerContext;
    const send = ctx.send;
    const count: Record<string, number> = {};
    ctx.send = (a) => {
      const i = (count[a.type] = (count[a.type] ?? 0) + 1) - 1;
      return send(s.fail!(a, i) ? { ...a, latest: -1 } : a);
    };
  }
  sim.run();
  const infers = sent.filter((x) => x.type === 'INFER');
  return { sim, sent, done, responses, infers, summary: metrics.summary(['test']), stats: scheduler.summary?.() ?? {} };
}

/** "LOAD m0@g0 t=5" style compact trace of LOAD/EVICT actions. */
export function weightActions(sent: Sent[]): string[] {
  return sent.filter((x) => x.type !== 'INFER').map((x) => `${x.type} m${x.model}@g${x.gpu} t=${x.t}`);
}
