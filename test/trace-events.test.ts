/**
 * trace-events.json against what happened: every lane phase, failed action, action sent and
 * request overlapping the window appears once, on its worker's process and its GPU's lane thread,
 * with its times; nothing else does. Expectations are built from the lane log and the responses.
 */
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import { buildSimulation } from '../src/experiment/runner.js';
import { TraceEventRecorder } from '../src/metrics/trace-events.js';
import type { Action, Request } from '../src/sim/types.js';
import { PROFILE, tmp, writeConfig } from './helpers/results.js';

describe('trace events', () => {
  it('hold exactly the phases, failures, sends and requests that overlap the window, where they belong', async () => {
    const cfg = {
      name: 'trace',
      seed: 5,
      duration: '1500ms',
      drain: '500ms',
      // A slow controller-worker link (Clockwork assumes 1 ms of start delay): some actions arrive too late.
      cluster: { profile: PROFILE, workers: 2, gpusPerWorker: 2, weightsMemory: '512MiB', network: { workerLatency: '10ms' } },
      models: [{ profile: 'resnet50_v2', copies: 24 }],
      workload: { type: 'poisson', rate: 800, slo: '30ms' },
      scheduler: { type: 'clockwork' },
    };
    const r = loadExperiment(writeConfig(tmp(), cfg)).points[0].resolved;
    const sim = await buildSimulation(r);
    const names = r.models.map((m) => m.name);
    const from = 600e6;
    const to = 900e6;
    const rec = new TraceEventRecorder(from, to, sim.gpus, names, ['poisson']);
    sim.addObserver(rec);

    const expected: string[] = [];
    const overlaps = (a: number, b: number): boolean => b >= from && a <= to;
    const us = (ns: number): number => ns / 1e3;
    const lane = { LOAD: 1, EVICT: 1, INPUT: 2, OUTPUT: 3, EXEC: 5 } as const;
    const where = (gpu: number, l: number): string => `${sim.gpus[gpu].worker + 1}/${sim.gpus[gpu].local * 64 + l}`;
    const label = (a: Action): string => `${names[a.model]}${a.type === 'INFER' ? ` x${a.requests.length}` : ''}`;
    let failures = 0;
    const requestSpan = (q: Request, outcome: string, end: number): void => {
      if (!overlaps(q.sentAt, end)) return;
      expected.push(`b 0/0 ${us(q.sentAt)} ${names[q.model]} ${outcome} id=${q.id} deadline=${us(q.deadline)}`);
      expected.push(`e 0/0 ${us(end)} ${names[q.model]} ${outcome}`);
      if (q.arrival >= from && q.arrival <= to) expected.push(`i 0/1 ${us(q.arrival)} arrive #${q.id} ${names[q.model]}`);
    };
    sim.addObserver({
      onPhase: (gpu, a, phase, start, end) => {
        if (overlaps(start, end)) expected.push(`X ${where(gpu, lane[phase])} ${us(start)}+${us(end - start)} ${phase} ${label(a)}`);
      },
      onActionDone: (gpu, a, error, start, end) => {
        if (error && overlaps(start, end)) {
          failures++;
          expected.push(`i ${where(gpu, 4)} ${us(end)} ${a.type} ${error} ${names[a.model]}`);
        }
      },
      onActionSent: (a, at) => {
        if (at >= from && at <= to) expected.push(`i 0/2 ${us(at)} send ${a.type} ${names[a.model]} -> GPU ${a.gpu}`);
      },
      onResponse: (q, outcome, at) => requestSpan(q, outcome, at),
      onUnfinished: (q) => requestSpan(q, 'unfinished', Math.max(to, q.sentAt)),
    });
    sim.run();

    const doc = JSON.parse(rec.toJson());
    expect(doc.metadata).toMatchObject({ window: { fromNs: from, toNs: to }, truncated: false });
    const got = (doc.traceEvents as any[])
      .filter((e) => e.ph !== 'M')
      .map((e) => {
        const at = `${e.ph} ${e.pid}/${e.tid} ${e.ts}${e.ph === 'X' ? `+${e.dur}` : ''} ${e.name}`;
        return e.ph === 'b' ? `${at} id=${e.args.id} deadline=${e.args.deadlineUs}` : at;
      });
    expect(got.sort()).toEqual(expected.sort());
    // The run exercises every kind of event in the window.
    for (const k of ['X 1/1 ', 'X 2/65 ', 'EXEC', 'INPUT', 'OUTPUT', 'LOAD', 'EVICT', 'i 0/1 ', 'i 0/2 ', 'b 0/0 ']) {
      expect(expected.some((x) => x.includes(k)), k).toBe(true);
    }
    expect(failures).toBeGreaterThan(0);
    // Thread names: per GPU its lanes, on its worker's process.
    const threads = (doc.traceEvents as any[]).filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.pid}/${e.tid} ${e.args.name}`);
    expect(threads).toEqual(
      expect.arrayContaining(['2/65 GPU 3 weights (LOAD/EVICT)', '2/66 GPU 3 input copy', '2/69 GPU 3 exec', '2/67 GPU 3 output copy', '2/68 GPU 3 failed actions', '1/5 GPU 0 exec']),
    );
  });

  it('include what touches the window\'s ends, and put overlapping executions on separate slot threads', () => {
    const gpus = [{ id: 0, worker: 0, local: 0, maxConcurrentExec: 2 }];
    const rec = new TraceEventRecorder(1000, 2000, gpus, ['m'], ['g']);
    const a = { type: 'LOAD', gpu: 0, model: 0, earliest: 0, latest: Infinity } as Action;
    const x = { type: 'INFER', gpu: 0, model: 0, earliest: 0, latest: Infinity, requests: [] } as unknown as Action;
    rec.onPhase(0, a, 'LOAD', 500, 1000); // ends at the window's start: in
    rec.onPhase(0, a, 'LOAD', 2000, 2500); // starts at its end: in
    rec.onPhase(0, a, 'LOAD', 400, 999); // before: out
    rec.onPhase(0, a, 'LOAD', 2001, 2600); // after: out
    rec.onPhase(0, x, 'EXEC', 1100, 1500); // slot 0
    rec.onPhase(0, x, 'EXEC', 1200, 1300); // overlaps the first: slot 1
    rec.onPhase(0, x, 'EXEC', 1500, 1700); // slot 0 is free again at 1500
    rec.onActionSent(a, 999);
    rec.onActionSent(a, 1000);
    rec.onActionSent(a, 2000);
    rec.onActionSent(a, 2001);
    const ev = (JSON.parse(rec.toJson()).traceEvents as any[]).filter((e) => e.ph !== 'M');
    expect(ev.map((e) => `${e.ph} ${e.tid} ${e.ts}`)).toEqual(['X 1 0.5', 'X 1 2', 'X 5 1.1', 'X 6 1.2', 'X 5 1.5', 'i 2 1', 'i 2 2']);
    const threads = (JSON.parse(rec.toJson()).traceEvents as any[]).filter((e) => e.name === 'thread_name').map((e) => e.args.name);
    expect(threads).toEqual(expect.arrayContaining(['GPU 0 exec slot 0', 'GPU 0 exec slot 1']));
  });
});
