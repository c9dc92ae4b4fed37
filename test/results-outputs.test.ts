import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { runToDirectory } from '../src/experiment/runner.js';
import { parseTraceWindow } from '../src/metrics/trace-events.js';
import { readCsvColumns } from '../src/charts/results.js';
import { Histogram } from '../src/metrics/histogram.js';
import { registerCycleScheduler } from './helpers/cycle-scheduler.js';
import { snapshot, tinyConfig, tmp, writeConfig } from './helpers/results.js';

async function run(cfg: Record<string, unknown>, out: string, traceEvents?: { from: number; to: number }) {
  const dir = tmp();
  const { points } = loadExperiment(writeConfig(dir, cfg));
  return runToDirectory(points[0].resolved, out, true, { traceEvents });
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

describe('result files', () => {
  it('writes time series, per-model, histogram and request files that agree with the summary, byte-identical on rerun', async () => {
    const cfg = tinyConfig({ metrics: { window: '250ms' }, output: { requests: true } });
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    const out = await run(cfg, a);
    await run(cfg, b);
    const notRun = (rel: string): boolean => rel === 'run.json';
    const sa = snapshot(a, notRun);
    expect(Object.keys(sa).sort()).toEqual(
      ['.servesim.json', 'config.json', 'config.resolved.json', 'latency-histogram.json', 'manifest.json', 'per-model.csv', 'requests.csv', 'summary.json', 'timeseries.csv'].sort(),
    );
    expect(snapshot(b, notRun)).toEqual(sa);

    const s = out.summary as any;
    // Time series: 250 ms windows over the whole run; sent counts include warm-up.
    const ts = readCsvColumns(join(a, 'timeseries.csv'));
    expect(ts.windowS[0]).toBe(0.25);
    expect(ts.timeS.slice(0, 4)).toEqual([0, 0.25, 0.5, 0.75]);
    const sent = sum(ts.offeredLoad.map((r, i) => r * ts.windowS[i]));
    const reqLines = readFileSync(join(a, 'requests.csv'), 'utf8').trim().split('\n').slice(1);
    expect(Math.round(sent)).toBe(reqLines.length);
    const measured = reqLines.filter((l) => l.endsWith(',1'));
    expect(measured.length).toBe(s.requests.total);
    expect(measured.filter((l) => l.includes(',ok,')).length).toBe(s.requests.ok);
    expect(sum(ts.ok) + sum(ts.late) + sum(ts.timeout) + sum(ts.rejected) + sum(ts.failed)).toBe(reqLines.filter((l) => !l.includes('unfinished')).length);
    // Every window with completed requests has p50 <= p99 <= max.
    for (let i = 0; i < ts.timeS.length; i++) {
      if (ts.ok[i] + ts.late[i] > 0) {
        expect(ts.p50Ms[i]).toBeLessThanOrEqual(ts.p99Ms[i]);
        expect(ts.p99Ms[i]).toBeLessThanOrEqual(ts.maxMs[i]);
      } else expect(ts.p50Ms[i]).toBeNaN();
      expect(ts.gpuUtilization[i]).toBeGreaterThanOrEqual(0);
      expect(ts.gpuUtilization[i]).toBeLessThanOrEqual(1);
    }
    // Per model: counts add up to the summary's.
    const pm = readCsvColumns(join(a, 'per-model.csv'));
    expect(pm.requests.length).toBe(6);
    expect(sum(pm.requests)).toBe(s.requests.total);
    expect(sum(pm.ok)).toBe(s.requests.ok);
    expect(sum(pm.late)).toBe(s.requests.late);
    expect(sum(pm.loads)).toBe(s.loads);
    // The stored histogram reproduces the summary's percentiles (what `servesim plot` draws later).
    const h = JSON.parse(readFileSync(join(a, 'latency-histogram.json'), 'utf8'));
    expect(h.overall.count).toBe(s.requests.ok + s.requests.late);
    const stored = Histogram.fromJSON(h.overall);
    const q = { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999, p9999: 0.9999, p99999: 0.99999, p999999: 0.999999 };
    for (const [k, p] of Object.entries(q)) expect(Number((stored.quantile(p) / 1e6).toFixed(6)), k).toBe(s.latencyMs[k]);
    expect(Number((stored.mean() / 1e6).toFixed(6))).toBe(s.latencyMs.mean);
    expect(h.overall.max / 1e6).toBeCloseTo(s.latencyMs.max, 5);
    expect(new Set(Object.keys(q).map((k) => s.latencyMs[k])).size).toBeGreaterThan(3);
    expect(h.groups.poisson.sloNs).toBe(25e6);
    expect(s.latencyMs).toHaveProperty('p999999');
  });

  it('writes a trace-event timeline with every GPU lane, the actions in the window and request spans', async () => {
    registerCycleScheduler();
    const cfg = tinyConfig({ scheduler: { type: 'test-cycle' }, workload: { type: 'poisson', rate: 40, slo: '100ms' } });
    const out = join(tmp(), 'trace');
    const win = parseTraceWindow('0s:1500ms');
    const res = await run(cfg, out, win);
    const s = res.summary as any;
    expect(s.evictions).toBeGreaterThan(0);
    const doc = JSON.parse(readFileSync(join(out, 'trace-events.json'), 'utf8'));
    const ev = doc.traceEvents as any[];
    const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args.name);
    expect(threads).toEqual(
      expect.arrayContaining(['GPU 0 weights (LOAD/EVICT)', 'GPU 0 input copy', 'GPU 0 exec', 'GPU 0 output copy', 'GPU 0 failed actions', 'request arrivals']),
    );
    const cats = new Set(ev.filter((e) => e.ph === 'X').map((e) => e.cat));
    expect([...cats].sort()).toEqual(['EVICT', 'EXEC', 'INPUT', 'LOAD', 'OUTPUT']);
    // Slices lie in the window (overlapping it) and have non-negative durations; one lane never overlaps itself.
    const byLane = new Map<string, Array<[number, number]>>();
    for (const e of ev.filter((x) => x.ph === 'X')) {
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(e.ts + e.dur).toBeGreaterThanOrEqual(0);
      expect(e.ts).toBeLessThanOrEqual(1_500_000);
      const k = `${e.pid}/${e.tid}`;
      byLane.set(k, [...(byLane.get(k) ?? []), [e.ts, e.ts + e.dur]]);
    }
    for (const spans of byLane.values()) {
      spans.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1] - 1e-6);
    }
    // Request spans: begin/end pairs, arrivals as instants.
    const begins = ev.filter((e) => e.ph === 'b');
    expect(begins.length).toBeGreaterThan(20);
    expect(ev.filter((e) => e.ph === 'e').length).toBe(begins.length);
    expect(begins[0].args).toHaveProperty('deadlineUs');
    expect(ev.some((e) => e.ph === 'i' && e.tid === 1)).toBe(true);
    expect(doc.metadata.truncated).toBe(false);
  });

  it('rejects a bad trace window', () => {
    expect(() => parseTraceWindow('5s')).toThrow(/FROM:TO/);
    expect(() => parseTraceWindow('5s:2s')).toThrow(/FROM < TO/);
    expect(parseTraceWindow('1.5:2s')).toEqual({ from: 1.5e9, to: 2e9 });
  });
});
