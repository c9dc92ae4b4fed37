/**
 * `trace stats` on degenerate files (docs/traces.md, "servesim trace stats"): a clear error or
 * "n/a", never NaN, Infinity, null or undefined in the text or the JSON.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatStats, traceStats, type TraceStats } from '../src/traces/stats.js';
import { UserError } from '../src/util/errors.js';
import { tempDir } from './helpers/fake-ctx.js';
import { traceCli } from './helpers/trace-cli.js';

const HEADER_2019 = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: 1440 }, (_, i) => String(i + 1))].join(',');
const row2019 = (id: string, trigger: string, counts: (m: number) => number) =>
  [`o${id}`, `a${id}`, `f${id}`, trigger, ...Array.from({ length: 1440 }, (_, m) => String(counts(m)))].join(',');
const DUR_HEADER = 'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum';
const MEM_HEADER = 'HashOwner,HashApp,SampleCount,AverageAllocatedMb';

function write(content: string, name = 'x.csv'): string {
  const f = join(tempDir('servesim-stats-'), name);
  writeFileSync(f, content);
  return f;
}

/** Neither the table nor the JSON may hold NaN, Infinity, null or undefined. */
function expectClean(s: TraceStats): void {
  const text = formatStats(s);
  const json = JSON.stringify(s);
  for (const bad of ['NaN', 'Infinity', 'undefined', 'null']) {
    expect(text, `${bad} in\n${text}`).not.toContain(bad);
    expect(json, `${bad} in ${json}`).not.toContain(bad);
  }
  for (const l of s.lines) expect(typeof l.value === 'string' || Number.isFinite(l.value), l.name).toBe(true);
}

const value = (s: TraceStats, prefix: string) => s.lines.find((l) => l.name.startsWith(prefix))!.value;

describe('trace stats on degenerate files', () => {
  const cases: Array<[string, string, Record<string, string | number>]> = [
    ['2019: all counts zero', `${HEADER_2019}\n${row2019('1', 'http', () => 0)}\n`, { invocations: 0, 'minute-to-minute CV': 'n/a', 'share of invocations': 'n/a' }],
    ['2019: one row, one invocation', `${HEADER_2019}\n${row2019('1', 'timer', (m) => (m === 5 ? 1 : 0))}\n`, { invocations: 1, 'timer functions': 1 }],
    ['2019: triggers named like Object properties', `${HEADER_2019}\n${row2019('1', 'constructor', () => 1)}\n${row2019('2', '__proto__', () => 1)}\n`, { invocations: 2880, 'trigger constructor': '0.5 / 0.5' }],
    ['2021: one row', 'app,func,end_timestamp,duration\na,b,1,0.5\n', { requests: 1, 'mean rate': 'n/a', 'inter-arrival CV': 'n/a' }],
    ['2021: identical arrivals', 'app,func,end_timestamp,duration\na,b,1,0\na,b,1,0\na,c,1,0\n', { requests: 3, 'inter-arrival CV': 'n/a', 'peak rate': 3 }],
    ['timestamps: one', 'TIMESTAMP\n2023-11-16 18:17:03\n', { requests: 1, 'span (s)': 0, 'mean rate': 'n/a' }],
    ['timestamps: all equal', 't\n5\n5\n5\n', { requests: 3, 'inter-arrival CV': 'n/a' }],
    ['durations: header only', `${DUR_HEADER}\n`, { rows: 0, 'Average (ms)': 'n/a / n/a / n/a / n/a / n/a', 'functions averaging under 1 s': 'n/a' }],
    ['durations: one row', `${DUR_HEADER}\no,a,f,500,1,1,1\n`, { rows: 1, 'functions averaging under 1 s': 1 }],
    ['memory: header only', `${MEM_HEADER}\n`, { rows: 0, 'apps averaging at most 400 MB': 'n/a' }],
  ];
  for (const [name, content, expected] of cases) {
    it(name, async () => {
      const s = await traceStats(write(content));
      expectClean(s);
      for (const [k, v] of Object.entries(expected)) expect(value(s, k), k).toBe(v);
    });
  }
  it('errors, not statistics, for files with nothing to count', async () => {
    const cases: Array<[string, string]> = [
      ['', 'the file is empty (expected a CSV header line)'],
      ['\ufeff', 'the file is empty'],
      [`${HEADER_2019}\n`, 'no invocations in the file (only the header line, no function rows)'],
      ['app,func,end_timestamp,duration\n', 'no invocations in the file (only the header line)'],
      ['TIMESTAMP\n', 'no timestamps after the header'],
      ['HashOwner,HashApp,SampleCount,Other\no,a,1,2\n', 'line 1: expected a column named AverageAllocatedMb, found HashOwner,HashApp,SampleCount,Other'],
      [`${DUR_HEADER}\no,a,f,0x10,1,1,1\n`, 'line 2, column Average: expected a non-negative decimal number, found "0x10"'],
    ];
    for (const [content, message] of cases) {
      const f = write(content);
      const e = await traceStats(f).then(() => null, (x: unknown) => x);
      expect(e, content.slice(0, 40)).toBeInstanceOf(UserError);
      expect((e as Error).message).toBe(`${f}: ${message}`);
    }
  });
  it('a trace over more than ~125k distinct seconds (Math.max(...spread) threw a RangeError)', async () => {
    const n = 200_000;
    const f = write('t\n' + Array.from({ length: n }, (_, i) => String(i)).join('\n') + '\n');
    const s = await traceStats(f);
    expectClean(s);
    expect(value(s, 'requests')).toBe(n);
    expect(value(s, 'peak rate in one second')).toBe(1);
  }, 20_000);
  it('through the CLI: --json has keyed fields, null for what the file cannot give (the text says n/a), no NaN', async () => {
    const text = await traceCli(['trace', 'stats', '--json', write('t\n5\n5\n5\n')]);
    expect(text).not.toMatch(/NaN|undefined|Infinity|n\/a/);
    const j = JSON.parse(text);
    expect(j.kind).toBe('timestamps');
    // Three requests at the same instant: span 0, no rate, CV of two zero gaps undefined; peak 3 in one second.
    expect(j.stats).toEqual({
      timestampColumn: { name: 't', format: expect.any(String) },
      requests: 3,
      spanSeconds: 0,
      meanRate: null,
      peakRatePerSecond: 3,
      interArrivalCv: null,
    });
    expect(j.published).toEqual({});
  });
});
