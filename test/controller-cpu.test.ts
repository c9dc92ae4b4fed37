/**
 * The controller's CPU (SchedulerContext.spend) and what observers may forget (onAdvance): results
 * that wait for a busy CPU are answered later but stamped with their receipt, so the engine must
 * never advance observers past the receipt of a result still waiting. Fixture in helpers.ts:
 * client 50 us + 10 us of inputs, worker 100 us + bytes/1e9, exec b1 1 ms, LOAD 5 ms.
 */
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../src/metrics/collector.js';
import type { Request } from '../src/sim/types.js';
import { makeSim, ScriptedScheduler, ScriptedWorkload } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;
const A = 0;

describe('controller busy periods and onAdvance', () => {
  // LOAD A at 0 -> result 5.2 ms; the request (sent 1 ms, arrival 1.06 ms) goes out as an INFER then;
  // its result is back at the controller at 6.424 ms (test/network-fidelity.test.ts, measureAt).
  // Timer 'a' at 6.4 ms spends 1 ms: CPU busy [6.4, 7.4) ms. Timer 'b' at 6.41 ms waits for the CPU
  // (deferred to 7.4 ms), and so does the result (6.424 ms, deferred to 7.4 ms, after 'b'). At 7.4 ms
  // 'b' runs first and spends 1 ms more: the CPU stays busy without a gap until 8.4 ms, so the result
  // waits again. One busy period [6.4, 8.4) ms: a run step ending at 8 ms may advance observers to
  // 6.4 ms at most (the busy period's start), not to 7.4 ms (past the result's receipt at 6.424 ms).
  function run() {
    const held: Request[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
        ctx.setTimer(6_400_000, 'a');
        ctx.setTimer(6_410_000, 'b');
      },
      request: (r) => held.push(r),
      result: (res, ctx) => {
        if (res.action.type === 'LOAD') ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: held.splice(0) });
      },
      timer: (_t, ctx) => ctx.spend(1_000_000),
    });
    const sim = makeSim(s, { workload: new ScriptedWorkload([[1_000_000, A]]) });
    // A second collector with 1 ms windows: the result's window [6, 7) ms must keep its latency.
    const fine = new MetricsCollector(0, 1e9, 1, 1, { window: 1_000_000 });
    sim.addObserver(fine);
    const log: Array<[string, number, number]> = [];
    sim.addObserver({
      onAdvance: (t) => log.push(['advance', t, sim.now()]),
      onResponse: (_r, o, at) => log.push([o, at, sim.now()]),
    });
    sim.run(undefined, 8_000_000);
    return { log, fine, s };
  }

  it('the result (received 6.424 ms) is answered at 8.4 ms; observers were advanced to 6.4 ms at most before', () => {
    const { log, s } = run();
    expect(s.results.find((r) => r.action.type === 'INFER')!.receivedAt).toBe(6_424_000);
    const i = log.findIndex((e) => e[0] === 'ok');
    expect(log[i]).toEqual(['ok', 6_424_000, 8_400_000]);
    const before = log.slice(0, i).filter((e) => e[0] === 'advance');
    expect(before).toEqual([['advance', 6_400_000, 8_000_000]]);
  });

  it("the time series keeps the latency in its window [6, 7) ms (5.364 ms)", () => {
    const { fine } = run();
    const rows = fine.timeseries.toCsv().trim().split('\n');
    const head = rows[0].split(',');
    const row = rows[7].split(',');
    expect(row[head.indexOf('timeS')]).toBe('0.006');
    expect(row[head.indexOf('ok')]).toBe('1');
    // Coarse histogram (1.6%): 5.364 ms within a bucket.
    expect(Number(row[head.indexOf('p50Ms')])).toBeCloseTo(5.364, 1);
  });
});

describe('work waiting for a busy controller', () => {
  // Requests sent at 1.0, 1.1 and 1.7 ms reach the controller 60 us later (1.06, 1.16, 1.76 ms).
  // Handling a request costs 1 ms of controller CPU; the first one also sets a timer for 1.56 ms.
  // By hand: request 0 at 1.06 ms (busy until 2.06); request 1 (arrived 1.16) at 2.06 (busy until
  // 3.06); the timer (due 1.56, before request 2 arrived at 1.76) at 3.06, costing nothing; then
  // request 2 at 3.06 (busy until 4.06). The backlog is served in arrival order, each when the CPU
  // is free.
  it('is served in arrival order, each item when the CPU is free', () => {
    const log: Array<[string, number]> = [];
    const s = new ScriptedScheduler({
      request: (r, ctx) => {
        log.push([`request ${r.id}`, ctx.now()]);
        if (r.id === 0) ctx.setTimer(1_560_000, 't');
        ctx.spend(1_000_000);
      },
      timer: (t, ctx) => {
        log.push([`timer ${String(t)}`, ctx.now()]);
      },
    });
    const sim = makeSim(s, { workload: new ScriptedWorkload([[1_000_000, A], [1_100_000, A], [1_700_000, A]]) });
    sim.run(undefined, 10_000_000);
    expect(log).toEqual([
      ['request 0', 1_060_000],
      ['request 1', 2_060_000],
      ['timer t', 3_060_000],
      ['request 2', 3_060_000],
    ]);
  });
});
