/** The `servesim` command line. */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { experimentJsonSchema, loadExperiment, parseSetArg } from '../experiment/config.js';
import { jsonText, writeFileAtomic } from '../experiment/output.js';
import { keyMetrics, runToDirectory, writeIndex } from '../experiment/runner.js';
import { profileJsonSchema } from '../models/profile.js';
import { getScheduler, schedulerNames } from '../schedulers/index.js';
import { formatDuration } from '../sim/time.js';
import { getWorkload, workloadNames } from '../traces/index.js';
import { UserError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { fmt, pct, summaryTable, table } from './format.js';
import { listProfiles } from './list.js';
import { registerTraceCommands } from './trace.js';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('servesim')
    .description('Deterministic discrete-event simulator for DNN model serving (Clockwork and reactive baselines)')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('Run an experiment config (every point of its sweep) and write results')
    .argument('<config>', 'experiment config JSON file')
    .option('-o, --out <dir>', 'output directory (default: the config\'s output.dir, else results/<name>)')
    .option('--seed <n>', 'override the config\'s seed', (v) => {
      if (!/^\d+$/.test(v)) throw new UserError(`--seed expects a non-negative integer, found "${v}"`);
      return Number(v);
    })
    .option('--set <path=value>', 'override a config field, e.g. --set workload.slo=25ms (repeatable)', collect, [])
    .option('-f, --force', 'replace an existing non-empty output directory', false)
    .option('-q, --quiet', 'no progress or summary output', false)
    .option('--json', 'print the summary as JSON instead of a table', false)
    .action(async (config: string, o) => {
      const sets = (o.set as string[]).map(parseSetArg);
      const { input, points } = loadExperiment(config, { sets, seed: o.seed });
      const first = points[0].resolved.config;
      const outDir: string = o.out ?? first.output.dir ?? join('results', first.name);
      const progress = !o.quiet;
      if (points.length === 1 && !input.sweep) {
        const out = await runToDirectory(points[0].resolved, outDir, o.force, { progress });
        if (!o.quiet) {
          process.stdout.write(o.json ? jsonText(out.summary) : summaryTable(out.summary));
          process.stderr.write(
            `wrote ${outDir}/ (wall ${out.run.wallSeconds} s, ${fmt(out.run.simulatedRequestsPerWallSecond)} simulated requests per wall second, ${out.run.speedupOverRealTime}x real time, peak ${out.run.peakRssMB} MiB)\n`,
          );
        }
        return;
      }
      const rows = [];
      for (const [i, p] of points.entries()) {
        if (progress) process.stderr.write(`[${i + 1}/${points.length}] ${p.id}\n`);
        const out = await runToDirectory(p.resolved, join(outDir, p.id), o.force, { progress, label: p.id });
        rows.push({ point: p, summary: out.summary });
      }
      writeIndex(outDir, rows);
      if (!o.quiet) {
        const keys = Object.keys(points[0].params);
        process.stdout.write(
          table(
            rows.map(({ point, summary }) => {
              const m = keyMetrics(summary);
              return [...keys.map((k) => String(point.params[k])), pct(m.sloAttainment, 3), fmt(m.goodput, 1), fmt(m.p99Ms, 2), fmt(m.late), fmt(m.timeout)];
            }),
            [...keys, 'attainment', 'goodput r/s', 'p99 ms', 'late', 'timeout'],
          ),
        );
        process.stderr.write(`wrote ${points.length} points and ${outDir}/index.csv, index.json\n`);
      }
    });

  program
    .command('validate')
    .description('Check an experiment config (every sweep point) without running it')
    .argument('<config>', 'experiment config JSON file')
    .option('--set <path=value>', 'override a config field (repeatable)', collect, [])
    .action((config: string, o) => {
      const { points } = loadExperiment(config, { sets: (o.set as string[]).map(parseSetArg) });
      for (const p of points) {
        const r = p.resolved;
        const c = r.config;
        process.stdout.write(
          `${config}${p.id ? ` [${p.id}]` : ''}: ok: ${c.name}, ${r.scheduler.type.name} on ${c.cluster.workers * c.cluster.gpusPerWorker} x ${r.profile.device.name} ` +
            `(${r.pagesPerGpu} pages of ${r.pageSize} B), ${r.models.length} model instances, ` +
            `${r.workloads.map((w) => `${w.type.name} (slo ${formatDuration(w.slo)}${w.sloFactor ? `, factor ${w.sloFactor}` : ''})`).join(' + ')}, ` +
            `duration ${formatDuration(c.duration)}, warmup ${formatDuration(c.warmup)}, seed ${c.seed}\n`,
        );
      }
    });

  program
    .command('list')
    .description('List schedulers, workloads, and hardware profiles with their models')
    .addOption(new Option('--what <kind>', 'only one kind').choices(['schedulers', 'workloads', 'profiles']))
    .option('--profiles-dir <dir>', 'where to look for profiles', 'hw-profiles')
    .action((o) => {
      const what: string | undefined = o.what;
      if (!what || what === 'schedulers') {
        process.stdout.write('Schedulers:\n');
        for (const n of schedulerNames()) process.stdout.write(`  ${n.padEnd(14)} ${getScheduler(n)!.description}\n`);
      }
      if (!what || what === 'workloads') {
        process.stdout.write('Workloads:\n');
        for (const n of workloadNames()) process.stdout.write(`  ${n.padEnd(18)} ${getWorkload(n)!.description}\n`);
      }
      if (!what || what === 'profiles') process.stdout.write(listProfiles(o.profilesDir));
    });

  program
    .command('schema')
    .description('Write the JSON Schema of experiment configs (or hardware profiles) for editors')
    .addOption(new Option('--kind <kind>', 'which schema').choices(['experiment', 'profile']).default('experiment'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action((o) => {
      const text = jsonText(o.kind === 'profile' ? profileJsonSchema() : experimentJsonSchema());
      if (o.out) writeFileAtomic(o.out, text);
      else process.stdout.write(text);
    });

  registerTraceCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code && err.code.startsWith('commander.')) {
      process.exitCode = err.exitCode ?? 1;
      return;
    }
    if (e instanceof UserError) {
      process.stderr.write(`servesim: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
