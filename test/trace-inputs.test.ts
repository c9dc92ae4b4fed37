/**
 * Hardened trace inputs (docs/traces.md, "Errors"): every malformed or degenerate file stops with a
 * UserError naming the file, the line and what was wrong; nothing is silently accepted or dropped.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEC } from '../src/sim/time.js';
import { azure2019Type, invocationFileName, readInvocationRows } from '../src/traces/azure2019.js';
import { azure2021Type, readAzure2021 } from '../src/traces/azure2021.js';
import { parseDecimal } from '../src/traces/csv.js';
import { parseDateTime, readTimestamps, timestampsType } from '../src/traces/timestamps.js';
import type { Workload } from '../src/sim/workload.js';
import { UserError } from '../src/util/errors.js';
import { fakeEnv, runWorkload, tempDir, writeInvocations } from './helpers/fake-ctx.js';

const HEADER_2019 = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: 1440 }, (_, i) => String(i + 1))].join(',');
const row2019 = (first: string, rest = '0') => ['o1', 'a1', 'f1', 'http', first, ...new Array(1439).fill(rest)].join(',');
const H2021 = 'app,func,end_timestamp,duration\n';

function write(content: string, name = 'x.csv'): string {
  const f = join(tempDir('servesim-inputs-'), name);
  writeFileSync(f, content);
  return f;
}

/** The UserError message of a rejected promise, with the file replaced by <file>. */
async function messageOf(p: Promise<unknown>, file: string): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (e === null) throw new Error('expected an error, got none');
  expect(e).toBeInstanceOf(UserError);
  return (e as Error).message.split(file).join('<file>');
}

function workload2019(file: string, extra: Record<string, unknown> = {}): Workload {
  return azure2019Type.create(azure2019Type.options.parse({ files: [file], ...extra }), fakeEnv());
}
function workload2021(file: string, extra: Record<string, unknown> = {}): Workload {
  return azure2021Type.create(azure2021Type.options.parse({ file, ...extra }), fakeEnv());
}
function workloadTs(file: string, extra: Record<string, unknown> = {}): Workload {
  return timestampsType.create(timestampsType.options.parse({ file, ...extra }), fakeEnv());
}
const ts = (file: string, extra: Partial<Parameters<typeof readTimestamps>[1]> = {}) =>
  readTimestamps(file, { column: 0, header: true, unit: 's', format: 'auto', ...extra });

describe('decimal numbers only', () => {
  it('parseDecimal takes signs, fractions and exponents, nothing else', () => {
    expect([' 12 ', '-0.5', '+3', '1.', '.5', '1.5e-3', '2E2'].map(parseDecimal)).toEqual([12, -0.5, 3, 1, 0.5, 0.0015, 200]);
    for (const t of ['0x10', '0o7', '0b1', 'Infinity', '-Infinity', 'NaN', '1_000', '', ' ', '1,5', '1e', 'e5', '--1', '12abc']) {
      expect(parseDecimal(t), t).toBeNaN();
    }
  });
  it('azure-2019: a hex count is rejected', async () => {
    const f = write(`${HEADER_2019}\n${row2019('0x10')}\n`);
    expect(await messageOf(workload2019(f).prepare!(), f)).toBe(
      '<file>: line 2, column 5 (minute 1): expected a non-negative integer count, found "0x10"',
    );
  });
  it('azure-2021: hex, "Infinity" and empty times are rejected', async () => {
    for (const [bad, col] of [
      ['a,b,0x10,0', 'end_timestamp'],
      ['a,b,5,0x1', 'duration'],
      ['a,b,Infinity,0', 'end_timestamp'],
      ['a,b,,0', 'end_timestamp'],
    ]) {
      const f = write(`${H2021}a,b,1,0\n${bad}\n`);
      expect(await messageOf(workload2021(f).prepare!(), f)).toBe(
        `<file>: line 3, column ${col}: expected a non-negative number of seconds, found ${JSON.stringify(bad.split(',')[col === 'duration' ? 3 : 2])}`,
      );
    }
  });
  it('timestamps: a hex number is rejected', async () => {
    const f = write('t\n1\n0x10\n');
    expect(await messageOf(workloadTs(f).prepare!(), f)).toBe('<file>: line 3, column 1: expected a decimal number (s), found "0x10"');
    const g = write('t\n0x10\n1\n');
    expect(await messageOf(workloadTs(g).prepare!(), g)).toBe('<file>: line 2, column 1: expected a decimal number (s), found "0x10"');
  });
});

describe('impossible dates', () => {
  it('no February 31st, no February 29th outside leap years, no +99:99 offset', async () => {
    expect(parseDateTime('2024-02-29 00:00:00')).toEqual([Date.UTC(2024, 1, 29) / 1000, 0]);
    expect(parseDateTime('2000-02-29 12:00:00Z')).toEqual([Date.UTC(2000, 1, 29, 12) / 1000, 0]);
    expect(parseDateTime('1999-12-31T23:59:60Z')).toEqual([Date.UTC(2000, 0, 1) / 1000, 0]);
    expect(parseDateTime('2023-06-01T00:00:00-23:59')).toEqual([Date.UTC(2023, 5, 1, 23, 59) / 1000, 0]);
    for (const t of ['2023-02-31 00:00:00', '2023-02-29 00:00:00', '1900-02-29 00:00', '2023-04-31 00:00', '2023-01-00 00:00', '2023-01-01 00:00:00+99:99', '2023-01-01 00:00:00+05:60', '2023-01-01 24:00:00', '2023-01-01 00:60']) {
      expect(parseDateTime(t), t).toBeNull();
    }
    const cases: Array<[string, string]> = [
      ['2023-02-31 00:00:00', 'February 2023 has 28 days, not 31'],
      ['2023-02-29 00:00:00', 'February 2023 has 28 days, not 29'],
      ['2023-04-31 10:00', 'April 2023 has 30 days, not 31'],
      ['2023-13-01 10:00', 'month 13 does not exist'],
      ['2023-01-01 00:00:00+99:99', 'offset +99:99 is out of range (-23:59 to +23:59)'],
      ['2023-01-01 00:61:00', 'minute 61 does not exist (00 to 59)'],
    ];
    for (const [bad, why] of cases) {
      // Second row (format already known) and first row (format decided by the shape).
      const f = write(`t\n2023-01-01 00:00:00\n${bad}\n`);
      expect(await messageOf(workloadTs(f).prepare!(), f)).toBe(`<file>: line 3, column 1: impossible date-time ${JSON.stringify(bad)}: ${why}`);
      const g = write(`t\n${bad}\n2023-01-01 00:00:00\n`);
      expect(await messageOf(workloadTs(g).prepare!(), g)).toBe(`<file>: line 2, column 1: impossible date-time ${JSON.stringify(bad)}: ${why}`);
    }
  });
  it('years below 100 are years of the common era, not 19xx', () => {
    expect(parseDateTime('0023-01-01 00:00:00')![0]).toBe(Date.UTC(2023, 0, 1) / 1000 - 2000 * 365.2425 * 86400);
  });
});

describe('overflowing or out-of-range times are errors, never dropped', () => {
  it('timestamps: 1e400 and 1e300 seconds', async () => {
    for (const big of ['1e400', '1e300']) {
      const f = write(`t\n1\n${big}\n2\n`);
      expect(await messageOf(workloadTs(f).prepare!(), f)).toBe(`<file>: line 3, column 1: "${big}" is too large a number of s`);
    }
  });
  it('timestamps: a span beyond 9,000,000 s names both lines', async () => {
    const f = write('t\n5\n9000004\n9000006\n');
    expect(await messageOf(ts(f), f)).toBe(
      '<file>: line 4: timestamp "9000006" is more than 9000000 s (2,500 hours, the limit) after the earliest one, "5" on line 2',
    );
    const g = write('t\n1e250\n-1e250\n', 'ns.csv');
    expect(await messageOf(ts(g, { unit: 'ns' }), g)).toMatch(/^<file>: line 2: timestamp "1e250" is more than 9000000 s .* "-1e250" on line 3$/);
    const d = write('t\n2023-01-01 00:00:00\n1723-01-01 00:00:00\n');
    expect(await messageOf(ts(d), d)).toMatch(/^<file>: line 2: timestamp "2023-01-01 00:00:00" is more than .* on line 3$/);
    // At the limit: accepted, exact to the nanosecond.
    const ok = await ts(write('t\n0\n9000000\n0.000000001\n'));
    expect(Array.from(ok.times)).toEqual([0, 1, 9e15]);
  });
  it('azure-2021: an end_timestamp of 1e300 is out of range', async () => {
    const f = write(`${H2021}a,b,1,0\na,b,1e300,0\n`);
    expect(await messageOf(workload2021(f).prepare!(), f)).toBe(
      '<file>: line 3, column end_timestamp: "1e300" seconds is beyond the limit of 9000000 s (2,500 hours)',
    );
  });
  it('azure-2021: a duration longer than end_timestamp (an arrival before the trace start)', async () => {
    const f = write(`${H2021}a,b,1,0\na,b,3,5.5\n`);
    expect(await messageOf(workload2021(f).prepare!(), f)).toBe(
      '<file>: line 3: duration 5.5 is longer than end_timestamp 3: the arrival (end_timestamp - duration) would be before the trace start',
    );
  });
  it('azure-2021: a start after the last arrival replays nothing: an error', async () => {
    const f = write(`${H2021}a,b,10,1\na,b,20,0\n`);
    expect(await messageOf(workload2021(f, { start: '30s' }).prepare!(), f)).toBe(
      'workload azure-2021: start 30s is after the last arrival in <file> (at 20s): nothing to replay',
    );
  });
  it('azure-2019: a count above 1e9 per minute', async () => {
    const f = write(`${HEADER_2019}\n${row2019('1000000001')}\n`);
    expect(await messageOf(workload2019(f).prepare!(), f)).toBe(
      '<file>: line 2, column 5 (minute 1): count 1000000001 is above the limit of 1000000000 invocations of one function in one minute',
    );
    const g = write(`${HEADER_2019}\n${row2019('99999999999999999999999')}\n`);
    expect(await messageOf(workload2019(g).prepare!(), g)).toMatch(/^<file>: line 2, column 5 \(minute 1\): count 99999999999999999999999 is above the limit/);
  });
  it('azure-2019: a count x scale beyond 2^31 in one minute is still spread exactly (even)', async () => {
    const f = write(`${HEADER_2019}\n${row2019('1000000000')}\n`);
    const w = workload2019(f, { minutes: 1, spread: 'even', scale: 3 });
    // 3e9 arrivals 20 ns apart, the first at 10 ns: only it falls before the end (with an
    // Int32 count, 3e9 wrapped to a negative number and the minute sent nothing).
    const r = await runWorkload(w, { models: 1, end: 11 });
    expect(r.sent.map((s) => s.time)).toEqual([10]);
  });
});

describe('files without invocations', () => {
  it('azure-2019: a header-only file', async () => {
    const f = write(`${HEADER_2019}\n`);
    expect(await messageOf(workload2019(f).prepare!(), f)).toBe('<file>: no invocations in the file (only the header line, no function rows)');
  });
  it('azure-2019: every count 0', async () => {
    const f = write(`${HEADER_2019}\n${row2019('0')}\n${row2019('0').replace('f1', 'f2')}\n`);
    expect(await messageOf(workload2019(f).prepare!(), f)).toBe('<file>: no invocations in the file (every count of its 2 function row(s) is 0)');
  });
  it('azure-2021: a header-only file', async () => {
    const f = write(H2021);
    expect(await messageOf(workload2021(f).prepare!(), f)).toBe('<file>: no invocations in the file (only the header line)');
  });
  it('timestamps: a header-only file', async () => {
    const f = write('TIMESTAMP\r\n');
    expect(await messageOf(workloadTs(f).prepare!(), f)).toBe('<file>: no timestamps after the header');
  });
  it('a file of only a byte-order mark, or of blank lines', async () => {
    for (const text of ['\ufeff', '\ufeff\r\n', '\n\n\r\n']) {
      const f = write(text);
      expect(await messageOf(workload2021(f).prepare!(), f)).toBe('<file>: the file is empty (expected the header app,func,end_timestamp,duration)');
      expect(await messageOf(workloadTs(f).prepare!(), f)).toBe('<file>: the file is empty');
    }
  });
});

describe('odd layouts', () => {
  it('CRLF line endings and a byte-order mark still work (2021, timestamps, 2019)', async () => {
    const f = write(`\ufeff${H2021.trim()}\r\na,b,2,1\r\na,c,3,0.5\r\n`);
    const d = await readAzure2021(f);
    expect(Array.from(d.arrivals)).toEqual([1, 2.5]);
    const t = await ts(write('\ufeffTIMESTAMP,x\r\n2023-11-16 18:17:03.5,1\r\n2023-11-16 18:17:04,2\r\n'));
    expect(Array.from(t.times)).toEqual([0, 0.5 * SEC]);
    const i = write(`\ufeff${HEADER_2019}\r\n${row2019('3')}\r\n`);
    const rows = [];
    for await (const r of readInvocationRows(i)) rows.push(r.counts[0]);
    expect(rows).toEqual([3]);
  });
  it('timestamps: a column index beyond the header is an error, not a TypeError', async () => {
    const f = write('a,b\n1,2,3,4\n');
    expect(await messageOf(ts(f, { column: 3 }), f)).toBe('<file>: line 1: the timestamp column is index 3 (0-based) but the header has 2 column(s)');
    expect(await messageOf(ts(f, { column: 0, modelColumn: 2 }), f)).toBe('<file>: line 1: the model column is index 2 (0-based) but the header has 2 column(s)');
  });
  it('timestamps: missing columns on a row name the line', async () => {
    const f = write('t,m\n1,a\n2\n');
    expect(await messageOf(ts(f, { modelColumn: 'm' }), f)).toBe('<file>: line 3: expected at least 2 fields, found 1');
  });
  it('non-monotonic timestamps and 2021 rows are sorted (documented), negative relative numbers allowed', async () => {
    const t = await ts(write('t\n3\n-1\n2\n'));
    expect(Array.from(t.times)).toEqual([0, 3 * SEC, 4 * SEC]);
    expect(Array.from(t.rows)).toEqual([1, 2, 0]);
    const d = await readAzure2021(write(`${H2021}a,b,9,0\na,b,1,0\n`));
    expect(Array.from(d.arrivals)).toEqual([1, 9]);
  });
  it('a negative 2021 time is rejected', async () => {
    const f = write(`${H2021}a,b,-1,0\n`);
    expect(await messageOf(workload2021(f).prepare!(), f)).toBe('<file>: line 2, column end_timestamp: expected a non-negative number of seconds, found "-1"');
  });
});

describe('messages stay on one line', () => {
  it('a csv-parse error that quotes a newline, a header field holding a newline, a huge field', async () => {
    const f = write('TIMESTAMP,x\r2023-11-16T18:17:03+02:00,""\n');
    const m = await messageOf(ts(f), f);
    expect(m).not.toMatch(/[\r\n]/);
    expect(m).toMatch(/^<file>: line 2: malformed CSV \(got "\\n" at line 2 instead of delimiter/);
    const g = write('"app\nx",func,end_timestamp,duration\n');
    expect(await messageOf(readAzure2021(g), g)).toBe('<file>: line 1: expected the header app,func,end_timestamp,duration, found app\\nx,func,end_timestamp,duration');
    const h = write(`t\n1\n${'9'.repeat(5000)}x\n`);
    expect(await messageOf(ts(h), h)).toBe(`<file>: line 3, column 1: expected a decimal number (s), found "${'9'.repeat(57)}..."`);
    const k = write(`${HEADER_2019}\n${row2019('9'.repeat(400))}\n`);
    expect(await messageOf(workload2019(k).prepare!(), k)).toBe(
      `<file>: line 2, column 5 (minute 1): count ${'9'.repeat(37)}... is above the limit of 1000000000 invocations of one function in one minute`,
    );
  });
});

describe('special files never hang', () => {
  const fifo = join(tempDir('servesim-fifo-'), 'trace.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [name, path] of [
    ['a FIFO', fifo],
    ['/dev/zero', '/dev/zero'],
  ]) {
    it(`${name} as a trace`, async () => {
      const m = 'not a regular file (a device, FIFO or socket)';
      expect(await messageOf(workload2021(path).prepare!(), path)).toBe(`<file>: ${m}, expected a 2021 invocation trace file`);
      expect(await messageOf(workloadTs(path).prepare!(), path)).toBe(`<file>: ${m}, expected a timestamp file`);
      expect(await messageOf(workload2019(path).prepare!(), path)).toBe(`<file>: ${m}, expected a 2019 invocations file`);
    });
  }
  it('a directory as a trace', async () => {
    const d = tempDir('servesim-dir-');
    expect(await messageOf(workloadTs(d).prepare!(), d)).toBe('<file>: is a directory, expected a timestamp file');
  });
});

describe('the 2019 reader keeps its own checks', () => {
  it('a well-formed file still replays', async () => {
    const f = join(tempDir('servesim-inputs-'), invocationFileName(1));
    writeInvocations(f, [{ id: '1', counts: { 0: 2 } }]);
    const r = await runWorkload(workload2019(f, { minutes: 1, spread: 'even' }), { models: 1, end: 60 * SEC });
    expect(r.sent.map((s) => s.time)).toEqual([15 * SEC, 45 * SEC]);
  });
});
