import { describe, expect, it } from 'vitest';
import { loadExperiment, resolveExperiment } from '../src/experiment/config.js';
import { getScheduler } from '../src/schedulers/index.js';
import { MS } from '../src/sim/time.js';
import { UserError } from '../src/util/errors.js';
import { run } from './helpers/baseline-sim.js';

const base = (scheduler: Record<string, unknown>) => ({
  name: 'opts',
  duration: '1s',
  cluster: { profile: 'hw-profiles/v100-clockwork.json' },
  models: [{ profile: 'resnet50_v2', copies: 2 }],
  workload: { type: 'closed-loop', concurrency: 2 },
  scheduler,
});

function errorOf(scheduler: Record<string, unknown>): string {
  try {
    resolveExperiment(base(scheduler), 'exp.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('baseline options: defaults', () => {
  it('every policy documents its defaults in its schema', () => {
    const d = (name: string) => getScheduler(name)!.options.parse({});
    expect(d('clipper')).toEqual({
      replicas: 1,
      initialBatch: 1,
      additiveIncrease: 1,
      multiplicativeDecrease: 0.9,
      budgetFraction: 0.92,
      batchTimeout: 0,
      maxBatch: 0,
      execConcurrency: 0,
    });
    expect(d('clipper-lru')).not.toHaveProperty('replicas');
    expect(d('clipper-code')).toMatchObject({ budgetDecay: 0.92, minSamples: 5, zScore: 3, additiveThreshold: 10, exploreMean: 0.1, exploreStd: 0.05 });
    expect(d('infaas')).toEqual({
      maxBatch: 8,
      batchTimeout: 10 * MS,
      allowedBatchSizes: [2, 4, 8],
      batchThreads: 1,
      scaleOutUtilization: 0.8,
      monitorInterval: 1000 * MS,
      scaleInDelay: 10_000 * MS,
      execConcurrency: 0,
    });
    expect(d('triton')).toEqual({
      maxBatchSize: 8,
      preferredBatchSizes: [],
      maxQueueDelay: 0,
      defaultTimeout: 0,
      maxQueueSize: 0,
      instanceCount: 1,
      replicas: 0,
      execConcurrency: 0,
    });
  });

  it('reads options flat or from per-type blocks (so a sweep over scheduler.type carries each type\'s options)', () => {
    const blocks = { type: 'triton', triton: { maxQueueDelay: '100us' }, clipper: { batchTimeout: '2ms' }, infaas: { maxBatch: 4, allowedBatchSizes: [2, 4] } };
    expect(resolveExperiment(base(blocks), 'exp.json').scheduler.options).toMatchObject({ maxQueueDelay: 100_000 });
    expect(resolveExperiment(base({ ...blocks, type: 'clipper' }), 'exp.json').scheduler.options).toMatchObject({ batchTimeout: 2 * MS });
    expect(resolveExperiment(base({ ...blocks, type: 'infaas' }), 'exp.json').scheduler.options).toMatchObject({ maxBatch: 4 });
    expect(resolveExperiment(base({ type: 'triton', maxQueueDelay: '1ms' }), 'exp.json').scheduler.options).toMatchObject({ maxQueueDelay: MS });
  });
});

describe('baseline options: bad values are rejected with the field path', () => {
  it.each([
    [{ type: 'clipper', multiplicativeDecrease: 1.5 }, 'scheduler.multiplicativeDecrease'],
    [{ type: 'clipper', initialBatch: 0 }, 'scheduler.initialBatch'],
    [{ type: 'clipper', batchTimeout: '5 parsecs' }, 'scheduler.batchTimeout'],
    [{ type: 'clipper-lru', replicas: 2 }, 'replicas'],
    [{ type: 'clipper-code', zScore: -1 }, 'scheduler.zScore'],
    [{ type: 'infaas', allowedBatchSizes: [2, 4] }, 'scheduler.allowedBatchSizes'],
    [{ type: 'infaas', allowedBatchSizes: [4, 2, 8] }, 'scheduler.allowedBatchSizes'],
    [{ type: 'infaas', scaleOutUtilization: 0 }, 'scheduler.scaleOutUtilization'],
    [{ type: 'triton', preferredBatchSizes: [4, 16] }, 'scheduler.preferredBatchSizes[1]'],
    [{ type: 'triton', maxQueueSize: -1 }, 'scheduler.maxQueueSize'],
    [{ type: 'triton', instanceCount: 1.5 }, 'scheduler.instanceCount'],
    [{ type: 'triton', maxQueueDelay: -5 }, 'scheduler.maxQueueDelay'],
    [{ type: 'triton', triton: { defaultTimeout: 'soon' } }, 'scheduler.triton.defaultTimeout'],
    [{ type: 'triton', maxQueueDelai: '1ms' }, 'maxQueueDelai'],
  ])('%j', (scheduler, where) => {
    const msg = errorOf(scheduler);
    expect(msg).toContain('exp.json');
    expect(msg).toContain(where);
  });
});

describe('baselines: determinism', () => {
  it.each(['clipper', 'clipper-code', 'infaas', 'triton'])('%s: same scenario, same outcome (with interference variability)', (scheduler) => {
    const scenario = {
      scheduler,
      exec: { 1: 2.7, 2: 4, 4: 5.9, 8: 9.9, 16: 17.3 },
      models: 4,
      interference: { speedup: [1, 1.25], extraCv: 0.1 },
      closedLoop: { clients: 8, slo: 50 },
      duration: 300,
    };
    const a = run(scenario);
    const b = run(scenario);
    expect(a.summary.requests).toEqual(b.summary.requests);
    expect(a.responses).toEqual(b.responses);
    expect(a.responses.length).toBeGreaterThan(100);
  });
});

describe('experiments/fig5.json', () => {
  it('is the paper\'s fig5 grid: 6 SLOs x 5 schedulers, each point valid', () => {
    // Every scheduler of the grid is registered by src/schedulers/index.js (imported above).
    for (const s of ['clockwork', 'clipper', 'infaas', 'triton', 'fifo']) expect(getScheduler(s), s).toBeDefined();
    const { points } = loadExperiment('experiments/fig5.json');
    expect(points).toHaveLength(30);
    const cells = points.map((p) => `${p.resolved.workloads[0].slo / MS}ms/${p.resolved.scheduler.type.name}`);
    for (const slo of [10, 25, 50, 100, 250, 500]) for (const s of ['clockwork', 'clipper', 'infaas', 'triton', 'fifo']) expect(cells).toContain(`${slo}ms/${s}`);
    const p = points[0].resolved;
    expect(p.models).toHaveLength(15);
    expect(p.config.cluster.workers * p.config.cluster.gpusPerWorker).toBe(1);
    const cw = points.find((x) => x.resolved.scheduler.type.name === 'clockwork')!.resolved.scheduler.options;
    expect(cw).toMatchObject({ scheduleAhead: 5 * MS, maxBatch: 8 });
  });
});
