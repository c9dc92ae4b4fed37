/** `servesim reproduce`: the Clockwork paper's experiments, their charts and a report. */
import type { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { PROGRESS_HELP } from '../util/progress.js';
import { FIGURES, parseOnly } from '../paper/experiments.js';

export function registerReproduceCommand(program: Command): void {
  program
    .command('reproduce')
    .description(
      'Reproduce the Clockwork paper (OSDI 2020): run its experiments (fig5-fig11; the fast set unless --full), ' +
        'draw each figure, check every claim against the results and write report.md',
    )
    .option('--full', 'the full set (the paper\'s durations: hours) instead of the fast set (minutes)', false)
    .option('--azure-dir <dir>', 'the real Azure Functions 2019 trace directory (default: a synthetic day, generated once)')
    .option('--trace-cache <dir>', 'where to keep the synthetic Azure day (default: <out>/trace-cache/...)')
    .option('-o, --out <dir>', 'output directory (default: results/paper-fast, or results/paper with --full)')
    .option('-j, --jobs <n>', 'sweep points run in parallel (default: one per core)', (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UserError(`--jobs expects a positive integer, found "${v}"`);
      return Number(v);
    })
    .option('--only <figs>', `comma-separated figures to run: ${FIGURES.join(', ')} (fig10 comes from fig9's run)`)
    .option('--resume', 'keep results already complete in the output directory', false)
    .option('-f, --force', 'rerun experiments whose results are already in the output directory (replaces only what servesim wrote)', false)
    .addHelpText(
      'after',
      `\n${PROGRESS_HELP}\n` +
      '\nExamples:\n  servesim reproduce                       # the fast set into results/paper-fast (a few minutes)\n' +
        '  servesim reproduce --only fig5,fig7\n  servesim reproduce --full --azure-dir ~/azurefunctions-dataset2019 --jobs 32\n',
    )
    .action(async (o: { full: boolean; azureDir?: string; traceCache?: string; out?: string; jobs?: number; only?: string; resume: boolean; force: boolean }) => {
      parseOnly(o.only); // fail early on an unknown figure
      const { reproduce } = await import('../paper/reproduce.js');
      const { verdictCounts } = await import('../paper/verdicts.js');
      const args = process.argv.slice(2).join(' ');
      const res = await reproduce({ ...o, command: `servesim ${args}` });
      const n = verdictCounts(res.claims);
      process.stdout.write(
        `${res.reportFile}: ${n.held} of ${n.claims} claims hold, ${n.differ} differ${n.unchecked ? `, ${n.unchecked} not checked` : ''}` +
          ` (wall: ${Object.entries(res.wallSeconds).map(([f, s]) => `${f} ${s.toFixed(0)} s`).join(', ')})\n`,
      );
    });
}
