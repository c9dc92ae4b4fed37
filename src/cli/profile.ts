/**
 * `servesim profile` (measure models on this machine's CPU or GPU into a hardware profile) and
 * `servesim zoo` (list and write the synthetic ONNX models).
 */
import { cpus } from 'node:os';
import { Command, Option } from 'commander';
import { checkOutputFile, writeOutputFile } from '../util/output.js';
import { countParameters } from '../models/onnx/graph.js';
import { encodeModel } from '../models/onnx/proto.js';
import {
  checkHarnessOptions,
  checkModelName,
  checkProfileOutput,
  collectSources,
  DEFAULTS,
  mergeProfile,
  OPTION_LIMITS,
  profileModels,
  readMergeBase,
  writeProfile,
  type HarnessOptions,
} from '../models/harness/harness.js';
import { checkProvider, CUDA_INSTALL_HINT, PROVIDERS, type Provider } from '../models/harness/runtime.js';
import { buildZooModel, FAMILY_OPTIONS, ZOO, zooEntry, type ZooFamily } from '../models/zoo/index.js';
import { MAX_COUNT } from '../util/units-zod.js';
import { MS } from '../sim/time.js';
import { parseDuration, QuantityRangeError, RANGE_TEXT } from '../util/units.js';
import { UserError } from '../util/errors.js';
import { RESERVED_KEYS } from '../util/json-input.js';

/** An integer option in [min, max] (safe), or a one-line error naming the flag. */
function intOption(flag: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UserError(`${flag}: expected an integer between ${min} and ${max}, found "${v}"`);
    }
    return n;
  };
}

function intList(flag: string, max: number) {
  return (v: string): number[] => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of positive integers, found "${v}"`);
    const list = items.map(intOption(flag, 1, max));
    return [...new Set(list)].sort((a, b) => a - b);
  };
}

function durationMs(flag: string) {
  return (v: string): number => {
    let ns: number;
    try {
      ns = parseDuration(v, MS);
    } catch (e) {
      if (e instanceof QuantityRangeError) throw new UserError(`${flag}: expected a duration ${RANGE_TEXT.duration.nonNegative}, found "${v}"`);
      throw new UserError(`${flag}: ${(e as Error).message}`);
    }
    if (ns < 0) throw new UserError(`${flag}: expected a duration ${RANGE_TEXT.duration.nonNegative}, found "${v}"`);
    return ns / MS;
  };
}

function dimAssignment(v: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(v);
  if (!m) throw new UserError(`--dim: expected NAME=SIZE (e.g. seq=128), found "${v}"`);
  if (RESERVED_KEYS.has(m[1])) throw new UserError(`--dim: "${m[1]}" is not allowed as a dimension name`);
  const size = intOption(`--dim ${m[1]}`, 1, OPTION_LIMITS.count)(m[2]);
  return { ...previous, [m[1]]: size };
}

/** An ONNX file servesim's zoo wrote (its producer name is near the start of the file). */
const isZooModel = (b: Buffer): boolean => b.subarray(0, 512).includes('servesim zoo');
const zooOutput = (force: boolean) => ({ force, what: 'ONNX model', isOurs: isZooModel });

interface ProfileFlags {
  zoo?: string;
  provider: Provider;
  deviceId: number;
  batch: number[];
  threads?: number;
  warmup: number;
  runs: number;
  minTime: number;
  maxTime: number;
  loadRuns: number;
  samples: number;
  dim: Record<string, number>;
  seed: string;
  name?: string;
  deviceName?: string;
  machine?: string;
  weightsMemory: string;
  pageSize: string;
  out?: string;
  merge?: string;
  force: boolean;
  interference: boolean;
  interferenceK?: number;
}

/** --interference without --interference-k: the logical cores, at least 2 and at most 4. */
export const defaultInterferenceK = (): number => Math.min(4, Math.max(2, cpus().length));

function addProfileCommand(program: Command): void {
  program
    .command('profile')
    .summary('Measure ONNX models on this machine (CPU or CUDA) into a hardware profile')
    .description(
      'Measure ONNX models with onnxruntime-node on this machine\'s CPU or an NVIDIA GPU and write a hardware profile ' +
        '(the JSON the simulator samples from).\n\n' +
        'Inputs are .onnx files, directories of .onnx files, and/or --zoo names (synthetic models with seeded ' +
        'random weights; see `servesim zoo list`). Per model and batch size: warm-up runs, then timed runs until both ' +
        '--runs and --min-time are reached (or --max-time is spent, keeping at least 3 runs). Latencies are stored as ' +
        'percentiles (0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100) plus a stratified sample of at most --samples runs, ' +
        'in milliseconds. Input data is random from --seed, never zeros.\n\n' +
        'Models with a fixed batch of 1 get a symbolic batch: dim 0 of the inputs and outputs and the leading 1 of ' +
        'activation Reshape targets are rewritten, and the result is checked by running it at batch 2. When that is not ' +
        'possible the model is profiled at batch 1 only, with a note in the profile and a warning here.\n\n' +
        `CUDA needs onnxruntime-node's CUDA build: ${CUDA_INSTALL_HINT}\n` +
        'Progress goes to stderr; the profile to --out (or the --merge file, or stdout).',
    )
    .argument('[inputs...]', 'ONNX files or directories of .onnx files')
    .option('--zoo <names>', 'comma-separated zoo models to build and profile (e.g. resnet18,resnet50,mobilenetv2,bert-mini)')
    .addOption(new Option('--provider <name>', 'execution provider').choices(PROVIDERS).default('cpu'))
    .option('--device-id <n>', 'CUDA device ordinal', intOption('--device-id', 0, OPTION_LIMITS.deviceId), 0)
    .addOption(
      new Option('--batch <list>', `comma-separated batch sizes (each 1..${OPTION_LIMITS.batchSize})`)
        .argParser(intList('--batch', OPTION_LIMITS.batchSize))
        .default([...DEFAULTS.batchSizes], DEFAULTS.batchSizes.join(',')),
    )
    .option('--threads <n>', 'onnxruntime intra-op threads (default: logical cores)', intOption('--threads', 1, OPTION_LIMITS.threads))
    .option('--warmup <n>', 'untimed runs before timing each batch size (capped at a quarter of --max-time)', intOption('--warmup', 0, OPTION_LIMITS.count), DEFAULTS.warmup)
    .option('--runs <n>', 'minimum timed runs per batch size', intOption('--runs', 1, OPTION_LIMITS.count), DEFAULTS.minRuns)
    .addOption(new Option('--min-time <duration>', 'minimum timed duration per batch size, e.g. 2s or 500ms').argParser(durationMs('--min-time')).default(DEFAULTS.minTimeMs, `${DEFAULTS.minTimeMs / 1000}s`))
    .addOption(new Option('--max-time <duration>', 'time budget per batch size (and for the load measurement)').argParser(durationMs('--max-time')).default(DEFAULTS.maxTimeMs, `${DEFAULTS.maxTimeMs / 1000}s`))
    .option('--load-runs <n>', 'session creations timed for the load cost', intOption('--load-runs', 1, OPTION_LIMITS.count), DEFAULTS.loadRuns)
    .option('--samples <n>', 'most measurements kept per distribution', intOption('--samples', 1, OPTION_LIMITS.count), DEFAULTS.sampleSize)
    .addOption(new Option('--dim <name=size>', 'size of a symbolic input dimension other than the batch (repeatable)').argParser(dimAssignment).default({}, 'none'))
    .option('--seed <seed>', 'seed of the input data and of zoo weights', DEFAULTS.seed)
    .option('--name <name>', 'name of the model in the profile (one input only; default: file name or zoo name)')
    .option('--device-name <name>', 'device name in the profile (default: CPU model or GPU name)')
    .option('--machine <text>', 'provenance: the machine measured (default: host name)')
    .option('--weights-memory <size|percent>', 'memory for weights in the simulated device, e.g. 8GiB or 50%', DEFAULTS.weightsMemory)
    .option('--page-size <size>', 'weights cache page size of the simulated device', DEFAULTS.pageSize)
    .option('--out <file>', 'write the profile here (default: the --merge file, else stdout)')
    .option('--merge <file>', 'add the measured models to this profile (same device), replacing same-named models')
    .option('-f, --force', 'replace an existing --out file even if it is not a profile servesim wrote', false)
    .option(
      '--interference',
      'also measure interference: k concurrent sessions of the first model at its smallest and largest batch size, k = 1..--interference-k ' +
        '(device.interference with "source": "measured"; without it, speedup [1] "assumed")',
      false,
    )
    .option(
      '--interference-k <n>',
      `most concurrent sessions of --interference (implies it; default: logical cores, 2..4)`,
      intOption('--interference-k', 2, OPTION_LIMITS.interferenceK),
    )
    .action(async (inputs: string[], f: ProfileFlags) => {
      const threads = Math.min(f.threads ?? cpus().length, OPTION_LIMITS.threads);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const options: HarnessOptions = {
        provider: f.provider,
        deviceId: f.deviceId,
        threads,
        batchSizes: f.batch,
        warmup: f.warmup,
        minRuns: f.runs,
        minTimeMs: f.minTime,
        maxTimeMs: Math.max(f.maxTime, f.minTime),
        loadRuns: f.loadRuns,
        sampleSize: f.samples,
        seed: f.seed,
        dims: f.dim,
        name: f.deviceName,
        machine: f.machine,
        weightsMemory: f.weightsMemory,
        pageSize: f.pageSize,
        interferenceK: f.interferenceK ?? (f.interference ? defaultInterferenceK() : undefined),
        log,
      };
      // Every option, the inputs and the --merge file are checked before any model is built or measured.
      checkHarnessOptions(options);
      if (f.name !== undefined) checkModelName(f.name);
      if (f.merge !== undefined) readMergeBase(f.merge);
      const outFile = f.out ?? f.merge;
      if (outFile) checkProfileOutput(outFile, f.force);
      const zoo = (f.zoo ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const sources = collectSources(inputs, zoo, f.seed, f.name);
      await checkProvider({ provider: f.provider, deviceId: f.deviceId, threads });
      const started = performance.now();
      const measured = await profileModels(sources, options);
      const profile = f.merge ? mergeProfile(f.merge, measured) : measured;
      const out = f.out ?? f.merge;
      if (out) {
        writeProfile(out, profile, f.force);
        log(`wrote ${out} (${Object.keys(measured.models).length} model(s) in ${((performance.now() - started) / 1000).toFixed(0)} s)`);
      } else {
        process.stdout.write(JSON.stringify(profile, null, 2) + '\n');
      }
    });
}

const ZOO_FLAGS = [...new Set(Object.values(FAMILY_OPTIONS).flatMap((o) => Object.keys(o)))];

function addZooCommands(program: Command): void {
  const zoo = program
    .command('zoo')
    .summary('List or write the synthetic ONNX models (standard architectures, seeded random weights)')
    .description('Standard architectures written as ONNX (opset 17, symbolic batch) with seeded random weights, so hardware can be profiled with no downloads.');

  zoo
    .command('list')
    .description('List the zoo models with their parameter counts, and the options of each family')
    .action(() => {
      const rows = ZOO.map((z) => {
        const params = countParameters(buildZooModel(z.name, {}, { seed: '1', withWeights: false }).graph!);
        return [z.name, params.toLocaleString('en-US'), z.description];
      });
      const w0 = Math.max(4, ...rows.map((r) => r[0].length));
      const w1 = Math.max(10, ...rows.map((r) => r[1].length));
      process.stdout.write(`${'name'.padEnd(w0)}  ${'parameters'.padStart(w1)}  description\n`);
      for (const r of rows) process.stdout.write(`${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}\n`);
      process.stdout.write('\nOptions of `servesim zoo build` per family:\n');
      for (const [family, opts] of Object.entries(FAMILY_OPTIONS) as [ZooFamily, Record<string, string>][]) {
        process.stdout.write(`  ${family}: ${Object.entries(opts).map(([k, d]) => `--${k} (${d})`).join(', ')}\n`);
      }
    });

  const build = zoo
    .command('build')
    .description('Write a zoo model as an .onnx file (opset 17, symbolic batch, seeded random weights)')
    .argument('<name>', 'zoo model (see `servesim zoo list`)')
    .requiredOption('--out <file>', 'output .onnx file')
    .option('--seed <seed>', 'seed of the weights', DEFAULTS.seed)
    .option('-f, --force', 'replace an existing --out file even if servesim did not write it', false);
  for (const k of ZOO_FLAGS) {
    build.option(`--${k} <n>`, `override: ${k} (families: ${Object.entries(FAMILY_OPTIONS).filter(([, o]) => k in o).map(([f]) => f).join(', ')})`, intOption(`--${k}`, 1, MAX_COUNT));
  }
  build.action((name: string, f: Record<string, string | number>) => {
    const entry = zooEntry(name);
    checkOutputFile(String(f.out), zooOutput(Boolean(f.force)));
    const overrides: Record<string, number> = {};
    for (const k of ZOO_FLAGS) if (f[k] !== undefined) overrides[k] = f[k] as number;
    const model = buildZooModel(entry.name, overrides, { seed: String(f.seed) });
    const bytes = encodeModel(model);
    writeOutputFile(String(f.out), bytes, zooOutput(Boolean(f.force)));
    process.stderr.write(`wrote ${f.out}: ${entry.name}, ${countParameters(model.graph!).toLocaleString('en-US')} parameters, ${(bytes.length / 2 ** 20).toFixed(1)} MiB\n`);
  });
}

/** Add `profile` and `zoo` to the servesim CLI. */
export function registerProfileCommands(program: Command): void {
  addProfileCommand(program);
  addZooCommands(program);
}
