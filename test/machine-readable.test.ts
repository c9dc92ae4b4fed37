/**
 * Machine-readable output (README.md, "Machine-readable output"): `--json` on run (a sweep too),
 * compare, list, validate and trace stats gives keyed fields; every CSV servesim writes has
 * camelCase headers; numbers carry no float noise; result directories written before the header
 * rename still plot. Expected values come from the files themselves or are computed here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../src/util/csv.js';
import { CLI, ROOT, ensureBuilt, tinyConfig, tmp, writeConfig } from './helpers/results.js';

function cli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const json = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

/** Every file under dir whose name ends with ext (relative paths). */
function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(ext)) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Digits after the decimal point of a number as JSON writes it (0 for integers; exponent forms counted by their mantissa and exponent). */
function decimals(x: number): number {
  const s = String(x);
  const m = /^-?\d+(?:\.(\d+))?(?:e([-+]\d+))?$/.exec(s);
  if (!m) throw new Error(`not a number: ${s}`);
  return Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0));
}

/** Every number in a JSON value with its key path. */
function numbers(v: unknown, path = ''): Array<[string, number]> {
  if (typeof v === 'number') return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => numbers(x, `${path}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => numbers(x, path ? `${path}.${k}` : k));
  return [];
}

/** The documented precision (src/util/round.ts): fractions 8 decimals, everything else at most 6 (seconds 9). */
function allowedDecimals(path: string): number {
  if (/attainment|fraction|utilization/i.test(path)) return 8;
  if (/seconds$/i.test(path)) return 9;
  return 6;
}

/** The header rule: camelCase (a per-group column adds ":<group name>"). */
const HEADER_RULE = /^[a-z][a-zA-Z0-9]*(:.+)?$/;

describe('machine-readable output', () => {
  let dir: string;
  let run: string;
  let sweep: string;
  let sweepJson: any;
  let sweepConfig: string;

  beforeAll(() => {
    ensureBuilt();
    dir = tmp();
    // One run with two workload groups (per-group time-series columns) and requests.csv; and a seeded sweep.
    const runCfg = writeConfig(
      dir,
      tinyConfig({
        duration: '2s',
        workload: [
          { name: 'fg', type: 'poisson', rate: 150, slo: '25ms' },
          { name: 'bg', type: 'poisson', rate: 50, slo: '100ms' },
        ],
        output: { requests: true, charts: true },
      }),
      'run.json',
    );
    run = join(dir, 'run');
    const r1 = cli(['run', runCfg, '-o', run, '-q']);
    expect(r1.status, r1.stderr).toBe(0);
    sweepConfig = writeConfig(dir, tinyConfig({ duration: '2s', seeds: 2, sweep: { 'workload.rate': [100, 300] }, output: { charts: ['goodput-vs-load'] } }), 'sweep.json');
    sweep = join(dir, 'sweep');
    const r2 = cli(['run', sweepConfig, '-o', sweep, '-q', '-j', '1', '--json']);
    expect(r2.status, r2.stderr).toBe(0);
    sweepJson = JSON.parse(r2.stdout);
  }, 180_000);

  it('every CSV servesim wrote has camelCase headers (index files: the sweep keys, then camelCase)', () => {
    const csvs = [...filesUnder(run, '.csv').map((f) => join(run, f)), ...filesUnder(sweep, '.csv').map((f) => join(sweep, f))];
    const names = csvs.map((f) => f.split('/').pop());
    for (const n of ['timeseries.csv', 'per-model.csv', 'requests.csv', 'index.csv', 'index-configs.csv', 'goodput-vs-load.csv', 'goodput.csv']) expect(names).toContain(n);
    const sweepKeys = ['workload.rate', 'seed'];
    for (const f of csvs) {
      const head = parseCsv(readFileSync(f, 'utf8'))[0];
      for (const h of head) {
        if (/index(-configs)?\.csv$/.test(f) && sweepKeys.includes(h)) continue;
        expect(h, `${f}: header "${h}"`).toMatch(HEADER_RULE);
      }
    }
    // The per-group columns are there, named after the group.
    const ts = parseCsv(readFileSync(join(run, 'timeseries.csv'), 'utf8'))[0];
    for (const c of ['timeS', 'windowS', 'offeredLoad', 'goodput', 'p99Ms', 'gpuUtilization', 'coldStarts', 'offeredLoad:fg', 'goodput:bg', 'answered:fg', 'sloAttainment:bg']) expect(ts).toContain(c);
    expect(parseCsv(readFileSync(join(run, 'requests.csv'), 'utf8'))[0]).toEqual(['id', 'model', 'group', 'sentNs', 'arrivalNs', 'deadlineNs', 'responseNs', 'latencyNs', 'outcome', 'measured']);
  });

  it('no number in summary.json, index.json, index-configs.json or run --json has more digits than documented', () => {
    const docs: Array<[string, unknown]> = [
      [join(run, 'summary.json'), json(join(run, 'summary.json'))],
      [join(sweep, 'index.json'), json(join(sweep, 'index.json'))],
      [join(sweep, 'index-configs.json'), json(join(sweep, 'index-configs.json'))],
      ['run --json', sweepJson],
      ...json(join(sweep, 'index.json')).map((p: any) => [join(sweep, p.dir, 'summary.json'), json(join(sweep, p.dir, 'summary.json'))] as [string, unknown]),
    ];
    let checked = 0;
    for (const [where, doc] of docs) {
      for (const [path, x] of numbers(doc)) {
        // The run's own timing (wall seconds, speed) is not a result.
        if (/^run\.|\.run\./.test(path)) continue;
        expect(decimals(x), `${where}: ${path} = ${x}`).toBeLessThanOrEqual(allowedDecimals(path));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
    // The CSV numbers too (index-configs.csv has the means over seeds).
    for (const row of parseCsv(readFileSync(join(sweep, 'index-configs.csv'), 'utf8')).slice(1)) {
      for (const c of row) if (/^-?\d+\.\d+$/.test(c)) expect(c.split('.')[1].length, c).toBeLessThanOrEqual(8);
    }
  });

  it('run --json of a seeded sweep: one object with every point and the per-configuration figures', () => {
    const index = json(join(sweep, 'index.json'));
    expect(sweepJson.points.map((p: any) => p.point)).toEqual(index.map((p: any) => p.point));
    expect(sweepJson.points).toHaveLength(4);
    for (const p of sweepJson.points) expect(p.summary).toEqual(json(join(sweep, p.point, 'summary.json')));
    expect(sweepJson.configs).toEqual(json(join(sweep, 'index-configs.json')));
    // The figures by hand: mean of the two seeds' goodput.
    const c = sweepJson.configs[0];
    const g = c.points.map((id: string) => json(join(sweep, id, 'summary.json')).goodput);
    expect(c.metrics.goodput.mean).toBeCloseTo((g[0] + g[1]) / 2, 6);
  });

  it('compare --json: keyed fields equal to the summaries, per run and per configuration (with --differ)', () => {
    const d = tmp();
    const summary = (goodput: number, att: number, p99: number, util: number[]) => ({
      name: 'hand',
      scheduler: 'fifo',
      requests: { total: 100, ok: 90, late: 5, timeout: 5, rejected: 0, failed: 0 },
      sloAttainment: att,
      goodput,
      throughput: goodput + 1,
      offeredLoad: 100,
      latencyMs: { p50: 1.5, p99, p999: p99 + 1, p9999: p99 + 2, p999999: p99 + 3, max: p99 + 4 },
      gpuUtilization: util,
      pcieUtilization: [0, 0],
      loads: 3,
      evictions: 1,
      coldStarts: 2,
      batches: { count: 10, meanSize: 1.25 },
    });
    const write = (name: string, s: object, cfg: object): string => {
      const p = join(d, name);
      mkdirSync(p);
      writeFileSync(join(p, 'summary.json'), JSON.stringify(s));
      writeFileSync(join(p, 'config.json'), JSON.stringify(cfg));
      return p;
    };
    const a = write('a', summary(90, 0.9, 12.5, [0.1, 0.2]), { name: 'a', seed: 1 });
    const b = write('b', summary(80, 0.8, 20.25, [0.5, 0.5]), { name: 'b', seed: 1 });
    const r = cli(['compare', a, b, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.mode).toBe('runs');
    expect(j.runs.map((x: any) => x.dir)).toEqual([a, b]);
    expect(j.runs[0].metrics).toMatchObject({ scheduler: 'fifo', requests: 100, ok: 90, sloAttainment: 0.9, goodput: 90, throughput: 91, p50Ms: 1.5, p99Ms: 12.5, maxMs: 16.5, coldStarts: 2, meanBatch: 1.25 });
    // The mean over the GPUs, without float noise ((0.1 + 0.2) / 2 is 0.15000000000000002 in floating point).
    expect(j.runs[0].metrics.gpuUtilization).toBe(0.15);
    expect(j.runs[1].metrics.p99Ms).toBe(20.25);
    // --format json is the same.
    expect(cli(['compare', a, b, '--format', 'json']).stdout).toBe(r.stdout);
    // CSV: the same keys as headers.
    const csv = parseCsv(cli(['compare', a, b, '--format', 'csv']).stdout);
    expect(csv[0].slice(0, 4)).toEqual(['run', 'dir', 'scheduler', 'requests']);
    for (const h of csv[0]) expect(h).toMatch(HEADER_RULE);
    expect(csv[1][csv[0].indexOf('p99Ms')]).toBe('12.5');

    // Three seeds of each of two configurations: mean, half-width (t(0.975, 2) = 0.95 sqrt(2 / (1 - 0.95^2))), lo, hi, n.
    const xs = { a: [100, 102, 104], b: [150, 151, 149] };
    const dirs = Object.entries(xs).flatMap(([n, vals]) => vals.map((v, i) => write(`${n}${i}`, summary(v, 0.5, 10, [0.5, 0.5]), { name: `cfg-${n}`, seed: i + 1 })));
    const g = cli(['compare', ...dirs, '--json', '--differ']);
    expect(g.status, g.stderr).toBe(0);
    const gj = JSON.parse(g.stdout);
    expect(gj.mode).toBe('configurations');
    expect(gj.baseline).toBe(1);
    expect(gj.configurations).toHaveLength(2);
    const t2 = 0.95 * Math.sqrt(2 / (1 - 0.95 ** 2));
    for (const [i, vals] of [xs.a, xs.b].entries()) {
      const m = vals.reduce((s, v) => s + v, 0) / 3;
      const sd = Math.sqrt(vals.reduce((s, v) => s + (v - m) ** 2, 0) / 2);
      const half = (t2 * sd) / Math.sqrt(3);
      const c = gj.configurations[i];
      expect(c.n).toBe(3);
      expect(c.scheduler).toBe('fifo');
      expect(c.metrics.goodput.n).toBe(3);
      expect(c.metrics.goodput.mean).toBeCloseTo(m, 6);
      expect(c.metrics.goodput.half).toBeCloseTo(half, 6);
      expect(c.metrics.goodput.lo).toBeCloseTo(m - half, 6);
      expect(c.metrics.goodput.hi).toBeCloseTo(m + half, 6);
    }
    expect(gj.configurations[0].vsBaseline).toBeUndefined();
    expect(gj.configurations[1].vsBaseline.goodput.differs).toBe(true);
    expect(gj.configurations[1].vsBaseline.goodput.p).toBeLessThan(0.01);
    // The same sloAttainment in every run: sd 0, no difference.
    expect(gj.configurations[1].vsBaseline.sloAttainment).toEqual({ differs: false, p: 1 });
  }, 60_000);

  it('validate --json: the resolved facts per point; a bad config prints ok false, one line on stderr, exit 1', () => {
    const r = cli(['validate', sweepConfig, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.points.map((p: any) => p.id)).toEqual(json(join(sweep, 'index.json')).map((p: any) => p.point));
    expect(j.points[0]).toMatchObject({
      ok: true,
      name: 'tiny',
      scheduler: 'fifo',
      gpus: 1,
      modelInstances: 6,
      workloads: [{ type: 'poisson', sloMs: 25, sloFactor: null }],
      durationSeconds: 2,
      warmupSeconds: 0.5,
      seed: 7,
      params: { 'workload.rate': 100, seed: 7 },
    });
    expect(j.points[1].seed).toBe(8);
    const bad = writeConfig(tmp(), tinyConfig({ duration: 'soon' }), 'bad.json');
    const b = cli(['validate', bad, '--json']);
    expect(b.status).toBe(1);
    const bj = JSON.parse(b.stdout);
    expect(bj).toMatchObject({ config: bad, ok: false });
    expect(bj.error).toContain('duration');
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toBe(`servesim: ${bj.error}\n`);
  }, 60_000);

  it('list --json: schedulers and workloads with their options (defaults from the schema), profiles with models', () => {
    const r = cli(['list', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const fifo = j.schedulers.find((s: any) => s.name === 'fifo');
    expect(fifo.description).toMatch(/FIFO/);
    expect(Object.keys(fifo.options)).toEqual(['inflight', 'preload']);
    expect(fifo.options.inflight.default).toBe(2);
    expect(fifo.options.preload.default).toBe(true);
    expect(j.schedulers.map((s: any) => s.name)).toContain('clockwork');
    const poisson = j.workloads.find((w: any) => w.name === 'poisson');
    expect(Object.keys(poisson.options)).toContain('rate');
    const v100 = j.profiles.profiles.find((p: any) => p.file === 'v100-clockwork.json');
    expect(v100.models).toContain('resnet50_v2');
    expect(v100.pageSizeBytes).toBe(16 * 2 ** 20);
    // --what: only that kind.
    expect(Object.keys(JSON.parse(cli(['list', '--what', 'workloads', '--json']).stdout))).toEqual(['workloads']);
  }, 60_000);

  it('a timeseries.csv with the old snake_case headers still plots, the same chart', () => {
    const old = join(tmp(), 'old');
    mkdirSync(old);
    for (const f of ['summary.json', 'config.json', 'config.resolved.json']) writeFileSync(join(old, f), readFileSync(join(run, f)));
    const rename: Record<string, string> = {
      timeS: 't_s', windowS: 'window_s', offeredLoad: 'offered_rps', goodput: 'goodput_rps', throughput: 'throughput_rps', p50Ms: 'p50_ms', p99Ms: 'p99_ms', maxMs: 'max_ms',
      gpuUtilization: 'gpu_util', pcieUtilization: 'pcie_util', coldStarts: 'cold_starts',
    };
    const [head, ...rest] = readFileSync(join(run, 'timeseries.csv'), 'utf8').split('\n');
    const oldHead = head.split(',').map((h) => {
      const [base, group] = h.split(':');
      const b = base === 'sloAttainment' && group ? 'attainment' : (rename[base] ?? base);
      return group ? `${b}:${group}` : b;
    });
    expect(oldHead).toContain('goodput_rps');
    writeFileSync(join(old, 'timeseries.csv'), [oldHead.join(','), ...rest].join('\n'));
    const outNew = join(tmp(), 'new-charts');
    const outOld = join(tmp(), 'old-charts');
    const a = cli(['plot', run, '-c', 'goodput', '-c', 'gpu-utilization', '-o', outNew, '-q']);
    expect(a.status, a.stderr).toBe(0);
    const b = cli(['plot', old, '-c', 'goodput', '-c', 'gpu-utilization', '-o', outOld, '-q']);
    expect(b.status, b.stderr).toBe(0);
    for (const c of ['goodput.csv', 'gpu-utilization.csv']) expect(readFileSync(join(outOld, c), 'utf8'), c).toBe(readFileSync(join(outNew, c), 'utf8'));
  }, 60_000);
});
