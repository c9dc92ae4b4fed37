import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MINUTES_PER_DAY } from '../src/traces/azure2019.js';
import { isPeriodic, traceStats, type TraceStats } from '../src/traces/stats.js';
import { synthAzure, TRIGGER_TARGETS } from '../src/traces/synth-azure.js';
import { MARKER } from '../src/util/output.js';
import { tempDir } from './helpers/fake-ctx.js';
import { traceCli } from './helpers/trace-cli.js';

const out = tempDir();
let stats: TraceStats;
const value = (prefix: string): string | number => stats.lines.find((l) => l.name.startsWith(prefix))!.value;
const pair = (prefix: string): [number, number] => String(value(prefix)).split(' / ').map(Number) as [number, number];

beforeAll(async () => {
  await synthAzure({ functions: 2000, days: 1, seed: 1, out });
  stats = await traceStats(join(out, 'invocations_per_function_md.anon.d01.csv'));
}, 20_000);

describe('synth-azure statistics (2000 functions; tolerances for this size)', () => {
  it('recognised as a 2019 invocations file with 1440 minutes and 2000 functions', () => {
    expect(stats.kind).toBe('azure2019-invocations');
    expect(value('functions')).toBe(2000);
  });
  it('~81% of apps at most once per minute (+-0.03)', () => {
    expect(Math.abs(Number(value('apps invoked at most once')) - 0.81)).toBeLessThan(0.03);
  });
  it('top 18.6% of apps carry >= 98.5% of invocations (99.6% published; the extreme head needs ~46k functions)', () => {
    expect(Number(value('share of invocations from the top'))).toBeGreaterThan(0.985);
  });
  it('54% single-function apps (+-0.04)', () => {
    expect(Math.abs(Number(value('apps with a single function')) - 0.54)).toBeLessThan(0.04);
  });
  it('trigger mix: by functions exact to 0.005, by invocations within 0.05 (0.015 for the small ones)', () => {
    for (const [t, target] of Object.entries(TRIGGER_TARGETS)) {
      const [fns, inv] = pair(`trigger ${t}:`);
      expect(Math.abs(fns - target.functions), t).toBeLessThan(0.005);
      expect(Math.abs(inv - target.invocations), t).toBeLessThan(target.invocations >= 0.1 ? 0.05 : 0.015);
    }
  });
  it('rates span >= 6 orders of magnitude at this size (~8 at 46k), timers periodic, diurnal, bursty', () => {
    expect(Number(value('orders of magnitude'))).toBeGreaterThan(6);
    expect(value('timer functions with an exactly periodic')).toBe(1);
    expect(Number(value('diurnal'))).toBeGreaterThan(1.5);
    expect(Number(value('bursts'))).toBeGreaterThan(3);
  });
  it('durations and memory files in the 2019 format', async () => {
    const d = await traceStats(join(out, 'function_durations_percentiles.anon.d01.csv'));
    expect(d.kind).toBe('azure2019-durations');
    expect(Math.abs(Number(d.lines.find((l) => l.name.startsWith('functions averaging under 1 s'))!.value) - 0.5)).toBeLessThan(0.08);
    const m = await traceStats(join(out, 'app_memory_percentiles.anon.d01.csv'));
    expect(m.kind).toBe('azure2019-memory');
    const head = readFileSync(join(out, 'function_durations_percentiles.anon.d01.csv'), 'utf8').split('\n', 1)[0];
    expect(head).toBe(
      'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100',
    );
    const row = readFileSync(join(out, 'invocations_per_function_md.anon.d01.csv'), 'utf8').split('\n', 2)[1].split(',');
    expect(row.length).toBe(4 + MINUTES_PER_DAY);
    expect(row[0]).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('synth-azure files', () => {
  it('same seed, same bytes; memory files only for days 1..12', async () => {
    const a = tempDir();
    const b = tempDir();
    await synthAzure({ functions: 30, days: 13, seed: 'x', out: a });
    await synthAzure({ functions: 30, days: 13, seed: 'x', out: b });
    const files = readdirSync(a).filter((f) => f !== MARKER).sort();
    expect(files.length).toBe(13 * 3 - 1);
    expect(files).not.toContain('app_memory_percentiles.anon.d13.csv');
    expect(files).toContain('function_durations_percentiles.anon.d13.csv');
    const h = (d: string, f: string) => createHash('sha256').update(readFileSync(join(d, f))).digest('hex');
    for (const f of files) expect(h(b, f), f).toBe(h(a, f));
  });
  it('isPeriodic recognises timer patterns only', () => {
    expect(isPeriodic([0, 1, 0, 0, 1, 0, 0, 1])).toBe(true);
    expect(isPeriodic([2, 2, 2, 2])).toBe(true);
    expect(isPeriodic([0, 1, 0, 1, 1])).toBe(false);
    expect(isPeriodic([1, 2, 1])).toBe(false);
  });
});

describe('servesim trace (CLI)', () => {
  const cli = traceCli;
  it('synth-azure then stats', async () => {
    const d = tempDir();
    expect(await cli(['trace', 'synth-azure', '--functions', '50', '--seed', '3', '--out', d, '-q'])).toMatch(/^wrote 3 files to .*: 50 functions in \d+ apps/);
    const text = await cli(['trace', 'stats', join(d, 'invocations_per_function_md.anon.d01.csv')]);
    expect(text).toContain('azure2019-invocations');
    expect(text).toMatch(/apps with a single function\s+[0-9.]+\s+\(published: 0.54\)/);
    const json = JSON.parse(await cli(['trace', 'stats', '--json', join(d, 'app_memory_percentiles.anon.d01.csv')]));
    expect(json.kind).toBe('azure2019-memory');
    // Keyed fields, equal to the library's figures (the text's labels are not keys).
    const lib = await traceStats(join(d, 'app_memory_percentiles.anon.d01.csv'));
    const line = (prefix: string) => lib.lines.find((l) => l.name.startsWith(prefix))!;
    expect(json.stats.rows).toBe(line('rows').value);
    expect(json.stats.appsAtMost400Mb).toBe(line('apps averaging at most 400 MB').value);
    expect(json.published.appsAtMost400Mb).toBe('~0.9');
    expect(Object.values(json.stats.averageAllocatedMb).join(' / ')).toBe(line('AverageAllocatedMb (MB)').value);
    expect(Object.keys(json.stats.averageAllocatedMb)).toEqual(['p25', 'p50', 'p75', 'p90', 'p99']);
  });
  it('bad arguments are errors for people', async () => {
    await expect(cli(['trace', 'synth-azure', '--functions', 'many', '--out', tempDir()])).rejects.toThrow('--functions expects an integer from 1 to 1000000, found "many"');
    await expect(cli(['trace', 'stats', '/nonexistent/x.csv'])).rejects.toThrow('/nonexistent/x.csv: trace file not found');
  });
});
