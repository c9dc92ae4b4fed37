/**
 * Simulation's guards and small contracts: actions a scheduler may not send, the perSend NIC's
 * drop of a send past its sendBy when no send slots are configured, submissions after the end,
 * start() run once, batch1Estimate. Hand-checkable fixture: test/helpers.ts (tinyProfile).
 */
import { describe, expect, it } from 'vitest';
import { brief, makeSim, ScriptedScheduler } from './helpers.js';
import type { Action, Request, SchedulerContext } from '../src/sim/types.js';
import type { Workload, WorkloadContext } from '../src/sim/workload.js';
import { NEVER } from '../src/schedulers/gpu-memory.js';

const MS = 1_000_000;
const NET = { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9 };

/** A workload that submits one request of model 0 at `t`. */
function oneRequest(t = 0): Workload {
  return { start: (c: WorkloadContext) => c.at(t, () => c.submit(0)) };
}

describe('Simulation: actions a scheduler may not send', () => {
  const sendOnRequest = (make: (r: Request) => Action) => {
    const s = new ScriptedScheduler({ request: (r, ctx) => ctx.send(make(r)) });
    return makeSim(s, { workload: oneRequest() });
  };
  it('to a GPU that does not exist', () => {
    const sim = sendOnRequest(() => ({ type: 'LOAD', gpu: 5, model: 0, earliest: 0, latest: NEVER }));
    expect(() => sim.run()).toThrow('scheduler scripted sent LOAD to GPU 5, which does not exist');
  });
  it('for a model that does not exist (too large or negative)', () => {
    expect(() => sendOnRequest(() => ({ type: 'LOAD', gpu: 0, model: 3, earliest: 0, latest: NEVER })).run()).toThrow('scheduler scripted sent LOAD for unknown model 3');
    expect(() => sendOnRequest(() => ({ type: 'EVICT', gpu: 0, model: -1, earliest: 0, latest: NEVER })).run()).toThrow('scheduler scripted sent EVICT for unknown model -1');
  });
  it('an INFER that batches a request of another model', () => {
    const sim = sendOnRequest((r) => ({ type: 'INFER', gpu: 0, model: 1, earliest: 0, latest: NEVER, requests: [r] }));
    expect(() => sim.run()).toThrow('scheduler scripted batched request 0 of model 0 into an INFER of model 1');
  });
});

describe('Simulation: perSend NIC without send slots', () => {
  // The controller is busy for 2 ms from 0 (spend), so a LOAD sent at 0 departs at 2 ms.
  const busyThenLoad = (sendBy: number) => {
    const sent: number[] = [];
    const s = new ScriptedScheduler({
      start: (ctx: SchedulerContext) => {
        ctx.spend(2 * MS);
        ctx.send({ type: 'LOAD', gpu: 0, model: 1, earliest: 0, latest: NEVER, sendBy });
      },
    });
    const sim = makeSim(s, { setup: { network: { ...NET, nic: 'perSend' }, sendConcurrency: 0, duration: 20 * MS, drain: 0 } });
    sim.addObserver({ onActionSent: (_a, at) => sent.push(at) });
    sim.run();
    return { s, sent };
  };
  it('drops a send that would depart after its sendBy: network-too-late, learnt when it would have departed', () => {
    const { s, sent } = busyThenLoad(1 * MS);
    expect(sent).toEqual([]);
    expect(s.results.map(brief)).toEqual([{ type: 'LOAD', model: 1, ok: false, error: 'network-too-late', start: undefined, end: undefined, receivedAt: 2 * MS, paddedBatch: undefined }]);
  });
  it('sends one whose sendBy is the departure time: LOAD of B (1 page) departs at 2 ms, runs 2.1..7.1 ms', () => {
    const { s, sent } = busyThenLoad(2 * MS);
    expect(sent).toEqual([2 * MS]);
    // Departs 2 ms + 0.1 ms worker latency = arrives 2.1 ms; LOAD 5 ms; result back +0.1 ms.
    expect(s.results.map((r) => [r.ok, r.start, r.end, r.receivedAt])).toEqual([[true, 2.1 * MS, 7.1 * MS, 7.2 * MS]]);
  });
});

describe('Simulation: small contracts', () => {
  it('submit at or after the end of the run is refused with -1', () => {
    const ids: number[] = [];
    const w: Workload = {
      start: (c) => {
        c.at(10 * MS - 1, () => ids.push(c.submit(0)));
        c.at(10 * MS, () => ids.push(c.submit(0)));
      },
    };
    const sim = makeSim(new ScriptedScheduler({}), { workload: w, setup: { duration: 10 * MS, drain: 0 } });
    sim.run();
    expect(ids).toEqual([0, -1]);
  });

  it('start() starts the scheduler and the workloads once', () => {
    let starts = 0;
    let workloadStarts = 0;
    const sim = makeSim(new ScriptedScheduler({ start: () => starts++ }), { workload: { start: () => workloadStarts++ } });
    sim.start();
    sim.start();
    sim.run();
    expect([starts, workloadStarts]).toEqual([1, 1]);
  });

  it('batch1Estimate is the median batch-1 execution time (1 ms in the fixture)', () => {
    let est = -1;
    const sim = makeSim(new ScriptedScheduler({}), { workload: { start: (c) => (est = c.batch1Estimate(2)) } });
    sim.run();
    expect(est).toBe(1 * MS);
  });

  it('rejects a compressed-input ratio outside [0, 1]', () => {
    expect(() => makeSim(new ScriptedScheduler({}), { setup: { network: { ...NET, inferInputs: { compressed: 1.5 } } } })).toThrow('network.inferInputs: compressed ratio 1.5 is not in (0, 1]');
    expect(() => makeSim(new ScriptedScheduler({}), { setup: { network: { ...NET, inferInputs: { compressed: -0.1 } } } })).toThrow('compressed ratio -0.1');
  });

  it('spend of zero or negative time leaves the controller free', () => {
    const free: number[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.spend(0);
        free.push(ctx.controllerFreeAt());
        ctx.spend(-5);
        free.push(ctx.controllerFreeAt());
        ctx.spend(3);
        free.push(ctx.controllerFreeAt());
      },
    });
    makeSim(s).run();
    expect(free).toEqual([0, 0, 3]);
  });

  it('sloFactor sets the SLO to factor x the batch-1 estimate; deadline = arrival + SLO', () => {
    // Submitted at 1 ms: arrival = 1 ms + 50 us client latency + 10,000 B at 1 B/ns (10 us) = 1.06 ms.
    // sloFactor 3 x 1 ms = 3 ms; an explicit slo of 7 ms is taken as is.
    const w: Workload = {
      start: (c) =>
        c.at(MS, () => {
          c.submit(0, { sloFactor: 3 });
          c.submit(0, { slo: 7 * MS });
        }),
    };
    const s = new ScriptedScheduler({});
    makeSim(s, { workload: w }).run();
    expect(s.requests.map(({ r, at }) => [r.slo, r.arrival, r.deadline, at])).toEqual([
      [3_000_000, 1_060_000, 4_060_000, 1_060_000],
      [7_000_000, 1_060_000, 8_060_000, 1_060_000],
    ]);
  });

  it('a workload\'s random streams are made once per name; the default is "arrivals"', () => {
    let same: boolean[] = [];
    const w: Workload = { start: (c) => (same = [c.rng('x') === c.rng('x'), c.rng() === c.rng('arrivals'), c.rng('x') !== c.rng()]) };
    makeSim(new ScriptedScheduler({}), { workload: w }).run();
    expect(same).toEqual([true, true, true]);
  });
});
