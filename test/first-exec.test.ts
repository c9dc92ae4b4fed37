/**
 * First runs (src/sim/gpu.ts, profile `firstExec`): the first execution of a model at a batch size
 * after each LOAD on a GPU draws from `firstExec`, later ones from `exec`. Hand-computed on
 * helpers.ts's one-GPU fixture (exec b1 1 ms, b2 1.5 ms, LOAD 5 ms) with model A's first batch-1
 * run taking 7 ms and its first batch-2 run 9 ms, on both executors.
 */
import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../src/models/profile.js';
import { constant, makeSim, ScriptedScheduler, ScriptedWorkload, tinyProfileJson } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;
const A = 0;
const MS = 1_000_000;

function profile(firstExec: Record<string, unknown> | undefined) {
  const json = tinyProfileJson() as any;
  if (firstExec) json.models.A.firstExec = firstExec;
  return resolveProfile(json, 'first-exec.json');
}

/**
 * LOAD A at 0; requests at 10, 20, 30, 45 and 60 ms, each sent as one INFER as it arrives (the third
 * and fourth padded to 2). The fifth first sends EVICT A and LOAD A, and its INFER may begin 10 ms
 * later.
 */
function run(firstExec: Record<string, unknown> | undefined, executor: 'lanes' | 'serial') {
  let n = 0;
  const s = new ScriptedScheduler({
    start: (ctx) => ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX }),
    request: (r, ctx) => {
      n++;
      if (n === 5) {
        ctx.send({ type: 'EVICT', gpu: 0, model: A, earliest: 0, latest: MAX });
        ctx.send({ type: 'LOAD', gpu: 0, model: A, earliest: 0, latest: MAX });
      }
      const earliest = n === 5 ? ctx.now() + 10 * MS : ctx.now();
      ctx.send({ type: 'INFER', gpu: 0, model: A, earliest, latest: MAX, requests: [r], ...(n === 3 || n === 4 ? { padTo: 2 } : {}) });
    },
  });
  const w = new ScriptedWorkload([10, 20, 30, 45, 60].map((t) => [t * MS, A] as [number, number]));
  const sim = makeSim(s, { workload: w, profile: profile(firstExec), setup: { executor } });
  sim.run();
  const infers = s.results.filter((r) => r.action.type === 'INFER');
  expect(infers.every((r) => r.ok)).toBe(true);
  return { durations: infers.map((r) => (r.end - r.start) / MS), padded: infers.map((r) => r.paddedBatch), loads: s.results.filter((r) => r.action.type === 'LOAD').length };
}

describe('first runs after a LOAD (profile firstExec)', () => {
  for (const executor of ['lanes', 'serial'] as const) {
    it(`${executor}: the first run at each batch size after each LOAD takes firstExec, the others exec`, () => {
      const r = run({ '1': constant(7), '2': constant(9) }, executor);
      expect(r.loads).toBe(2);
      expect(r.padded).toEqual([1, 1, 2, 2, 1]);
      // After LOAD 1: first b1 7 ms, second b1 1 ms, first b2 9 ms, second b2 1.5 ms; after the
      // second LOAD: first b1 again, 7 ms.
      expect(r.durations).toEqual([7, 1, 9, 1.5, 7]);
    });

    it(`${executor}: a batch size without a first-run figure runs as exec every time`, () => {
      expect(run({ '1': constant(7) }, executor).durations).toEqual([7, 1, 1.5, 1.5, 7]);
    });
  }

  it('without firstExec every run takes exec', () => {
    expect(run(undefined, 'serial').durations).toEqual([1, 1, 1.5, 1.5, 1]);
  });

  it('a firstExec batch size the model does not list is an error naming the field', () => {
    expect(() => profile({ '8': constant(7) })).toThrow(/models\.A\.firstExec\.8.*batch size 8 is not listed in batchSizes/);
  });
});
