import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/runner.js';
import '../src/traces/index.js';
import { synthAzure } from '../src/traces/synth-azure.js';
import { tempDir } from './helpers/fake-ctx.js';

describe('trace workloads in a whole experiment', () => {
  it('a synthetic Azure day (azure-2019) plus an slo-ramp group run on the engine, deterministically', async () => {
    const dir = tempDir();
    await synthAzure({ functions: 300, days: 1, seed: 4, out: join(dir, 'trace') });
    const config = {
      name: 'e2e-azure',
      seed: 3,
      duration: '90s',
      warmup: '0s',
      drain: '5s',
      cluster: { profile: 'hw-profiles/v100-clockwork.json', workers: 1, gpusPerWorker: 2 },
      models: [{ profile: 'resnet50_v2', copies: 20 }],
      workload: [
        { type: 'azure-2019', name: 'azure', dir: 'trace', startMinute: 600, spread: 'poisson', scale: 0.05, slo: '100ms' },
        { type: 'slo-ramp', name: 'fg', rate: 20, ramp: { every: '10s', max: 20 }, models: ['resnet50_v2#0'] },
      ],
      scheduler: { type: 'fifo' },
    };
    const file = join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify(config));
    const run = async () => {
      const { points } = loadExperiment(file);
      return runExperiment(points[0].resolved, {});
    };
    const a = await run();
    const s = a.summary as Record<string, any>;
    const workloads = (a.resolvedConfig.derived as Record<string, any>).workloads;
    expect(a.run.measuredRequests).toBeGreaterThan(100);
    expect(workloads[1].resolved).toMatchObject({ rate: 20, sloFactorRamp: { max: 20 } });
    expect(workloads[0].resolved).toMatchObject({ spread: 'poisson', mapping: 'contiguous', scale: 0.05, startMinute: 600 });
    const b = await run();
    expect(JSON.stringify(b.summary)).toBe(JSON.stringify(s));
  }, 20_000);
});
