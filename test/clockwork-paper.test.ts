/**
 * Clockwork on the paper's configs (experiments/clockwork-1gpu*.json), short runs through the
 * whole experiment path: capacity, lateness, estimator bookkeeping and determinism. Rule-by-rule
 * checks are in clockwork.test.ts and clockwork-engine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { buildSimulation, runExperiment } from '../src/experiment/runner.js';
import type { ClockworkScheduler } from '../src/schedulers/clockwork/index.js';

describe('clockwork paper configs (short runs)', () => {
  async function run(file: string, sets: Array<[string, unknown]>) {
    const { points } = loadExperiment(file, { sets });
    return (await runExperiment(points[0].resolved)).summary as any;
  }

  it('closed loop, 240 outstanding: goodput >= 90% of batch-8 capacity, nothing late, every estimate the p99 of its own last 10 measurements', async () => {
    const { points } = loadExperiment('experiments/clockwork-1gpu.json', {
      sets: [
        ['duration', '5s'],
        ['warmup', '1s'],
      ],
    });
    const r = points[0].resolved;
    const sim = await buildSimulation(r);
    // Execution times measured per (model, batch size), in the order their results came back.
    const measured = new Map<string, number[]>();
    sim.addObserver({
      onActionDone: (_g, a, error, start, end, padded) => {
        if (a.type !== 'INFER' || error) return;
        const k = `${a.model}/${padded}`;
        measured.set(k, [...(measured.get(k) ?? []), end - start]);
      },
    });
    sim.run();
    const s = sim.metrics.summary(['w']) as any;
    expect(s.goodput).toBeGreaterThanOrEqual(0.9 * 806);
    expect(s.requests.late).toBe(0);
    expect(s.predictionError.INFER.absErrorMs.p99).toBeLessThan(1);
    // Clockwork's estimate of (model, b): the linearly interpolated 99th percentile of a window
    // holding the last 10 measurements; the profile's p99 before the first one.
    const p99 = (xs: number[]): number => {
      const v = [...xs].sort((a, b) => a - b);
      const pos = 0.99 * (v.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, v.length - 1);
      return Math.round(v[lo] + (v[hi] - v[lo]) * (pos - lo));
    };
    const sched = sim.scheduler as ClockworkScheduler;
    let checked = 0;
    for (const m of r.models) {
      for (const b of [1, 2, 4, 8]) {
        const seed = m.profile.exec.get(b)!.quantile(0.99);
        const xs = measured.get(`${m.id}/${b}`) ?? [];
        expect(sched.estimate(m.id, b), `${m.name} batch ${b}`).toBe(xs.length > 0 ? p99(xs.slice(-10)) : Math.round(seed));
        if (xs.length >= 10) checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10); // estimates over a full window of measurements
  });

  it('open loop at 200 r/s, 25 ms SLO: >= 99.9% ok; same seed gives an identical summary', async () => {
    const sets: Array<[string, unknown]> = [
      ['duration', '12s'],
      ['warmup', '2s'],
      ['workload.slo', '25ms'],
    ];
    const a = await run('experiments/clockwork-1gpu-poisson.json', sets);
    expect(a.sloAttainment).toBeGreaterThanOrEqual(0.999);
    const b = await run('experiments/clockwork-1gpu-poisson.json', sets);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
