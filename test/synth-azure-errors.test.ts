/**
 * `trace synth-azure` failures are one-line user errors (docs/traces.md, "Synthetic Azure-format
 * traces"): option limits checked before any work, and a write error (a full disk, simulated by
 * sending one output file to /dev/full) names the file and the cause and leaves no partial file.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerTraceCommands } from '../src/cli/trace.js';
import { synthAzure } from '../src/traces/synth-azure.js';
import { UserError } from '../src/util/errors.js';
import { MARKER } from '../src/util/output.js';
import { tempDir } from './helpers/fake-ctx.js';

/**
 * Output files whose temporary (`.NAME.servesim-tmp-PID-N`, src/util/output.ts) is redirected:
 * to /dev/full (ENOSPC on the first flush) or to a directory (EISDIR on open).
 */
const redirect = new Map<string, string>();

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const { basename, dirname, join } = await import('node:path');
  return {
    ...fs,
    createWriteStream: ((path: string, opts?: unknown) => {
      const m = /^\.(.+)\.servesim-tmp-\d+-[0-9a-z]+$/.exec(basename(String(path)));
      const to = m ? redirect.get(join(dirname(String(path)), m[1])) : undefined;
      return fs.createWriteStream(to ?? path, to !== undefined ? undefined : (opts as never));
    }) as typeof fs.createWriteStream,
  };
});

afterEach(() => redirect.clear());

/** The entries of a directory, without servesim's marker. */
const entries = (d: string): string[] => readdirSync(d).filter((e) => e !== MARKER);

async function errorOf(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  if (e === null) throw new Error('expected an error');
  return e as Error;
}

describe('synth-azure write errors', () => {
  it('ENOSPC on one file: a one-line UserError naming it, no file of the day left behind', async () => {
    const out = tempDir('servesim-synth-full-');
    const dur = join(out, 'function_durations_percentiles.anon.d01.csv');
    redirect.set(dur, '/dev/full');
    const e = await errorOf(synthAzure({ functions: 3000, days: 1, seed: 1, out }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`${dur}: cannot write: no space left on device (ENOSPC)`);
    expect(entries(out)).toEqual([]);
  });
  it('ENOSPC on a later day: the complete earlier days stay, the failed day leaves nothing', async () => {
    const out = tempDir('servesim-synth-full-');
    const mem = join(out, 'app_memory_percentiles.anon.d02.csv');
    redirect.set(mem, '/dev/full');
    const e = await errorOf(synthAzure({ functions: 50, days: 3, seed: 1, out }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`${mem}: cannot write: no space left on device (ENOSPC)`);
    expect(entries(out).sort()).toEqual([
      'app_memory_percentiles.anon.d01.csv',
      'function_durations_percentiles.anon.d01.csv',
      'invocations_per_function_md.anon.d01.csv',
    ]);
  });
  it('an output directory that cannot be created', async () => {
    const d = tempDir('servesim-synth-');
    writeFileSync(join(d, 'file'), '');
    const e = await errorOf(synthAzure({ functions: 5, days: 1, seed: 1, out: join(d, 'file', 'sub') }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`--out ${join(d, 'file', 'sub')}: ${join(d, 'file')} is not a directory (it is a file)`);
  });
  it('a temporary that cannot be opened (EISDIR) is reported, not an unhandled error event', async () => {
    const out = tempDir('servesim-synth-');
    const inv = join(out, 'invocations_per_function_md.anon.d01.csv');
    redirect.set(inv, tempDir('servesim-synth-dir-'));
    const e = await errorOf(synthAzure({ functions: 5, days: 1, seed: 1, out }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`${inv}: cannot write: is a directory (EISDIR)`);
    expect(readdirSync(out).filter((f) => f.includes('servesim-tmp'))).toEqual([]);
  });
  it('a directory holding files servesim did not write, or a foreign file of the same name, is never written into', async () => {
    const mine = tempDir('servesim-synth-');
    writeFileSync(join(mine, 'invocations_per_function_md.anon.d01.csv'), 'real trace');
    const e = await errorOf(synthAzure({ functions: 5, days: 1, seed: 1, out: mine }));
    expect(e.message).toBe(`${mine}: exists and holds files servesim did not write; refusing to write into it (choose another --out, or an empty directory)`);
    const out = tempDir('servesim-synth-');
    await synthAzure({ functions: 5, days: 1, seed: 1, out });
    writeFileSync(join(out, 'function_durations_percentiles.anon.d02.csv'), 'a person\'s');
    const e2 = await errorOf(synthAzure({ functions: 5, days: 2, seed: 1, out }));
    expect(e2.message).toBe(`${join(out, 'function_durations_percentiles.anon.d02.csv')}: exists and was not written by servesim; refusing to replace it (move it away, or use another --out)`);
    await synthAzure({ functions: 5, days: 1, seed: 2, out }); // its own files: replaced
  });
});

describe('synth-azure limits, checked before any work', () => {
  async function cli(args: string[]): Promise<void> {
    const program = new Command().exitOverride();
    registerTraceCommands(program);
    await program.parseAsync(['node', 'servesim', 'trace', 'synth-azure', '--out', tempDir('servesim-synth-'), '-q', ...args]);
  }
  it('--functions 1000000000 (V8 ran out of memory), --days 15, bad seeds', async () => {
    const cases: Array<[string[], string]> = [
      [['--functions', '1000000000'], '--functions expects an integer from 1 to 1000000, found "1000000000"'],
      [['--functions', '0'], '--functions expects an integer from 1 to 1000000, found "0"'],
      [['--functions', '1e6'], '--functions expects an integer from 1 to 1000000, found "1e6"'],
      [['--days', '15'], '--days expects an integer from 1 to 14, found "15"'],
      [['--seed', '-1'], '--seed expects an integer from 0 to 9007199254740991, found "-1"'],
      [['--seed', 'abc'], '--seed expects an integer from 0 to 9007199254740991, found "abc"'],
      [['--seed', '9007199254740992'], '--seed expects an integer from 0 to 9007199254740991, found "9007199254740992"'],
    ];
    for (const [args, message] of cases) {
      const e = await errorOf(cli(args));
      expect(e, args.join(' ')).toBeInstanceOf(UserError);
      expect(e.message).toBe(message);
    }
  });
  it('the API holds the same limits', async () => {
    const out = tempDir('servesim-synth-');
    for (const [o, message] of [
      [{ functions: 2_000_000 }, '--functions expects an integer from 1 to 1000000 (the real trace has ~46,000 per day), found 2000000'],
      [{ days: 0 }, '--days expects an integer from 1 to 14, found 0'],
      [{ seed: 1.5 }, '--seed expects an integer from 0 to 9007199254740991, found 1.5'],
      [{ seed: '' }, '--seed expects an integer from 0 to 9007199254740991, found ""'],
    ] as const) {
      const e = await errorOf(synthAzure({ functions: 5, days: 1, seed: 1, out, ...o }));
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toBe(message);
    }
    expect(entries(out)).toEqual([]);
  });
  it('--help states the limits', () => {
    const program = new Command();
    registerTraceCommands(program);
    const help = program.commands.find((c) => c.name() === 'trace')!.commands.find((c) => c.name() === 'synth-azure')!.helpInformation();
    expect(help).toContain('1 to 1,000,000');
    expect(help).toContain('1 to 14');
    expect(help).toContain('0 to 2^53 - 1');
  });
});
