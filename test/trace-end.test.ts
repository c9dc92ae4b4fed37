/**
 * A replay whose trace ends before the run's duration says so (docs/traces.md, "When a trace ends
 * before the run"): one warning line on stderr and `traceEndedAt` in summary.json; a trace that
 * covers the run changes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runExperiment } from '../src/experiment/runner.js';
import '../src/traces/index.js';
import { invocationFileName } from '../src/traces/azure2019.js';
import { tempDir, writeInvocations } from './helpers/fake-ctx.js';

const dir = tempDir('servesim-trace-end-');
writeFileSync(join(dir, 'ts.csv'), 'TIMESTAMP\n' + Array.from({ length: 20 }, (_, i) => `2023-11-16 18:17:${String(i).padStart(2, '0')}.5`).join('\n') + '\n');
writeFileSync(join(dir, 'inv2021.csv'), 'app,func,end_timestamp,duration\n' + Array.from({ length: 30 }, (_, i) => `a,f${i % 3},${i + 1},0.5`).join('\n') + '\n');
writeInvocations(join(dir, invocationFileName(1)), [
  { id: '1', counts: Array.from({ length: 1440 }, () => 10) },
  { id: '2', counts: { 0: 3, 1: 4 } },
]);

async function run(workload: Record<string, unknown>, duration: string) {
  const config = {
    name: 'trace-end',
    seed: 2,
    duration,
    warmup: '0s',
    drain: '1s',
    cluster: { profile: 'hw-profiles/v100-clockwork.json', workers: 1, gpusPerWorker: 1 },
    models: [{ profile: 'resnet50_v2', copies: 2 }],
    workload: { name: 'trace', slo: '1s', ...workload },
    scheduler: { type: 'fifo' },
  };
  const file = join(dir, 'exp.json');
  writeFileSync(file, JSON.stringify(config));
  const warnings: string[] = [];
  const out = await runExperiment(loadExperiment(file).points[0].resolved, { warn: (l) => warnings.push(l) });
  return { summary: out.summary as Record<string, unknown>, text: JSON.stringify(out.summary), warnings };
}

describe('a trace that ends before the run', () => {
  it('timestamps: ends at its last timestamp (19 s); warning and summary field; byte-identical on rerun', async () => {
    const a = await run({ type: 'timestamps', file: 'ts.csv' }, '30s');
    expect(a.summary.traceEndedAt).toEqual({ trace: '19s' });
    expect(a.warnings).toEqual([
      `trace-end: warning: workload "trace" (timestamps): ${join(dir, 'ts.csv')} (its last timestamp) ends at 19s of simulated time, before the run's duration 30s; no requests after that\n`,
    ]);
    expect((a.summary.requests as { total: number }).total).toBe(20);
    const b = await run({ type: 'timestamps', file: 'ts.csv' }, '30s');
    expect(b.text).toBe(a.text);
    // With time compression the trace ends sooner in simulated time.
    const c = await run({ type: 'timestamps', file: 'ts.csv', timeCompression: 2 }, '30s');
    expect(c.summary.traceEndedAt).toEqual({ trace: '9.5s' });
  }, 30_000);
  it('timestamps with start and length: the window\'s end, or the last timestamp; start is trace time', async () => {
    // ts.csv: 20 requests at 0..19 s after the earliest.
    const a = await run({ type: 'timestamps', file: 'ts.csv', start: '5s', length: '10s' }, '30s');
    expect(a.summary.traceEndedAt).toEqual({ trace: '10s' });
    expect(a.warnings).toEqual([
      `trace-end: warning: workload "trace" (timestamps): the 10s window ("length") of ${join(dir, 'ts.csv')} ends at 10s of simulated time, before the run's duration 30s; no requests after that\n`,
    ]);
    expect((a.summary.requests as { total: number }).total).toBe(10);
    const b = await run({ type: 'timestamps', file: 'ts.csv', start: '4s', timeCompression: 2 }, '30s');
    expect(b.summary.traceEndedAt).toEqual({ trace: '7.5s' });
    expect((b.summary.requests as { total: number }).total).toBe(16);
  }, 30_000);
  it('timestamps with loop never ends: two passes, no warning, no field; byte-identical on rerun', async () => {
    // Period 19 s + the mean inter-arrival 1 s = 20 s: requests at 0..39 s.
    const a = await run({ type: 'timestamps', file: 'ts.csv', loop: true }, '40s');
    expect(a.warnings).toEqual([]);
    expect(a.summary).not.toHaveProperty('traceEndedAt');
    expect((a.summary.requests as { total: number }).total).toBe(40);
    const b = await run({ type: 'timestamps', file: 'ts.csv', loop: true }, '40s');
    expect(b.text).toBe(a.text);
    // A looping window shorter than the run, with compression: still no warning.
    const c = await run({ type: 'timestamps', file: 'ts.csv', start: '2s', length: '3s', loop: true, timeCompression: 3 }, '10s');
    expect(c.warnings).toEqual([]);
    expect(c.summary).not.toHaveProperty('traceEndedAt');
    // 3 requests per 1 s pass over 10 s.
    expect((c.summary.requests as { total: number }).total).toBe(30);
  }, 30_000);
  it('a trace that covers the run: no warning, no field', async () => {
    const a = await run({ type: 'timestamps', file: 'ts.csv' }, '19s');
    expect(a.warnings).toEqual([]);
    expect(a.summary).not.toHaveProperty('traceEndedAt');
    expect(a.text).not.toContain('traceEnded');
    const b = await run({ type: 'azure-2019', dir: '.', spread: 'even' }, '3m');
    expect(b.warnings).toEqual([]);
    expect(b.summary).not.toHaveProperty('traceEndedAt');
  }, 60_000);
  it('azure-2021: its last arrival, or the end of "length"', async () => {
    const a = await run({ type: 'azure-2021', file: 'inv2021.csv' }, '1m');
    expect(a.summary.traceEndedAt).toEqual({ trace: '29.5s' });
    expect(a.warnings[0]).toContain(`${join(dir, 'inv2021.csv')} (its last arrival) ends at 29.5s of simulated time, before the run's duration 1m;`);
    const b = await run({ type: 'azure-2021', file: 'inv2021.csv', start: '10s', length: '5s' }, '1m');
    expect(b.summary.traceEndedAt).toEqual({ trace: '5s' });
    expect(b.warnings[0]).toContain(`the 5s window ("length") of ${join(dir, 'inv2021.csv')} ends at 5s`);
    const c = await run({ type: 'azure-2021', file: 'inv2021.csv' }, '29s');
    expect(c.warnings).toEqual([]);
    expect(c.summary).not.toHaveProperty('traceEndedAt');
  }, 60_000);
  it('azure-2019 with "minutes" (no wrap-around): the window end', async () => {
    const a = await run({ type: 'azure-2019', dir: '.', minutes: 2, spread: 'even' }, '3m');
    expect(a.summary.traceEndedAt).toEqual({ trace: '2m' });
    expect(a.warnings).toEqual([
      `trace-end: warning: workload "trace" (azure-2019): the 2-minute window ("minutes") of ${join(dir, invocationFileName(1))} ends at 2m of simulated time, before the run's duration 3m; no requests after that\n`,
    ]);
  }, 60_000);
});
