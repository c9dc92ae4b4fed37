/**
 * The metrics building blocks on hand-fed events, for the edges that whole runs rarely reach:
 * window boundaries to the nanosecond, lanes busy from time 0 or still busy at the end, models
 * without responses, failed evictions, error ordering, one kind of prediction only, the column
 * limits of the time series, histogram argument checks and merges, requests.csv quoting and flags.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../src/metrics/collector.js';
import { Histogram } from '../src/metrics/histogram.js';
import { REQUESTS_CSV_HEADER, RequestLog } from '../src/metrics/request-log.js';
import { TimeSeries } from '../src/metrics/timeseries.js';
import type { Action, Request } from '../src/sim/types.js';
import { tmp } from './helpers/results.js';

const req = (id: number, sentAt: number, o: Partial<Request> = {}): Request => ({ id, model: 0, group: 0, sentAt, arrival: sentAt + 10, slo: 100, deadline: sentAt + 110, ...o });
const act = (type: Action['type'], model = 0): Action => ({ type, gpu: 0, model, earliest: 0, latest: Infinity, requests: [] }) as unknown as Action;

describe('collector on hand-fed events (window [100, 1100) ns, 2 GPUs, 2 groups, models a and b)', () => {
  const make = () => new MetricsCollector(100, 1100, 2, 2, { modelNames: ['a', 'b'], groupNames: ['x', 'y'] });

  it('counts requests sent at the window\'s start, not at its end; unfinished per group and model', () => {
    const c = make();
    const rs = [req(0, 99), req(1, 100), req(2, 1099, { group: 1 }), req(3, 1100), req(4, 500, { group: 1 })];
    for (const r of rs) c.onSubmit(r);
    c.onResponse(rs[1], 'ok', 150);
    c.onResponse(rs[0], 'late', 300);
    for (const r of [rs[2], rs[3], rs[4], rs[0]]) c.onUnfinished(r);
    const s = c.summary(['x', 'y']) as any;
    expect(s.requests).toEqual({ total: 3, ok: 1, late: 0, timeout: 0, rejected: 0, failed: 0, unfinished: 2 });
    expect(s.groups.x.requests).toMatchObject({ total: 1, ok: 1, unfinished: 0 });
    expect(s.groups.y.requests).toMatchObject({ total: 2, unfinished: 2 });
    const rows = c.perModelCsv().split('\n');
    expect(rows[1].split(',').slice(0, 8)).toEqual(['a', '3', '1', '0', '0', '0', '0', '2']);
    // Model b had no requests: empty rates' denominators and percentiles, zero counts.
    expect(rows[2]).toBe('b,0,0,0,0,0,0,0,0,0,,,,,,,0,0,0');
    expect(c.perModelCsv().endsWith('\n')).toBe(true);
  });

  it('late fraction with as many late as ok responses; throughput and goodput over the window', () => {
    const c = make();
    const a = req(0, 200);
    const b = req(1, 300);
    c.onSubmit(a);
    c.onSubmit(b);
    c.onResponse(a, 'ok', 250);
    c.onResponse(b, 'late', 500);
    const s = c.summary(['x', 'y']) as any;
    expect(s.lateFraction).toBe(0.5);
    expect(s.sloAttainment).toBe(0.5);
    expect(s.goodput).toBe(1e6); // 1 ok in 1000 ns = 1 us
    expect(s.throughput).toBe(2e6);
    expect(s.latencyMs.max).toBe(0.00019); // response 500 - arrival 310 ns
  });

  it('lane busy time: from time 0, clipped to the window, still busy at the end (PCIe and exec)', () => {
    const c = make();
    c.onLaneBusy(0, 'exec', true, 0);
    c.onLaneBusy(0, 'exec', false, 300); // [100, 300): 200
    c.onLaneBusy(1, 'pcie', true, 0);
    c.onLaneBusy(1, 'exec', true, 1000);
    c.onFinish(2000); // pcie of GPU 1 [100, 1100): 1000; exec of GPU 1 [1000, 1100): 100
    const s = c.summary(['x', 'y']) as any;
    expect(s.gpuUtilization).toEqual([0.2, 0.1]);
    expect(s.pcieUtilization).toEqual([0, 1]);
  });

  it('actions: failed evictions are not evictions; errors sorted by name; per-model loads and evictions', () => {
    const c = make();
    c.onActionDone(0, act('LOAD', 1), 'no-pages', 200, 200, 0, 200);
    c.onActionDone(0, act('EVICT'), 'busy', 200, 200, 0, 200);
    c.onActionDone(0, act('EVICT', 1), null, 300, 300, 0, 300);
    c.onActionDone(0, act('LOAD', 1), null, 400, 400, 0, 400);
    c.onActionDone(0, act('INFER'), 'too-late', 50, 50, 0, 50); // before the window: an error, not a count
    const s = c.summary(['x', 'y']) as any;
    expect(s).toMatchObject({ loads: 1, loadsFailed: 1, evictions: 1 });
    expect(Object.keys(s.actionErrors)).toEqual(['EVICT:busy', 'INFER:too-late', 'LOAD:no-pages']);
    expect(Object.values(s.actionErrors)).toEqual([1, 1, 1]);
    expect(c.perModelCsv().split('\n')[2].split(',').slice(-3)).toEqual(['1', '1', '0']);
  });

  it('prediction errors of one kind only; early (>= 0) and late split; signed mean', () => {
    const c = make();
    c.onPrediction('INFER', 1_000_000, 1_000_000); // exactly on time: early
    c.onPrediction('INFER', 1_000_000, 4_000_000); // 3 ms late
    const s = c.summary(['x', 'y']) as any;
    expect(s.predictionError.LOAD).toBeNull();
    expect(s.predictionError.INFER).toMatchObject({ count: 2, meanSignedErrorMs: -1.5, earlyFraction: 0.5 });
    expect(s.predictionError.INFER.absErrorMs.max).toBe(3);
    const h = c.histogramsJson(['x', 'y'], [5, 6]) as any;
    expect([h.predictionError.INFER.early.count, h.predictionError.INFER.late.count, h.predictionError.INFER.late.max]).toEqual([1, 1, 3_000_000]);
    expect(h.predictionError.LOAD).toBeNull();
    expect(h.groups.y.sloNs).toBe(6);
    expect(h.unit).toBe('ns');
    expect((make().summary(['x', 'y']) as any).predictionError).toBeUndefined();
  });

  it('without model names there is no per-model row', () => {
    const c = new MetricsCollector(0, 1000, 1, 1);
    c.onSubmit(req(0, 10));
    expect(c.perModelCsv().trim().split('\n')).toHaveLength(1);
  });
});

describe('time series edges', () => {
  it('per-GPU columns up to 16 GPUs and per-group columns up to 8 groups, none beyond', () => {
    const head = (t: TimeSeries) => t.toCsv().split('\n')[0];
    expect(head(new TimeSeries(1e9, 16))).toContain('gpu15Utilization');
    expect(head(new TimeSeries(1e9, 17))).not.toContain('gpu0Utilization');
    expect(head(new TimeSeries(1e9, 1))).not.toContain('gpu0Utilization');
    const names = (n: number) => Array.from({ length: n }, (_, i) => `g${i}`);
    expect(head(new TimeSeries(1e9, 1, names(8)))).toContain('sloAttainment:g7');
    expect(head(new TimeSeries(1e9, 1, names(9)))).not.toContain(':g0');
    expect(() => new TimeSeries(0, 1)).toThrow(/positive/);
  });

  it('grows past its first 64 windows; an empty window has no latency figures; zero-length busy spans are ignored', () => {
    const t = new TimeSeries(10, 1);
    t.submit(5, 0);
    t.response(2005, 1, 0, 7);
    t.busy(0, 'exec', 30, 30);
    t.busy(0, 'exec', 15, 25); // 5 in window 1, 5 in window 2
    t.finish(2010);
    const rows = t.toCsv().trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(201);
    expect(rows[0][2]).toBe(String(1e8)); // 1 request in 10 ns
    expect(rows[0][10]).toBe(''); // no latency in window 0
    expect(rows[200][5]).toBe('1');
    expect([rows[1][13], rows[2][13], rows[3][13]]).toEqual(['0.5', '0.5', '0']);
  });
});

describe('histogram edges', () => {
  it('accepts 1 to 16 sub-bucket bits (integers) only', () => {
    for (const b of [0, 17, 1.5]) expect(() => new Histogram(b)).toThrow(/subBits/);
    expect(new Histogram(1).subBits).toBe(1);
    expect(new Histogram(16).subBits).toBe(16);
  });

  it('clamps negative values to 0; is exact below 2^subBits; merges min, max and counts', () => {
    const h = new Histogram(7);
    h.record(-5);
    h.record(127);
    h.record(128);
    expect([h.min, h.quantile(0.5), h.quantile(1)]).toEqual([0, 127, 128]);
    expect(h.allocatedBytes).toBeGreaterThan(0);
    const g = new Histogram(7);
    g.record(1e9);
    h.merge(g);
    expect([h.count, h.min, h.max]).toEqual([4, 0, 1e9]);
    const k = new Histogram(7);
    k.record(50);
    k.merge(h);
    expect([k.min, k.max, k.count]).toEqual([0, 1e9, 5]);
  });

  it('reads its JSON back, refusing buckets out of range', () => {
    const h = new Histogram(5);
    for (const v of [3, 300, 3e6]) h.record(v);
    const back = Histogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    expect(back.subBits).toBe(5);
    expect([back.quantile(0), back.quantile(0.5), back.quantile(1)]).toEqual([h.quantile(0), h.quantile(0.5), h.quantile(1)]);
    expect(() => Histogram.fromJSON({ count: 1, sum: 1, min: 1, max: 1, buckets: [[-1, 1]] })).toThrow(/out of range/);
    expect(() => Histogram.fromJSON({ count: 1, sum: 1, min: 1, max: 1, buckets: [[1e9, 1]] })).toThrow(/out of range/);
    expect(Histogram.fromJSON({ count: 1, sum: 1, min: 1, max: 1, buckets: [[1, 1]] }).subBits).toBe(7);
  });

  it('CDF points: each bucket\'s upper value (clamped to the max) and the cumulative count', () => {
    const h = new Histogram(1);
    for (const v of [1, 5, 6]) h.record(v);
    // subBits 1: [1], then octave [4, 8) in two buckets [4, 6), [6, 8).
    expect(h.cdfPoints()).toEqual([
      [1, 1],
      [5, 2],
      [6, 3],
    ]);
  });
});

describe('requests.csv', () => {
  it('one line per response then per unfinished request; measured = sent in [warmup, duration); names quoted', () => {
    const file = join(tmp('servesim-reqlog-'), 'requests.csv');
    const log = new RequestLog(file, ['plain', 'a,"b"'], ['g'], 100, 200);
    log.onResponse(req(1, 100, { model: 1 }), 'ok', 150);
    log.onResponse(req(2, 99), 'late', 400);
    log.onUnfinished(req(3, 199));
    log.onUnfinished(req(4, 200));
    log.close();
    log.close(); // a second close does nothing
    expect(readFileSync(file, 'utf8')).toBe(
      REQUESTS_CSV_HEADER +
        ['1,"a,""b""",g,100,110,210,150,40,ok,1', '2,plain,g,99,109,209,400,291,late,0', '3,plain,g,199,209,309,,,unfinished,1', '4,plain,g,200,210,310,,,unfinished,0'].join('\n') +
        '\n',
    );
  });
});
