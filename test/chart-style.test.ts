/**
 * Charts fit for a paper (issue 14): scheduler colours fixed across charts, unanswered requests at
 * +infinity in the latency CDF and tail (computed by hand for a small run written by hand), the CSV
 * beside each chart equal to the plotted data, per-GPU utilization series, CPU devices called CPUs.
 * The renderer is replaced by one that keeps each chart's Chart.js configuration.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const { SCHEDULER_STYLES, schedulerStyle, chartCsv } = await import('../src/charts/style.js');
const { Histogram } = await import('../src/metrics/histogram.js');
const { parseCsv } = await import('../src/util/csv.js');
const { loadExperiment } = await import('../src/experiment/config.js');
const { runToDirectory } = await import('../src/experiment/runner.js');
const { ROOT, tinyConfig, tmp, writeConfig } = await import('./helpers/results.js');

async function runTo(cfg: Record<string, unknown>): Promise<string> {
  const dir = tmp('servesim-style-');
  const out = join(dir, 'run');
  await runToDirectory(loadExperiment(writeConfig(dir, cfg)).points[0].resolved, out, false, {});
  return out;
}

async function draw(dirs: string[], names: string[], opts: Record<string, unknown> = {}): Promise<any[]> {
  rendered.length = 0;
  await plotCharts(dirs, join(tmp(), 'charts'), names, opts);
  return [...rendered];
}

/**
 * A run directory written by hand: 10 measured requests, 7 ok and 1 late answered in 1..8 ms, 2 timed
 * out; a 5 ms SLO.
 */
function handRun(o: { name?: string; answered?: boolean } = {}): string {
  const dir = join(tmp('servesim-hand-'), 'run');
  mkdirSync(dir, { recursive: true });
  const summary = {
    name: o.name ?? 'hand',
    scheduler: 'clockwork',
    gpus: 1,
    models: 1,
    warmupSeconds: 0,
    durationSeconds: 1,
    requests: o.answered === false ? { total: 10, ok: 0, late: 0, timeout: 10, rejected: 0, failed: 0, unfinished: 0 } : { total: 10, ok: 7, late: 1, timeout: 2, rejected: 0, failed: 0, unfinished: 0 },
  };
  const h = new Histogram();
  if (o.answered !== false) for (let ms = 1; ms <= 8; ms++) h.record(ms * 1e6);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
  writeFileSync(join(dir, 'latency-histogram.json'), JSON.stringify({ overall: h.toJSON(), groups: { all: { sloNs: 5e6 } } }));
  return dir;
}

const data = (chart: any, label: string): Array<{ x: number; y: number }> => chart.data.datasets.find((d: any) => d.label === label).data;

describe('latency charts count unanswered requests at +infinity', () => {
  it('10 requests, 2 timed out: the CDF ends at 80%, the tail stays at 0.2; --exclude-missed: 100% and 0', async () => {
    const dir = handRun();
    const [cdf, tail] = await draw([dir], ['latency-cdf', 'latency-tail']);
    const c = data(cdf, 'hand (clockwork)');
    // 1 ms .. 8 ms each 1/10 of the requests: y = 10, 20, ..., 80 %; the last point is the maximum, 8 ms.
    expect(c.slice(1).map((p) => Math.round(p.y * 1e9) / 1e9)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(c[c.length - 1].x).toBe(8);
    expect(cdf.options.plugins.subtitle.text.join(' ')).toMatch(/timed-out.*\+∞/);
    const t = data(tail, 'hand (clockwork)');
    // Survival: 1 at the minimum, then 0.9 .. 0.2 after each answered request; flat at 0.2 to the right edge.
    expect(t.map((p) => Math.round(p.y * 1e9) / 1e9)).toEqual([1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.2]);
    expect(t[t.length - 1].x).toBe(tail.options.scales.x.max);
    expect(t[t.length - 1].x).toBeGreaterThan(8);
    // The SLO line: at 5 ms, drawn over the data.
    expect(data(cdf, 'SLO 5 ms')).toEqual([
      { x: 5, y: 0 },
      { x: 5, y: 100 },
    ]);

    const [cdfX, tailX] = await draw([dir], ['latency-cdf', 'latency-tail'], { excludeMissed: true });
    const cx = data(cdfX, 'hand (clockwork)');
    expect(cx[cx.length - 1].y).toBeCloseTo(100, 9);
    expect(cdfX.options.plugins.subtitle.text.join(' ')).toMatch(/answered requests only/);
    const tx = data(tailX, 'hand (clockwork)');
    // Nothing slower than the maximum: the last step drops to the bottom of the log axis.
    expect(tx[tx.length - 1]).toEqual({ x: 8, y: tailX.options.scales.y.min });
    expect(tx[tx.length - 2].y).toBeCloseTo(0.125, 9);
  });

  it('a run that answered nothing is drawn (CDF at 0, tail at 1), not left out', async () => {
    const [cdf, tail] = await draw([handRun(), handRun({ name: 'none', answered: false })], ['latency-cdf', 'latency-tail']);
    expect(data(cdf, 'none (clockwork) (no request answered)').map((p) => p.y)).toEqual([0, 0]);
    const t = data(tail, 'none (clockwork) (no request answered)');
    expect(t.map((p) => p.y)).toEqual([1, 1]);
    expect(t[1].x).toBe(tail.options.scales.x.max);
  });

  it('axis scales by option: log or linear x on both, linear y on the tail', async () => {
    const dir = handRun();
    const [cdfLin, tailLog] = await draw([dir], ['latency-cdf', 'latency-tail'], { xScale: 'linear', yScale: 'linear' });
    expect(cdfLin.options.scales.x.type).toBe('linear');
    expect(tailLog.options.scales.y.type).toBe('linear');
    const [cdfLog, tailXLog] = await draw([dir], ['latency-cdf', 'latency-tail'], { xScale: 'log' });
    expect(cdfLog.options.scales.x.type).toBe('logarithmic');
    expect(tailXLog.options.scales.x.type).toBe('logarithmic');
    expect(tailXLog.options.scales.y.type).toBe('logarithmic');
  });
});

describe('one style per scheduler, the same in every chart', () => {
  it('fifo and clockwork keep their colours in every chart, whichever order the runs come in', async () => {
    const cw = await runTo(tinyConfig({ name: 'cw', scheduler: { type: 'clockwork' } }));
    const ff = await runTo(tinyConfig({ name: 'ff', scheduler: { type: 'fifo' } }));
    const charts = ['goodput', 'latency-cdf', 'latency-tail'];
    for (const order of [
      [cw, ff],
      [ff, cw],
    ]) {
      for (const chart of await draw(order, charts)) {
        const by = (l: string): any => chart.data.datasets.find((d: any) => d.label === l);
        expect(by('cw (clockwork)').borderColor, chart.options.plugins.title.text).toBe(SCHEDULER_STYLES.clockwork.color);
        expect(by('ff (fifo)').borderColor, chart.options.plugins.title.text).toBe(SCHEDULER_STYLES.fifo.color);
        expect(by('ff (fifo)').borderDash).toEqual(SCHEDULER_STYLES.fifo.borderDash);
        expect(by('ff (fifo)').pointStyle).toBe(SCHEDULER_STYLES.fifo.pointStyle);
      }
    }
    // Markers on a few points, offset between schedulers so coinciding lines both show.
    const [cdf] = await draw([cw, ff], ['latency-cdf']);
    const marks = (l: string): number[] => cdf.data.datasets.find((d: any) => d.label === l).pointRadius.flatMap((r: number, i: number) => (r > 0 ? [i] : []));
    expect(marks('cw (clockwork)').length).toBeGreaterThan(3);
    expect(marks('cw (clockwork)').length).toBeLessThan(12);
    expect(marks('cw (clockwork)')).not.toEqual(marks('ff (fifo)'));
  }, 30_000);

  it('schedulers not built in get a colour that depends only on their name', () => {
    expect(schedulerStyle('./my-plugin.js')).toEqual(schedulerStyle('./my-plugin.js'));
    expect(Object.values(SCHEDULER_STYLES).map((s) => s.color)).not.toContain(schedulerStyle('./my-plugin.js').color);
    expect(new Set(Object.values(SCHEDULER_STYLES).map((s) => s.color)).size).toBe(Object.keys(SCHEDULER_STYLES).length);
    // A second series of the same scheduler: the same colour, another dash pattern and marker.
    const k1 = schedulerStyle('fifo', 1);
    expect(k1.color).toBe(SCHEDULER_STYLES.fifo.color);
    expect([k1.pointStyle, k1.borderDash]).not.toEqual([SCHEDULER_STYLES.fifo.pointStyle, SCHEDULER_STYLES.fifo.borderDash]);
  });
});

describe('utilization per device', () => {
  it('one series per GPU up to 8 GPUs (with the mean); above, the least-to-most busy band; CPUs are called CPUs', async () => {
    const four = await runTo(tinyConfig({ duration: '2s', cluster: { profile: join(ROOT, 'hw-profiles/v100-clockwork.json'), gpusPerWorker: 4 }, workload: { type: 'poisson', rate: 800, slo: '25ms' } }));
    const [u4] = await draw([four], ['gpu-utilization']);
    const labels = u4.data.datasets.map((d: any) => d.label);
    expect(labels.filter((l: string) => /^GPU \d+$/.test(l))).toEqual(['GPU 0', 'GPU 1', 'GPU 2', 'GPU 3']);
    expect(labels).toContain('mean over 4 GPUs');
    // Each GPU's line is its timeseries.csv column, in percent.
    const ts = parseCsv(readFileSync(join(four, 'timeseries.csv'), 'utf8'));
    const col = ts[0].indexOf('gpu2Utilization');
    expect(data(u4, 'GPU 2').map((p) => p.y)).toEqual(ts.slice(1).map((r) => 100 * Number(r[col])));

    const ten = await runTo(tinyConfig({ duration: '2s', cluster: { profile: join(ROOT, 'hw-profiles/v100-clockwork.json'), gpusPerWorker: 10 }, workload: { type: 'poisson', rate: 800, slo: '25ms' } }));
    const [u10] = await draw([ten], ['gpu-utilization']);
    const lo = data(u10, 'least busy GPU');
    const hi = data(u10, 'most busy GPU');
    const ts10 = parseCsv(readFileSync(join(ten, 'timeseries.csv'), 'utf8'));
    const cols = Array.from({ length: 10 }, (_, g) => ts10[0].indexOf(`gpu${g}Utilization`));
    ts10.slice(1).forEach((r, k) => {
      expect(lo[k].y).toBeCloseTo(100 * Math.min(...cols.map((c) => Number(r[c]))), 9);
      expect(hi[k].y).toBeCloseTo(100 * Math.max(...cols.map((c) => Number(r[c]))), 9);
    });
    expect(u10.data.datasets.find((d: any) => d.label === 'most busy GPU').fill).toBe('-1');

    const cpu = await runTo({
      name: 'cpu',
      seed: 1,
      duration: '2s',
      cluster: { profile: join(ROOT, 'hw-profiles/cpu-node-2core.json') },
      models: [{ profile: 'resnet18', copies: 1 }],
      workload: { type: 'poisson', rate: 5, slo: '500ms' },
      scheduler: { type: 'fifo' },
    });
    const [uc] = await draw([cpu], ['gpu-utilization']);
    expect(uc.options.plugins.title.text).toMatch(/^CPU utilization/);
    expect(uc.options.scales.y.title.text).toMatch(/^CPU busy/);
    expect(uc.data.datasets.map((d: any) => d.label).join(' ')).not.toMatch(/GPU/);
  }, 60_000);
});

describe('the CSV beside each chart', () => {
  it('holds exactly the points plotted, series by series', async () => {
    const dir = handRun();
    const out = join(tmp(), 'charts');
    rendered.length = 0;
    const rep = await plotCharts([dir], out, ['latency-cdf', 'latency-tail']);
    expect(rep.written.map((w) => [w.file, w.csv])).toEqual([
      [join(out, 'latency-cdf.png'), join(out, 'latency-cdf.csv')],
      [join(out, 'latency-tail.png'), join(out, 'latency-tail.csv')],
    ]);
    for (const [i, name] of ['latency-cdf', 'latency-tail'].entries()) {
      const rows = parseCsv(readFileSync(join(out, `${name}.csv`), 'utf8'));
      expect(rows[0]).toEqual(['series', 'xAxis', 'x', 'yAxis', 'y']);
      // The numbers plotted, to 9 significant digits (README.md, "Numbers in output files").
      const sig9 = (v: number): number => Number(v.toPrecision(9));
      const plotted = rendered[i].data.datasets.flatMap((d: any) => d.data.map((p: any) => [d.label, sig9(p.x), sig9(p.y)]));
      expect(rows.slice(1).map((r) => [r[0], Number(r[2]), Number(r[4])])).toEqual(plotted);
      expect(rows[1][1]).toBe(rendered[i].options.scales.x.title.text);
      expect(readFileSync(join(out, `${name}.csv`), 'utf8')).toBe(chartCsv(rendered[i]));
    }
  });
});

describe('the time axis of time-series charts', () => {
  it('says simulated time for simulations, real time for live runs (summary "mode": "live"), both when mixed', async () => {
    const sim = await runTo(tinyConfig({ name: 'sim', scheduler: { type: 'fifo' } }));
    // The same run directory, labelled a live run.
    const live = join(tmp('servesim-live-label-'), 'live');
    mkdirSync(live, { recursive: true });
    for (const f of ['summary.json', 'timeseries.csv', 'latency-histogram.json', 'config.resolved.json']) {
      let text = readFileSync(join(sim, f), 'utf8');
      if (f === 'summary.json') text = JSON.stringify({ ...JSON.parse(text), name: 'live', mode: 'live' });
      writeFileSync(join(live, f), text);
    }
    const title = async (dirs: string[], name: string) => (await draw(dirs, [name]))[0].options.scales.x.title.text;
    for (const name of ['goodput', 'gpu-utilization']) {
      expect(await title([sim], name)).toBe('simulated time (s)');
      expect(await title([live], name)).toBe('time since the run started (s)');
      expect(await title([sim, live], name)).toBe('time (s): simulated, or real for live runs');
    }
  });
});
