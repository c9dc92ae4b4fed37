/**
 * The profiling harness: runs ONNX models under onnxruntime-node and writes a hardware profile
 * (src/models/profile.ts) with, per model, the execution-latency distribution at each batch size,
 * the load cost, weights and input/output bytes, and how it was all measured.
 *
 * Per model: make the batch symbolic (checking the rewrite by running it), time `warmup` untimed
 * runs then timed runs until both `minRuns` and `minTimeMs` are reached (or `maxTimeMs` is spent,
 * with at least 3 runs), for every batch size; then time `loadRuns` session creations (CPU: that
 * is the load cost; CUDA: the load cost is the host->device copy of the weights, measured with the
 * transfer probe, and session creation times go to the provenance), each new session running every
 * batch size once, timed: the first run at a shape after a LOAD (`firstExec`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, extname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkOutputFile, jsonHas, writeOutputFile, type OutputFileOptions } from '../../util/output.js';
import { UserError } from '../../util/errors.js';
import { VERSION } from '../../version.js';
import { makeBatchSymbolic, type BatchRewrite } from '../onnx/batch.js';
import { analyzeConstants, opsetVersion } from '../onnx/graph.js';
import { encodeModel, readModelFile, type Model } from '../onnx/proto.js';
import { MAX_DURATION, MS } from '../../sim/time.js';
import { RESERVED_KEYS } from '../../util/json-input.js';
import { sha256 } from '../../util/hash.js';
import { PROFILE_FORMAT, PROFILE_VERSION, readProfileJson, resolveProfile, type DistributionJson, type ModelProfileJson, type ProfileJson } from '../profile.js';
import { buildZooModel, zooEntry } from '../zoo/index.js';
import { measureInterference, type InterferenceModel } from './interference.js';
import { describeDevice, gpuMemoryOfThisProcess, parseSizeOption, parseWeightsMemory, TransferProbe, type DeviceOptions } from './device.js';
import { createSession, inputSpecs, makeFeeds, onnxruntimeVersion, tensorsBytes, checkProvider, type InputSpec } from './runtime.js';
import { median, summarize } from './stats.js';

export const DEFAULTS = {
  batchSizes: [1, 2, 4, 8, 16],
  warmup: 5,
  minRuns: 20,
  minTimeMs: 2000,
  maxTimeMs: 20_000,
  loadRuns: 5,
  sampleSize: 200,
  seed: '1',
  weightsMemory: '50%',
  pageSize: '16MiB',
} as const;

/** Fewest timed runs kept for a batch size even when its time budget is spent. */
const MIN_RUNS_FLOOR = 3;

/** Bounds of the integer options (the flags of `servesim profile`, docs/profiling.md). */
export const OPTION_LIMITS = {
  batchSize: 4096,
  deviceId: 1023,
  threads: 1024,
  /** --warmup, --runs, --load-runs, --samples, --dim sizes. */
  count: 1_000_000,
  /** --interference-k: concurrent sessions (each its own thread). */
  interferenceK: 64,
} as const;

/**
 * Check every option before anything is built or measured: the integers are safe and within
 * OPTION_LIMITS, the durations finite, --page-size and --weights-memory well-formed (the weights
 * memory as a size at least one page), names not reserved. Messages name the CLI flag.
 */
export function checkHarnessOptions(o: HarnessOptions): void {
  const int = (flag: string, v: number, min: number, max: number) => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new UserError(`${flag}: expected an integer between ${min} and ${max}, found ${v}`);
  };
  if (o.batchSizes.length === 0) throw new UserError('--batch: expected at least one batch size, found none');
  for (const b of o.batchSizes) int('--batch', b, 1, OPTION_LIMITS.batchSize);
  int('--device-id', o.deviceId, 0, OPTION_LIMITS.deviceId);
  int('--threads', o.threads, 1, OPTION_LIMITS.threads);
  int('--warmup', o.warmup, 0, OPTION_LIMITS.count);
  int('--runs', o.minRuns, 1, OPTION_LIMITS.count);
  int('--load-runs', o.loadRuns, 1, OPTION_LIMITS.count);
  int('--samples', o.sampleSize, 1, OPTION_LIMITS.count);
  if (o.interferenceK !== undefined) int('--interference-k', o.interferenceK, 2, OPTION_LIMITS.interferenceK);
  for (const [flag, ms] of [['--min-time', o.minTimeMs], ['--max-time', o.maxTimeMs]] as const) {
    if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION / MS)) throw new UserError(`${flag}: expected a duration between 0 and 30d, found ${ms} ms`);
  }
  for (const [name, size] of Object.entries(o.dims)) {
    if (RESERVED_KEYS.has(name) || name === '') throw new UserError(`--dim: "${name}" is not allowed as a dimension name`);
    int(`--dim ${name}`, size, 1, OPTION_LIMITS.count);
  }
  const pageSize = parseSizeOption('--page-size', o.pageSize);
  const wm = parseWeightsMemory(o.weightsMemory);
  if ('bytes' in wm && wm.bytes < pageSize) {
    throw new UserError(`--page-size: expected at most --weights-memory (${wm.bytes} bytes), found "${o.pageSize}" (${pageSize} bytes)`);
  }
  if (o.name !== undefined && o.name.trim() === '') throw new UserError('--device-name: expected a name, found ""');
}

/** The name a model gets in a profile (--name): not empty, not a reserved field name. */
export function checkModelName(name: string, flag = '--name'): string {
  if (name === '' || RESERVED_KEYS.has(name)) throw new UserError(`${flag}: expected a model name, found "${name}"${name ? ' (a reserved name)' : ''}`);
  return name;
}

export interface HarnessOptions extends DeviceOptions {
  readonly batchSizes: readonly number[];
  readonly warmup: number;
  readonly minRuns: number;
  readonly minTimeMs: number;
  readonly maxTimeMs: number;
  readonly loadRuns: number;
  readonly sampleSize: number;
  /** Seed of the input data (and of zoo weights). */
  readonly seed: string;
  /** Sizes of symbolic input dimensions other than the batch. */
  readonly dims: Readonly<Record<string, number>>;
  /** Provenance: where this was measured. */
  readonly machine?: string;
  /**
   * Measure interference (src/models/harness/interference.ts) with 1..interferenceK concurrent
   * sessions of the first model; undefined: not measured (the device gets speedup [1], "assumed").
   */
  readonly interferenceK?: number;
  readonly log: (line: string) => void;
}

/** A model to profile: its name in the profile, where it came from, and how to get the decoded graph. */
export interface ModelSource {
  readonly name: string;
  readonly origin: string;
  /** Where the model came from, recorded in the profile (`source`) so `servesim live` can rebuild it. */
  readonly spec?: { zoo: string; seed: string } | { onnx: string; sha256: string };
  /** Called once, when the model's turn comes (zoo models are built then, not all up front). */
  readonly load: () => Model;
}

/** Expand CLI inputs (files, directories of .onnx files) and zoo names into model sources. */
export function collectSources(paths: readonly string[], zoo: readonly string[], seed: string, name?: string): ModelSource[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UserError(`${p}: no such file or directory`);
    if (statSync(p).isDirectory()) {
      const found = readdirSync(p)
        .filter((f) => f.toLowerCase().endsWith('.onnx'))
        .sort()
        .map((f) => join(p, f));
      if (found.length === 0) throw new UserError(`${p}: directory contains no .onnx files`);
      files.push(...found);
    } else files.push(p);
  }
  const sources: ModelSource[] = files.map((f) => {
    const { model, bytes } = readModelFile(f); // decoded now, so a bad file stops the run before any measuring
    return { name: basename(f, extname(f)), origin: f, spec: { onnx: f, sha256: sha256(bytes) }, load: () => model };
  });
  for (const z of zoo) {
    zooEntry(z);
    sources.push({ name: z, origin: `zoo:${z} (seed ${seed})`, spec: { zoo: z, seed }, load: () => buildZooModel(z, {}, { seed }) });
  }
  if (sources.length === 0) throw new UserError('nothing to profile: give ONNX files or directories, and/or --zoo names');
  if (name !== undefined) {
    if (sources.length !== 1) throw new UserError(`--name applies to a single model, found ${sources.length}`);
    return [{ ...sources[0], name: checkModelName(name) }];
  }
  const seen = new Set<string>();
  for (const s of sources) {
    if (RESERVED_KEYS.has(s.name)) throw new UserError(`${s.origin}: "${s.name}" cannot name a model in a profile; give another with --name`);
    if (seen.has(s.name)) throw new UserError(`two models would both be named "${s.name}" in the profile; profile them separately with --name`);
    seen.add(s.name);
  }
  return sources;
}

interface Prepared {
  readonly bytes: Uint8Array;
  readonly specs: InputSpec[];
  readonly batchSizes: number[];
  readonly batchNote: string;
  readonly notes: string[];
  readonly session: ort.InferenceSession;
  readonly firstCreateMs: number;
}

function rowsMatch(a: ort.Tensor, b: ort.Tensor, row: number): boolean {
  const per = b.size;
  const x = a.data as ArrayLike<number | bigint>;
  const y = b.data as ArrayLike<number | bigint>;
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < per; i++) {
    const u = Number(x[row * per + i]);
    const v = Number(y[i]);
    maxAbs = Math.max(maxAbs, Math.abs(v));
    maxDiff = Math.max(maxDiff, Math.abs(u - v));
  }
  return maxDiff <= 1e-3 * Math.max(maxAbs, 1e-6) || maxDiff <= 1e-6;
}

function sliceItem(feeds: Record<string, ort.Tensor>, item: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    const per = t.size / t.dims[0];
    const data = (t.data as Float32Array).subarray(item * per, (item + 1) * per);
    out[k] = new ort.Tensor(t.type as 'float32', data, [1, ...t.dims.slice(1)]);
  }
  return out;
}

/** Run the rewritten model at batch 2 and per item at batch 1: the rows must agree. Returns a reason on failure. */
async function verifyBatch(session: ort.InferenceSession, specs: InputSpec[], seed: string): Promise<string | undefined> {
  try {
    const feeds = makeFeeds(specs, 2, `${seed}/verify`);
    const two = await session.run(feeds);
    for (const item of [0, 1]) {
      const one = await session.run(sliceItem(feeds, item));
      for (const [name, t1] of Object.entries(one)) {
        const t2 = two[name];
        if (t2.dims[0] !== 2 || t1.dims[0] !== 1) return `output "${name}" has ${t2.dims[0]} rows at batch 2`;
        if (t2.dims.slice(1).join() !== t1.dims.slice(1).join()) return `output "${name}" changes shape with the batch`;
        if (t1.type !== 'string' && !rowsMatch(t2, t1, item)) return `output "${name}" at batch 2 differs from batch 1 for the same item`;
      }
    }
    return undefined;
  } catch (e) {
    return `it fails at batch 2 (${(e as Error).message.split('\n')[0]})`;
  }
}

async function prepare(src: ModelSource, model: Model, o: HarnessOptions): Promise<Prepared> {
  const rw: BatchRewrite = makeBatchSymbolic(model);
  const notes: string[] = [];
  const fixedOnly = (reason: string, batch: number) => {
    const note = `batch fixed at ${batch}: ${reason}; profiled at batch ${batch} only`;
    o.log(`${src.name}: warning: ${note}`);
    notes.push(note);
  };
  if (rw.status === 'rewritten') {
    const bytes = encodeModel(rw.model);
    const specs = inputSpecs(rw.model.graph!, src.origin, o.dims, true);
    let created: { session: ort.InferenceSession; ms: number } | undefined;
    let failure: string | undefined;
    try {
      created = await createSession(bytes, o, src.origin);
      failure = await verifyBatch(created.session, specs, o.seed);
    } catch (e) {
      failure = `the rewritten model does not load (${(e as Error).message})`;
    }
    if (created && !failure) {
      const what = rw.reshapes === 0 ? 'input/output dim 0' : `input/output dim 0 and ${rw.reshapes} Reshape target${rw.reshapes === 1 ? '' : 's'}`;
      const batchNote = `made symbolic: ${what} rewritten (checked at batch 2)`;
      o.log(`${src.name}: batch ${batchNote}`);
      return { bytes, specs, batchSizes: [...o.batchSizes], batchNote, notes, session: created.session, firstCreateMs: created.ms };
    }
    if (created) await created.session.release();
    fixedOnly(`rewriting it to a symbolic batch failed the check (${failure})`, 1);
  } else if (rw.status === 'fixed') {
    fixedOnly(rw.reason ?? 'the batch dimension is fixed', rw.fixedBatch ?? 1);
  }
  const symbolic = rw.status === 'symbolic';
  if (symbolic) o.log(`${src.name}: batch symbolic in the model`);
  const bytes = encodeModel(model);
  const specs = inputSpecs(model.graph!, src.origin, o.dims, symbolic);
  const fixedBatch = rw.status === 'symbolic' ? undefined : rw.status === 'fixed' ? rw.fixedBatch ?? 1 : 1;
  const { session, ms } = await createSession(bytes, o, src.origin);
  return {
    bytes,
    specs: fixedBatch === undefined ? specs : specs.map((s) => ({ ...s, dims: s.dims.map((d) => (d === 'batch' ? fixedBatch : d)) })),
    batchSizes: fixedBatch === undefined ? [...o.batchSizes] : [fixedBatch],
    batchNote: symbolic ? 'symbolic in the model' : `fixed at ${fixedBatch}`,
    notes,
    session,
    firstCreateMs: ms,
  };
}

/** Timed runs of one batch size: warm-up, then until minRuns and minTime (or the maxTime budget). */
async function timeBatch(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, o: HarnessOptions): Promise<number[]> {
  const warmStart = performance.now();
  for (let i = 0; i < o.warmup; i++) {
    await session.run(feeds);
    if (performance.now() - warmStart > o.maxTimeMs / 4) break;
  }
  const times: number[] = [];
  const start = performance.now();
  for (;;) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const elapsed = performance.now() - start;
    if (times.length >= o.minRuns && elapsed >= o.minTimeMs) break;
    if (times.length >= MIN_RUNS_FLOOR && elapsed >= o.maxTimeMs) break;
    if (times.length >= 100_000) break;
  }
  return times;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** A model's profile, and what an interference measurement of it needs. */
interface Profiled {
  readonly json: ModelProfileJson;
  readonly runnable: InterferenceModel;
}

async function profileModel(src: ModelSource, o: HarnessOptions, probe: TransferProbe | undefined): Promise<Profiled> {
  const t0 = performance.now();
  o.log(`${src.name}: ${src.origin}`);
  const gpuBefore = o.provider === 'cuda' ? gpuMemoryOfThisProcess() : undefined;
  const model = src.load();
  const p = await prepare(src, model, o);
  const exec: Record<string, DistributionJson> = {};
  const runs: Record<string, number> = {};
  const batchSizes: number[] = [];
  let inputBytes = 0;
  let outputBytes = 0;
  try {
    for (const b of p.batchSizes) {
      const feeds = makeFeeds(p.specs, b, o.seed);
      let outs: ort.InferenceSession.OnnxValueMapType;
      try {
        outs = await p.session.run(feeds);
      } catch (e) {
        const why = (e as Error).message.split('\n')[0];
        if (b === p.batchSizes[0]) throw new UserError(`${src.origin}: running the model at batch ${b} failed: ${why}`);
        p.notes.push(`batch ${b} not profiled: the run failed (${why})`);
        o.log(`${src.name}: warning: batch ${b} failed (${why}); skipped`);
        continue;
      }
      if (batchSizes.length === 0) {
        inputBytes = Math.round(tensorsBytes(feeds) / b);
        outputBytes = Math.round(tensorsBytes(outs as Record<string, ort.Tensor>) / b);
      }
      const times = await timeBatch(p.session, feeds, o);
      const dist = summarize(times, o.sampleSize);
      exec[String(b)] = dist;
      runs[String(b)] = times.length;
      batchSizes.push(b);
      const pc = dist.percentiles!;
      o.log(`${src.name} b${b}: ${times.length} runs, p50 ${fmt(pc['50'])} ms, p99 ${fmt(pc['99'])} ms`);
    }
  } finally {
    await p.session.release();
  }
  let extraMemoryBytes: number | undefined;
  const { weightsBytes, unknownSize } = analyzeConstants(model.graph!, model.irVersion ?? 0, opsetVersion(model.opsetImport));
  if (unknownSize.length > 0) p.notes.push(`weightsBytes leaves out ${unknownSize.length} folded constant(s) of unknown size`);

  // Load cost: repeated session creations, then on CUDA the weights transfer. Each new session runs
  // every batch size once, timed: a session's first run at a shape (firstExec).
  const creates: number[] = [p.firstCreateMs];
  const firsts = new Map<number, number[]>(batchSizes.map((b) => [b, []]));
  const loadStart = performance.now();
  for (let i = 0; i < o.loadRuns; i++) {
    const { session, ms } = await createSession(p.bytes, o, src.origin);
    for (const b of batchSizes) {
      const feeds = makeFeeds(p.specs, b, o.seed);
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      firsts.get(b)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (i === 0 && o.provider === 'cuda' && gpuBefore !== undefined) {
      // The session's arena grows while running; measured after a run at every batch size.
      const after = gpuMemoryOfThisProcess();
      if (after !== undefined) extraMemoryBytes = Math.max(0, after - gpuBefore - weightsBytes);
    }
    await session.release();
    creates.push(ms);
    if (i >= 1 && performance.now() - loadStart > o.maxTimeMs) break;
  }
  const firstExec = Object.fromEntries(batchSizes.map((b) => [String(b), summarize(firsts.get(b)!, o.sampleSize)]));
  const sessionCreate = summarize(creates.slice(1).length > 0 ? creates.slice(1) : creates, o.sampleSize);
  let load = sessionCreate;
  if (probe) load = summarize(await probe.transferTimes(Math.max(weightsBytes, 4), Math.max(o.loadRuns, 10)), o.sampleSize);
  o.log(`${src.name}: load ${fmt(median(load.samples!))} ms, weights ${(weightsBytes / 2 ** 20).toFixed(1)} MiB, profiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const json: ModelProfileJson = {
    weightsBytes: Math.max(1, weightsBytes),
    inputBytes,
    outputBytes,
    batchSizes,
    exec,
    firstExec,
    load,
    ...(extraMemoryBytes !== undefined ? { extraMemoryBytes } : {}),
    ...(src.spec ? { source: 'onnx' in src.spec && Object.keys(o.dims).length > 0 ? { ...src.spec, dims: { ...o.dims } } : src.spec } : {}),
    provenance: {
      source: src.origin,
      date: new Date().toISOString(),
      batch: p.batchNote,
      runs,
      load: probe ? 'host->device copy of the weights (transfer probe)' : 'onnxruntime session creation',
      sessionCreate: { first: Math.round(p.firstCreateMs * 10) / 10, ...sessionCreate.percentiles },
    },
    ...(p.notes.length > 0 ? { notes: p.notes.join('; ') } : {}),
  };
  return { json, runnable: { name: src.name, bytes: p.bytes, specs: p.specs, batchSizes } };
}

/** Profile `sources` and return the profile JSON (validated). */
export async function profileModels(sources: readonly ModelSource[], o: HarnessOptions): Promise<ProfileJson> {
  checkHarnessOptions(o);
  await checkProvider(o);
  const started = performance.now();
  const device = await describeDevice(o);
  const probe = o.provider === 'cuda' ? await TransferProbe.open(o) : undefined;
  const models: Record<string, ModelProfileJson> = {};
  let first: InterferenceModel | undefined;
  try {
    for (const s of sources) {
      const m = await profileModel(s, o, probe);
      models[s.name] = m.json;
      first ??= m.runnable;
    }
  } finally {
    await probe?.release();
  }
  if (o.interferenceK !== undefined && first) {
    o.log(`interference: ${first.name}, 1..${o.interferenceK} concurrent sessions`);
    device.interference = await measureInterference(first, { ...o, maxK: o.interferenceK });
  }
  const options = {
    provider: o.provider,
    ...(o.provider === 'cuda' ? { deviceId: o.deviceId } : {}),
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    batchSizes: [...o.batchSizes],
    warmup: o.warmup,
    minRuns: o.minRuns,
    minTimeMs: o.minTimeMs,
    maxTimeMs: o.maxTimeMs,
    loadRuns: o.loadRuns,
    sampleSize: o.sampleSize,
    seed: o.seed,
    ...(Object.keys(o.dims).length > 0 ? { dims: o.dims } : {}),
    ...(o.interferenceK !== undefined ? { interferenceK: o.interferenceK } : {}),
  };
  const profile: ProfileJson = {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    device,
    provenance: {
      source: `measured with servesim profile (onnxruntime-node, ${o.provider} execution provider)`,
      tool: 'servesim profile',
      versions: { servesim: VERSION, 'onnxruntime-node': onnxruntimeVersion(), node: process.version },
      date: new Date().toISOString(),
      machine: o.machine ?? hostname(),
      notes:
        'exec: wall time of InferenceSession.run per batch (ms), percentiles and a stratified sample of the timed runs; ' +
        (o.provider === 'cuda' ? 'load: host->device copy time of the weights' : 'load: session creation time'),
      profilingSeconds: Math.round((performance.now() - started) / 1000),
      options,
    },
    models,
  };
  resolveProfile(profile, 'profile'); // throws if anything measured does not fit the schema
  return profile;
}

/** Add `added`'s models to the profile in `basePath` (replacing same-named ones); the devices must match. */
export function mergeProfile(basePath: string, added: ProfileJson): ProfileJson {
  const base = readMergeBase(basePath);
  const resolved = resolveProfile(base, basePath);
  if (resolved.device.kind !== added.device.kind || resolved.device.name !== added.device.name) {
    throw new UserError(
      `${basePath}: its device "${resolved.device.name}" (${resolved.device.kind}) is not the profiled device "${added.device.name}" (${added.device.kind}); ` +
        'profiles of different devices cannot be merged (use --device-name to match, or write a new file with --out)',
    );
  }
  const names = Object.keys(added.models);
  const took = typeof added.provenance.profilingSeconds === 'number' ? ` in ${added.provenance.profilingSeconds} s` : '';
  const note = `${added.provenance.date ?? new Date().toISOString()}: ${names.join(', ')} added by ${added.provenance.tool ?? 'servesim profile'}${took}`;
  // Interference measured in this run replaces the base's figures; otherwise the base's stay.
  const measured = added.device.interference?.source === 'measured';
  return {
    ...base,
    ...(measured ? { device: { ...base.device, interference: added.device.interference } } : {}),
    provenance: { ...base.provenance, notes: base.provenance.notes ? `${base.provenance.notes}; ${note}` : note },
    models: { ...base.models, ...added.models },
  };
}

/**
 * Read and validate the profile a run will merge into (--merge): a bounded regular file holding a
 * valid profile. The CLI calls this before measuring anything.
 */
export function readMergeBase(basePath: string): ProfileJson {
  const { json } = readProfileJson(basePath);
  resolveProfile(json, basePath);
  return json as ProfileJson;
}

/** A profile servesim wrote (its format field), which `--out` may replace without --force. */
const profileOutput = (force: boolean): OutputFileOptions => ({
  force,
  what: 'hardware profile',
  isOurs: (b) => jsonHas(b, 'format', (v) => v === 'servesim-hw-profile'),
});

/** Check where a profile will be written, before anything is measured. */
export function checkProfileOutput(path: string, force = false): void {
  checkOutputFile(path, profileOutput(force));
}

/** Validate and write a profile atomically (temporary file, then rename). */
export function writeProfile(path: string, profile: ProfileJson, force = false): void {
  resolveProfile(profile, path);
  writeOutputFile(path, JSON.stringify(profile, null, 2) + '\n', profileOutput(force));
}
