/** `servesim trace ...`: synthetic Azure-format traces and statistics of trace files. */
import type { Command } from 'commander';
import { SYNTH_HELP, SYNTH_LIMITS, synthAzure } from '../traces/synth-azure.js';
import { formatStats, statsJson, traceStats } from '../traces/stats.js';
import { UserError } from '../util/errors.js';
import { progressMode } from '../util/progress.js';

/** A decimal integer option from min to max (both in the message), checked before any work. */
function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UserError(`${name} expects an integer from ${min} to ${max}, found ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`);
    }
    return Number(v);
  };
}

export function registerTraceCommands(program: Command): void {
  const trace = program
    .command('trace')
    .description('Synthetic Azure Functions traces and statistics of trace files');

  trace
    .command('synth-azure')
    .description(
      'Write a synthetic trace in the exact Azure Functions 2019 format: per day, ' +
        'invocations_per_function_md.anon.dNN.csv, function_durations_percentiles.anon.dNN.csv and ' +
        '(days 1-12) app_memory_percentiles.anon.dNN.csv, calibrated to the published statistics ' +
        '(see docs/traces.md). The same seed writes the same files.',
    )
    .requiredOption('--out <dir>', 'output directory (created if missing)')
    .option('--functions <n>', SYNTH_HELP.functions, intArg('--functions', 1, SYNTH_LIMITS.functions), 46000)
    .option('--days <n>', SYNTH_HELP.days, intArg('--days', 1, SYNTH_LIMITS.days), 1)
    .option('--seed <n>', SYNTH_HELP.seed, intArg('--seed', 0, SYNTH_LIMITS.seed), 1)
    .option('-q, --quiet', 'no progress on stderr', false)
    .addHelpText(
      'after',
      '\nExample:\n  servesim trace synth-azure --functions 46000 --days 1 --seed 1 --out traces/synth\n' +
        '  servesim trace stats traces/synth/invocations_per_function_md.anon.d01.csv\n',
    )
    .action(async (o: { out: string; functions: number; days: number; seed: number; quiet: boolean }) => {
      // Plain lines now and then (SERVESIM_PROGRESS=none, like --quiet, shows none).
      const progress = progressMode({ quiet: o.quiet }) === 'none' ? undefined : (line: string) => process.stderr.write(`synth-azure: ${line}\n`);
      const s = await synthAzure({ functions: o.functions, days: o.days, seed: o.seed, out: o.out, progress });
      process.stdout.write(
        `wrote ${s.files.length} files to ${o.out}: ${s.functions} functions in ${s.apps} apps of ${s.owners} owners, ` +
          `${s.invocations.map((n) => n.toLocaleString('en-US')).join(' + ')} invocations\n`,
      );
    });

  trace
    .command('stats')
    .description(
      'Print the statistics of a trace file, real or synthetic, next to the published values where ' +
        'there are some. Recognises Azure 2019 invocations/durations/memory files, the Azure 2021 ' +
        'per-invocation trace (app,func,end_timestamp,duration) and any CSV of per-request timestamps.',
    )
    .argument('<file...>', 'trace files')
    .option('--column <name|index>', 'timestamp column of a timestamps CSV (default: the first)')
    .option('--json', 'print JSON with keyed fields: { file, kind, stats: { key: value }, published: { key: value } } (several files: a list)', false)
    .action(async (files: string[], o: { column?: string; json: boolean }) => {
      const column = o.column === undefined ? undefined : /^\d+$/.test(o.column) ? Number(o.column) : o.column;
      const all = [];
      for (const f of files) {
        const s = await traceStats(f, { column });
        if (o.json) all.push(statsJson(s));
        else process.stdout.write(formatStats(s));
      }
      if (o.json) process.stdout.write(JSON.stringify(all.length === 1 ? all[0] : all, null, 2) + '\n');
    });
}
