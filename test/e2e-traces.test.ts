import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/runner.js';
import '../src/traces/index.js';
import { invocationFileName } from '../src/traces/azure2019.js';
import { synthAzure } from '../src/traces/synth-azure.js';
import { parseRequestsCsv } from './oracle/oracle.js';
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
        { type: 'azure-2019', name: 'azure', dir: 'trace', startMinute: 600, spread: 'poisson', scale: 0.5, slo: '100ms' },
        { type: 'slo-ramp', name: 'fg', rate: 20, ramp: { every: '10s', max: 20 }, models: ['resnet50_v2#0'] },
      ],
      scheduler: { type: 'fifo' },
    };
    const file = join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify(config));
    const run = async (requestsCsv?: string) => {
      const { points } = loadExperiment(file);
      return runExperiment(points[0].resolved, { requestsCsv });
    };
    const a = await run(join(dir, 'requests.csv'));
    const s = a.summary as Record<string, any>;
    const workloads = (a.resolvedConfig.derived as Record<string, any>).workloads;
    expect(a.run.measuredRequests).toBeGreaterThan(100);
    expect(workloads[1].resolved).toMatchObject({ rate: 20, sloFactorRamp: { max: 20 } });
    expect(workloads[0].resolved).toMatchObject({ spread: 'poisson', mapping: 'contiguous', scale: 0.5, startMinute: 600 });
    // Arrivals follow the trace: minute 600 of the day (column "601") replayed over the first 60 s,
    // minute 601 over the next 30 s, each function's count x scale, Poisson-spread within the minute.
    const [head, ...rows] = readFileSync(join(dir, 'trace', invocationFileName(1)), 'utf8').trim().split('\n').map((l) => l.split(','));
    const col = (m: number): number => rows.reduce((t, r) => t + Number(r[head.indexOf(String(m + 1))]), 0);
    const sent = parseRequestsCsv(readFileSync(join(dir, 'requests.csv'), 'utf8'));
    const azure = sent.filter((r) => r.group === 'azure');
    const expectPoisson = (count: number, mean: number) => expect(Math.abs(count - mean), `${count} vs ${mean}`).toBeLessThan(4 * Math.sqrt(mean) + 1);
    const minute0 = azure.filter((r) => r.sent < 60e9).length;
    expect(col(600) * 0.5).toBeGreaterThan(200);
    expectPoisson(minute0, col(600) * 0.5);
    expectPoisson(azure.length - minute0, col(601) * 0.5 * 0.5);
    expect(s.groups.azure.requests.total).toBe(azure.length);
    // The slo-ramp foreground sends 20 r/s to one model.
    const fg = sent.filter((r) => r.group === 'fg');
    expectPoisson(fg.length, 20 * 90);
    expect(new Set(fg.map((r) => r.model))).toEqual(new Set(['resnet50_v2#0']));
    const b = await run();
    expect(JSON.stringify(b.summary)).toBe(JSON.stringify(s));
  }, 20_000);
});
