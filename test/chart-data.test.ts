/**
 * What the charts plot, not only that a PNG of the right size appears: the renderer is replaced by
 * one that keeps each chart's Chart.js configuration, and the plotted points are checked against
 * the run's requests.csv (time series) or summaries.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const rendered: any[] = [];
vi.mock('chartjs-node-canvas', () => ({
  ChartJSNodeCanvas: class {
    async renderToBuffer(config: unknown): Promise<Buffer> {
      rendered.push(config);
      return Buffer.from('png');
    }
  },
}));

const { plotCharts } = await import('../src/charts/plot.js');
const { loadExperiment } = await import('../src/experiment/config.js');
const { runToDirectory } = await import('../src/experiment/runner.js');
const { parseRequestsCsv } = await import('./oracle/oracle.js');
const { tinyConfig, tmp, writeConfig } = await import('./helpers/results.js');

async function runTo(cfg: Record<string, unknown>): Promise<string> {
  const dir = tmp('servesim-chart-');
  const out = join(dir, 'run');
  await runToDirectory(loadExperiment(writeConfig(dir, cfg)).points[0].resolved, out, false, {});
  return out;
}

describe('chart data', () => {
  it('goodput over time: ok responses and requests sent per window, from requests.csv', async () => {
    // FIFO at 400 r/s with a 15 ms SLO: many late responses, so goodput and offered load differ.
    const out = await runTo(tinyConfig({ workload: { type: 'poisson', rate: 400, slo: '15ms' }, metrics: { window: '500ms' }, output: { requests: true } }));
    rendered.length = 0;
    await plotCharts([out], join(out, 'charts'), ['goodput']);
    // The goodput series carries the run's label; the offered load is one grey line for one run.
    const d = { goodput: rendered[0].data.datasets[0].data, 'offered load': rendered[0].data.datasets.find((x: any) => x.label === 'offered load').data };
    const rows = parseRequestsCsv(readFileSync(join(out, 'requests.csv'), 'utf8'));
    const W = 0.5e9;
    // Windows [k W, (k+1) W) over the run, plotted at their midpoints (the last may be partial; skip it).
    const n = Math.floor(Math.max(...rows.map((r) => r.response ?? 0)) / W);
    const mid = (k: number): number => (k + 0.5) * (W / 1e9);
    const okIn = (k: number): number => rows.filter((r) => r.outcome === 'ok' && r.response! >= k * W && r.response! < (k + 1) * W).length;
    const sentIn = (k: number): number => rows.filter((r) => r.sent >= k * W && r.sent < (k + 1) * W).length;
    for (let k = 0; k < n; k++) {
      expect(d.goodput[k].x).toBeCloseTo(mid(k), 9);
      expect(d.goodput[k].y, `goodput window ${k}`).toBeCloseTo(okIn(k) / 0.5, 6);
      expect(d['offered load'][k].y, `offered window ${k}`).toBeCloseTo(sentIn(k) / 0.5, 6);
    }
    expect(rows.filter((r) => r.outcome === 'late').length).toBeGreaterThan(100);
  }, 30_000);

  it('goodput over time leaves out a window cut short (the drain): a rate over 2 ms is no point of the curve', async () => {
    const out = await runTo(tinyConfig({ workload: { type: 'poisson', rate: 200, slo: '50ms' }, metrics: { window: '500ms' } }));
    const file = join(out, 'timeseries.csv');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const last = lines[lines.length - 1].split(',');
    const col = (name: string) => header.indexOf(name);
    // A drain window of 2 ms after the last one, with 1 response: 500 per second.
    const drain = [...last];
    drain[col('timeS')] = String(Number(last[col('timeS')]) + Number(last[col('windowS')]));
    drain[col('windowS')] = '0.002';
    drain[col('goodput')] = '500';
    drain[col('offeredLoad')] = '0';
    writeFileSync(file, [...lines, drain.join(',')].join('\n') + '\n');
    rendered.length = 0;
    await plotCharts([out], join(out, 'charts'), ['goodput']);
    const goodput = rendered[0].data.datasets[0].data as Array<{ x: number; y: number }>;
    // Every full window is there (the same count as rows of at least half a window), the 2 ms one is not.
    const full = lines.slice(1).filter((l) => Number(l.split(',')[col('windowS')]) >= 0.25).length;
    expect(goodput).toHaveLength(full);
    expect(goodput.some((p) => p.y === 500)).toBe(false);
  }, 30_000);

  it('goodput against offered load and attainment against the SLO: one point per run, from its summary', async () => {
    const runs: Array<{ dir: string; summary: any }> = [];
    for (const [rate, slo] of [
      [200, '10ms'],
      [400, '30ms'],
    ] as const) {
      const dir = await runTo(tinyConfig({ duration: '2s', workload: { type: 'poisson', rate, slo } }));
      runs.push({ dir, summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) });
    }
    rendered.length = 0;
    await plotCharts(
      runs.map((r) => r.dir),
      join(tmp(), 'charts'),
      ['goodput-vs-load', 'slo-attainment'],
    );
    const [vsLoad, attain] = rendered;
    const pts = vsLoad.data.datasets.filter((ds: any) => !ds.label.startsWith('goodput ='))!.flatMap((ds: any) => ds.data);
    expect(pts).toEqual(expect.arrayContaining(runs.map((r) => ({ x: r.summary.offeredLoad, y: r.summary.goodput }))));
    expect(pts).toHaveLength(2);
    const a = attain.data.datasets.flatMap((ds: any) => ds.data.map((p: any) => ({ label: ds.label.split(': ').pop(), ...p })));
    for (const [i, slo] of [10, 30].entries()) {
      expect(a).toContainEqual({ label: 'SLO attainment', x: slo, y: 100 * runs[i].summary.sloAttainment });
      expect(a).toContainEqual({ label: 'goodput', x: slo, y: runs[i].summary.goodput });
    }
  }, 30_000);
});
