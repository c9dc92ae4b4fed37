import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MS, SEC } from '../src/sim/time.js';
import { azure2021Type } from '../src/traces/azure2021.js';
import { parseDateTime, timestampsType } from '../src/traces/timestamps.js';
import { UserError } from '../src/util/errors.js';
import { fakeEnv, runWorkload, tempDir } from './helpers/fake-ctx.js';

const dir = tempDir();
const f2021 = join(dir, 'inv2021.csv');
// app,func,end,duration: function f1 x3, f2 x2, f3 x1; arrivals out of file order.
writeFileSync(
  f2021,
  'app,func,end_timestamp,duration\n' +
    ['a,f1,5.5,0.5', 'a,f2,3.0,2.5', 'b,f1,2.0,0.0', 'a,f1,9.0,1.0', 'c,f3,4.0,0.25', 'a,f2,7.0,7.0', 'a,f1,1.0,0.5'].join('\n') +
    '\n',
);

async function sentOf(type: typeof azure2021Type | typeof timestampsType, opts: Record<string, unknown>, models = 3, seed = 1) {
  const w = (type.create as (o: unknown, e: unknown) => import('../src/sim/workload.js').Workload)(type.options.parse(opts), fakeEnv());
  const r = await runWorkload(w, { models, end: 3600 * SEC, seed });
  return { sent: r.sent, w, maxPending: r.maxPending };
}

describe('azure-2021', () => {
  it('arrival = end - duration, in time order, functions mapped by volume', async () => {
    const { sent, maxPending } = await sentOf(azure2021Type, { file: f2021 });
    // ranks: a:f1 (3), a:f2 (2), b:f1, c:f3 (1 each, ties by id); contiguous 4 -> 3: 0, 0, 1, 2.
    expect(sent.map((s) => [s.time / MS, s.model])).toEqual([
      [0, 0],
      [500, 0],
      [500, 0],
      [2000, 1],
      [3750, 2],
      [5000, 0],
      [8000, 0],
    ]);
    expect(maxPending).toBe(1);
  });
  it('window and time compression', async () => {
    const { sent, w } = await sentOf(azure2021Type, { file: f2021, start: 1, length: 4, timeCompression: 2, mapping: 'stripe' });
    expect(sent.map((s) => s.time / MS)).toEqual([500, 1375]);
    expect(w.describe!()).toMatchObject({ start: '1s', length: '4s', mapping: 'stripe', invocationsInWindow: 2 });
  });
  it('malformed files name the line', async () => {
    const bad = async (content: string) => {
      const f = join(tempDir(), 'x.csv');
      writeFileSync(f, content);
      const w = azure2021Type.create(azure2021Type.options.parse({ file: f }), fakeEnv());
      const e = await w.prepare!().then(() => null, (x) => x);
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message.replace(f, '<file>');
    };
    expect(await bad('app,func,end,duration\n')).toBe('<file>: line 1: expected the header app,func,end_timestamp,duration, found app,func,end,duration');
    expect(await bad('app,func,end_timestamp,duration\na,b,1,x\n')).toBe(
      '<file>: line 2, column duration: expected a non-negative number of seconds, found "x"',
    );
    expect(await bad('app,func,end_timestamp,duration\na,b,1,0\na,b,2')).toBe(
      '<file>: line 3: the last line is cut short: expected 4 fields (app,func,end_timestamp,duration), found 3 (is the file truncated?)',
    );
  });
});

describe('timestamps', () => {
  it('parses absolute date-times exactly, without the clock', () => {
    expect(parseDateTime('2023-11-16 18:17:03.9799600')).toEqual([Date.UTC(2023, 10, 16, 18, 17, 3) / 1000, 979960000]);
    expect(parseDateTime('2023-11-16T18:17:03Z')).toEqual([Date.UTC(2023, 10, 16, 18, 17, 3) / 1000, 0]);
    expect(parseDateTime('2023-11-16T20:17:03+02:00')).toEqual([Date.UTC(2023, 10, 16, 18, 17, 3) / 1000, 0]);
    expect(parseDateTime('12.5')).toBeNull();
    expect(parseDateTime('2023-13-01 00:00:00')).toBeNull();
  });
  const abs = join(dir, 'llm.csv');
  writeFileSync(
    abs,
    'TIMESTAMP,ContextTokens,Model\n2023-11-16 18:17:03.9799600,10,b\n2023-11-16 18:17:04.0319600,5,a\n2023-11-16 18:17:03.5,7,m#2\n2023-11-16 18:18:00,1,b\n',
  );
  it('absolute date-times, relative to the earliest, round-robin', async () => {
    const { sent, w } = await sentOf(timestampsType, { file: abs, column: 'TIMESTAMP' });
    expect(sent.map((s) => s.time)).toEqual([0, 479960000, 531960000, 56500000000]);
    expect(sent.map((s) => s.model)).toEqual([0, 1, 2, 0]);
    expect(w.describe!()).toMatchObject({ format: 'datetime', column: 'TIMESTAMP', requests: 4, assign: 'round-robin' });
  });
  it('a model column: instance names go to that instance, other labels in order of appearance', async () => {
    const { sent } = await sentOf(timestampsType, { file: abs, assign: 'column', modelColumn: 'Model' });
    expect(sent.map((s) => s.model)).toEqual([2, 0, 1, 0]);
  });
  it('relative numbers by column index, units, compression, random assignment', async () => {
    const f = join(dir, 'rel.csv');
    writeFileSync(f, '3,x\n1,y\n2.5,z\n');
    const { sent } = await sentOf(timestampsType, { file: f, header: false, column: 0, unit: 'ms', timeCompression: 2, assign: 'random' }, 4, 5);
    expect(sent.map((s) => s.time)).toEqual([0, 750000, 1000000]);
    const again = await sentOf(timestampsType, { file: f, header: false, column: 0, unit: 'ms', timeCompression: 2, assign: 'random' }, 4, 5);
    expect(again.sent).toEqual(sent);
  });
  it('errors name the file, line and column', async () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'TIMESTAMP\n2023-11-16 18:17:03\n2023-11-16 25:00:00\n');
    const w = timestampsType.create(timestampsType.options.parse({ file: f }), fakeEnv());
    await expect(w.prepare!()).rejects.toThrow(`${f}: line 3, column 1: impossible date-time "2023-11-16 25:00:00": hour 25 does not exist (00 to 23)`);
    const w2 = timestampsType.create(timestampsType.options.parse({ file: f, column: 'T' }), fakeEnv());
    await expect(w2.prepare!()).rejects.toThrow(`${f}: line 1: no column named "T" (timestamp column); the header has "TIMESTAMP"`);
  });
});
