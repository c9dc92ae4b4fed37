import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_HEIGHT, CHART_WIDTH, plotCharts } from '../src/charts/plot.js';
import { compareDirs } from '../src/cli/compare.js';
import { loadExperiment } from '../src/experiment/config.js';
import { runToDirectory } from '../src/experiment/runner.js';
import { runSweep } from '../src/experiment/sweep.js';
import { registerCycleScheduler } from './helpers/cycle-scheduler.js';
import { pngSize, tinyConfig, tmp, writeConfig } from './helpers/results.js';

describe('charts', () => {
  it('draws every run chart as a PNG of the expected size, including prediction errors', async () => {
    registerCycleScheduler();
    const dir = tmp();
    const cfg = tinyConfig({ scheduler: { type: 'test-cycle' }, workload: { type: 'poisson', rate: 40, slo: '100ms' }, output: { charts: true } });
    const { points } = loadExperiment(writeConfig(dir, cfg));
    const out = join(dir, 'run');
    await runToDirectory(points[0].resolved, out, false, {});
    // output.charts: true drew the run charts at the end of the run, inside the result directory.
    for (const name of ['goodput', 'latency-cdf', 'latency-tail', 'gpu-utilization', 'prediction-error']) {
      const png = readFileSync(join(out, 'charts', `${name}.png`));
      expect(pngSize(png), name).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
      expect(png.length, name).toBeGreaterThan(10_000); // not blank: axes, text and lines
      // The plotted data beside each chart.
      expect(readFileSync(join(out, 'charts', `${name}.csv`), 'utf8').split('\n')[0], name).toBe('series,xAxis,x,yAxis,y');
    }
    // Sweep charts need several runs: skipped with a reason for one.
    const rep = await plotCharts([out], join(dir, 'again'), ['slo-attainment', 'latency-tail']);
    expect(rep.written.map((w) => w.chart)).toEqual(['latency-tail']);
    expect(rep.skipped[0]).toMatchObject({ chart: 'slo-attainment' });
    await expect(plotCharts([out], join(dir, 'x'), ['nope'])).rejects.toThrow(/unknown chart "nope"/);
  }, 30_000);

  it('writes PNG, SVG and PDF at the size asked, each with its CSV; rejects bad formats and sizes', async () => {
    const dir = tmp();
    const out = join(dir, 'run');
    await runToDirectory(loadExperiment(writeConfig(dir, tinyConfig({ duration: '1s' }))).points[0].resolved, out, false, {});
    const charts = join(dir, 'charts');
    const rep = await plotCharts([out], charts, ['latency-cdf', 'gpu-utilization'], { formats: ['png', 'svg', 'pdf'], width: 640, height: 400, fontSize: 16 });
    expect(rep.written.map((w) => w.file.slice(charts.length + 1))).toEqual([
      'latency-cdf.png',
      'latency-cdf.svg',
      'latency-cdf.pdf',
      'gpu-utilization.png',
      'gpu-utilization.svg',
      'gpu-utilization.pdf',
    ]);
    expect(pngSize(readFileSync(join(charts, 'latency-cdf.png')))).toEqual({ width: 640, height: 400 });
    const svg = readFileSync(join(charts, 'latency-cdf.svg'), 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/<svg [^>]*width="640(pt)?" height="400(pt)?"/);
    expect(readFileSync(join(charts, 'gpu-utilization.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(readFileSync(join(charts, 'gpu-utilization.pdf')).length).toBeGreaterThan(5_000);
    expect(existsSync(join(charts, 'latency-cdf.csv'))).toBe(true);
    await expect(plotCharts([out], join(dir, 'bad'), ['latency-cdf'], { formats: ['jpeg' as never] })).rejects.toThrow(/unknown chart format "jpeg"/);
    await expect(plotCharts([out], join(dir, 'bad'), ['latency-cdf'], { width: 10 })).rejects.toThrow(/chart width must be an integer from 200/);
  }, 30_000);

  it('draws sweep charts from a sweep directory, and compare lists its points', async () => {
    const dir = tmp();
    const cfg = tinyConfig({ duration: '2s', sweep: { 'workload.slo': ['10ms', '50ms'], 'workload.rate': [100, 300] } });
    const file = writeConfig(dir, cfg);
    const { input, points } = loadExperiment(file);
    const out = join(dir, 'sweep');
    await runSweep({ file, input, points, outDir: out, jobs: 1 });
    const rep = await plotCharts([out], join(out, 'charts'), ['slo-attainment', 'goodput-vs-load', 'goodput']);
    expect(rep.skipped).toEqual([]);
    for (const w of rep.written) expect(pngSize(readFileSync(w.file))).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    const md = compareDirs([out], 'markdown');
    expect(md.split('\n')[0]).toContain('slo=10ms, rate=100');
    expect(md).toMatch(/\| SLO attainment \|/);
    const csv = compareDirs([out], 'csv').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0].startsWith('run,dir,scheduler,requests')).toBe(true);
  }, 30_000);
});
