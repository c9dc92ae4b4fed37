import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azure2019Type, invocationFileName, readInvocationRows } from '../src/traces/azure2019.js';
import { UserError } from '../src/util/errors.js';
import { fakeEnv, tempDir } from './helpers/fake-ctx.js';

const minutes = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
const HEADER = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minutes(1440)].join(',');
const row = (id: string, fill = '0') => [`o${id}`, `a${id}`, `f${id}`, 'http', ...new Array(1440).fill(fill)].join(',');

async function errorOf(content: string | null): Promise<string> {
  const dir = tempDir();
  const file = join(dir, invocationFileName(1));
  if (content !== null) writeFileSync(file, content);
  // Through the workload, as an experiment would see it.
  const w = azure2019Type.create(azure2019Type.options.parse({ dir, minutes: 10 }), fakeEnv());
  try {
    await w.prepare!();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message.replace(file, '<file>');
  }
  throw new Error('expected an error');
}

describe('malformed azure-2019 invocation files', () => {
  it('missing file', async () => {
    expect(await errorOf(null)).toBe('<file>: 2019 invocations file not found');
  });
  it('empty file', async () => {
    expect(await errorOf('')).toBe('<file>: the file is empty (expected a CSV header line)');
    expect(await errorOf('\n\n')).toBe(
      '<file>: the file is empty (expected the header HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440)',
    );
  });
  it('wrong header', async () => {
    expect(await errorOf('app,func,end_timestamp,duration\nx,y,1,2\n')).toBe(
      '<file>: line 1: expected the header HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440, found app,func,end_timestamp,duration (is this an invocations_per_function_md file?)',
    );
  });
  it('1439 minute columns', async () => {
    const h = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minutes(1439)].join(',');
    expect(await errorOf(`${h}\n`)).toBe('<file>: line 1: expected 1440 minute columns (1..1440) after Trigger, found 1439');
  });
  it('minute columns out of order', async () => {
    const m = minutes(1440);
    [m[9], m[10]] = [m[10], m[9]];
    const h = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...m].join(',');
    expect(await errorOf(`${h}\n`)).toBe('<file>: line 1: column 14 should be minute "10", found "11"');
  });
  it('a non-numeric count', async () => {
    const bad = row('2').split(',');
    bad[4 + 99] = 'abc';
    expect(await errorOf(`${HEADER}\n${row('1')}\n${bad.join(',')}\n${row('3')}\n`)).toBe(
      '<file>: line 3, column 104 (minute 100): expected a non-negative integer count, found "abc"',
    );
  });
  it('a negative or fractional count', async () => {
    const bad = row('1').split(',');
    bad[4] = '-1';
    expect(await errorOf(`${HEADER}\n${bad.join(',')}\n`)).toBe(
      '<file>: line 2, column 5 (minute 1): expected a non-negative integer count, found "-1"',
    );
    bad[4] = '1.5';
    expect(await errorOf(`${HEADER}\n${bad.join(',')}\n`)).toMatch(/line 2, column 5 \(minute 1\).*found "1.5"/);
  });
  it('a truncated last line', async () => {
    const full = `${HEADER}\n${row('1')}\n${row('2')}\n`;
    const cut = full.slice(0, full.length - 1500);
    expect(await errorOf(cut)).toMatch(
      /^<file>: line 3: the last line is cut short: expected 1444 fields \(4 ids and 1440 minute counts\), found \d+ \(is the file truncated\?\)$/,
    );
  });
  it('a short row in the middle', async () => {
    const short = row('2').split(',').slice(0, 1000).join(',');
    expect(await errorOf(`${HEADER}\n${row('1')}\n${short}\n${row('3')}\n`)).toBe(
      '<file>: line 3: expected 1444 fields (4 ids and 1440 minute counts), found 1000',
    );
  });
  it('a row too long', async () => {
    expect(await errorOf(`${HEADER}\n${row('1')},7\n`)).toBe(
      '<file>: line 2: expected 1444 fields (4 ids and 1440 minute counts), found 1445',
    );
  });
  it('broken quoting', async () => {
    expect(await errorOf(`${HEADER}\n"o1,${row('1').slice(3)}\n`)).toMatch(/^<file>: line \d+: malformed CSV/);
  });
  it('a well-formed file reads', async () => {
    const dir = tempDir();
    const file = join(dir, 'x.csv');
    writeFileSync(file, `${HEADER}\r\n${row('1', '2')}\r\n`);
    const rows = [];
    for await (const r of readInvocationRows(file)) rows.push({ func: r.func, total: r.counts.reduce((a, b) => a + b, 0), line: r.line });
    expect(rows).toEqual([{ func: 'f1', total: 2880, line: 2 }]);
  });
});
