/** Shared test fixtures: a tiny hand-checkable profile, a scripted scheduler and workload. */
import { resolveProfile, type HardwareProfile, type ProfileJson } from '../src/models/profile.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { MeasuredSimulation } from '../src/experiment/runner.js';
import type { SimulationSetup } from '../src/sim/simulation.js';
import type { ActionResult, ModelInstance, Request, Scheduler, SchedulerContext } from '../src/sim/types.js';
import type { Workload, WorkloadContext } from '../src/sim/workload.js';

/** A constant distribution (ms). */
export const constant = (ms: number) => ({ percentiles: { '0': ms, '100': ms } });

/** A model of a hand-made test profile: exec[b] and load in ms, all constant. */
export interface TestModel {
  weightsBytes: number;
  inputBytes?: number;
  outputBytes?: number;
  exec: Record<number, number>;
  load: number;
}

/** A hand-made profile with constant distributions, the building block of every test fixture. */
export function testProfileJson(o: {
  pageSize: number;
  pages: number;
  pcie?: ProfileJson['device']['pcie'];
  interference?: ProfileJson['device']['interference'];
  source: string;
  models: Record<string, TestModel>;
}): ProfileJson {
  const model = (m: TestModel) => {
    const sizes = Object.keys(m.exec)
      .map(Number)
      .sort((a, b) => a - b);
    return {
      weightsBytes: m.weightsBytes,
      inputBytes: m.inputBytes ?? 0,
      outputBytes: m.outputBytes ?? 0,
      batchSizes: sizes,
      exec: Object.fromEntries(sizes.map((b) => [String(b), constant(m.exec[b])])),
      load: constant(m.load),
    };
  };
  return {
    format: 'servesim-hw-profile',
    version: 1,
    device: {
      name: 'test-gpu',
      kind: 'gpu',
      weightsMemory: o.pages * o.pageSize,
      pageSize: o.pageSize,
      pcie: o.pcie ?? { bandwidth: 1e12, latency: 0 },
      interference: o.interference ?? { speedup: [1], extraCv: 0 },
    },
    provenance: { source: o.source },
    models: Object.fromEntries(Object.entries(o.models).map(([k, m]) => [k, model(m)])),
  };
}

/**
 * Device: 4 pages of 1,000,000 B; PCIe 1 byte/ns (1e9 B/s) with 1 us latency.
 * Models: A 2.5 MB (3 pages), B 1 MB (1 page), C 1.5 MB (2 pages); input 10,000 B, output 1,000 B;
 * exec b1 1 ms, b2 1.5 ms, b4 2 ms; LOAD 5 ms.
 */
export function tinyProfileJson(overrides: Partial<ProfileJson['device']> = {}): ProfileJson {
  const model = (weightsBytes: number): TestModel => ({ weightsBytes, inputBytes: 10_000, outputBytes: 1_000, exec: { 1: 1, 2: 1.5, 4: 2 }, load: 5 });
  const p = testProfileJson({
    pageSize: 1_000_000,
    pages: 4,
    pcie: { bandwidth: 1e9, latency: '1us' },
    interference: { speedup: [1, 1.25], extraCv: 0 },
    source: 'test fixture',
    models: { A: model(2_500_000), B: model(1_000_000), C: model(1_500_000) },
  });
  return { ...p, device: { ...p.device, ...overrides } };
}

export function tinyProfile(overrides: Partial<ProfileJson['device']> = {}): HardwareProfile {
  return resolveProfile(tinyProfileJson(overrides), 'tiny.json');
}

export function instances(profile: HardwareProfile, names: string[] = ['A', 'B', 'C']): ModelInstance[] {
  return names.map((n, id) => {
    const p = profile.models.get(n)!;
    return { id, name: n, profile: p, pages: Math.ceil(p.weightsBytes / profile.device.pageSizeBytes) };
  });
}

export interface ScriptHooks {
  start?(ctx: SchedulerContext): void;
  request?(r: Request, ctx: SchedulerContext): void;
  result?(res: ActionResult, ctx: SchedulerContext): void;
  timer?(token: unknown, ctx: SchedulerContext): void;
}

/** A scheduler whose behaviour is the test's hooks; it records every result and request it saw. */
export class ScriptedScheduler implements Scheduler {
  readonly name = 'scripted';
  readonly results: ActionResult[] = [];
  readonly requests: Array<{ r: Request; at: number }> = [];
  ctx!: SchedulerContext;
  constructor(private readonly hooks: ScriptHooks) {}
  start(ctx: SchedulerContext): void {
    this.ctx = ctx;
    this.hooks.start?.(ctx);
  }
  onRequest(r: Request): void {
    this.requests.push({ r, at: this.ctx.now() });
    this.hooks.request?.(r, this.ctx);
  }
  onResult(res: ActionResult): void {
    this.results.push(res);
    this.hooks.result?.(res, this.ctx);
  }
  onTimer(token: unknown): void {
    this.hooks.timer?.(token, this.ctx);
  }
}

/** Submits requests at fixed times: [time ns, model id]. Records responses. */
export class ScriptedWorkload implements Workload {
  readonly responses: Array<{ id: number; outcome: string; at: number }> = [];
  private ctx!: WorkloadContext;
  constructor(private readonly arrivals: Array<[number, number]>) {}
  start(ctx: WorkloadContext): void {
    this.ctx = ctx;
    for (const [t, m] of this.arrivals) ctx.at(t, () => ctx.submit(m));
  }
  onResponse(r: Request, outcome: string): void {
    this.responses.push({ id: r.id, outcome, at: this.ctx.now() });
  }
}

export function makeSim(
  scheduler: Scheduler,
  opts: { workload?: Workload; slo?: number; sloFactor?: number; setup?: Partial<SimulationSetup>; profile?: HardwareProfile; models?: string[] } = {},
): MeasuredSimulation {
  const profile = opts.profile ?? tinyProfile();
  const models = instances(profile, opts.models);
  const setup: SimulationSetup = {
    seed: 1,
    duration: 1e9,
    warmup: 0,
    drain: 1e9,
    profile,
    models,
    workers: 1,
    gpusPerWorker: 1,
    pagesPerGpu: 4,
    network: { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9 },
    inputLead: 5_000_000,
    execConcurrency: 1,
    sendConcurrency: 0,
    ...opts.setup,
  };
  const workload = opts.workload ?? new ScriptedWorkload([]);
  const metrics = new MetricsCollector(setup.warmup, setup.duration, 1, setup.workers * setup.gpusPerWorker);
  return new MeasuredSimulation(setup, scheduler, [{ workload, group: 0, name: 'w', targets: models.map((m) => m.id), slo: opts.slo ?? 100e6, sloFactor: opts.sloFactor }], metrics);
}

/** A result without the action object, for compact assertions. */
export function brief(r: ActionResult) {
  return {
    type: r.action.type,
    model: r.action.model,
    ok: r.ok,
    error: r.error,
    start: r.start,
    end: r.end,
    receivedAt: r.receivedAt,
    paddedBatch: r.paddedBatch,
  };
}
