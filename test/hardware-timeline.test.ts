/**
 * Hand-computed nanosecond timelines on one GPU (fixture in helpers.ts):
 * network: client 50 us + bytes/1e9, worker 100 us + bytes/1e9; PCIe 1 us + bytes/1e9;
 * inputs 10,000 B, outputs 1,000 B; exec b1 1 ms, b2 1.5 ms, b4 2 ms; LOAD 5 ms; 4 pages.
 */
import { describe, expect, it } from 'vitest';
import type { Request } from '../src/sim/types.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveExperiment } from '../src/experiment/config.js';
import { brief, makeSim, ScriptedScheduler, ScriptedWorkload, tinyProfileJson } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** helpers.ts's network with each send at the full bandwidth (the tests below that are about something else). */
const PER_SEND = { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9, nic: 'perSend' as const };
const A = 0;
const B = 1;
const C = 2;

/** LOAD A at 0; hold A's requests until the LOAD result, then send them as one INFER. */
function loadThenInfer(): ScriptedScheduler {
  const held: Request[] = [];
  return new ScriptedScheduler({
    start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
    request: (r) => held.push(r),
    result: (res, ctx) => {
      if (res.action.type === 'LOAD') ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: held.splice(0) });
    },
  });
}

describe('GPU worker timelines', () => {
  it('LOAD, then an INFER of 3 requests padded to batch 4, with every network and PCIe delay', () => {
    const s = loadThenInfer();
    const w = new ScriptedWorkload([
      [1_000_000, A],
      [1_000_000, A],
      [1_000_000, A],
    ]);
    const sim = makeSim(s, { workload: w });
    sim.run();
    // Requests reach the controller after 50 us + 10,000 B / 1e9 B/s = 60 us.
    expect(s.requests.map((x) => x.at)).toEqual([1_060_000, 1_060_000, 1_060_000]);
    expect(s.results.map(brief)).toEqual([
      // LOAD: arrives at 100 us, 5 ms transfer, result back 100 us later.
      { type: 'LOAD', model: A, ok: true, error: undefined, start: 100_000, end: 5_100_000, receivedAt: 5_200_000, paddedBatch: undefined },
      // INFER sent at 5.2 ms: 30 us on the wire + 100 us -> 5.33 ms; input copy 1 us + 30 us -> exec 5.361 ms;
      // batch 4 takes 2 ms -> 7.361 ms; output copy 1 us + 3 us -> 7.365 ms; result: 100 us + 3 us -> 7.468 ms.
      { type: 'INFER', model: A, ok: true, error: undefined, start: 5_361_000, end: 7_361_000, receivedAt: 7_468_000, paddedBatch: 4 },
    ]);
    // Responses: 50 us + 1,000 B -> 7.519 ms at the clients; all within the 100 ms SLO.
    expect(w.responses).toEqual([
      { id: 0, outcome: 'ok', at: 7_519_000 },
      { id: 1, outcome: 'ok', at: 7_519_000 },
      { id: 2, outcome: 'ok', at: 7_519_000 },
    ]);
    const sum = sim.metrics.summary(['w']) as any;
    expect(sum.requests).toMatchObject({ total: 3, ok: 3, late: 0 });
    // Latency counts from arrival at the controller (1.06 ms) to the result back at the controller
    // (7.468 ms; measureAt "controller", the default).
    expect(sum.latencyMs.max).toBeCloseTo(6.408, 3);
    expect(sum.loads).toBe(1);
  });

  it('measureAt client: ok means the response reaches the client by arrival + slo, to the nanosecond', () => {
    // Pinned to measureAt "client" (test/network-fidelity.test.ts compares it with "controller").
    const outcomes = (slo: number) => {
      const s = loadThenInfer();
      const w = new ScriptedWorkload([[1_000_000, A]]);
      makeSim(s, { workload: w, slo, setup: { measureAt: 'client' } }).run();
      return w.responses.map((r) => r.outcome);
    };
    // One request: INFER sent at 5.2 ms, +10 us wire +100 us -> 5.31 ms; input copy 11 us -> exec at batch 1
    // from 5.321 to 6.321 ms; output copy 2 us; result +101 us -> 6.424 ms; to the client +51 us -> 6.475 ms.
    const arrival = 1_060_000;
    const reply = 6_475_000;
    expect(outcomes(reply - arrival)).toEqual(['ok']);
    expect(outcomes(reply - arrival - 1)).toEqual(['late']);
  });

  it('pages: a LOAD that does not fit fails, EVICT frees pages, the weights lane serialises', () => {
    const s = new ScriptedScheduler({
      start: (ctx) => {
        for (const [type, model] of [
          ['LOAD', A],
          ['LOAD', C],
          ['LOAD', B],
          ['EVICT', A],
          ['LOAD', C],
        ] as const) {
          ctx.send({ type, gpu: 0, model, earliest: 0, latest: MAX });
        }
      },
    });
    const sim = makeSim(s);
    sim.run();
    expect(s.results.map((r) => [r.action.type, r.action.model, r.error ?? 'ok', r.start, r.end, r.receivedAt])).toEqual([
      ['LOAD', A, 'ok', 100_000, 5_100_000, 5_200_000],
      ['LOAD', C, 'no-pages', 5_100_000, 5_100_000, 5_200_000], // 3 of 4 pages taken, C needs 2
      ['LOAD', B, 'ok', 5_100_000, 10_100_000, 10_200_000],
      ['EVICT', A, 'ok', 10_100_000, 10_100_000, 10_200_000],
      ['LOAD', C, 'ok', 10_100_000, 15_100_000, 15_200_000],
    ]);
    expect(sim.gpus[0].freePages).toBe(1);
    expect(sim.metrics.summary(['w'])).toMatchObject({ loads: 3, loadsFailed: 1, evictions: 1 });
  });

  it('earliest in the future: an action waits in its lane until earliest, in (earliest, send order)', () => {
    // Sent at 0, all three reach the worker at 100 us. LOAD A (earliest 1 ms) was sent after LOAD B
    // (earliest 3 ms) but is ready first; EVICT B has LOAD B's earliest and was sent after it.
    // A: 1 ms -> 6 ms (5 ms transfer); B: ready at 3 ms, lane free at 6 ms -> 11 ms; EVICT B: at 11 ms.
    // An INFER of A's request with earliest 20 ms: its input copy may start at 20 - 5 ms (inputLead)
    // and is done long before 20 ms; exec starts at exactly 20 ms and takes 1 ms (batch 1).
    const held: Request[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 3_000_000, latest: MAX });
        ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 1_000_000, latest: MAX });
        ctx.send({ type: 'EVICT', gpu: 0, model: B, earliest: 3_000_000, latest: MAX });
      },
      request: (r) => held.push(r),
      result: (res, ctx) => {
        // A second INFER once the first is back, earliest 30 ms: each lane wakes a second time.
        if (res.action.type === 'LOAD' && res.action.model === A) {
          ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: 20_000_000, latest: MAX, requests: held.splice(0, 1) });
        } else if (res.action.type === 'INFER' && held.length) {
          ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: 30_000_000, latest: MAX, requests: held.splice(0) });
        }
      },
    });
    const sim = makeSim(s, { workload: new ScriptedWorkload([[0, A], [0, A]]) });
    sim.run();
    const got = s.results.map((r) => [r.action.type, r.action.model, r.error ?? 'ok', r.start, r.end]);
    expect(got).toEqual([
      ['LOAD', A, 'ok', 1_000_000, 6_000_000],
      ['LOAD', B, 'ok', 6_000_000, 11_000_000],
      ['EVICT', B, 'ok', 11_000_000, 11_000_000],
      ['INFER', A, 'ok', 20_000_000, 21_000_000],
      ['INFER', A, 'ok', 30_000_000, 31_000_000],
    ]);
    expect(s.results.slice(0, 3).map((r) => r.receivedAt)).toEqual([6_100_000, 11_100_000, 11_100_000]);
  });

  it('too late: at the input copy when the window has passed on arrival, and at exec after waiting', () => {
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        const now = ctx.now();
        if (r.id === 0) ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: now + 50_000, requests: [r] });
        else if (r.id === 1) ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: [r] });
        else ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: now + 1_100_000, requests: [r] });
      },
      // A failed INFER's requests are answered 'failed' by the engine.
    });
    const w = new ScriptedWorkload([
      [6_000_000, A],
      [20_000_000, A],
      [20_000_000, A],
    ]);
    // Each send at the full bandwidth (nic "perSend"): with a shared NIC both would take 20 us.
    const sim = makeSim(s, { workload: w, setup: { network: PER_SEND } });
    sim.run();
    const infers = s.results.filter((r) => r.action.type === 'INFER').map((r) => [r.error ?? 'ok', r.start, r.end, r.receivedAt]);
    expect(infers).toEqual([
      // sent 6.06 ms with latest 6.11 ms; reaches the worker at 6.17 ms: too late before the input copy.
      ['too-late', 6_170_000, 6_170_000, 6_270_000],
      // Second pair sent at 20.06 ms, both reach the worker at 20.17 ms; the first copies until 20.181 ms and
      // runs 1 ms. The second's input copy ends 20.192 ms but exec is busy until 21.181 ms > latest 21.16 ms:
      // it fails at once (result back at 21.281 ms), before the first's output copy (2 us) and result (101 us).
      ['too-late', 21_181_000, 21_181_000, 21_281_000],
      ['ok', 20_181_000, 21_181_000, 21_284_000],
    ]);
    expect(w.responses.map((r) => [r.id, r.outcome, r.at])).toEqual([
      [0, 'failed', 6_320_000],
      [2, 'failed', 21_331_000],
      [1, 'ok', 21_335_000],
    ]);
  });

  it('INFER fails when the model is not loaded or the batch exceeds the largest size', () => {
    const s = new ScriptedScheduler({
      request: (r, ctx) => {
        if (r.model === B) ctx.send({ type: 'INFER', gpu: 0, model: B, earliest: ctx.now(), latest: MAX, requests: [r] });
      },
      // A failed INFER's requests are answered 'failed' by the engine.
    });
    const held: Request[] = [];
    const s2 = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        held.push(r);
        if (held.length === 5) ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: held.splice(0) });
      },
      // A failed INFER's requests are answered 'failed' by the engine.
    });
    makeSim(s, { workload: new ScriptedWorkload([[0, B]]) }).run();
    expect(s.results.map((r) => r.error)).toEqual(['not-loaded']);
    makeSim(s2, { workload: new ScriptedWorkload(Array.from({ length: 5 }, () => [10_000_000, A] as [number, number])) }).run();
    expect(s2.results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'bad-batch']);
  });

  it('k = 2 overlapping executions share the GPU with aggregate speed-up 1.25', () => {
    const s = new ScriptedScheduler({
      start: (ctx) => {
        ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
        ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 0, latest: MAX });
      },
      request: (r, ctx) => ctx.send({ type: 'INFER', gpu: 0, model: r.model, earliest: ctx.now(), latest: MAX, requests: [r] }),
    });
    const w = new ScriptedWorkload([
      [11_000_000, A],
      [11_500_000, B],
    ]);
    makeSim(s, { workload: w, setup: { execConcurrency: 2 } }).run();
    const ex = s.results.filter((r) => r.action.type === 'INFER').map((r) => [r.action.model, r.start, r.end]);
    // A runs alone from 11.181 ms for 0.5 ms (0.5 ms of work left); B joins at 11.681 ms; both then progress
    // at 1.25 / 2 = 0.625: A's 0.5 ms takes 0.8 ms -> 12.481 ms; B then has 0.5 ms left alone -> 12.981 ms.
    expect(ex).toEqual([
      [A, 11_181_000, 12_481_000],
      [B, 11_681_000, 12_981_000],
    ]);
  });

  it('the experiment\'s cluster.interference overrides the profile\'s speed-up (same 2-way overlap)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servesim-intf-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tinyProfileJson())); // speedup [1, 1.25], "source" missing: assumed
    const run = (interference: unknown) => {
      const r = resolveExperiment(
        {
          name: 'x',
          duration: '1s',
          cluster: { profile: file, ...(interference ? { interference } : {}) },
          models: [{ profile: 'A' }, { profile: 'B' }],
          workload: { type: 'poisson', rate: 1 },
          scheduler: { type: 'fifo' },
        },
        join(dir, 'exp.json'),
      );
      const s = new ScriptedScheduler({
        start: (ctx) => {
          ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
          ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: 0, latest: MAX });
        },
        request: (q, ctx) => ctx.send({ type: 'INFER', gpu: 0, model: q.model, earliest: ctx.now(), latest: MAX, requests: [q] }),
      });
      const w = new ScriptedWorkload([
        [11_000_000, A],
        [11_500_000, B],
      ]);
      makeSim(s, { workload: w, profile: r.profile, models: ['A', 'B'], setup: { execConcurrency: 2 } }).run();
      return { source: r.profile.device.interferenceSource, ex: s.results.filter((x) => x.action.type === 'INFER').map((x) => [x.action.model, x.start, x.end]) };
    };
    // The profile's 1.25: as in the test above.
    expect(run(undefined)).toEqual({ source: 'assumed', ex: [[A, 11_181_000, 12_481_000], [B, 11_681_000, 12_981_000]] });
    // Speed-up 1: both at 1 / 2 from 11.681 ms: A's last 0.5 ms takes 1 ms -> 12.681 ms; B did 0.5 ms of
    // its 1 ms, the rest alone -> 13.181 ms.
    expect(run({ speedup: [1] })).toEqual({ source: 'config', ex: [[A, 11_181_000, 12_681_000], [B, 11_681_000, 13_181_000]] });
    // Speed-up 1.6: both at 0.8: A's 0.5 ms takes 0.625 ms -> 12.306 ms; B did 0.5 ms, the rest alone -> 12.806 ms.
    expect(run({ speedup: [1, 1.6] }).ex).toEqual([[A, 11_181_000, 12_306_000], [B, 11_681_000, 12_806_000]]);
    // Only extraCv given: the profile's speed-up stays.
    expect(resolveExperiment({ name: 'x', duration: '1s', cluster: { profile: file, interference: { extraCv: 0.3 } }, models: [{ profile: 'A' }], workload: { type: 'poisson', rate: 1 }, scheduler: { type: 'fifo' } }, join(dir, 'e.json')).profile.device.interference).toEqual({ speedup: [1, 1.25], extraCv: 0.3 });
    expect(() => run({})).toThrow(/cluster\.interference: expected "speedup" and\/or "extraCv"/);
    expect(() => run({ speedup: [1, 0] })).toThrow(/cluster\.interference\.speedup\[1\]/);
  });

  it('controller send slots: a send that would start after sendBy fails as network-too-late', () => {
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        const now = ctx.now();
        ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: [r], sendBy: now + 5_000 });
      },
      // A failed INFER's requests are answered 'failed' by the engine.
    });
    const w = new ScriptedWorkload([
      [10_000_000, A],
      [10_000_000, A],
    ]);
    makeSim(s, { workload: w, setup: { sendConcurrency: 1 } }).run();
    const infers = s.results.filter((r) => r.action.type === 'INFER').map((r) => [r.error ?? 'ok', r.receivedAt]);
    // Both arrive at 10.06 ms; the first holds the only slot for 10 us (10,000 B), the second's deadline is
    // 5 us: it is dropped when the slot would have taken it (10.07 ms) and reported then.
    expect(infers).toEqual([
      ['network-too-late', 10_070_000],
      ['ok', 10_060_000 + 10_000 + 100_000 + 11_000 + 1_000_000 + 2_000 + 100_000 + 1_000],
    ]);
  });

  it('controller send slots (nic perSend): with 2 slots each send takes the slot that is free first', () => {
    // Six requests of A reach the controller at 60 us; it sends INFERs of 4, 1 and 1 requests at once.
    // Wire times at 1e9 B/s: 40 us, 10 us, 10 us. Slot 0 takes the first [60, 100] us, slot 1 the
    // second [60, 70] us; the third waits for the slot free first: slot 1 at 70 us (not slot 0 at 100).
    const sent: Array<[number, number]> = [];
    const held: Request[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        held.push(r);
        if (held.length < 6) return;
        const now = ctx.now();
        for (const n of [4, 1, 1]) ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: held.splice(0, n) });
      },
    });
    const w = new ScriptedWorkload(Array.from({ length: 6 }, (): [number, number] => [0, A]));
    const sim = makeSim(s, { workload: w, setup: { sendConcurrency: 2, duration: 100e6, network: PER_SEND } });
    sim.addObserver({ onActionSent: (a, at) => a.type === 'INFER' && sent.push([a.requests.length, at]) });
    sim.run();
    expect(sent).toEqual([
      [4, 60_000],
      [1, 60_000],
      [1, 70_000],
    ]);
  });

  it('controller decision cost (spend) delays sends and later events', () => {
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        ctx.spend(1_000_000);
        ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: [r] });
      },
    });
    const w = new ScriptedWorkload([
      [6_000_000, A],
      [6_500_000, A],
    ]);
    makeSim(s, { workload: w }).run();
    // The second request reaches the controller at 6.56 ms but waits until the first decision ends at 7.06 ms.
    expect(s.requests.map((x) => x.at)).toEqual([6_060_000, 7_060_000]);
    // First INFER leaves at 7.06 ms: worker at 7.17 ms, exec from 7.181 ms. Second leaves at 8.06 ms: exec 8.181 ms.
    expect(s.results.filter((r) => r.action.type === 'INFER').map((r) => r.start)).toEqual([7_181_000, 8_181_000]);
  });
});
