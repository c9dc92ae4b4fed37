/**
 * Network fidelity options, on hand-computed nanosecond timelines (fixture in helpers.ts):
 * network: client 50 us + bytes/1e9, worker 100 us + bytes/1e9; PCIe 1 us + bytes/1e9;
 * inputs 10,000 B (10 us on either link), outputs 1,000 B; exec b1 1 ms, b2 1.5 ms, b4 2 ms; LOAD 5 ms.
 *
 * - metrics.measureAt: a request completes when its result is back at the controller, or when its
 *   response reaches the client;
 * - cluster.network.inferInputs: the bytes an INFER carries to its worker;
 * - cluster.network.nic: concurrent sends share the controller's NIC, or each get the full link.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/experiment/config.js';
import type { NetworkConfig, SimulationSetup } from '../src/sim/simulation.js';
import type { Action, Request } from '../src/sim/types.js';
import { UserError } from '../src/util/errors.js';
import { makeSim, ScriptedScheduler, ScriptedWorkload } from './helpers.js';
import { baseConfig, type Cfg } from './helpers/config.js';

const MAX = Number.MAX_SAFE_INTEGER;
const A = 0;
const B = 1;
const NET: NetworkConfig = { clientLatency: 50_000, clientBandwidth: 1e9, workerLatency: 100_000, workerBandwidth: 1e9 };

/** LOAD A at 0; hold A's requests until the LOAD result, then send them as one INFER. */
function loadThenInfer(timer?: { at: number; spend: number }): ScriptedScheduler {
  const held: Request[] = [];
  return new ScriptedScheduler({
    start: (ctx) => {
      ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
      if (timer) ctx.setTimer(timer.at, 'busy');
    },
    request: (r) => held.push(r),
    result: (res, ctx) => {
      if (res.action.type === 'LOAD') ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: ctx.now(), latest: MAX, requests: held.splice(0) });
    },
    timer: (_t, ctx) => ctx.spend(timer!.spend),
  });
}

/** One request of A sent at 1 ms (arrival 1.06 ms), served after A's LOAD; what observers and the client saw. */
function oneRequest(setup: Partial<SimulationSetup>, slo: number, timer?: { at: number; spend: number }) {
  const s = loadThenInfer(timer);
  const w = new ScriptedWorkload([[1_000_000, A]]);
  const sim = makeSim(s, { workload: w, slo, setup });
  const observed: Array<[string, number]> = [];
  sim.addObserver({ onResponse: (_r, outcome, at) => observed.push([outcome, at]) });
  sim.run();
  const sum = sim.metrics.summary(['w']) as any;
  return { observed, client: w.responses.map((r) => [r.outcome, r.at]), latencyMax: sum.latencyMs.max, infer: s.results.find((r) => r.action.type === 'INFER')! };
}

describe('metrics.measureAt', () => {
  // LOAD [100 us, 5.1 ms], result 5.2 ms; INFER sent 5.2 ms, +10 us wire +100 us -> worker 5.31 ms; input
  // copy 11 us; exec 5.321 -> 6.321 ms; output copy 2 us -> 6.323 ms; result +100 us +1 us -> 6.424 ms at
  // the controller; response +50 us +1 us -> 6.475 ms at the client. Arrival 1.06 ms.
  // SLO 5.405 ms: deadline 6.465 ms, 41 us after the result is at the controller, 10 us before the client has it.
  const slo = 6_465_000 - 1_060_000;

  it('controller (default): ok, latency = 6.424 - 1.06 = 5.364 ms; the client still gets it at 6.475 ms', () => {
    const r = oneRequest({}, slo);
    expect(r.infer.receivedAt).toBe(6_424_000);
    expect(r.observed).toEqual([['ok', 6_424_000]]);
    expect(r.client).toEqual([['ok', 6_475_000]]);
    expect(r.latencyMax).toBe(5.364);
  });

  it('client: late (10 us after the deadline), latency = 6.475 - 1.06 = 5.415 ms', () => {
    const r = oneRequest({ measureAt: 'client' }, slo);
    expect(r.observed).toEqual([['late', 6_475_000]]);
    expect(r.client).toEqual([['late', 6_475_000]]);
    expect(r.latencyMax).toBe(5.415);
  });

  it("controller CPU busy: the result is stamped at its receipt; the response leaves when the CPU is free", () => {
    // A timer at 6.4 ms spends 1 ms of controller CPU (busy until 7.4 ms); the result arrives at 6.424 ms
    // and waits. Controller: completed 6.424 ms (ok). The response leaves at 7.4 ms: client 7.451 ms (late).
    const busy = { at: 6_400_000, spend: 1_000_000 };
    const c = oneRequest({}, slo, busy);
    expect(c.observed).toEqual([['ok', 6_424_000]]);
    expect(c.client).toEqual([['ok', 7_451_000]]);
    const k = oneRequest({ measureAt: 'client' }, slo, busy);
    expect(k.observed).toEqual([['late', 7_451_000]]);
    expect(k.latencyMax).toBe(7.451 - 1.06);
  });

  it('answers of the scheduler itself are stamped when it gives them', () => {
    // A timeout at 3 ms (request arrived 1.06 ms): controller 3 ms; client 3.05 ms (no bytes).
    const run = (measureAt: 'controller' | 'client') => {
      const s = new ScriptedScheduler({ request: (r, ctx) => ctx.setTimer(3_000_000, r), timer: (r, ctx) => ctx.respond(r as Request, 'timeout') });
      const sim = makeSim(s, { workload: new ScriptedWorkload([[1_000_000, A]]), setup: { measureAt } });
      const seen: Array<[string, number]> = [];
      sim.addObserver({ onResponse: (_r, o, at) => seen.push([o, at]) });
      sim.run();
      return seen;
    };
    expect(run('controller')).toEqual([['timeout', 3_000_000]]);
    expect(run('client')).toEqual([['timeout', 3_050_000]]);
  });
});

describe('cluster.network.inferInputs', () => {
  // The INFER leaves at 5.2 ms; it reaches the worker after wire + 100 us; the input copy (11 us, unchanged:
  // inputs reach the GPU over PCIe either way) precedes exec; exec 1 ms; output 2 us; result +101 us.
  const run = (inferInputs: NetworkConfig['inferInputs']) => oneRequest({ network: { ...NET, inferInputs } }, 100e6).infer;
  it('raw: 10,000 B = 10 us on the wire: worker 5.31 ms, exec 5.321 ms, result 6.424 ms', () => {
    expect([run('raw').start, run('raw').receivedAt]).toEqual([5_321_000, 6_424_000]);
    expect([run(undefined).start, run(undefined).receivedAt]).toEqual([5_321_000, 6_424_000]);
  });
  it('none: 0 B: worker 5.3 ms, exec 5.311 ms, result 6.414 ms', () => {
    expect([run('none').start, run('none').receivedAt]).toEqual([5_311_000, 6_414_000]);
  });
  it('compressed 0.25: 2,500 B = 2.5 us: worker 5.3025 ms, exec 5.3135 ms, result 6.4165 ms', () => {
    expect([run({ compressed: 0.25 }).start, run({ compressed: 0.25 }).receivedAt]).toEqual([5_313_500, 6_416_500]);
  });
});

/**
 * Seven requests of A sent at 10 ms reach the controller at t0 = 10.06 ms (A loaded long before); it sends
 * at t0: S1 (3 requests, 30 us), S2 (1, 10 us), S3 (1, 10 us), S4 (1, 10 us, sendBy t0 + 25 us), S5 (1, 10 us),
 * with sendConcurrency 2. Action ids: LOAD 0, S1..S5 = 1..5.
 */
function fiveSends(network: NetworkConfig, sendConcurrency = 2) {
  const held: Request[] = [];
  const s = new ScriptedScheduler({
    start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
    request: (r, ctx) => {
      held.push(r);
      if (held.length < 7) return;
      const now = ctx.now();
      const infer = (n: number, sendBy?: number): Action => ({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: held.splice(0, n), sendBy });
      for (const a of [infer(3), infer(1), infer(1), infer(1, now + 25_000), infer(1)]) ctx.send(a);
    },
  });
  const w = new ScriptedWorkload(Array.from({ length: 7 }, (): [number, number] => [10_000_000, A]));
  const sim = makeSim(s, { workload: w, setup: { sendConcurrency, network } });
  const t0 = 10_060_000;
  const sent: Array<[number, number]> = [];
  const delivered: Array<[number, number]> = [];
  sim.addObserver({ onActionSent: (a, at) => a.type === 'INFER' && sent.push([a.id, at - t0]) });
  const gpu = sim.gpus[0];
  const submit = gpu.submit.bind(gpu);
  gpu.submit = (a: Action) => {
    if (a.type === 'INFER') delivered.push([a.id, sim.now() - t0]);
    submit(a);
  };
  sim.run();
  const dropped = s.results.filter((r) => r.error === 'network-too-late').map((r) => [r.action.id, r.receivedAt - t0]);
  return { sent, delivered, dropped };
}

describe('cluster.network.nic', () => {
  it('shared: 2 in flight share the link; FIFO queue; a send past its sendBy is dropped at the head', () => {
    // [t0, t0+20] S1 and S2 at half speed each: S2's 10 us done at t0+20 (S1 has done 10 of 30).
    // [t0+20, t0+40] S1 and S3 at half speed: S3's 10 us done at t0+40 (S1: 20 of 30).
    // t0+40: S4 reaches the head after its sendBy (t0+25): dropped then, no slot; S5 starts.
    // [t0+40, t0+60] S1 and S5 at half speed: both have 10 us left, both done at t0+60 (S1 first: it started first).
    // Deliveries: end + 100 us.
    const r = fiveSends(NET);
    expect(r.sent).toEqual([
      [1, 0],
      [2, 0],
      [3, 20_000],
      [5, 40_000],
    ]);
    expect(r.delivered).toEqual([
      [2, 120_000],
      [3, 140_000],
      [1, 160_000],
      [5, 160_000],
    ]);
    expect(r.dropped).toEqual([[4, 40_000]]);
  });

  it('perSend: each send holds a slot for its full-bandwidth wire time (the old behaviour)', () => {
    // Slot 0: S1 [t0, t0+30]; slot 1: S2 [t0, t0+10], S3 [t0+10, t0+20], S4 [t0+20, t0+30] (by its sendBy
    // t0+25); S5 takes slot 0 (both free at t0+30, the first wins) [t0+30, t0+40]. Deliveries: end + 100 us.
    const r = fiveSends({ ...NET, nic: 'perSend' });
    expect(r.sent).toEqual([
      [1, 0],
      [2, 0],
      [3, 10_000],
      [4, 20_000],
      [5, 30_000],
    ]);
    expect(r.delivered).toEqual([
      [2, 110_000],
      [3, 120_000],
      [1, 130_000],
      [4, 130_000],
      [5, 140_000],
    ]);
    expect(r.dropped).toEqual([]);
  });

  it('shared with unlimited sends: all five share the link', () => {
    // 5 in flight from t0 (S4 starts at once, before its sendBy): each at 1/5 speed. The four 10 us sends end
    // together when 10 us of work is done: 50 us. S1 then has 20 us left alone: t0+70.
    const r = fiveSends(NET, 0);
    expect(r.sent.map(([, t]) => t)).toEqual([0, 0, 0, 0, 0]);
    expect(r.delivered).toEqual([
      [2, 150_000],
      [3, 150_000],
      [4, 150_000],
      [5, 150_000],
      [1, 170_000],
    ]);
    expect(r.dropped).toEqual([]);
  });

  it('a send without bytes takes a slot for no time, in both modes', () => {
    // One slot. At t0 = 10.06 ms: INFER X (10 us), LOAD B (0 B), INFER Y (10 us). X [t0, t0+10]; the LOAD
    // reaches the head at t0+10 and ends at once; Y [t0+10, t0+20]. Deliveries +100 us.
    const run = (nic: 'shared' | 'perSend') => {
      const held: Request[] = [];
      const s2 = new ScriptedScheduler({
        start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
        request: (r, ctx) => {
          held.push(r);
          if (held.length < 2) return;
          const now = ctx.now();
          ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: [held[0]] });
          ctx.send({ type: 'LOAD', gpu: 0, model: B, earliest: now, latest: MAX });
          ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: [held[1]] });
        },
      });
      const sim = makeSim(s2, { workload: new ScriptedWorkload([[10_000_000, A], [10_000_000, A]]), setup: { sendConcurrency: 1, network: { ...NET, nic } } });
      const t0 = 10_060_000;
      const sent: Array<[string, number]> = [];
      const delivered: Array<[string, number]> = [];
      sim.addObserver({ onActionSent: (a, at) => at >= t0 && sent.push([a.type, at - t0]) });
      const gpu = sim.gpus[0];
      const submit = gpu.submit.bind(gpu);
      gpu.submit = (a: Action) => {
        if (sim.now() >= t0) delivered.push([a.type, sim.now() - t0]);
        submit(a);
      };
      sim.run();
      return { sent, delivered };
    };
    const expected = {
      sent: [
        ['INFER', 0],
        ['LOAD', 10_000],
        ['INFER', 10_000],
      ],
      delivered: [
        ['INFER', 110_000],
        ['LOAD', 110_000],
        ['INFER', 120_000],
      ],
    };
    expect(run('shared')).toEqual(expected);
    expect(run('perSend')).toEqual(expected);
  });

  it('shared: sends made while the controller CPU is busy join the queue when it is free, in order', () => {
    // The scheduler spends 1 ms deciding at t0 = 10.06 ms, then sends S1 (30 us) and S2 (10 us): both leave at
    // t0 + 1 ms and share the link: S2 ends at +20 us, S1 at +40 us.
    const held: Request[] = [];
    const s = new ScriptedScheduler({
      start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
      request: (r, ctx) => {
        held.push(r);
        if (held.length < 4) return;
        const now = ctx.now();
        ctx.spend(1_000_000);
        ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: held.splice(0, 3) });
        ctx.send({ type: 'INFER', gpu: 0, model: A, earliest: now, latest: MAX, requests: held.splice(0, 1) });
      },
    });
    const sim = makeSim(s, { workload: new ScriptedWorkload(Array.from({ length: 4 }, (): [number, number] => [10_000_000, A])), setup: { sendConcurrency: 2 } });
    const t1 = 11_060_000;
    const delivered: Array<[number, number]> = [];
    const gpu = sim.gpus[0];
    const submit = gpu.submit.bind(gpu);
    gpu.submit = (a: Action) => {
      if (a.type === 'INFER') delivered.push([a.requests.length, sim.now() - t1]);
      submit(a);
    };
    sim.run();
    expect(delivered).toEqual([
      [1, 120_000],
      [3, 140_000],
    ]);
  });
});

describe('config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-netfid-'));
  let n = 0;
  const load = (mutate: (c: Cfg) => void) => {
    const c = baseConfig() as Cfg;
    mutate(c);
    const f = join(dir, `${n++}.json`);
    writeFileSync(f, JSON.stringify(c));
    return { f, run: () => loadExperiment(f).points[0].resolved };
  };
  const errorOf = (mutate: (c: Cfg) => void): string => {
    const { f, run } = load(mutate);
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message.split(f).join('FILE');
    }
    throw new Error('expected the config to be rejected');
  };

  it('defaults: measureAt controller, inferInputs raw, nic shared', () => {
    const r = load(() => {}).run();
    expect(r.config.metrics.measureAt).toBe('controller');
    expect(r.config.cluster.network.inferInputs).toBe('raw');
    expect(r.config.cluster.network.nic).toBe('shared');
    const r2 = load((c) => {
      c.cluster.network = { inferInputs: { compressed: 0.5 }, nic: 'perSend' };
      c.metrics = { measureAt: 'client' };
    }).run();
    expect(r2.config.cluster.network).toMatchObject({ inferInputs: { compressed: 0.5 }, nic: 'perSend' });
    expect(r2.config.metrics.measureAt).toBe('client');
  });

  it('errors name the field', () => {
    for (const ratio of [0, 1.5]) {
      expect(errorOf((c) => (c.cluster.network = { inferInputs: { compressed: ratio } }))).toBe(
        `FILE: cluster.network.inferInputs.compressed: expected a ratio of compressed to raw bytes in (0, 1], found ${ratio}`,
      );
    }
    expect(errorOf((c) => (c.cluster.network = { inferInputs: 'zip' }))).toBe(
      'FILE: cluster.network.inferInputs: expected "raw", "none" or { "compressed": ratio } with ratio in (0, 1], found "zip"',
    );
    expect(errorOf((c) => (c.cluster.network = { nic: 'dedicated' }))).toBe('FILE: cluster.network.nic: expected one of "shared", "perSend", found "dedicated"');
    expect(errorOf((c) => (c.metrics = { measureAt: 'worker' }))).toBe('FILE: metrics.measureAt: expected one of "controller", "client", found "worker"');
  });
});
