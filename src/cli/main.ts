/** The `servesim` command line. */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { experimentJsonSchema, loadExperimentWithPlugins, parseSetArg } from '../experiment/config.js';
import { exitCleanlyOnSignals, jsonText, writeOutputFile } from '../util/output.js';
import { configStats, keyMetrics, runToDirectory } from '../experiment/runner.js';
import { configParams, hasSeedDimension } from '../util/seed-groups.js';
import { mergeSweeps, resolveShard, runSweep } from '../experiment/sweep.js';
import { parseTraceWindow } from '../metrics/trace-events.js';
import { SWEEP_END_CHARTS, chartHelp } from '../charts/names.js';
import { compareDirs } from './compare.js';
import { profileJsonSchema } from '../models/profile.js';
import { getScheduler, schedulerNames } from '../schedulers/index.js';
import { formatDuration } from '../sim/time.js';
import { parseDuration } from '../util/units.js';
import { getWorkload, workloadNames } from '../traces/index.js';
import { UserError } from '../util/errors.js';
import { DECIMALS, roundTo } from '../util/round.js';
import { ioErrorMessage, isIoError } from '../util/io.js';
import { VERSION } from '../version.js';
import { openProgress, PROGRESS_HELP, progressMode } from '../util/progress.js';
import { fmt, pct, summaryTable, table } from './format.js';
import { listProfiles, optionEntries, profileEntries } from './list.js';
import { registerTraceCommands } from './trace.js';
import { registerReproduceCommand } from './reproduce.js';
import { registerProfileCommands } from './profile.js';

/**
 * The one point of a config that `live` or `fidelity` runs in real time (a sweep is refused), and its
 * output directory: --out, else the config's output.dir + "-<command>", else results/<name>-<command>.
 */
async function realTimePoint(config: string, command: 'live' | 'fidelity', sets: Array<[string, unknown]>, seed: number | undefined, out: string | undefined) {
  const { input, points } = await loadExperimentWithPlugins(config, { sets, seed });
  const isSweep = points.length > 1 || Object.keys((input.sweep as object | undefined) ?? {}).length > 0;
  if (isSweep) {
    throw new UserError(`${config}: ${command} runs one point, and this config has a "sweep" (${points.length} points); run one point: --set 'sweep={}' and --set the swept field (e.g. --set scheduler.type=fifo)`);
  }
  const r = points[0].resolved;
  const c = r.config;
  const outDir: string = out ?? (c.output.dir !== undefined ? `${c.output.dir}-${command}` : join('results', `${c.name}-${command}`));
  const flag = out !== undefined ? '--out' : c.output.dir !== undefined ? `${config}: output.dir (+ "-${command}")` : `${config}: name (default output results/<name>-${command})`;
  return { r, outDir, flag };
}

/** --spin: a duration >= 0, or "auto" (undefined: the runner chooses, src/live/clock.ts autoSpin). */
function parseSpin(v: string): number | undefined {
  if (v === 'auto') return undefined;
  try {
    const spin = parseDuration(v);
    if (spin < 0) throw new Error(`expected a duration >= 0, found "${v}"`);
    return spin;
  } catch (e) {
    throw new UserError(`--spin: ${(e as Error).message} (or "auto")`);
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function positiveInt(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UserError(`${flag} expects a positive integer, found "${v}"`);
  return Number(v);
}

/** The resolved facts of one point as `validate --json` gives them (durations in seconds, keyed fields). */
function validateFacts(p: Awaited<ReturnType<typeof loadExperimentWithPlugins>>['points'][number]): Record<string, unknown> {
  const r = p.resolved;
  const c = r.config;
  const seconds = (ns: number): number => roundTo(ns / 1e9, DECIMALS.seconds);
  return {
    id: p.id || null,
    ok: true,
    name: c.name,
    params: p.params,
    scheduler: r.scheduler.type.name,
    workers: c.cluster.workers,
    gpusPerWorker: c.cluster.gpusPerWorker,
    gpus: c.cluster.workers * c.cluster.gpusPerWorker,
    device: r.profile.device.name,
    pagesPerGpu: r.pagesPerGpu,
    pageSizeBytes: r.pageSize,
    modelInstances: r.models.length,
    workloads: r.workloads.map((w) => ({ type: w.type.name, sloMs: roundTo(w.slo / 1e6, DECIMALS.ms), sloFactor: w.sloFactor ?? null })),
    durationSeconds: seconds(c.duration),
    warmupSeconds: seconds(c.warmup),
    seed: c.seed,
    plugins: r.plugins.map((x) => ({ kind: x.kind, name: x.name, path: x.path, sha256: x.sha256 })),
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('servesim')
    .description('Deterministic discrete-event simulator for DNN model serving (Clockwork and reactive baselines)')
    .version(VERSION)
    // Commander's own errors (unknown option, missing argument) as one line like every other error.
    .configureOutput({
      outputError: (text, write) => write(`servesim: ${text.replace(/^error: /, '').trim()} (run with --help for usage)\n`),
    });

  program
    .command('run')
    .description('Run an experiment config (every point of its sweep) and write results')
    .argument('<config>', 'experiment config JSON file')
    .option('-o, --out <dir>', 'output directory (default: the config\'s output.dir, else results/<name>)')
    .option('--seed <n>', 'override the config\'s seed (with "seeds": N, the first of the N seeds)', (v) => {
      if (!/^\d+$/.test(v)) throw new UserError(`--seed expects a non-negative integer, found "${v}"`);
      return Number(v);
    })
    .option('--set <path=value>', 'override a config field, e.g. --set workload.slo=25ms (repeatable)', collect, [])
    .option('-f, --force', 'replace an existing non-empty output directory (sweeps: rerun complete points)', false)
    .option('-q, --quiet', 'no progress display and no summary table (--json output is still printed)', false)
    .option('--json', 'print the summary as JSON instead of a table (a sweep: one object with every point)', false)
    .option('--trace-events <from:to>', 'write trace-events.json (Chrome/Perfetto timeline) of this window of simulated time, e.g. 10s:12s')
    .option('-j, --jobs <n>', 'sweeps: points run in parallel (default: one per core)', (v) => positiveInt(v, '--jobs'))
    .option('--resume', 'sweeps: skip points already complete in the output directory', false)
    .option(
      '--shard <i/n|auto>',
      'sweeps: run only the i-th of n deterministic subsets (1 <= i <= n), for job arrays; join with "servesim merge". ' +
        '"auto": i and n of this task of a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT) or a Kubernetes Indexed Job ' +
        '(JOB_COMPLETION_INDEX, with SERVESIM_SHARD_COUNT = the Job\'s completions); see README.md, "Sweeps on a cluster"',
    )
    .addHelpText('after', `\n${PROGRESS_HELP}`)
    .action(async (config: string, o) => {
      const sets = (o.set as string[]).map(parseSetArg);
      const { input, points } = await loadExperimentWithPlugins(config, { sets, seed: o.seed });
      const first = points[0].resolved.config;
      const outDir: string = o.out ?? first.output.dir ?? join('results', first.name);
      // Where the output place came from, for messages about it.
      const flag = o.out !== undefined ? '--out' : first.output.dir !== undefined ? `${config}: output.dir` : `${config}: name (default output results/<name>)`;
      const mode = progressMode({ quiet: o.quiet });
      const progress = mode !== 'none';
      const traceEvents = o.traceEvents ? parseTraceWindow(o.traceEvents) : undefined;
      const isSweep = points.length > 1 || Object.keys((input.sweep as object | undefined) ?? {}).length > 0 || hasSeedDimension(points);
      if (!isSweep && (o.shard || o.resume)) {
        throw new UserError(`${config}: --shard and --resume apply to sweeps; this config has no "sweep"`);
      }
      if (!isSweep) {
        const display = openProgress({ mode });
        const job = display.job(first.name);
        let out;
        try {
          out = await runToDirectory(points[0].resolved, outDir, o.force, { progress: job, traceEvents, flag });
        } finally {
          job.end();
          display.close();
        }
        if (o.json) process.stdout.write(jsonText(out.summary));
        if (!o.quiet) {
          if (!o.json) process.stdout.write(summaryTable(out.summary));
          process.stderr.write(
            `wrote ${outDir}/ (wall ${out.run.wallSeconds} s, ${fmt(out.run.simulatedRequestsPerWallSecond)} simulated requests per wall second, ${out.run.speedupOverRealTime}x real time, peak ${out.run.peakRssMB} MiB)\n`,
          );
        }
        return;
      }
      const shard = o.shard ? resolveShard(o.shard) : undefined;
      if (shard?.from && !o.quiet) process.stderr.write(`--shard auto: ${shard.from}: shard ${shard.index}/${shard.count}\n`);
      const display = openProgress({ mode });
      let res;
      try {
        res = await runSweep({
          file: config,
          input,
          points,
          outDir,
          jobs: o.jobs,
          resume: o.resume,
          force: o.force,
          shard,
          progress: display,
          traceEvents,
          flag,
        });
      } finally {
        display.close();
      }
      const seeded = hasSeedDimension(points);
      const charts = first.output.charts;
      if (charts !== false && !shard) {
        const { plotCharts } = await import('../charts/plot.js');
        const names = charts === true ? SWEEP_END_CHARTS : charts.filter((n) => SWEEP_END_CHARTS.includes(n));
        const rep = await plotCharts([outDir], join(outDir, 'charts'), names, first.output.chartOptions ?? {});
        if (!o.quiet) for (const w of rep.written) process.stderr.write(`chart ${w.chart}: ${w.file}\n`);
      }
      if (o.json) {
        // Machine-readable: one object with every point (printed even with --quiet, like a single run's).
        process.stdout.write(
          jsonText({
            name: first.name,
            outDir,
            points: res.rows.map(({ point, summary }) => ({ point: point.id, dir: join(outDir, point.id), params: point.params, summary })),
            // Per configuration (points differing only in seed): as in index-configs.json.
            ...(seeded ? { configs: configStats(res.rows) } : {}),
          }),
        );
      } else if (!o.quiet && seeded) {
        // One line per configuration: mean ± 95% CI half-width over its seeds.
        const keys = Object.keys(configParams(points[0].params));
        const ci = (m: { mean: number; half: number; n: number }, show: (v: number) => string): string =>
          m.n === 0 ? '-' : m.n < 2 ? show(m.mean) : `${show(m.mean)} ± ${show(m.half)}`;
        process.stdout.write(
          table(
            configStats(res.rows).map((c) => [
              ...keys.map((k) => String(c.params[k])),
              String(c.n),
              ci(c.metrics.sloAttainment, (v) => pct(v, 3)),
              ci(c.metrics.goodput, (v) => fmt(v, 1)),
              ci(c.metrics.p99Ms, (v) => fmt(v, 2)),
            ]),
            [...keys, 'seeds', 'attainment', 'goodput r/s', 'p99 ms'],
          ),
        );
      } else if (!o.quiet) {
        const keys = Object.keys(points[0].params);
        process.stdout.write(
          table(
            res.rows.map(({ point, summary }) => {
              const m = keyMetrics(summary);
              return [...keys.map((k) => String(point.params[k])), pct(m.sloAttainment, 3), fmt(m.goodput, 1), fmt(m.p99Ms, 2), fmt(m.late), fmt(m.timeout)];
            }),
            [...keys, 'attainment', 'goodput r/s', 'p99 ms', 'late', 'timeout'],
          ),
        );
      }
      if (!o.quiet) {
        process.stderr.write(
          `wrote ${res.rows.length} points (${res.ran} run, ${res.skipped} already complete) and ${outDir}/index.csv, index.json${seeded ? ', index-configs.csv, index-configs.json' : ''} in ${res.wallSeconds.toFixed(1)} s\n`,
        );
      }
    });

  program
    .command('live')
    .description(
      'Run an experiment config in real time: the same scheduler and workload code on the real clock, each GPU a real executor ' +
        '(a worker thread with onnxruntime sessions); writes the same files as "run" (docs/live.md)',
    )
    .argument('<config>', 'experiment config JSON file (one point: a config with a "sweep" is refused)')
    .option('-o, --out <dir>', 'output directory (default: the config\'s output.dir + "-live", else results/<name>-live)')
    .option('--seed <n>', 'override the config\'s seed', (v) => {
      if (!/^\d+$/.test(v)) throw new UserError(`--seed expects a non-negative integer, found "${v}"`);
      return Number(v);
    })
    .option('--set <path=value>', 'override a config field, e.g. --set duration=5s (repeatable)', collect, [])
    .option('-f, --force', 'replace an existing non-empty output directory', false)
    .option('-q, --quiet', 'no progress lines and no summary table (--json output is still printed)', false)
    .option('--json', 'print the summary as JSON instead of a table', false)
    .option('--trace-events <from:to>', 'write trace-events.json (Chrome/Perfetto timeline) of this window of the run, e.g. 1s:2s')
    .addOption(new Option('--provider <name>', 'onnxruntime execution provider of the executors').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'intra-op threads per executor', (v) => positiveInt(v, '--threads'), 1)
    .option('--pin', 'pin each executor to a CPU of its own and the controller to the others, when there are more CPUs than executors (Linux; off by default: docs/live.md)', false)
    .option('--spin <duration>', 'timers poll the clock for this long before they are due (precision against CPU; e.g. 2ms, 0 for none; auto: 2ms when the machine has a CPU beyond one per executor, else 0)', 'auto')
    .addHelpText(
      'after',
      '\nThe run takes real time: the config\'s duration (plus up to its drain). Every model must be one the profile can rebuild ' +
        '(its "source": a zoo model or an ONNX file; docs/profiling.md). summary.json gets "mode": "live" and a "live" section ' +
        '(timer lateness percentiles, executors, provider).',
    )
    .action(async (config: string, o) => {
      const { runLiveToDirectory } = await import('../live/runner.js');
      const sets = (o.set as string[]).map(parseSetArg);
      const { r, outDir, flag } = await realTimePoint(config, 'live', sets, o.seed, o.out);
      const spin = parseSpin(o.spin);
      const traceEvents = o.traceEvents ? parseTraceWindow(o.traceEvents) : undefined;
      const out = await runLiveToDirectory(r, outDir, o.force, { progress: !o.quiet, traceEvents, flag, provider: o.provider, threads: o.threads, spin, pin: o.pin });
      if (o.json) process.stdout.write(jsonText(out.summary));
      if (!o.quiet) {
        if (!o.json) process.stdout.write(summaryTable(out.summary));
        const late = (out.summary.live as { timerLatenessUs: { controller: { p50: number | null; p99: number | null; max: number | null } } }).timerLatenessUs.controller;
        process.stderr.write(
          `wrote ${outDir}/ (live: wall ${out.run.wallSeconds} s, setup ${out.run.setupSeconds} s; controller timer lateness p50 ${late.p50} us, p99 ${late.p99} us, max ${late.max} us)\n`,
        );
      }
    });

  program
    .command('fidelity')
    .description(
      'Check the simulation against reality on this machine: run a config once simulated and --repeat times live (same seed), ' +
        'and write a comparison of every key metric, prediction errors, profile drift and charts (docs/fidelity.md)',
    )
    .argument('[config]', 'experiment config JSON file (one point: a config with a "sweep" is refused); not with --from')
    .option('-o, --out <dir>', 'output directory (default: the config\'s output.dir + "-fidelity", else results/<name>-fidelity)')
    .option('--repeat <n>', 'live runs (their spread is the noise floor)', (v) => positiveInt(v, '--repeat'), 3)
    .option('--goal <percent>', 'accepted |relative error| of the sim against the live mean, in percent (headline: goodput and p99)', (v) => {
      const m = /^(\d+(?:\.\d+)?)%?$/.exec(v.trim());
      if (!m) throw new UserError(`--goal expects a percentage >= 0 such as 10, found "${v}"`);
      return Number(m[1]) / 100;
    })
    .option('--profile <file>', 'hardware profile to use instead of the config\'s cluster.profile (one measured on this machine: servesim profile)')
    .option('--from <dir>', 'rebuild the report (fidelity.json, fidelity.md, charts/) of an existing fidelity directory from its run directories; runs nothing')
    .option('--seed <n>', 'override the config\'s seed', (v) => {
      if (!/^\d+$/.test(v)) throw new UserError(`--seed expects a non-negative integer, found "${v}"`);
      return Number(v);
    })
    .option('--set <path=value>', 'override a config field, e.g. --set duration=5s (repeatable)', collect, [])
    .option('-f, --force', 'replace an existing fidelity directory servesim wrote (never a directory holding files it did not write)', false)
    .option('-q, --quiet', 'no progress lines and no summary table (--json output is still printed)', false)
    .option('--json', 'print fidelity.json instead of the summary table', false)
    .addOption(new Option('--provider <name>', 'onnxruntime execution provider of the live executors').choices(['cpu', 'cuda']).default('cpu'))
    .option('--threads <n>', 'intra-op threads per executor', (v) => positiveInt(v, '--threads'), 1)
    .option('--pin', 'pin each executor to a CPU of its own (as live --pin)', false)
    .option('--spin <duration>', 'timers poll the clock for this long before they are due (as live --spin)', 'auto')
    .addHelpText(
      'after',
      '\nIt takes real time: --repeat times the config\'s duration (plus drain), plus model set-up. The output directory holds\n' +
        '  sim/              the simulated run (the same files as "servesim run")\n' +
        '  live-1/ ...       each live run (the same files as "servesim live")\n' +
        '  setup.json        the config, seed, options, and the profile\'s device against this machine\n' +
        '  fidelity.json     the comparison (definitions included)\n' +
        '  fidelity.md       the same, readable: headline, metrics, per model, prediction errors, profile drift, timer lateness\n' +
        '  charts/           latency-cdf.png and goodput.png (sim and every live run overlaid), each with its CSV\n' +
        '\nReading it: relative error = (sim - live mean) / live mean. The noise floor of a metric is the largest relative\n' +
        'deviation of one live run from the live mean: a difference smaller than the live runs\' own spread is not an error.\n' +
        'Verdict: "ok" within the goal, "noise" above the goal but within the noise floor, "differs" beyond both.\n' +
        'Profile drift (measured medians more than 15% from the profile\'s) means the profile was not measured on this machine\n' +
        'in this state: re-profile it here (servesim profile) and pass it with --profile.',
    )
    .action(async (config: string | undefined, o) => {
      const fid = await import('../live/fidelity.js');
      let report: Awaited<ReturnType<typeof fid.rebuildReport>>;
      if (o.from !== undefined) {
        if (config !== undefined) throw new UserError(`--from ${o.from}: rebuilds an existing directory; give no config (found "${config}")`);
        // Options of a run would be silently ignored: refuse them.
        const runOnly: Array<[unknown, string]> = [[o.out, '--out'], [o.profile, '--profile'], [o.seed, '--seed'], [(o.set as string[]).length ? o.set : undefined, '--set'], [o.force || undefined, '--force']];
        for (const [v, flag] of runOnly) if (v !== undefined) throw new UserError(`--from ${o.from}: ${flag} applies to a new run, not to rebuilding a report (only --goal, --json and --quiet do)`);
        report = await fid.rebuildReport(o.from, { goal: o.goal });
        if (!o.quiet) {
          for (const w of report.comparison.warnings) process.stderr.write(`warning: ${w}\n`);
          process.stderr.write(`rebuilt the report in ${o.from}/\n`);
        }
      } else {
        if (config === undefined) throw new UserError('fidelity: give a config file (or --from DIR to rebuild a report)');
        const sets = (o.set as string[]).map(parseSetArg);
        if (o.profile !== undefined) {
          const p = resolve(o.profile);
          if (!existsSync(p)) throw new UserError(`--profile ${o.profile}: no such file`);
          sets.push(['cluster.profile', p]);
        }
        const { r, outDir, flag } = await realTimePoint(config, 'fidelity', sets, o.seed, o.out);
        const spin = parseSpin(o.spin);
        report = await fid.runFidelity(r, {
          resolveWithProfile: async (p) => (await loadExperimentWithPlugins(config, { sets: [...sets, ['cluster.profile', p]], seed: o.seed })).points[0].resolved,
          config,
          outDir,
          flag,
          force: o.force,
          repeat: o.repeat,
          goal: o.goal ?? fid.DEFAULT_GOAL,
          provider: o.provider,
          threads: o.threads,
          spin,
          pin: o.pin,
          progress: !o.quiet,
        });
        if (!o.quiet) process.stderr.write(`wrote ${outDir}/ (fidelity.md, fidelity.json, charts/, sim/, live-1/ ... live-${o.repeat}/)\n`);
      }
      if (o.json) process.stdout.write(report.json);
      else if (!o.quiet) process.stdout.write(fid.summaryText(report.comparison, report.asServed));
    });

  program
    .command('plot')
    .description('Draw charts (PNG, SVG or PDF, each with a CSV of its plotted data) of result directories: runs are overlaid, sweep directories expand to their points')
    .argument('<dirs...>', 'result directories (a run, or a sweep with index.json)')
    .option('-c, --chart <name>', 'chart to draw (repeatable; default: all that apply; see Charts below)', collect, [])
    .option('-o, --out <dir>', 'where to write the charts (default: <dir>/charts for one directory, else ./charts)')
    .addOption(new Option('--format <formats>', 'image formats: png, svg, pdf (repeatable or comma-separated)').argParser(collect).default([], 'png'))
    .option('--width <px>', 'image width, 200 to 8000 (default 1000)', (v: string) => positiveInt(v, '--width'))
    .option('--height <px>', 'image height, 150 to 8000 (default 600)', (v: string) => positiveInt(v, '--height'))
    .option('--font-size <px>', 'base font size, 6 to 72: ticks, legend, subtitle; titles scale with it (default 12)', (v: string) => positiveInt(v, '--font-size'))
    .addOption(new Option('--x-scale <scale>', 'latency charts: x axis (auto: log when latencies span over 20x; the tail chart linear)').choices(['auto', 'log', 'linear']).default('auto'))
    .addOption(new Option('--y-scale <scale>', 'latency charts: y axis (auto: CDF linear, tail log)').choices(['auto', 'log', 'linear']).default('auto'))
    .option('--exclude-missed', 'latency charts: leave out timed-out, rejected, failed and unfinished requests (default: they count as missed, at latency +infinity)', false)
    .option('-q, --quiet', 'print nothing', false)
    .addHelpText(
      'after',
      `\nCharts:\n${chartHelp()}\n\nEach chart is written as NAME.png (and/or .svg, .pdf) with NAME.csv beside it: one row per point drawn\n(series, x axis, x, y axis, y). A scheduler has the same colour, marker and dash pattern in every chart.`,
    )
    .action(async (dirs: string[], o) => {
      const { plotCharts } = await import('../charts/plot.js');
      const out: string = o.out ?? (dirs.length === 1 ? join(dirs[0], 'charts') : 'charts');
      const names = (o.chart as string[]).length ? (o.chart as string[]) : undefined;
      const formats = (o.format as string[]).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean) as Array<'png' | 'svg' | 'pdf'>;
      const rep = await plotCharts(dirs, out, names, {
        formats,
        width: o.width,
        height: o.height,
        fontSize: o.fontSize,
        xScale: o.xScale,
        yScale: o.yScale,
        excludeMissed: o.excludeMissed,
      });
      if (!o.quiet) {
        for (const w of rep.written) process.stdout.write(`${w.chart}: ${w.file}\n`);
        for (const s of rep.skipped) process.stderr.write(`${s.chart}: skipped: ${s.reason}\n`);
      }
      if (names && rep.written.length === 0) throw new UserError(`no chart could be drawn (${rep.skipped.map((s) => `${s.chart}: ${s.reason}`).join('; ')})`);
    });

  program
    .command('compare')
    .description(
      'Key metrics of result directories side by side (sweep directories expand to their points); runs that differ only in seed are one configuration: mean ± 95% CI and n',
    )
    .argument('<dirs...>', 'result directories')
    .addOption(new Option('--format <format>', 'output format (json: keyed fields, see README.md "Machine-readable output")').choices(['table', 'markdown', 'csv', 'json']).default('table'))
    .option('--json', 'the same as --format json', false)
    .option('--per-run', 'one column per run even where runs differ only in seed (default: one column per configuration, mean ± 95% CI over its seeds)', false)
    .option('--differ', 'per metric, whether each configuration differs from the baseline beyond the 95% intervals (Welch\'s t-test, 5% level), with p', false)
    .option('--baseline <n>', 'with --differ: the configuration (column, from 1) the others are tested against (default 1)', (v) => positiveInt(v, '--baseline'))
    .action((dirs: string[], o) => {
      process.stdout.write(compareDirs(dirs, o.json ? 'json' : o.format, { perRun: o.perRun, differ: o.differ, baseline: o.baseline }));
    });

  program
    .command('merge')
    .description('Join the outputs of sweep shards (--shard i/n) into one sweep directory and index')
    .argument('<dirs...>', 'shard output directories of one sweep')
    .requiredOption('-o, --out <dir>', 'merged sweep directory (may be one of the inputs)')
    .option('--allow-partial', 'write the index even if some points are in no input', false)
    .option('-f, --force', 'replace points already in --out that differ from the shards\' (only results servesim wrote)', false)
    .option('-q, --quiet', 'print nothing', false)
    .action((dirs: string[], o) => {
      const r = mergeSweeps(dirs, { out: o.out, allowPartial: o.allowPartial, force: o.force });
      if (!o.quiet) process.stderr.write(`merged ${r.points} points (${r.copied} copied) into ${o.out}/ (index.csv, index.json)${r.missing.length ? `; missing: ${r.missing.join(' ')}` : ''}\n`);
    });

  program
    .command('validate')
    .description('Check an experiment config (every sweep point) without running it')
    .argument('<config>', 'experiment config JSON file')
    .option('--set <path=value>', 'override a config field (repeatable)', collect, [])
    .option('--json', 'print JSON: { config, ok, points: [{ id, ok, name, scheduler, ... }] }; an invalid config prints { config, ok: false, error } and exits 1', false)
    .action(async (config: string, o) => {
      if (o.json) {
        let points;
        try {
          ({ points } = await loadExperimentWithPlugins(config, { sets: (o.set as string[]).map(parseSetArg) }));
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          // The facts on stdout, the error also as the one line on stderr, exit code 1.
          process.stdout.write(jsonText({ config, ok: false, error: e.message }));
          throw e;
        }
        process.stdout.write(jsonText({ config, ok: true, points: points.map(validateFacts) }));
        return;
      }
      const { points } = await loadExperimentWithPlugins(config, { sets: (o.set as string[]).map(parseSetArg) });
      for (const p of points) {
        const r = p.resolved;
        const c = r.config;
        process.stdout.write(
          `${config}${p.id ? ` [${p.id}]` : ''}: ok: ${c.name}, ${r.scheduler.type.name} on ${c.cluster.workers * c.cluster.gpusPerWorker} x ${r.profile.device.name} ` +
            `(${r.pagesPerGpu} pages of ${r.pageSize} B), ${r.models.length} model instances, ` +
            `${r.workloads.map((w) => `${w.type.name} (slo ${formatDuration(w.slo)}${w.sloFactor ? `, factor ${w.sloFactor}` : ''})`).join(' + ')}, ` +
            `duration ${formatDuration(c.duration)}, warmup ${formatDuration(c.warmup)}, seed ${c.seed}` +
            `${r.plugins.map((x) => `; ${x.kind} plugin ${x.name} from ${x.path} (sha256 ${x.sha256.slice(0, 12)})`).join('')}\n`,
        );
      }
    });

  program
    .command('list')
    .description('List schedulers, workloads, and hardware profiles with their models')
    .addOption(new Option('--what <kind>', 'only one kind').choices(['schedulers', 'workloads', 'profiles']))
    .option('--profiles-dir <dir>', 'where to look for profiles (default: ./hw-profiles if there is one, else the package\'s)')
    .option('--json', 'print JSON: { schedulers: [{ name, description, options }], workloads: [...], profiles: { dir, profiles: [...] } } (only the kinds asked)', false)
    .action((o) => {
      const what: string | undefined = o.what;
      if (o.json) {
        const defs = (experimentJsonSchema() as any).$defs ?? {};
        const out: Record<string, unknown> = {};
        if (!what || what === 'schedulers') {
          out.schedulers = schedulerNames().map((n) => {
            const t = getScheduler(n)!;
            return { name: n, description: t.description, options: optionEntries(defs.schedulerOptions?.[n], Object.keys(t.options.shape)) };
          });
        }
        if (!what || what === 'workloads') {
          out.workloads = workloadNames().map((n) => {
            const t = getWorkload(n)!;
            return { name: n, description: t.description, options: optionEntries(defs.workloadOptions?.[n], Object.keys(t.options.shape)) };
          });
        }
        if (!what || what === 'profiles') out.profiles = profileEntries(o.profilesDir);
        process.stdout.write(jsonText(out));
        return;
      }
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
    .option('-f, --force', 'replace an existing --out file even if it is not a schema servesim wrote', false)
    .action((o) => {
      const text = jsonText(o.kind === 'profile' ? profileJsonSchema() : experimentJsonSchema());
      if (o.out) {
        // A schema servesim wrote has its own marks: scheduler options (experiment) or the profile's format field.
        const isOurs = (b: Buffer): boolean => {
          try {
            const v = JSON.parse(b.toString('utf8'));
            return v?.$defs?.schedulerOptions !== undefined || v?.properties?.format !== undefined;
          } catch {
            return false;
          }
        };
        writeOutputFile(o.out, text, { force: o.force, what: 'JSON Schema', isOurs });
      } else process.stdout.write(text);
    });

  registerTraceCommands(program);
  registerReproduceCommand(program);
  registerProfileCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  exitCleanlyOnSignals();
  try {
    // `servesim help NAME` with an unknown NAME: say so (commander prints the general help).
    const [cmd, topic] = argv.slice(2);
    if (cmd === 'help' && topic !== undefined && !program.commands.some((c) => c.name() === topic || c.aliases().includes(topic))) {
      throw new UserError(`help: unknown command "${topic}" (commands: ${program.commands.map((c) => c.name()).join(', ')})`);
    }
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
    // A system error the person's paths or disk caused (ENOSPC, EACCES, ...) that no command
    // turned into a UserError itself: still one line naming the path, not a stack trace.
    const path = (e as { path?: unknown } | null)?.path;
    if (isIoError(e) && typeof path === 'string') {
      process.stderr.write(`servesim: ${ioErrorMessage(e, path)}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
