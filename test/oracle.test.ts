/**
 * summary.json and per-model.csv against an independent calculation (test/oracle/oracle.ts) from
 * the same run's requests.csv and lane log, on runs chosen so that every figure is exercised:
 * late responses and a wide latency spread, warm-up and drain, several GPUs, loads, evictions,
 * failed loads and cold starts, unfinished requests, several workload groups, overlapping
 * executions and closed loops.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, type ResolvedExperiment } from '../src/experiment/config.js';
import { buildSimulation } from '../src/experiment/runner.js';
import { RequestLog } from '../src/metrics/request-log.js';
import { registerCycleScheduler } from './helpers/cycle-scheduler.js';
import { PROFILE, tmp, writeConfig } from './helpers/results.js';
import { LaneLogRecorder, type LaneLog } from './oracle/lane-log.js';
import {
  atClient,
  csvFields,
  oracle,
  oracleTimeseries,
  parseRequestsCsv,
  PERCENTILES,
  type OracleRequestFigures,
  type OracleResult,
  type OracleWindow,
  type RequestRow,
} from './oracle/oracle.js';

interface RunResult {
  summary: Record<string, any>;
  perModel: Array<Record<string, string>>;
  rows: RequestRow[];
  lanes: LaneLog;
  expected: OracleResult;
  timeseries: Array<Record<string, string>>;
  expectedTimeseries: OracleWindow[];
  histograms: Record<string, any>;
  slos: Record<string, number>;
}

async function runWithOracle(cfg: Record<string, unknown>): Promise<RunResult & { resolved: ResolvedExperiment }> {
  const dir = tmp('servesim-oracle-');
  const r = loadExperiment(writeConfig(dir, cfg)).points[0].resolved;
  const sim = await buildSimulation(r);
  const modelNames = r.models.map((m) => m.name);
  const groupNames = r.workloads.map((w) => w.name);
  const csv = join(dir, 'requests.csv');
  const log = new RequestLog(csv, modelNames, groupNames, r.config.warmup, r.config.duration);
  sim.addObserver(log);
  const lanes = new LaneLogRecorder(sim);
  sim.run();
  log.close();
  const summary = sim.metrics.summary(groupNames);
  const [head, ...lines] = sim.metrics.perModelCsv().trim().split('\n');
  const cols = head.split(',');
  const perModel = lines.map((l) => Object.fromEntries(csvFields(l).map((v, i) => [cols[i], v])));
  const rows = parseRequestsCsv(readFileSync(csv, 'utf8'));
  const laneLog = lanes.finish();
  const measureAt = r.config.metrics.measureAt;
  const expected = oracle(rows, laneLog, { measureAt, warmup: r.config.warmup, duration: r.config.duration, gpus: sim.gpus.length, modelNames, groupNames });
  const [tsHead, ...tsLines] = sim.metrics.timeseries.toCsv().trim().split('\n');
  const tsCols = tsHead.split(',');
  const timeseries = tsLines.map((l) => Object.fromEntries(csvFields(l).map((v, i) => [tsCols[i], v])));
  // The run's end (where the last window stops) depends on how the driver stepped the clock: taken from the file.
  const lastRow = timeseries[timeseries.length - 1];
  const end = Math.round((Number(lastRow.timeS) + Number(lastRow.windowS)) * 1e9);
  const facts = { measureAt, warmup: r.config.warmup, duration: r.config.duration, gpus: sim.gpus.length, modelNames, groupNames };
  const expectedTimeseries = oracleTimeseries(rows, laneLog, { ...facts, window: r.config.metrics.window, end });
  const histograms = sim.metrics.histogramsJson(groupNames, r.workloads.map((w) => w.slo));
  const slos = Object.fromEntries(r.workloads.map((w) => [w.name, w.slo]));
  return { summary, perModel, rows, lanes: laneLog, expected, timeseries, expectedTimeseries, histograms, slos, resolved: r };
}

/** Rates, fractions and utilizations are written rounded to 6 decimals (8 for fractions). */
const close = (actual: number | null, expected: number | null, what: string): void => {
  if (expected === null) return void expect(actual, what).toBeNull();
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(6e-7);
};

/**
 * A histogram percentile is its bucket's midpoint, clamped to the exact min and max (histogram.ts):
 * a bucket spans 1/128 of its octave's lower bound (1/32 for the coarse per-model histograms), so
 * the midpoint is within 1/256 (1/64) of any value in the bucket, relative to that value. The rank
 * is exact, so the exact order statistic lies in the reported bucket. Plus 1 ns of ms rounding.
 */
const withinBucket = (actual: number | null, exact: number | null, rel: number, what: string): void => {
  if (exact === null) return void expect(actual, what).toBeNull();
  expect(Math.abs(actual! - exact), `${what}: ${actual} vs exact ${exact}`).toBeLessThanOrEqual(exact * rel + 1e-6);
};

function compareRequestFigures(s: Record<string, any>, o: OracleRequestFigures, where: string): void {
  expect(s.requests, `${where} requests`).toEqual(o.requests);
  close(s.goodput, o.goodput, `${where} goodput`);
  close(s.throughput, o.throughput, `${where} throughput`);
  close(s.offeredLoad, o.offeredLoad, `${where} offeredLoad`);
  close(s.sloAttainment, o.sloAttainment, `${where} sloAttainment`);
  close(s.lateFraction, o.lateFraction, `${where} lateFraction`);
  for (const p of Object.keys(PERCENTILES) as Array<keyof typeof PERCENTILES>) withinBucket(s.latencyMs[p], o.latencyMs[p], 1 / 256, `${where} ${p}`);
  close(s.latencyMs.max, o.latencyMs.max, `${where} max`);
  close(s.latencyMs.mean, o.latencyMs.mean, `${where} mean`);
}

function compare(run: RunResult): void {
  const { summary: s, expected } = run;
  const o = expected.summary;
  compareRequestFigures(s, o, 'overall');
  close(s.windowSeconds, o.windowSeconds, 'windowSeconds');
  expect(s.gpuUtilization.length).toBe(o.gpuUtilization.length);
  o.gpuUtilization.forEach((u, g) => close(s.gpuUtilization[g], u, `gpuUtilization[${g}]`));
  o.pcieUtilization.forEach((u, g) => close(s.pcieUtilization[g], u, `pcieUtilization[${g}]`));
  expect({ loads: s.loads, loadsFailed: s.loadsFailed, evictions: s.evictions, coldStarts: s.coldStarts, batches: s.batches.count }).toEqual({
    loads: o.loads,
    loadsFailed: o.loadsFailed,
    evictions: o.evictions,
    coldStarts: o.coldStarts,
    batches: o.batches.count,
  });
  close(s.batches.meanSize, o.batches.meanSize, 'batches.meanSize');
  expect(s.actionErrors).toEqual(o.actionErrors);
  if (o.predictionError.INFER || o.predictionError.LOAD) {
    for (const k of ['INFER', 'LOAD'] as const) {
      const e = o.predictionError[k];
      const a = s.predictionError[k];
      if (!e) {
        expect(a, `predictionError.${k}`).toBeNull();
        continue;
      }
      expect(a.count, `predictionError.${k}.count`).toBe(e.count);
      for (const p of Object.keys(PERCENTILES) as Array<keyof typeof PERCENTILES>) withinBucket(a.absErrorMs[p], e.absErrorMs[p], 1 / 256, `predictionError.${k} ${p}`);
      close(a.absErrorMs.max, e.absErrorMs.max, `predictionError.${k} max`);
      close(a.absErrorMs.mean, e.absErrorMs.mean, `predictionError.${k} mean`);
      close(a.meanSignedErrorMs, e.meanSignedErrorMs, `predictionError.${k} meanSigned`);
      close(a.earlyFraction, e.earlyFraction, `predictionError.${k} earlyFraction`);
    }
  } else expect(s.predictionError).toBeUndefined();
  const groups = Object.keys(o.groups);
  if (groups.length > 1) {
    expect(Object.keys(s.groups)).toEqual(groups);
    for (const g of groups) compareRequestFigures(s.groups[g], o.groups[g], `group ${g}`);
  } else expect(s.groups).toBeUndefined();

  // latency-histogram.json: per group its completed requests' latencies and SLO; prediction errors
  // split into early (>= 0) and late magnitudes.
  const h = run.histograms;
  expect(h.overall.count).toBe(o.requests.ok + o.requests.late);
  close(h.overall.max === null ? null : h.overall.max / 1e6, o.latencyMs.max, 'histogram max');
  for (const g of groups) {
    expect(h.groups[g].sloNs, `histogram ${g} slo`).toBe(run.slos[g]);
    const f = groups.length > 1 ? o.groups[g] : o;
    expect(h.groups[g].latency.count, `histogram ${g} count`).toBe(f.requests.ok + f.requests.late);
  }
  for (const k of ['INFER', 'LOAD'] as const) {
    const errs = run.lanes.predictions.filter((p) => p.kind === k).map((p) => p.predicted - p.actual);
    if (errs.length === 0) {
      expect(h.predictionError[k], `histogram predictionError ${k}`).toBeNull();
      continue;
    }
    const early = errs.filter((e) => e >= 0);
    const late = errs.filter((e) => e < 0).map((e) => -e);
    expect([h.predictionError[k].early.count, h.predictionError[k].late.count], `histogram predictionError ${k}`).toEqual([early.length, late.length]);
    if (late.length) expect(h.predictionError[k].late.max).toBe(Math.floor(Math.max(...late)));
    if (early.length) expect(h.predictionError[k].early.max).toBe(Math.floor(Math.max(...early)));
  }

  expect(run.perModel.map((r) => r.model)).toEqual(expected.perModel.map((r) => r.model));
  expected.perModel.forEach((e, i) => {
    const a = run.perModel[i];
    const num = (k: string): number | null => (a[k] === '' ? null : Number(a[k]));
    const where = `per-model ${e.model}`;
    for (const k of ['requests', 'ok', 'late', 'timeout', 'rejected', 'failed', 'unfinished', 'loads', 'evictions', 'coldStarts'] as const) {
      expect(num(k), `${where} ${k}`).toBe(e[k]);
    }
    close(num('goodput'), e.goodput, `${where} goodput`);
    close(num('throughput'), e.throughput, `${where} throughput`);
    close(num('sloAttainment'), e.sloAttainment, `${where} attainment`);
    for (const k of ['p50Ms', 'p99Ms', 'p999Ms'] as const) withinBucket(num(k), e[k], 1 / 64, `${where} ${k}`);
    close(num('maxMs'), e.maxMs, `${where} max`);
    close(num('meanMs'), e.meanMs, `${where} mean`);
  });
}

function compareTimeseries(run: RunResult): void {
  const e = run.expectedTimeseries;
  expect(run.timeseries.length, 'windows').toBe(e.length);
  const groups = Object.keys(e[0].groups);
  e.forEach((w, k) => {
    const a = run.timeseries[k];
    const num = (c: string): number | null => (a[c] === '' ? null : Number(a[c]));
    const where = `window ${k}`;
    close(num('timeS'), w.timeS, `${where} timeS`);
    close(num('windowS'), w.windowS, `${where} windowS`);
    for (const c of ['ok', 'late', 'timeout', 'rejected', 'failed', 'loads', 'evictions', 'coldStarts'] as const) expect(num(c), `${where} ${c}`).toBe(w[c]);
    for (const c of ['offeredLoad', 'goodput', 'throughput', 'gpuUtilization', 'pcieUtilization'] as const) close(num(c), w[c], `${where} ${c}`);
    withinBucket(num('p50Ms'), w.p50Ms, 1 / 64, `${where} p50`);
    withinBucket(num('p99Ms'), w.p99Ms, 1 / 64, `${where} p99`);
    close(num('maxMs'), w.maxMs, `${where} max`);
    if (w.gpuNUtilization.length > 1) w.gpuNUtilization.forEach((u, g) => close(num(`gpu${g}Utilization`), u, `${where} gpu${g}Utilization`));
    else expect(a).not.toHaveProperty('gpu0Utilization');
    if (groups.length > 1) {
      for (const g of groups) {
        close(num(`offeredLoad:${g}`), w.groups[g].offeredLoad, `${where} offered ${g}`);
        close(num(`goodput:${g}`), w.groups[g].goodput, `${where} goodput ${g}`);
        expect(num(`answered:${g}`), `${where} answered ${g}`).toBe(w.groups[g].answered);
        close(num(`sloAttainment:${g}`), w.groups[g].attainment, `${where} attainment ${g}`);
      }
    } else expect(Object.keys(a).some((c) => c.includes(':'))).toBe(false);
  });
}

/** requests.csv agrees with itself: measured flag, latency column, ok vs late from the times. */
function checkRows(rows: RequestRow[], warmup: number, duration: number): void {
  for (const r of rows) {
    expect(r.measured, `request ${r.id} measured`).toBe(r.sent >= warmup && r.sent < duration);
    expect(r.arrival).toBeGreaterThanOrEqual(r.sent);
    if (r.outcome === 'unfinished') {
      expect(r.response).toBeNull();
      continue;
    }
    expect(r.latency, `request ${r.id} latency`).toBe(r.response! - r.arrival);
    if (r.outcome === 'ok' || r.outcome === 'late') expect(r.outcome, `request ${r.id}`).toBe(r.response! <= r.deadline ? 'ok' : 'late');
  }
  expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
}

const base = {
  seed: 11,
  cluster: { profile: PROFILE },
};

describe('summary and per-model figures against an independent calculation', () => {
  it('fifo on 2 GPUs, Poisson, warm-up and drain: late responses, a wide latency spread', async () => {
    const cfg = {
      ...base,
      name: 'oracle-fifo',
      metrics: { window: '250ms' },
      duration: '3s',
      warmup: '700ms',
      drain: '2s',
      cluster: { profile: PROFILE, workers: 2 },
      models: [{ profile: 'resnet50_v2', copies: 6 }],
      workload: { type: 'poisson', rate: 700, slo: '25ms' },
      scheduler: { type: 'fifo' },
    };
    const run = await runWithOracle(cfg);
    checkRows(run.rows, 0.7e9, 3e9);
    compare(run);
    compareTimeseries(run);
    const o = run.expected.summary;
    // The run discriminates: ok and late both present, p90 and p99 more than a bucket apart, both GPUs busy.
    expect(o.requests.ok).toBeGreaterThan(50);
    expect(o.requests.late).toBeGreaterThan(50);
    expect(o.latencyMs.p99! / o.latencyMs.p90!).toBeGreaterThan(1.02);
    expect(o.latencyMs.p90! / o.latencyMs.p50!).toBeGreaterThan(1.02);
    expect(Math.min(...o.gpuUtilization)).toBeGreaterThan(0.1);
    // Requests were sent during warm-up and are not counted.
    expect(run.rows.length).toBeGreaterThan(o.requests.total + 300);
  });

  it('clockwork on 2 GPUs with more models than fit: loads, evictions, cold starts, timeouts, two workload groups', async () => {
    const cfg = {
      ...base,
      name: 'oracle-clockwork',
      metrics: { window: '300ms' },
      duration: '4s',
      warmup: '1s',
      drain: '1s',
      cluster: { profile: PROFILE, workers: 2, weightsMemory: '1GiB' },
      models: [
        { profile: 'resnet50_v2', copies: 3, name: 'hot' },
        { profile: 'resnet50_v2', copies: 40, name: 'cold' },
      ],
      workload: [
        { type: 'poisson', name: 'hot', models: ['hot#*'], rate: 600, slo: '30ms' },
        { type: 'poisson', name: 'cold', models: ['cold#*'], rate: 150, slo: '60ms' },
      ],
      scheduler: { type: 'clockwork' },
    };
    const run = await runWithOracle(cfg);
    checkRows(run.rows, 1e9, 4e9);
    compare(run);
    compareTimeseries(run);
    const o = run.expected.summary;
    expect(run.expected.ambiguousColdStarts).toBe(0);
    expect(o.loads).toBeGreaterThan(20);
    expect(o.evictions).toBeGreaterThan(20);
    expect(o.coldStarts).toBeGreaterThan(20);
    expect(o.coldStarts).toBeLessThan(o.requests.total / 2);
    expect(o.requests.timeout).toBeGreaterThan(0);
    expect(Math.min(...o.pcieUtilization)).toBeGreaterThan(0.05);
    expect(o.batches.meanSize).toBeGreaterThan(1);
    expect(Object.keys(o.groups)).toEqual(['hot', 'cold']);
    expect(o.predictionError.INFER!.count).toBeGreaterThan(100);
    expect(o.predictionError.LOAD!.count).toBeGreaterThan(20);
    expect(o.predictionError.INFER!.earlyFraction).toBeLessThan(1);
  });

  it('a LOAD-INFER-EVICT scheduler without drain: unfinished requests, GPUs busy when the run stops', async () => {
    registerCycleScheduler();
    const cfg = {
      ...base,
      name: 'oracle-cycle',
      metrics: { window: '150ms' },
      seed: 12,
      duration: '2s',
      warmup: '300ms',
      drain: 0,
      models: [{ profile: 'resnet50_v2', copies: 3 }, { profile: 'densenet121', copies: 2 }],
      workload: { type: 'poisson', rate: 150, slo: '30ms' },
      scheduler: { type: 'test-cycle' },
    };
    const run = await runWithOracle(cfg);
    checkRows(run.rows, 0.3e9, 2e9);
    compare(run);
    compareTimeseries(run);
    const o = run.expected.summary;
    expect(o.requests.unfinished).toBeGreaterThan(0);
    expect(o.requests.timeout).toBeGreaterThan(0);
    // A request finds its model loaded only if it arrives while an earlier one of the model is served.
    expect(o.coldStarts).toBeGreaterThan(o.requests.total / 2);
    expect(o.coldStarts).toBeLessThan(o.requests.total);
    expect(run.lanes.open.length).toBeGreaterThan(0);
    expect(o.loads).toBeGreaterThan(10);
  });

  it('infaas with overlapping executions and a closed loop with think time, 2 GPUs of one worker', async () => {
    const cfg = {
      ...base,
      name: 'oracle-infaas',
      duration: '3s',
      warmup: '500ms',
      drain: '1s',
      cluster: { profile: PROFILE, gpusPerWorker: 2 },
      models: [{ profile: 'resnet50_v2', copies: 3 }, { profile: 'densenet121', copies: 3 }],
      workload: [
        { type: 'closed-loop', name: 'closed', concurrency: 4, thinkTime: '2ms', slo: '40ms' },
        { type: 'poisson', name: 'open', rate: 200, slo: '20ms', models: ['densenet121#*'] },
      ],
      scheduler: { type: 'infaas' },
    };
    const run = await runWithOracle(cfg);
    checkRows(run.rows, 0.5e9, 3e9);
    compare(run);
    compareTimeseries(run);
    const o = run.expected.summary;
    expect(o.requests.ok).toBeGreaterThan(100);
    expect(Math.max(...o.gpuUtilization)).toBeGreaterThan(0.2);
  });

  it('triton and clipper on one GPU, with warm-up', async () => {
    for (const type of ['triton', 'clipper']) {
      const cfg = {
        ...base,
        name: `oracle-${type}`,
        duration: '2s',
        warmup: '400ms',
        drain: '1s',
        // Instance names with a comma and a quote: quoted in requests.csv and per-model.csv.
        models: [{ profile: 'resnet50_v2', copies: 2, name: 'res"net,50' }, { profile: 'densenet121', copies: 1 }],
        workload: { type: 'poisson', rate: 500, slo: '30ms' },
        scheduler: { type },
      };
      const run = await runWithOracle(cfg);
      checkRows(run.rows, 0.4e9, 2e9);
      compare(run);
      compareTimeseries(run);
      expect(run.expected.summary.requests.ok + run.expected.summary.requests.late).toBeGreaterThan(300);
      expect(run.perModel.map((m) => m.model)).toEqual(['res"net,50#0', 'res"net,50#1', 'densenet121']);
    }
  });

  it('metrics.measureAt: the same fifo run measured at the controller and at the client', async () => {
    // fifo spends no controller CPU time: each response leaves when its request completes at the
    // controller, so the client-measured rows follow from the controller-measured ones (atClient).
    const cfg = {
      ...base,
      name: 'oracle-measure',
      duration: '2s',
      warmup: '300ms',
      drain: '1s',
      cluster: { profile: PROFILE, network: { clientLatency: '2ms' } },
      models: [{ profile: 'resnet50_v2', copies: 4 }],
      workload: { type: 'poisson', rate: 200, slo: '7ms' },
      scheduler: { type: 'fifo' },
    };
    const atController = await runWithOracle({ ...cfg, metrics: { measureAt: 'controller' } });
    const atClientRun = await runWithOracle({ ...cfg, metrics: { measureAt: 'client' } });
    for (const run of [atController, atClientRun]) {
      checkRows(run.rows, 0.3e9, 2e9);
      compare(run);
      compareTimeseries(run);
    }
    const r = atController.resolved;
    const out = new Map(r.models.map((m) => [m.name, m.profile.outputBytes]));
    const byId = (rows: RequestRow[]) => [...rows].sort((a, b) => a.id - b.id);
    expect(byId(atClientRun.rows)).toEqual(byId(atClient(atController.rows, r.config.cluster.network, (m) => out.get(m)!)));
    // The 2 ms client leg moves requests from ok to late.
    const c = atController.expected.summary.requests;
    const k = atClientRun.expected.summary.requests;
    expect(c.ok).toBeGreaterThan(k.ok);
    expect(c.ok + c.late).toBe(k.ok + k.late);
    expect(k.late).toBeGreaterThan(0);
  });
});
