/**
 * The fast reader of Azure 2019 invocation files (readInvocationRows scanning bytes, with the CSV
 * reader taking over at the first line outside the plain layout) must give exactly what the CSV
 * reader gives: the same rows, line numbers and errors, the same loaded trace and byte-identical
 * runs (docs/traces.md, "Reading day files").
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  csvInvocationRows,
  invocationFileName,
  loadInvocations,
  plainRows,
  readInvocationRows,
  type InvocationRow,
} from '../src/traces/azure2019.js';
import { synthAzure } from '../src/traces/synth-azure.js';
import { loadExperiment } from '../src/experiment/config.js';
import { runToDirectory } from '../src/experiment/runner.js';
import { tempDir } from './helpers/fake-ctx.js';
import { writeConfig } from './helpers/results.js';

const minutes = Array.from({ length: 1440 }, (_, i) => String(i + 1));
const HEADER = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minutes];

interface Outcome {
  rows: Array<{ owner: string; app: string; func: string; trigger: string; counts: number[]; line: number }>;
  error?: string;
}

async function outcome(rows: AsyncIterable<InvocationRow>): Promise<Outcome> {
  const out: Outcome = { rows: [] };
  try {
    for await (const r of rows) {
      out.rows.push({ owner: r.owner, app: r.app, func: r.func, trigger: r.trigger, counts: Array.from(r.counts), line: r.line });
    }
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}

/** How far the fast reader goes alone: the rows it yields and whether it reached the end. */
async function fastOnly(file: string): Promise<{ rows: number; complete: boolean }> {
  const done = { rows: 0 };
  const gen = plainRows(file, new Float64Array(1440), done);
  let r = await gen.next();
  while (!r.done) r = await gen.next();
  return { rows: done.rows, complete: r.value };
}

/** A small seeded generator (the test must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Rows of fields: counts mostly 0, some small, a few large. */
function plainFile(rand: () => number, rows: number): string[][] {
  const out = [HEADER.slice()];
  for (let r = 0; r < rows; r++) {
    const fields = [`owner${r % 3}`, `app${r}`, `f${(r * 7919) % 1000}`, ['http', 'timer', 'event'][r % 3]];
    for (let m = 0; m < 1440; m++) {
      const u = rand();
      fields.push(String(u < 0.6 ? 0 : u < 0.95 ? Math.floor(rand() * 20) : Math.floor(rand() * 1e9)));
    }
    out.push(fields);
  }
  return out;
}

const join2 = (lines: string[][], eol = '\n'): string => lines.map((l) => l.join(',')).join(eol) + eol;

function write(text: string | Buffer): string {
  const f = join(tempDir(), invocationFileName(1));
  writeFileSync(f, text);
  return f;
}

describe('fast reading of plain files', () => {
  it('a plain file is read by the fast reader alone, with the rows written', async () => {
    const lines = plainFile(lcg(1), 5);
    lines[3][4] = '1000000000'; // MAX_MINUTE_COUNT itself is accepted
    lines[4][1443] = '0000000000000000000000007'; // leading zeros: 7
    const f = write(join2(lines));
    expect(await fastOnly(f)).toEqual({ rows: 5, complete: true });
    const got = await outcome(readInvocationRows(f));
    expect(got.error).toBeUndefined();
    expect(got.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
    expect(got.rows.map((r) => [r.owner, r.app, r.func, r.trigger])).toEqual(lines.slice(1).map((l) => l.slice(0, 4)));
    expect(got.rows.map((r) => r.counts)).toEqual(lines.slice(1).map((l) => l.slice(4).map((x) => Number(x))));
    expect(got.rows[2].counts[0]).toBe(1e9);
    expect(got.rows[3].counts[1439]).toBe(7);
  });

  it('CRLF endings, a byte-order mark and a missing last line ending stay on the fast reader', async () => {
    const lines = plainFile(lcg(2), 3);
    for (const text of [join2(lines, '\r\n'), '\ufeff' + join2(lines), join2(lines).slice(0, -1), join2(lines, '\r\n').slice(0, -2)]) {
      const f = write(text);
      expect(await fastOnly(f)).toEqual({ rows: 3, complete: true });
      expect(await outcome(readInvocationRows(f))).toEqual(await outcome(csvInvocationRows(f)));
    }
  });

  it('empty lines (between rows, at the end, in LF and CRLF files) stay on the fast reader and keep their line numbers', async () => {
    const lines = plainFile(lcg(5), 3);
    const rowsAt = (text: string) => async () => (await outcome(readInvocationRows(write(text)))).rows.map((r) => r.line);
    for (const eol of ['\n', '\r\n']) {
      // header, row, empty, row, empty, empty, row, empty: the rows are on lines 2, 4 and 7.
      const text = [lines[0], lines[1], [], lines[2], [], [], lines[3], []].map((l) => l.join(',')).join(eol) + eol;
      const f = write(text);
      expect(await fastOnly(f)).toEqual({ rows: 3, complete: true });
      expect(await rowsAt(text)()).toEqual([2, 4, 7]);
      expect(await outcome(readInvocationRows(f))).toEqual(await outcome(csvInvocationRows(f)));
    }
    // Only the header and empty lines: no row, the CSV reader's error.
    const f = write(lines[0].join(',') + '\n\n\n');
    expect(await fastOnly(f)).toEqual({ rows: 0, complete: false });
    expect((await outcome(readInvocationRows(f))).error).toBe(`${f}: no invocations in the file (only the header line, no function rows)`);
  });

  it('lines across read chunks and longer than a chunk (1 MiB)', async () => {
    const lines = plainFile(lcg(3), 700); // ~4.5 MB: rows cut by chunk ends at odd places
    lines[351][0] = 'o'.repeat(3 << 20); // one line of 3 MiB (row 350)
    const f = write(join2(lines));
    expect(await fastOnly(f)).toEqual({ rows: 700, complete: true });
    const fast = await outcome(readInvocationRows(f));
    expect(fast.rows).toHaveLength(700);
    expect(fast.rows[350].owner).toHaveLength(3 << 20);
    expect(fast).toEqual(await outcome(csvInvocationRows(f)));
  }, 30_000);

  it('a quoted header sends the whole file to the CSV reader, with the same rows', async () => {
    const lines = plainFile(lcg(4), 3);
    lines[0][0] = '"HashOwner"';
    const f = write(join2(lines));
    expect(await fastOnly(f)).toEqual({ rows: 0, complete: false });
    const got = await outcome(readInvocationRows(f));
    expect(got.error).toBeUndefined();
    expect(got.rows.map((r) => r.app)).toEqual(['app0', 'app1', 'app2']);
  });
});

/** One change to a plain file that the fast reader must either read alike or hand over. */
type Mutation = (lines: string[][], rand: () => number) => string | null;
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const COUNTS = [' 12', '12 ', '12.0', '12.', '12.5', '-1', '+1', '', 'abc', '1e3', '0x10', '1000000001', '99999999999999999999', '"5"', '5"', '\t3', '٣'];
const IDS = ['é', 'a"b', '"quoted"', '"a,b"', '', 'a b', 'x\ty', '#c', '\u0000', '"multi\nline"'];
const MUTATIONS: Record<string, Mutation> = {
  count: (l, rand) => {
    const r = 1 + Math.floor(rand() * (l.length - 1));
    l[r][4 + Math.floor(rand() * 1440)] = pick(rand, COUNTS);
    return null;
  },
  id: (l, rand) => {
    const r = 1 + Math.floor(rand() * (l.length - 1));
    l[r][Math.floor(rand() * 4)] = pick(rand, IDS);
    return null;
  },
  header: (l, rand) => {
    const i = Math.floor(rand() * 1444);
    l[0][i] = pick(rand, [` ${l[0][i]}`, `"${l[0][i]}"`, 'x', '', `${l[0][i]}.0`]);
    return null;
  },
  shortRow: (l, rand) => {
    const r = 1 + Math.floor(rand() * (l.length - 1));
    l[r] = l[r].slice(0, Math.floor(rand() * 1444));
    return null;
  },
  longRow: (l, rand) => {
    l[1 + Math.floor(rand() * (l.length - 1))].push('0');
    return null;
  },
  blankLines: (l, rand) => {
    const at = 1 + Math.floor(rand() * l.length);
    l.splice(at, 0, [pick(rand, ['', '   ', '\r'])]);
    return null;
  },
  truncate: (l, rand) => {
    const text = join2(l);
    return text.slice(0, Math.floor(rand() * text.length));
  },
  endings: (l, rand) => {
    const eols = l.map(() => pick(rand, ['\n', '\r\n', '\r']));
    return l.map((x, i) => x.join(',') + eols[i]).join('');
  },
  trailing: (l, rand) => join2(l) + pick(rand, ['\n', '\r\n', '\n\n', ' ', '\ufeff']),
  bom: (l) => '\ufeff\ufeff' + join2(l),
  headerOnly: (l) => join2(l.slice(0, 1)),
};

describe('the fast reader and the CSV reader agree on every file (seeded variations)', () => {
  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    it(name, async () => {
      const rand = lcg(name.length * 7919 + name.charCodeAt(0));
      let handedOver = 0;
      for (let k = 0; k < 12; k++) {
        const lines = plainFile(rand, 1 + Math.floor(rand() * 4));
        const text = mutate(lines, rand) ?? join2(lines);
        const f = write(text);
        const fast = await outcome(readInvocationRows(f));
        const csv = await outcome(csvInvocationRows(f));
        // On an error only the message counts: the CSV reader may fail before it hands out the
        // rows it parsed ahead of the bad line, and callers stop at the error anyway.
        if (csv.error !== undefined) expect(fast.error, `${name} #${k}`).toBe(csv.error);
        else expect(fast, `${name} #${k}`).toEqual(csv);
        if (!(await fastOnly(f)).complete) handedOver++;
      }
      // Each variation is outside the plain layout at least sometimes (else this tests nothing new).
      expect(handedOver).toBeGreaterThan(0);
    }, 30_000);
  }
});

/** Every output file of a run directory but run.json (wall-clock facts), with `dir` written <dir>. */
function outputs(dir: string, base = dir, into: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) outputs(p, base, into);
    else if (name !== 'run.json') into[relative(base, p)] = readFileSync(p, 'utf8').split(base).join('<dir>');
  }
  return into;
}

describe('a synthesized day through the fast reader and through the CSV reader', () => {
  it('gives the same loaded trace and byte-identical runs', async () => {
    const fastDir = tempDir();
    const csvDir = tempDir();
    await synthAzure({ functions: 150, days: 1, seed: 9, out: join(fastDir, 'trace') });
    const name = invocationFileName(1);
    const text = readFileSync(join(fastDir, 'trace', name), 'utf8');
    mkdirSync(join(csvDir, 'trace'));
    // The same rows, but a quoted header field: csv-parse reads it alike, the fast reader hands over.
    writeFileSync(join(csvDir, 'trace', name), `"HashOwner"${text.slice('HashOwner'.length)}`);
    expect(await fastOnly(join(fastDir, 'trace', name))).toEqual({ rows: 150, complete: true });
    expect(await fastOnly(join(csvDir, 'trace', name))).toEqual({ rows: 0, complete: false });

    for (const [start, keep] of [[0, 1440], [600, 90], [1400, 1440]]) {
      const a = await loadInvocations([join(fastDir, 'trace', name)], start, keep);
      const b = await loadInvocations([join(csvDir, 'trace', name)], start, keep);
      expect(a.ids).toEqual(b.ids);
      expect(a.keptInvocations).toBe(b.keptInvocations);
      for (const k of ['totals', 'rowFunc', 'rowStart', 'positions', 'counts'] as const) {
        expect(Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength).equals(Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength)), k).toBe(true);
      }
      expect(a.positions.length).toBeGreaterThan(0);
    }

    const runs: Array<Record<string, string>> = [];
    for (const dir of [fastDir, csvDir]) {
      const file = writeConfig(dir, {
        name: 'azure',
        seed: 3,
        duration: '2s',
        warmup: '500ms',
        drain: '1s',
        cluster: { profile: 'hw-profiles/v100-clockwork.json' },
        models: [{ profile: 'resnet50_v2', copies: 6 }],
        workload: { type: 'azure-2019', dir: 'trace', startMinute: 600, scale: 2, slo: '100ms' },
        scheduler: { type: 'clockwork' },
        output: { requests: true },
      });
      await runToDirectory(loadExperiment(file).points[0].resolved, join(dir, 'out'), false, {});
      runs.push(outputs(join(dir, 'out')));
    }
    expect(runs[0]['requests.csv'].split('\n').length).toBeGreaterThan(10);
    expect(runs[0]).toEqual(runs[1]);
  }, 60_000);
});
