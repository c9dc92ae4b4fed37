/**
 * The controller's shared NIC on its own (src/sim/network.ts, `SharedNic`): sends in flight share
 * the link equally (processor sharing), at most `slots` at once, FIFO behind them, and a send whose
 * sendBy has passed when it reaches the head of the queue is dropped there. Wire times are at full
 * bandwidth; latency 0, so a send is delivered when its transmission ends. Every time below is
 * worked out by hand from the rule "with k sends in flight each progresses at 1/k".
 */
import { describe, expect, it } from 'vitest';
import { EventLoop } from '../src/sim/event-loop.js';
import { SharedNic } from '../src/sim/network.js';
import type { Action } from '../src/sim/types.js';

const US = 1000;

function nic(slots: number) {
  const loop = new EventLoop();
  const log: string[] = [];
  const name = (a: unknown) => (a as { name: string }).name;
  const n = new SharedNic(loop, slots, 0, {
    started: (a, at) => log.push(`start ${name(a)} ${at / US}`),
    deliver: (a) => log.push(`deliver ${name(a)} ${loop.now() / US}`),
    drop: (a) => log.push(`drop ${name(a)} ${loop.now() / US}`),
  });
  const send = (nameOf: string, wireUs: number, sendByUs?: number) =>
    n.submit({ name: nameOf, sendBy: sendByUs === undefined ? undefined : sendByUs * US } as unknown as Action, wireUs * US, loop.now());
  /** Submit at a later time (an event of the test). */
  const at = (tUs: number, f: () => void) => loop.schedule(tUs * US, 30, f);
  return { loop, log, send, at };
}

describe('SharedNic', () => {
  it('a send joining two in flight: each runs at 1/2 then 1/3 of the link', () => {
    // A and B (10 us each) from 0: by 4 us each has done 2 us of work. C (10 us) joins at 4: three
    // share the link, A and B need 8 us more of work each: 24 us -> they end at 28. C has done 8
    // us by then and ends alone 2 us later, at 30. (Virtual time advanced by (now - last) x k
    // instead of / k would end A and B at 10 and C at 18.)
    const t = nic(0);
    t.send('A', 10);
    t.send('B', 10);
    t.at(4, () => t.send('C', 10));
    t.loop.run();
    expect(t.log).toEqual(['start A 0', 'start B 0', 'start C 4', 'deliver A 28', 'deliver B 28', 'deliver C 30']);
  });

  it('the send with the least work left ends first, whatever the order they started in', () => {
    // A (4 us) and B (10 us) from 0, slots 2: A ends when both have done 4 us, at 8; B's last 6 us
    // run alone, to 14. (Taking the last send's tag as the smallest would end both at 8.)
    const t = nic(2);
    t.send('A', 4);
    t.send('B', 10);
    t.loop.run();
    expect(t.log).toEqual(['start A 0', 'start B 0', 'deliver A 8', 'deliver B 14']);
  });

  it('a send reaching the head exactly at its sendBy is sent; one past it is dropped there', () => {
    // One slot. A (5 us) from 0; C (sendBy 4.999 us) and B (1 us, sendBy 5 us) wait behind it.
    // At 5 A ends: C is past its sendBy and is dropped without taking the slot; B is at its
    // sendBy exactly, so it is sent [5, 6]. (B starts inside A's end; the delivery and the drop are
    // events of that instant, in the order they were scheduled.)
    const t = nic(1);
    t.send('A', 5);
    t.send('C', 1, 4.999);
    t.send('B', 1, 5);
    t.loop.run();
    expect(t.log).toEqual(['start A 0', 'start B 5', 'deliver A 5', 'drop C 5', 'deliver B 6']);
  });

  it('when a second send starts, the end planned for the first alone is cancelled', () => {
    // The NIC's end event for A alone is the loop's first event (handle 0). B joins at once: both
    // (10 us each) end at 20, not A at 10.
    const t = nic(0);
    t.send('A', 10);
    t.send('B', 10);
    t.loop.run();
    expect(t.log).toEqual(['start A 0', 'start B 0', 'deliver A 20', 'deliver B 20']);
  });

  it('never cancels an event it did not schedule', () => {
    // The loop's slot 0 is used once and reused by X at 100 us, whose handle is then 1 (slot 0,
    // generation 1): a NIC that took 1 for its own "no event" marker would cancel X.
    const t = nic(0);
    t.at(0, () => {});
    t.loop.run();
    let ran = false;
    expect(t.loop.schedule(100 * US, 30, () => (ran = true))).toBe(1);
    t.at(1, () => {
      t.send('A', 2);
      t.at(10, () => t.send('B', 2));
    });
    t.loop.run();
    expect(t.log).toEqual(['start A 1', 'deliver A 3', 'start B 10', 'deliver B 12']);
    expect(ran).toBe(true);
  });
});
