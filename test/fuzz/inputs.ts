/**
 * Valid inputs the fuzz suite starts from: a small hardware profile (2 models of the V100 profile),
 * a small experiment config for each scheduler and workload type, and small valid trace files in
 * the three formats. Generators in arbitraries.ts corrupt these one thing at a time.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schedulerNames } from '../../src/schedulers/index.js';
import { workloadNames } from '../../src/traces/index.js';
import { invocationFileName } from '../../src/traces/azure2019.js';
import { jsonText } from './fields.js';
import { sharedFile } from './harness.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SCHEDULERS = schedulerNames();
export const WORKLOADS = workloadNames();

const V100 = JSON.parse(readFileSync(join(ROOT, 'hw-profiles', 'v100-clockwork.json'), 'utf8'));

/** Model names of the small profile. */
export const MINI_MODELS = ['resnet50_v2', 'resnet18_v2'] as const;

/** A 2-model copy of the V100 profile (fresh object each call). */
export function miniProfile(): Record<string, any> {
  return JSON.parse(
    JSON.stringify({
      format: V100.format,
      version: V100.version,
      device: V100.device,
      provenance: { source: 'servesim fuzz suite: two models of hw-profiles/v100-clockwork.json', date: '2020-11-04' },
      models: Object.fromEntries(MINI_MODELS.map((m) => [m, V100.models[m]])),
    }),
  );
}

/** Fastest execution of each model of a profile at any batch size, ns (the 0th percentile or the smallest sample). */
export function fastestExecNs(profile: Record<string, any>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, m] of Object.entries<any>(profile.models)) {
    let best = Infinity;
    for (const d of Object.values<any>(m.exec)) {
      const ps = Object.entries<number>(d.percentiles ?? {}).sort((a, b) => Number(a[0]) - Number(b[0]));
      if (ps.length) best = Math.min(best, ps[0][1]);
      for (const s of d.samples ?? []) best = Math.min(best, s);
    }
    out[name] = best * 1e6;
  }
  return out;
}

// ------------------------------------------------------------------ traces

export const MINUTES = 1440;
export const HEADER_2019 = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: MINUTES }, (_, i) => String(i + 1))];
export const HEADER_2021 = ['app', 'func', 'end_timestamp', 'duration'];

/** Rows of a 2019 invocations file: each a list of 1444 fields. */
export function rows2019(counts: number[][]): string[][] {
  return counts.map((c, i) => {
    const minutes = new Array(MINUTES).fill('0');
    c.forEach((v, j) => (minutes[j] = String(v)));
    return [`owner${i}`, `app${i}`, `func${i}`, 'http', ...minutes];
  });
}

export function csv(rows: string[][], eol = '\n'): string {
  return rows.map((r) => r.join(',')).join(eol) + eol;
}

export const trace2019 = (counts: number[][] = [[3, 1, 2], [1]]): string => csv([HEADER_2019, ...rows2019(counts)]);
export const trace2021 = (rows: Array<[number, number]> = [[0.5, 0.1], [1.2, 0.3], [1.5, 0.2]]): string =>
  csv([HEADER_2021, ...rows.map(([end, dur], i) => [`app${i % 2}`, `func${i % 3}`, String(end), String(dur)])]);
export const traceTimestamps = (values: string[] = ['2023-11-16 18:17:03.9799600', '2023-11-16 18:17:04.25', '2023-11-16 18:17:04.5']): string =>
  csv([['timestamp'], ...values.map((v) => [v])]);

// ------------------------------------------------------------------ configs

/** File names inside a case's sandbox. */
export const CONFIG = 'exp.json';
export const PROFILE = 'profile.json';
export const TRACE = 'trace.csv';
export const TRACE_DIR = 'azure';

/** Shared (read-only, absolute) copies of the valid inputs. */
export const shared = {
  profile: (): string => sharedFile('profile.json', () => jsonText(miniProfile())),
  trace2019: (): string => sharedFile('shared-2019.csv', () => trace2019()),
  trace2019Dir: (): string => dirname(sharedFile(join('shared-azure', invocationFileName(1)), () => trace2019())),
  trace2021: (): string => sharedFile('shared-2021.csv', () => trace2021()),
  timestamps: (): string => sharedFile('shared-times.csv', () => traceTimestamps()),
};

/** The options of a small valid workload of each type (with `slo`), reading the shared traces. */
export function workloadBase(type: string): Record<string, unknown> {
  switch (type) {
    case 'poisson':
      return { type, rate: 40, slo: '100ms' };
    case 'closed-loop':
      return { type, concurrency: 2, slo: '100ms' };
    case 'azure-2019':
      return { type, files: [shared.trace2019()], slo: '100ms' };
    case 'azure-2021':
      return { type, file: shared.trace2021(), slo: '100ms' };
    case 'timestamps':
      return { type, file: shared.timestamps(), slo: '100ms' };
    case 'bursty-activation':
      return { type, majorRate: 40, minorRate: 10, interval: '500ms', slo: '100ms' };
    case 'slo-ramp':
      return { type, rate: 40, ramp: { every: '500ms' } };
    default:
      return { type };
  }
}

/** A small valid experiment: 1 GPU, 3 instances of the 2 models of the small (shared) profile, 2 s simulated. */
export function baseConfig(scheduler: string, workload: string, opts: { block?: boolean; profile?: string } = {}): Record<string, any> {
  return {
    $schema: 'https://example.org/experiment.schema.json',
    name: 'fuzz',
    description: 'fuzz suite base config',
    seed: 1,
    duration: '2s',
    warmup: '200ms',
    drain: '1s',
    cluster: {
      profile: opts.profile ?? shared.profile(),
      workers: 1,
      gpusPerWorker: 1,
      pageSize: '16MiB',
      weightsMemory: '4GiB',
      network: { clientLatency: '50us', clientBandwidth: '10Gbit/s', workerLatency: '50us', workerBandwidth: '1.25GB/s' },
      inputLead: '5ms',
    },
    models: [
      { profile: MINI_MODELS[0], copies: 2, name: 'big' },
      { profile: '*', exclude: [MINI_MODELS[0]] },
    ],
    workload: workloadBase(workload),
    scheduler: opts.block ? { type: scheduler, [scheduler]: {} } : { type: scheduler },
    output: { requests: false, charts: false },
    metrics: { window: '500ms' },
  };
}

/** A shared copy of a base config (for cases that vary only the command line or another file). */
export function sharedConfig(name: string, make: () => Record<string, unknown>): string {
  return sharedFile(`${name}.json`, () => jsonText(make()));
}
