/**
 * The `timestamps` workload's replay window (docs/traces.md, "`timestamps`"): `start`, `length`,
 * `loop` and `loopGap` are trace time, before `timeCompression`. Expectations are worked out by
 * hand from a six-request trace at 0, 1, 2.5, 4, 7 and 10 s (rows out of time order in the file).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MS, SEC } from '../src/sim/time.js';
import type { Workload } from '../src/sim/workload.js';
import { timestampsType } from '../src/traces/timestamps.js';
import { UserError } from '../src/util/errors.js';
import { fakeEnv, runWorkload, tempDir } from './helpers/fake-ctx.js';

const dir = tempDir('servesim-ts-replay-');
const file = join(dir, 'six.csv');
// Sorted: 0 a, 1 b, 2.5 a, 4 c, 7 b, 10 a. File order: b(1), c(4), a(0), a(10), b(7), a(2.5).
writeFileSync(file, 't,model\n1,b\n4,c\n0,a\n10,a\n7,b\n2.5,a\n');

function create(opts: Record<string, unknown>): Workload {
  return timestampsType.create(timestampsType.options.parse({ file, ...opts }), fakeEnv());
}

/** Sent [time in ms, model] pairs over `end` seconds of simulated time, to `targets` models. */
async function sent(opts: Record<string, unknown>, endS: number, targets = 3, seed = 1) {
  const w = create(opts);
  const r = await runWorkload(w, { models: targets, end: endS * SEC, seed });
  return { pairs: r.sent.map((s) => [s.time / MS, s.model]), times: r.sent.map((s) => s.time / MS), w, maxPending: r.maxPending };
}

async function prepareError(opts: Record<string, unknown>): Promise<string> {
  const e = await create(opts).prepare!().then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UserError);
  return (e as Error).message.split(file).join('<file>');
}

describe('timestamps: start and length', () => {
  it('without them, the whole trace from 0', async () => {
    const { times, w } = await sent({}, 60);
    expect(times).toEqual([0, 1000, 2500, 4000, 7000, 10000]);
    expect(w.traceEnd!()).toEqual({ at: 10 * SEC, what: `${file} (its last timestamp)` });
    expect(w.describe!()).not.toHaveProperty('start');
    expect(w.describe!()).not.toHaveProperty('requestsInWindow');
  });
  it('start skips trace time: the first request at or after it is sent at start\'s distance from it', async () => {
    const { pairs, w } = await sent({ start: '2s' }, 60);
    // 2.5, 4, 7, 10 s of trace -> 0.5, 2, 5, 8 s; round-robin restarts at the first replayed request.
    expect(pairs).toEqual([
      [500, 0],
      [2000, 1],
      [5000, 2],
      [8000, 0],
    ]);
    expect(w.traceEnd!()).toEqual({ at: 8 * SEC, what: `${file} (its last timestamp)` });
    expect(w.describe!()).toMatchObject({ start: '2s', requestsInWindow: 4, requests: 6 });
  });
  it('a start exactly on a timestamp sends it at 0; plain numbers are seconds', async () => {
    const { times } = await sent({ start: 4 }, 60);
    expect(times).toEqual([0, 3000, 6000]);
  });
  it('length keeps [start, start + length): the end is excluded', async () => {
    const { times, w } = await sent({ start: '1s', length: '6s' }, 60);
    expect(times).toEqual([0, 1500, 3000]);
    expect(w.traceEnd!()).toEqual({ at: 6 * SEC, what: `the 6s window ("length") of ${file}` });
    expect(w.describe!()).toMatchObject({ start: '1s', length: '6s', requestsInWindow: 3 });
  });
  it('a length past the last timestamp ends there', async () => {
    const { times, w } = await sent({ start: '3s', length: '1h' }, 60);
    expect(times).toEqual([1000, 4000, 7000]);
    expect(w.traceEnd!()).toEqual({ at: 7 * SEC, what: `${file} (its last timestamp)` });
  });
  it('start and length are trace time: timeCompression applies after them', async () => {
    // Trace [2s, 9s): 2.5, 4, 7 -> (t - 2) / 2 = 0.25, 1, 2.5 s; the window ends at 7 / 2 = 3.5 s.
    const { times, w } = await sent({ start: '2s', length: '7s', timeCompression: 2 }, 60);
    expect(times).toEqual([250, 1000, 2500]);
    expect(w.traceEnd!().at).toBe(3.5 * SEC);
    // Compression 0.5 stretches: 2.5, 4, 7, 10 -> 1, 4, 10, 16 s.
    const slow = await sent({ start: '2s', timeCompression: 0.5 }, 60);
    expect(slow.times).toEqual([1000, 4000, 10000, 16000]);
    expect(slow.w.traceEnd!().at).toBe(16 * SEC);
  });
  it('with a model column, labels go to targets in order of first appearance among the replayed rows', async () => {
    // Replayed rows in file order: c(4), a(10), b(7) -> c 0, a 1, b 2; in time order a c b a.
    const { pairs } = await sent({ start: '2s', assign: 'column', modelColumn: 'model' }, 60);
    expect(pairs.map((p) => p[1])).toEqual([1, 0, 2, 1]);
    // The whole file: b(1), c(4), a(0) -> b 0, c 1, a 2; in time order a b a c b a.
    const all = await sent({ assign: 'column', modelColumn: 'model' }, 60);
    expect(all.pairs.map((p) => p[1])).toEqual([2, 0, 2, 1, 0, 2]);
  });
});

describe('timestamps: loop', () => {
  it('without length: passes back to back, the mean inter-arrival time (2 s) between the last and the first request', async () => {
    // Period 10 + 2 = 12 s; 4 targets, so a round-robin over a global count would differ on pass 2.
    const { pairs, w, maxPending } = await sent({ loop: true }, 30, 4);
    expect(pairs).toEqual([
      [0, 0], [1000, 1], [2500, 2], [4000, 3], [7000, 0], [10000, 1],
      [12000, 0], [13000, 1], [14500, 2], [16000, 3], [19000, 0], [22000, 1],
      [24000, 0], [25000, 1], [26500, 2], [28000, 3],
    ]);
    expect(maxPending).toBe(1);
    expect(w.traceEnd!()).toBeNull();
    expect(w.describe!()).toMatchObject({ loop: true, loopPeriod: '12s', loopGap: '2s', requestsInWindow: 6 });
  });
  it('with start, loopGap and timeCompression: the gap follows the last timestamp, the lead before the first request is only once', async () => {
    // Window 4, 7, 10 (1 s after start 3 s); period 10 - 4 + 1 = 7 s of trace; all halved.
    const { times, w } = await sent({ start: '3s', loop: true, loopGap: '1s', timeCompression: 2 }, 11);
    expect(times).toEqual([500, 2000, 3500, 4000, 5500, 7000, 7500, 9000, 10500]);
    expect(w.describe!()).toMatchObject({ loopPeriod: '7s', loopGap: '1s' });
  });
  it('with length: passes start every length, the window\'s quiet edges included', async () => {
    // Window [1, 6): 1, 2.5, 4 -> offsets 0, 1.5, 3; period 5 s.
    const { times, w } = await sent({ start: '1s', length: '5s', loop: true }, 12);
    expect(times).toEqual([0, 1500, 3000, 5000, 6500, 8000, 10000, 11500]);
    expect(w.traceEnd!()).toBeNull();
    expect(w.describe!()).toMatchObject({ loopPeriod: '5s' });
    expect(w.describe!()).not.toHaveProperty('loopGap');
  });
  it('random assignment: every pass sends the same models; the same seed the same run', async () => {
    const a = await sent({ loop: true, assign: 'random' }, 24, 5, 7);
    const models = a.pairs.map((p) => p[1]);
    expect(models).toHaveLength(12);
    expect(models.slice(6)).toEqual(models.slice(0, 6));
    expect(new Set(models).size).toBeGreaterThan(1);
    const b = await sent({ loop: true, assign: 'random' }, 24, 5, 7);
    expect(b.pairs).toEqual(a.pairs);
  });
});

describe('timestamps: replay errors name the field and the value', () => {
  it('a start after the last timestamp', async () => {
    expect(await prepareError({ start: '2h' })).toBe(
      'workload timestamps: "start" 2h is after the last timestamp of <file> (its timestamps span 10s after the earliest): nothing to replay',
    );
    // On the last timestamp: one request.
    expect((await sent({ start: '10s' }, 60)).times).toEqual([0]);
  });
  it('a window without timestamps', async () => {
    expect(await prepareError({ start: '7.5s', length: '2s' })).toBe(
      'workload timestamps: no timestamps from "start" 7.5s for "length" 2s in <file> (its timestamps span 10s after the earliest): nothing to replay',
    );
  });
  it('loop with a length past the last timestamp', async () => {
    expect(await prepareError({ start: '6s', length: '5s', loop: true })).toBe(
      'workload timestamps: with "loop", "start" + "length" (6s + 5s) goes past the last timestamp of <file> (its timestamps span 10s after the earliest); ' +
        'shorten "length", or leave it out to loop to the last timestamp with "loopGap"',
    );
    // Up to the last timestamp is fine (10 itself is outside [6, 10)).
    expect((await sent({ start: '6s', length: '4s', loop: true }, 9)).times).toEqual([1000, 5000]);
  });
  it('loop over one request needs loopGap', async () => {
    expect(await prepareError({ start: '9s', loop: true })).toBe(
      'workload timestamps: "loop" needs "loopGap" here: the replayed part of <file> (1 request(s) from "start" 9s) has no mean inter-arrival time to use as the gap between passes',
    );
    expect((await sent({ start: '9s', loop: true, loopGap: '3s' }, 8)).times).toEqual([1000, 4000, 7000]);
  });
  it('option combinations and values', () => {
    const issues = (o: Record<string, unknown>) => {
      const r = timestampsType.options.safeParse({ file, ...o });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ loopGap: '1s' })).toEqual(['loopGap: loopGap needs "loop": true']);
    expect(issues({ loop: false, loopGap: '1s' })).toEqual(['loopGap: loopGap needs "loop": true']);
    expect(issues({ loop: true, length: '5s', loopGap: '1s' })).toEqual([
      'loopGap: loopGap and length exclude each other: with length each pass is the whole window (its quiet edges included), so passes start every length',
    ]);
    expect(issues({ start: '-1s' })[0]).toMatch(/^start: /);
    expect(issues({ length: 0 })[0]).toMatch(/^length: expected a positive duration/);
    expect(issues({ loop: true, loopGap: '0s' })[0]).toMatch(/^loopGap: expected a positive duration/);
    expect(issues({ loop: 'yes' })[0]).toMatch(/^loop: /);
    expect(issues({ start: '2h', length: '10m', loop: true })).toEqual([]);
  });
});
