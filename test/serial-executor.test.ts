/**
 * cluster.executor "serial" (src/sim/gpu.ts): a GPU does one thing at a time, as live mode's
 * executors. Hand-computed nanosecond timelines on helpers.ts's one-GPU fixture, each beside the
 * same script on the default parallel lanes:
 * worker link 100 us + bytes/1e9 (each send at full bandwidth), client link 50 us + bytes/1e9;
 * PCIe 1 us + bytes/1e9; inputs 10,000 B, outputs 1,000 B; exec b1 1 ms; LOAD 5 ms; inputLead 5 ms.
 */
import { describe, expect, it } from 'vitest';
import type { Request } from '../src/sim/types.js';
import { brief, makeSim, ScriptedScheduler, ScriptedWorkload } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;
const PER_SEND = { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9, nic: 'perSend' as const };
const A = 0;
const B = 1;

type Executor = 'lanes' | 'serial';

/**
 * LOAD A and LOAD B at 0; one request for A at 5.5 ms, sent as an INFER (earliest: now, latest:
 * `latest`) as soon as it reaches the controller (5.56 ms), while LOAD B is running.
 */
function inferDuringLoad(executor: Executor, latest = MAX) {
  const s = new ScriptedScheduler({
    start: (ctx) => {
      ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
      ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 0, latest: MAX });
    },
    request: (r, ctx) => ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest, requests: [r] }),
  });
  const w = new ScriptedWorkload([[5_500_000, A]]);
  const sim = makeSim(s, { workload: w, setup: { network: PER_SEND, executor } });
  sim.run();
  return { s, w, sim };
}

describe('serial executor', () => {
  it('an INFER that arrives during a LOAD waits for it (the lanes run it at once)', () => {
    // Both: LOAD A from 0.1 ms (arrival) to 5.1 ms, LOAD B 5.1 -> 10.1 ms; the INFER reaches the
    // worker at 5.56 + 0.1 + 0.01 = 5.67 ms.
    const lanes = inferDuringLoad('lanes');
    // Lanes: input copy 5.67 -> 5.681 ms (1 us + 10 us), exec 5.681 -> 6.681, output copy 2 us,
    // result back 100 us + 1 us later: 6.784 ms.
    expect(lanes.s.results.map(brief)).toEqual([
      { type: 'LOAD', model: A, ok: true, error: undefined, start: 100_000, end: 5_100_000, receivedAt: 5_200_000, paddedBatch: undefined },
      { type: 'INFER', model: A, ok: true, error: undefined, start: 5_681_000, end: 6_681_000, receivedAt: 6_784_000, paddedBatch: 1 },
      { type: 'LOAD', model: B, ok: true, error: undefined, start: 5_100_000, end: 10_100_000, receivedAt: 10_200_000, paddedBatch: undefined },
    ]);
    const serial = inferDuringLoad('serial');
    // Serial: the INFER starts when LOAD B ends (10.1 ms): input copy to 10.111, exec to 11.111,
    // output copy to 11.113, result at 11.214 ms.
    expect(serial.s.results.map(brief)).toEqual([
      { type: 'LOAD', model: A, ok: true, error: undefined, start: 100_000, end: 5_100_000, receivedAt: 5_200_000, paddedBatch: undefined },
      { type: 'LOAD', model: B, ok: true, error: undefined, start: 5_100_000, end: 10_100_000, receivedAt: 10_200_000, paddedBatch: undefined },
      { type: 'INFER', model: A, ok: true, error: undefined, start: 10_111_000, end: 11_111_000, receivedAt: 11_214_000, paddedBatch: 1 },
    ]);
    // Latency from arrival at the controller (5.56 ms) to the result there.
    expect((lanes.sim.metrics.summary(['w']) as any).latencyMs.max).toBeCloseTo(6.784 - 5.56, 6);
    expect((serial.sim.metrics.summary(['w']) as any).latencyMs.max).toBeCloseTo(11.214 - 5.56, 6);
    expect(serial.sim.gpus[0].maxConcurrentExec).toBe(1);
  });

  it('an INFER whose window closes while the worker is busy fails too late when its turn comes', () => {
    // latest 8 ms: the lanes start its exec at 5.681 ms; the serial worker reaches it at 10.1 ms.
    const lanes = inferDuringLoad('lanes', 8_000_000);
    expect(lanes.s.results.filter((r) => r.action.type === 'INFER').map((r) => r.error ?? 'ok')).toEqual(['ok']);
    const serial = inferDuringLoad('serial', 8_000_000);
    const infer = serial.s.results.find((r) => r.action.type === 'INFER')!;
    expect([infer.error, infer.start, infer.end]).toEqual(['too-late', 10_100_000, 10_100_000]);
    expect(serial.w.responses.map((r) => r.outcome)).not.toContain('ok');
  });

  it('an INFER holds the worker through its wait for earliest: a LOAD ready later waits behind it', () => {
    // Request for A at 1 ms; once LOAD A's result is back (5.2 ms) the scheduler sends the INFER
    // with earliest 20 ms and LOAD B with earliest 16 ms. Ready times at the worker: INFER
    // 20 - 5 = 15 ms (inputLead), LOAD B 16 ms.
    const run = (executor: Executor) => {
      const held: Request[] = [];
      const s = new ScriptedScheduler({
        start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
        request: (r) => held.push(r),
        result: (res, ctx) => {
          if (res.action.type === 'LOAD' && res.action.model === A) {
            ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: 20_000_000, latest: MAX, requests: held.splice(0) });
            ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 16_000_000, latest: MAX });
          }
        },
      });
      makeSim(s, { workload: new ScriptedWorkload([[1_000_000, A]]), setup: { network: PER_SEND, executor } }).run();
      return s.results.map((r) => [r.action.type, r.action.model, r.error ?? 'ok', r.start, r.end, r.receivedAt]);
    };
    // Lanes: input copy 15 -> 15.011 ms, exec 20 -> 21 ms, output to 21.002, result 21.103 ms;
    // LOAD B on its own lane 16 -> 21 ms, result 21.1 ms.
    expect(run('lanes')).toEqual([
      ['LOAD', A, 'ok', 100_000, 5_100_000, 5_200_000],
      ['LOAD', B, 'ok', 16_000_000, 21_000_000, 21_100_000],
      ['INFER', A, 'ok', 20_000_000, 21_000_000, 21_103_000],
    ]);
    // Serial: the INFER takes the worker at 15 ms and keeps it until its output copy ends at
    // 21.002 ms; LOAD B runs 21.002 -> 26.002 ms, result 26.102 ms.
    expect(run('serial')).toEqual([
      ['LOAD', A, 'ok', 100_000, 5_100_000, 5_200_000],
      ['INFER', A, 'ok', 20_000_000, 21_000_000, 21_103_000],
      ['LOAD', B, 'ok', 21_002_000, 26_002_000, 26_102_000],
    ]);
  });

  it('two INFERs never overlap, whatever execConcurrency says', () => {
    // A loaded at 0.1 -> 5.1 ms; two requests at 6 ms, each sent as its own INFER at 6.06 ms
    // (earliest now), both at the worker at 6.17 ms.
    const run = (executor: Executor) => {
      const s = new ScriptedScheduler({
        start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
        request: (r, ctx) => ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: [r] }),
      });
      makeSim(s, { workload: new ScriptedWorkload([[6_000_000, A], [6_000_000, A]]), setup: { network: PER_SEND, executor, execConcurrency: 2 } }).run();
      return s.results.filter((r) => r.action.type === 'INFER').map((r) => [r.start, r.end]);
    };
    // Serial: first input copy 6.17 -> 6.181, exec 6.181 -> 7.181, output to 7.183; the second then
    // copies its input to 7.194 and executes 7.194 -> 8.194 ms.
    expect(run('serial')).toEqual([
      [6_181_000, 7_181_000],
      [7_194_000, 8_194_000],
    ]);
    // Lanes with execConcurrency 2 overlap them (processor sharing, speed-up 1: both end later
    // than one alone would).
    const lanes = run('lanes');
    expect(lanes[1][0]).toBeLessThan(lanes[0][1]);
  });

  it('a serial worker whose INFER fails at its execution (model not loaded) takes the next action', () => {
    // Request for B (never loaded) at 1 ms -> INFER at 1.06 ms, at the worker 1.17 ms: input copy to
    // 1.181 ms, then not-loaded; its result is back at 1.281 ms, and the scheduler then sends LOAD A:
    // at the worker 1.381 ms, 5 ms, result 6.481 ms.
    const s = new ScriptedScheduler({
      request: (r, ctx) => ctx.send({ type: 'INFER', gpu: 0, model: B, earliest: ctx.now(), latest: MAX, requests: [r] }),
      result: (res, ctx) => {
        if (res.action.type === 'INFER') ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: ctx.now(), latest: MAX });
      },
    });
    makeSim(s, { workload: new ScriptedWorkload([[1_000_000, B]]), setup: { network: PER_SEND, executor: 'serial' } }).run();
    expect(s.results.map((r) => [r.action.type, r.action.model, r.error ?? 'ok', r.start, r.end, r.receivedAt])).toEqual([
      ['INFER', B, 'not-loaded', 1_181_000, 1_181_000, 1_281_000],
      ['LOAD', A, 'ok', 1_381_000, 6_381_000, 6_481_000],
    ]);
  });

  it('lanes: an INFER that ends during a LOAD does not free the weights lane (an EVICT queued behind the LOAD waits for it)', () => {
    // LOAD B 0.1 -> 5.1 ms; at its result (5.2 ms) the scheduler sends the held request for B as an
    // INFER (exec 5.321 -> 6.321 ms, output copy to 6.323 ms), LOAD C and EVICT C: LOAD C 5.3 ->
    // 10.3 ms, and the EVICT after it at 10.3 ms, not when the INFER ends.
    const held: Request[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 0, latest: MAX }),
      request: (r) => held.push(r),
      result: (res, ctx) => {
        if (res.action.type === 'LOAD' && res.action.model === B) {
          ctx.send({ type: 'INFER', gpu: 0, model: B, earliest: ctx.now(), latest: MAX, requests: held.splice(0) });
          ctx.send({ type: 'LOAD', gpu: 0, model: 2, earliest: ctx.now(), latest: MAX });
          ctx.send({ type: 'EVICT', gpu: 0, model: 2, earliest: ctx.now(), latest: MAX });
        }
      },
    });
    makeSim(s, { workload: new ScriptedWorkload([[1_000_000, B]]), setup: { network: PER_SEND } }).run();
    expect(s.results.map((r) => [r.action.type, r.action.model, r.error ?? 'ok', r.start, r.end])).toEqual([
      ['LOAD', B, 'ok', 100_000, 5_100_000],
      ['INFER', B, 'ok', 5_321_000, 6_321_000],
      ['LOAD', 2, 'ok', 5_300_000, 10_300_000],
      ['EVICT', 2, 'ok', 10_300_000, 10_300_000],
    ]);
  });
});
