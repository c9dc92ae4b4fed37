/**
 * Simulation's run loop and scheduler context, on hand-computed timelines (the fixture of
 * test/helpers.ts: a request's arrival is its submission + 50 us client latency + 10,000 input
 * bytes at 1 B/ns = submission + 60 us). run() advances in steps of 1 s of simulated time.
 */
import { describe, expect, it } from 'vitest';
import { makeSim, ScriptedScheduler } from './helpers.js';
import type { Request, Scheduler, SchedulerContext } from '../src/sim/types.js';
import type { Workload } from '../src/sim/workload.js';
import { NEVER } from '../src/schedulers/gpu-memory.js';

const MS = 1_000_000;
const S = 1_000_000_000;

/**
 * Runs `scheduler` on `workload` with that duration and drain; returns when the run finished
 * (onFinish), the progress calls and the requests left unanswered (onUnfinished).
 */
function runEnd(scheduler: ScriptedScheduler, workload: Workload, duration: number, drain: number) {
  const sim = makeSim(scheduler, { workload, setup: { duration, drain } });
  const finish: number[] = [];
  const unfinished: number[] = [];
  const progress: number[] = [];
  sim.addObserver({ onFinish: (now) => finish.push(now), onUnfinished: (r: Request) => unfinished.push(r.id) });
  sim.run((t) => progress.push(t));
  return { finish, unfinished, progress };
}

/** Submits one request of model 0 at each time. */
const submitsAt = (...times: number[]): Workload => ({ start: (c) => times.forEach((t) => c.at(t, () => c.submit(0))) });

/** Answers each request (timeout) `after` ns after it arrives; with `tick`, also keeps a 100 ms timer going forever. */
function answering(after: number, tick: boolean): ScriptedScheduler {
  return new ScriptedScheduler({
    start: (ctx) => {
      if (tick) ctx.setTimer(100 * MS, 'tick');
    },
    request: (r, ctx) => {
      if (after === 0) ctx.respond(r, 'timeout');
      else ctx.setTimer(ctx.now() + after, r);
    },
    timer: (token, ctx) => {
      if (token === 'tick') ctx.setTimer(ctx.now() + 100 * MS, 'tick');
      else ctx.respond(token as Request, 'timeout');
    },
  });
}

describe('Simulation.run: when a run ends', () => {
  it('stops at the first step with nothing left to do, long before duration + drain', () => {
    // One request at 0, answered on arrival (60 us): after the first 1 s step no event is pending.
    const w = runEnd(answering(0, false), submitsAt(0), 10 * S, 5 * S);
    expect(w.progress).toEqual([1 * S]);
    expect(w.finish).toEqual([1 * S]);
    expect(w.unfinished).toEqual([]);
  });

  it('with events still pending (a timer forever), stops at the duration once every request is answered', () => {
    const w = runEnd(answering(0, true), submitsAt(0), 3 * S, 5 * S);
    expect(w.progress).toEqual([1 * S, 2 * S]); // the step that reaches the duration breaks before its progress call
    expect(w.finish).toEqual([3 * S]);
  });

  it('drains a request still in flight at the duration, and stops at the first step after its answer', () => {
    // Submitted at 1.9 s, arrives 1.90006 s, answered 1.5 s later (3.40006 s): unanswered at the
    // 2 s duration, so the run goes on through the drain to the 4 s step.
    const w = runEnd(answering(1.5 * S, true), submitsAt(1.9 * S), 2 * S, 5 * S);
    expect(w.finish).toEqual([4 * S]);
    expect(w.unfinished).toEqual([]);
  });

  it('at the end of the drain, what is still unanswered is reported unfinished, at duration + drain', () => {
    const w = runEnd(answering(10 * S, true), submitsAt(1.9 * S), 2 * S, 1 * S);
    expect(w.finish).toEqual([3 * S]);
    expect(w.unfinished).toEqual([0]);
  });
});

describe('Simulation: the scheduler context', () => {
  it('a cancelled timer never fires', () => {
    const fired: unknown[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        const h = ctx.setTimer(5 * MS, 'a');
        ctx.setTimer(6 * MS, 'b');
        ctx.cancelTimer(h);
      },
      timer: (token) => fired.push(token),
    });
    makeSim(s).run();
    expect(fired).toEqual(['b']);
  });

  it('a scheduler without onTimer may still set timers', () => {
    const s: Scheduler = {
      name: 'no-timer-hook',
      start: (ctx: SchedulerContext) => void ctx.setTimer(5 * MS, 'x'),
      onRequest: () => {},
      onResult: () => {},
    };
    const sim = makeSim(s);
    expect(() => sim.run()).not.toThrow();
    expect(sim.now()).toBe(1 * S); // the timer ran at 5 ms; the run then stopped at its first step
  });

  it('rng(name) is the run\'s stream "scheduler/<name>", "main" by default, made once', () => {
    let checks: boolean[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        checks = [ctx.rng() === sim.streams.stream('scheduler/main'), ctx.rng('x') === sim.streams.stream('scheduler/x'), ctx.rng('x') === ctx.rng('x'), ctx.rng('x') !== ctx.rng()];
      },
    });
    const sim = makeSim(s);
    sim.run();
    expect(checks).toEqual([true, true, true, true]);
  });

  it('spend(0) while the controller is idle leaves controllerFreeAt where it was', () => {
    const free: number[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.setTimer(5 * MS, 'x');
      },
      timer: (_t, ctx) => {
        free.push(ctx.controllerFreeAt());
        ctx.spend(0);
        free.push(ctx.controllerFreeAt());
      },
    });
    makeSim(s).run();
    expect(free).toEqual([0, 0]);
  });

  it('work arriving exactly when the controller frees waits behind the work already waiting', () => {
    // Busy 0..2 ms. Request 0 is submitted at 1.9 ms and arrives at 1.96 ms: it waits, and the
    // controller's wake-up is set for 2 ms. Request 1, submitted at 1.94 ms (its arrival event was
    // planned before that wake-up), arrives at exactly 2 ms: it queues behind request 0.
    const s = new ScriptedScheduler({ start: (ctx) => ctx.spend(2 * MS) });
    makeSim(s, { workload: submitsAt(1.9 * MS, 1.94 * MS) }).run();
    expect(s.requests.map(({ r, at }) => [r.id, r.arrival, at])).toEqual([
      [0, 1.96 * MS, 2 * MS],
      [1, 2 * MS, 2 * MS],
    ]);
  });
});

describe('Simulation: SLOs and sends', () => {
  it("a workload's sloFactor applies to submissions that give neither slo nor sloFactor", () => {
    // batch-1 estimate 1 ms: the workload's factor 3 gives 3 ms; a submission's own slo (7 ms) or
    // sloFactor (2 -> 2 ms) wins over it.
    const w: Workload = {
      start: (c) =>
        c.at(MS, () => {
          c.submit(0);
          c.submit(0, { slo: 7 * MS });
          c.submit(0, { sloFactor: 2 });
        }),
    };
    const s = new ScriptedScheduler({});
    makeSim(s, { workload: w, sloFactor: 3, slo: 50 * MS }).run();
    expect(s.requests.map(({ r }) => [r.slo, r.sloFactor])).toEqual([
      [3 * MS, 3],
      [7 * MS, undefined],
      [2 * MS, 2],
    ]);
  });

  it('nic "perSend" with a send slot: a send departing exactly at its sendBy goes out', () => {
    const sent: number[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.spend(2 * MS);
        ctx.send({ type: 'LOAD', gpu: 0, model: 1, earliest: 0, latest: NEVER, sendBy: 2 * MS });
      },
    });
    const sim = makeSim(s, {
      setup: { network: { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9, nic: 'perSend' }, sendConcurrency: 1 },
    });
    sim.addObserver({ onActionSent: (_a, at) => sent.push(at) });
    sim.run();
    expect(sent).toEqual([2 * MS]);
    expect(s.results.map((r) => [r.ok, r.start, r.end])).toEqual([[true, 2.1 * MS, 7.1 * MS]]);
  });
});
