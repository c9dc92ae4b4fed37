import { describe, expect, it } from 'vitest';
import { OutstandingRequests, type PendingRequest } from '../src/sim/outstanding.js';
import type { Request, Scheduler, SchedulerContext } from '../src/sim/types.js';
import { NEVER } from '../src/schedulers/gpu-memory.js';
import { makeSim, ScriptedWorkload } from './helpers.js';

const req = (id: number): PendingRequest => ({ id, model: 0, group: 0, sentAt: id, arrival: id, slo: 1, deadline: id + 1, slot: -1 });

describe('OutstandingRequests', () => {
  it('answers each request once, reuses slots, and lists the rest in id order', () => {
    const o = new OutstandingRequests();
    const rs = Array.from({ length: 6 }, (_, i) => req(i));
    for (const r of rs.slice(0, 4)) o.add(r);
    expect(o.size).toBe(4);
    expect(o.delete(rs[1])).toBe(true);
    expect(o.delete(rs[1])).toBe(false);
    expect(o.has(rs[1])).toBe(false);
    expect(o.delete(rs[0])).toBe(true);
    // Later requests take the freed slots: they must not be mistaken for the answered ones.
    o.add(rs[4]);
    o.add(rs[5]);
    expect(o.has(rs[0])).toBe(false);
    expect(o.has(rs[1])).toBe(false);
    expect(o.delete(rs[0])).toBe(false);
    expect(o.size).toBe(4);
    expect(o.values().map((r) => r.id)).toEqual([2, 3, 4, 5]);
    // A request the engine did not create (no slot) is not outstanding.
    expect(o.has({ ...req(2), slot: undefined as unknown as number })).toBe(false);
  });
});

describe('the engine refuses requests it does not hold', () => {
  /** Answers each request twice, or a copy of it, at arrival. */
  class Answering implements Scheduler {
    readonly name = 'answering';
    private ctx!: SchedulerContext;
    constructor(private readonly how: 'twice' | 'copy' | 'infer-copy') {}
    start(ctx: SchedulerContext): void {
      this.ctx = ctx;
    }
    onRequest(r: Request): void {
      if (this.how === 'twice') {
        this.ctx.respond(r, 'timeout');
        this.ctx.respond(r, 'timeout');
      } else if (this.how === 'copy') this.ctx.respond({ ...r }, 'timeout');
      else this.ctx.send({ type: 'INFER', gpu: 0, model: r.model, earliest: this.ctx.now(), latest: NEVER, requests: [{ ...r }] });
    }
    onResult(): void {}
  }
  const A = 0;
  const run = (how: 'twice' | 'copy' | 'infer-copy') => () => makeSim(new Answering(how), { workload: new ScriptedWorkload([[1_000_000, A]]) }).run();
  const NOT_HELD = "which is not an unanswered request of this run (answered already, or a copy of the engine's request object)";

  it('a second answer, an answer to a copy and an INFER with a copy name the request and why', () => {
    expect(run('twice')).toThrow(`scheduler answering answered request 0, ${NOT_HELD}`);
    expect(run('copy')).toThrow(`scheduler answering answered request 0, ${NOT_HELD}`);
    expect(run('infer-copy')).toThrow(`scheduler answering sent INFER with request 0, ${NOT_HELD}`);
  });
});
