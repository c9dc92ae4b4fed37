/**
 * Seeds and confidence intervals: `seeds: N` and a swept `seed` make a seed dimension; points
 * that differ only in seed are one configuration; index-configs.*, `compare` and the sweep charts
 * give the mean and 95% confidence interval over the seeds. Expected figures are computed here
 * from the points' own summary.json files with Student's t quantiles in closed form
 * (df = 1: tan(0.475 pi); df = 2: 0.95 sqrt(2 / (1 - 0.95^2))), not with src/util/stats.ts.
 */
import { readFileSync } from 'node:fs';
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

const { loadExperiment } = await import('../src/experiment/config.js');
const { configId, groupConfigs } = await import('../src/util/seed-groups.js');
const { mergeSweeps, parseShard, runSweep } = await import('../src/experiment/sweep.js');
const { compareDirs, compareGroups } = await import('../src/cli/compare.js');
const { plotCharts } = await import('../src/charts/plot.js');
const { parseCsv } = await import('../src/util/csv.js');
const { ROOT, tinyConfig, tmp, writeConfig } = await import('./helpers/results.js');

/** t(0.975, df) in closed form for df = 1 and 2. */
const T975: Record<number, number> = { 1: Math.tan(0.475 * Math.PI), 2: 0.95 * Math.sqrt(2 / (1 - 0.95 ** 2)) };

/** Mean, half-width of the 95% interval, by hand. */
function byHand(xs: number[]): { n: number; mean: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { n, mean, half: (T975[n - 1] * sd) / Math.sqrt(n) };
}

const close = (actual: number, expected: number, tol = 0): void =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol + 1e-9 * Math.max(1, Math.abs(expected)));
/** Index figures are rounded as written (src/util/round.ts; README "Numbers in output files"): half a unit of the last decimal. */
const rounding = (metric: string): number => 0.5 * 10 ** -(metric === 'sloAttainment' ? 8 : 6);

function points(cfg: Record<string, unknown>, seed?: number) {
  const dir = tmp();
  return loadExperiment(writeConfig(dir, tinyConfig(cfg)), { seed }).points;
}

const summaryOf = (dir: string): any => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

describe('seed dimension', () => {
  it('"seeds": N runs seed, seed + 1, ..., seed + N - 1 as the last (fastest) sweep key; --seed moves the start', () => {
    const ps = points({ seed: 4, seeds: 3, sweep: { 'workload.rate': [100, 200] } });
    expect(ps.map((p) => p.id)).toEqual([
      'workload.rate=100,seed=4',
      'workload.rate=100,seed=5',
      'workload.rate=100,seed=6',
      'workload.rate=200,seed=4',
      'workload.rate=200,seed=5',
      'workload.rate=200,seed=6',
    ]);
    expect(ps.map((p) => p.resolved.config.seed)).toEqual([4, 5, 6, 4, 5, 6]);
    // The points' configs are single runs: no sweep, no seeds.
    for (const p of ps) expect(p.input).not.toHaveProperty('seeds');
    expect(points({ seed: 4, seeds: 3 }, 10).map((p) => p.resolved.config.seed)).toEqual([10, 11, 12]);
    // Without a sweep, seeds alone make one; a list of points gets every seed per point.
    expect(points({ seeds: 2 }).map((p) => p.id)).toEqual(['seed=7', 'seed=8']); // tinyConfig's seed is 7
    expect(points({ seed: 1, seeds: 2, sweep: [{ 'workload.rate': 100, 'workload.slo': '10ms' }, { 'workload.rate': 200, 'workload.slo': '20ms' }] }).map((p) => p.id)).toEqual([
      'workload.rate=100,workload.slo=10ms,seed=1',
      'workload.rate=100,workload.slo=10ms,seed=2',
      'workload.rate=200,workload.slo=20ms,seed=1',
      'workload.rate=200,workload.slo=20ms,seed=2',
    ]);
    // seeds: 1 is one run per configuration, as without it.
    expect(points({ seeds: 1 }).map((p) => p.id)).toEqual(['']);
    // A swept seed is the same dimension; with seeds as well it is an error.
    expect(points({ sweep: { seed: [3, 9] } }).map((p) => p.resolved.config.seed)).toEqual([3, 9]);
    expect(() => points({ seeds: 2, sweep: { seed: [3, 9] } })).toThrow(/"seed" is swept and "seeds" is given/);
    expect(() => points({ seeds: 0 })).toThrow(/seeds: expected an integer from 1/);
    expect(() => points({ seeds: 2.5 })).toThrow(/seeds: expected an integer from 1/);
  });

  it('points that differ only in seed are one configuration; others are not', () => {
    const ps = [
      { 'scheduler.type': 'fifo', 'workload.rate': 100, seed: 1 },
      { 'scheduler.type': 'fifo', 'workload.rate': 200, seed: 1 },
      { 'scheduler.type': 'fifo', 'workload.rate': 100, seed: 2 },
      { 'scheduler.type': 'clockwork', 'workload.rate': 100, seed: 1 },
      { 'scheduler.type': 'fifo', 'workload.rate': 200, seed: 2 },
    ];
    const g = groupConfigs(ps, (p) => p);
    expect(g.map((x) => [x.id, x.members.map((m) => ps.indexOf(m))])).toEqual([
      ['scheduler.type=fifo,workload.rate=100', [0, 2]],
      ['scheduler.type=fifo,workload.rate=200', [1, 4]],
      ['scheduler.type=clockwork,workload.rate=100', [3]],
    ]);
    expect(g[0].params).toEqual({ 'scheduler.type': 'fifo', 'workload.rate': 100 });
    expect(configId({ seed: 5 })).toBe('');
  });

  it('the seeds example config: 2 schedulers x 3 rates x 5 seeds', () => {
    const { points: ps } = loadExperiment(join(ROOT, 'experiments', 'seeds-example.json'));
    expect(ps).toHaveLength(30);
    expect(new Set(ps.map((p) => configId(p.params))).size).toBe(6);
    expect(ps.slice(0, 5).map((p) => p.params.seed)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('statistics over seeds', () => {
  // 2 schedulers x 2 rates x 3 seeds, 1 simulated second each.
  const cfg = tinyConfig({
    duration: '1s',
    warmup: '200ms',
    drain: '1s',
    seed: 1,
    seeds: 3,
    workload: { type: 'poisson', rate: 100, slo: '25ms' },
    sweep: { 'scheduler.type': ['fifo', 'clockwork'], 'workload.rate': [100, 400] },
    output: { charts: false },
  });
  const dir = tmp();
  const file = writeConfig(dir, cfg);
  const out = join(dir, 'whole');
  let ran: Promise<void> | undefined;
  const sweep = (): Promise<void> => {
    ran ??= (async () => {
      const { input, points: ps } = loadExperiment(file);
      await runSweep({ file, input, points: ps, outDir: out, jobs: 1 });
    })();
    return ran;
  };
  const configs = ['scheduler.type=fifo,workload.rate=100', 'scheduler.type=fifo,workload.rate=400', 'scheduler.type=clockwork,workload.rate=100', 'scheduler.type=clockwork,workload.rate=400'];
  const seedDirs = (c: string): string[] => [1, 2, 3].map((s) => join(out, `${c},seed=${s}`));

  it('index-configs.json/csv: n, seeds, and the mean and 95% CI of each key metric from the per-seed summaries', async () => {
    await sweep();
    const idx = JSON.parse(readFileSync(join(out, 'index-configs.json'), 'utf8'));
    expect(idx.map((c: any) => c.config)).toEqual(configs);
    const csv = parseCsv(readFileSync(join(out, 'index-configs.csv'), 'utf8'));
    const head = csv[0];
    for (const [i, c] of configs.entries()) {
      const sums = seedDirs(c).map(summaryOf);
      const e = idx[i];
      expect(e).toMatchObject({ n: 3, seeds: [1, 2, 3], points: [1, 2, 3].map((s) => `${c},seed=${s}`) });
      expect(e.params).toEqual({ 'scheduler.type': c.includes('fifo') ? 'fifo' : 'clockwork', 'workload.rate': c.endsWith('100') ? 100 : 400 });
      for (const [metric, get] of [
        ['goodput', (s: any) => s.goodput],
        ['sloAttainment', (s: any) => s.sloAttainment],
        ['p99Ms', (s: any) => s.latencyMs.p99],
        ['requests', (s: any) => s.requests.total],
      ] as const) {
        const h = byHand(sums.map(get));
        const m = e.metrics[metric];
        expect(m.n).toBe(3);
        close(m.mean, h.mean, rounding(metric));
        close(m.half, h.half, rounding(metric));
        close(m.lo, h.mean - h.half, rounding(metric));
        close(m.hi, h.mean + h.half, rounding(metric));
        // The CSV row carries the same figures.
        const row = csv[i + 1];
        close(Number(row[head.indexOf(`${metric}Mean`)]), h.mean, rounding(metric));
        close(Number(row[head.indexOf(`${metric}Half`)]), h.half, rounding(metric));
        close(Number(row[head.indexOf(`${metric}Lo`)]), h.mean - h.half, rounding(metric));
        close(Number(row[head.indexOf(`${metric}Hi`)]), h.mean + h.half, rounding(metric));
      }
      expect(csv[i + 1][head.indexOf('n')]).toBe('3');
      expect(csv[i + 1][head.indexOf('seeds')]).toBe('1 2 3');
    }
    // The Poisson arrivals differ between seeds: the intervals are not empty.
    expect(idx[0].metrics.requests.half).toBeGreaterThan(0);
    // index.json keeps one row per point, now with its configuration.
    const points = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(points).toHaveLength(12);
    expect(points[1]).toMatchObject({ point: `${configs[0]},seed=2`, config: configs[0], params: { seed: 2 } });
  }, 60_000);

  it('a seeded sweep split into shards and merged has the same index files as the sweep run whole', async () => {
    await sweep();
    const { input, points: ps } = loadExperiment(file);
    const s1 = join(dir, 's1');
    const s2 = join(dir, 's2');
    await runSweep({ file, input, points: ps, outDir: s1, jobs: 1, shard: parseShard('1/2') });
    await runSweep({ file, input, points: ps, outDir: s2, jobs: 1, shard: parseShard('2/2') });
    // A shard's own index lists its points only; configurations there have fewer seeds.
    expect(JSON.parse(readFileSync(join(s1, 'index-configs.json'), 'utf8'))[0].n).toBeLessThan(3);
    const merged = join(dir, 'merged');
    mergeSweeps([s1, s2], { out: merged });
    for (const f of ['index.csv', 'index.json', 'index-configs.csv', 'index-configs.json']) {
      expect(readFileSync(join(merged, f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
    }
  }, 60_000);

  it('compare: one column per configuration with mean ± CI and n; --differ tells a clear difference from none', async () => {
    await sweep();
    const csv = parseCsv(compareDirs([out], 'csv', { differ: true }));
    const head = csv[0];
    const col = (name: string): number => head.indexOf(name);
    expect(csv).toHaveLength(1 + configs.length);
    expect(csv.slice(1).map((r) => r[col('n')])).toEqual(['3', '3', '3', '3']);
    for (const [i, c] of configs.entries()) {
      const h = byHand(seedDirs(c).map(summaryOf).map((s) => s.goodput));
      close(Number(csv[i + 1][col('goodputMean')]), h.mean, rounding('goodput'));
      close(Number(csv[i + 1][col('goodputHalf')]), h.half, rounding('goodput'));
    }
    // Baseline: fifo at 100 r/s. Clockwork at 400 r/s has 4x the offered load: it differs.
    expect(csv[4][col('offeredLoadDiffers')]).toBe('true');
    expect(Number(csv[4][col('offeredLoadP')])).toBeLessThan(0.01);
    expect(csv[1][col('offeredLoadDiffers')]).toBe('');
    // The plain mode stays: one column per run.
    const perRun = parseCsv(compareDirs([out], 'csv', { perRun: true }));
    expect(perRun).toHaveLength(13);
    expect(() => compareDirs([out], 'csv', { perRun: true, differ: true })).toThrow(/--differ/);
    const text = compareDirs([out], 'table', { differ: true, baseline: 2 });
    expect(text).toContain('(baseline 2)');
    expect(text).toMatch(/goodput \(r\/s\).*DIFFERS \(p=/);
    expect(text).toMatch(/goodput \(r\/s\)\s+\S+ ± \S+/);
  }, 60_000);

  it('raising seeds and resuming (--resume --force) keeps the complete points and runs only the new seeds', async () => {
    const d = tmp();
    const small = { duration: '1s', warmup: '200ms', drain: '1s', seed: 1, sweep: { 'workload.rate': [100, 200] } };
    const o = join(d, 'out');
    const f2 = writeConfig(d, tinyConfig({ ...small, seeds: 2 }), 'two.json');
    const two = loadExperiment(f2);
    await runSweep({ file: f2, input: two.input, points: two.points, outDir: o, jobs: 1 });
    const f3 = writeConfig(d, tinyConfig({ ...small, seeds: 3 }), 'three.json');
    const three = loadExperiment(f3);
    const r = await runSweep({ file: f3, input: three.input, points: three.points, outDir: o, jobs: 1, resume: true, force: true });
    expect(r).toMatchObject({ ran: 2, skipped: 4 });
    const idx = JSON.parse(readFileSync(join(o, 'index-configs.json'), 'utf8'));
    expect(idx.map((c: any) => [c.config, c.n, c.seeds])).toEqual([
      ['workload.rate=100', 3, [1, 2, 3]],
      ['workload.rate=200', 3, [1, 2, 3]],
    ]);
  }, 60_000);

  it('compare --differ on made-up runs: means far apart differ, close and overlapping do not', () => {
    const run = (label: string, goodput: number, i: number) => ({ dir: `/x/${label}${i}`, label, params: {}, summary: { scheduler: 'fifo', goodput } });
    const group = (label: string, xs: number[]) => ({ label, params: {}, runs: xs.map((x, i) => run(label, x, i)) as any });
    const a = group('a', [100, 102, 98, 101, 99]);
    const same = group('same', [101, 99, 100, 102, 98.5]);
    const far = group('far', [150, 151, 149, 152, 148]);
    const csv = parseCsv(compareGroups([a, same, far], 'csv', { differ: true }));
    const head = csv[0];
    const get = (row: number, name: string): string => csv[row][head.indexOf(name)];
    expect(get(2, 'goodputDiffers')).toBe('false');
    expect(get(3, 'goodputDiffers')).toBe('true');
    // Welch's statistic for a vs far by hand: means 100 and 150, both variances 2.5 over 5 runs, t = 50 / 1.
    close(Number(get(1, 'goodputMean')), 100, rounding('goodput'));
    close(Number(get(1, 'goodputHalf')), (2.7764451051977987 * Math.sqrt(2.5)) / Math.sqrt(5), rounding('goodput'));
    expect(Number(get(3, 'goodputP'))).toBeLessThan(1e-6);
    expect(Number(get(2, 'goodputP'))).toBeGreaterThan(0.5);
  });

  it('goodput-vs-load: x = the swept rate, one line per scheduler, y = the mean goodput over seeds, error bars at the 95% CI', async () => {
    await sweep();
    rendered.length = 0;
    await plotCharts([out], join(dir, 'charts'), ['goodput-vs-load']);
    const chart = rendered[0];
    expect(chart.options.scales.x.title.text).toMatch(/^workload\.rate/);
    const ds = chart.data.datasets;
    expect(ds.map((d: any) => d.label)).toEqual(['fifo', 'clockwork']);
    for (const [k, sched] of ['fifo', 'clockwork'].entries()) {
      expect(ds[k].data.map((p: any) => p.x)).toEqual([100, 400]);
      for (const [j, rate] of [100, 400].entries()) {
        const h = byHand(seedDirs(`scheduler.type=${sched},workload.rate=${rate}`).map(summaryOf).map((s) => s.goodput));
        const p = ds[k].data[j];
        close(p.y, h.mean);
        close(p.yMin, h.mean - h.half);
        close(p.yMax, h.mean + h.half);
        expect(p.n).toBe(3);
      }
    }
    expect(chart.plugins.map((p: any) => p.id)).toContain('servesimErrorBars');
  }, 60_000);

  it('slo-attainment: attainment (%) and goodput (r/s) on their own axes, means over seeds with 95% CI bars', async () => {
    const d2 = tmp();
    const f2 = writeConfig(
      d2,
      tinyConfig({ duration: '1s', warmup: '200ms', drain: '1s', seed: 1, seeds: 2, workload: { type: 'poisson', rate: 400, slo: '25ms' }, sweep: { 'workload.slo': ['5ms', '20ms'] } }),
    );
    const { input, points: ps } = loadExperiment(f2);
    const o2 = join(d2, 'out');
    await runSweep({ file: f2, input, points: ps, outDir: o2, jobs: 1 });
    rendered.length = 0;
    await plotCharts([o2], join(d2, 'charts'), ['slo-attainment', 'goodput-vs-load']);
    const [attain, vsLoad] = rendered;
    const [att, good] = attain.data.datasets;
    expect(att.yAxisID).toBe('y');
    expect(good.yAxisID).toBe('y1');
    expect(attain.options.scales.y.title.text).toMatch(/%/);
    expect(attain.options.scales.y1.title.text).toMatch(/r\/s/);
    for (const [j, slo] of ['5ms', '20ms'].entries()) {
      const sums = [1, 2].map((s) => summaryOf(join(o2, `workload.slo=${slo},seed=${s}`)));
      const ha = byHand(sums.map((s) => 100 * s.sloAttainment));
      const hg = byHand(sums.map((s) => s.goodput));
      expect(att.data[j].x).toBe(j === 0 ? 5 : 20);
      close(att.data[j].y, ha.mean);
      close(att.data[j].yMin, ha.mean - ha.half);
      close(att.data[j].yMax, ha.mean + ha.half);
      close(good.data[j].y, hg.mean);
      close(good.data[j].yMin, hg.mean - hg.half);
    }
    // No swept load parameter here: goodput against each configuration's mean offered load.
    expect(vsLoad.options.scales.x.title.text).toBe('offered load (r/s)');
    const pts = vsLoad.data.datasets[0].data;
    const off = byHand([1, 2].map((s) => summaryOf(join(o2, `workload.slo=5ms,seed=${s}`)).offeredLoad));
    close(pts[0].x, off.mean);
  }, 60_000);
});
