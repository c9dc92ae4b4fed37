/**
 * Hardware profiles: a versioned JSON format describing a device and, per model, the measured
 * distributions the simulator samples from. Validated on load; every number the simulator uses
 * about hardware comes from here (or from the experiment config, which may override a few).
 *
 * Format (version 1), durations in milliseconds:
 * {
 *   "format": "servesim-hw-profile", "version": 1,
 *   "device": { "name", "kind": "gpu"|"cpu", "memory"?, "weightsMemory", "pageSize",
 *               "pcie": { "bandwidth", "latency" },
 *               "interference": { "speedup": [1, 1.25], "extraCv": 0.05, "source": "measured"|"assumed", "measuredWith"?: {...} } },
 *   "provenance": { "source", "tool"?, "versions"?, "date", "machine"?, "citation"?, "notes"? },
 *   "models": { "<name>": { "weightsBytes", "inputBytes", "outputBytes", "batchSizes": [1,2,4,8,16],
 *       "exec": { "<batch>": Distribution }, "firstExec"?: { "<batch>": Distribution }, "load": Distribution,
 *       "source"?: { "zoo", "seed", "options"? } | { "onnx", "sha256", "dims"? }, "provenance"?: {...} } }
 * }
 * Distribution = { "percentiles": { "<p in 0..100>": ms, ... }, "samples"?: [ms, ...] }
 */
import { z } from 'zod';
import type { DeviceHardware, Hardware, ModelHardware } from '../sim/hardware.js';
import { Empirical } from '../sim/random.js';
import { MAX_DURATION, MAX_SIZE, MS } from '../sim/time.js';
import { sha256 } from '../util/hash.js';
import { readInputFile } from '../util/io.js';
import { checkJsonValue, parseJsonInput } from '../util/json-input.js';
import { parseOrThrow } from '../util/zod-errors.js';
import { MAX_COUNT, MAX_FACTOR, zBandwidth, zDuration, zSize } from '../util/units-zod.js';

export const PROFILE_FORMAT = 'servesim-hw-profile';
export const PROFILE_VERSION = 1;

const percentileKey = z.string().regex(/^(100(\.0+)?|[1-9]?[0-9](\.[0-9]+)?)$/, 'expected a percentile key between "0" and "100"');

/** A measured duration in milliseconds: positive, at most MAX_DURATION (30 days) like every duration. */
const durationMs = z.number().positive().max(MAX_DURATION / MS);
/** A byte count: an integer of at most MAX_SIZE (1 PiB). */
const bytes = z.number().int().max(MAX_SIZE);

export const DistributionSchema = z
  .strictObject({
    percentiles: z.record(percentileKey, durationMs).optional(),
    samples: z.array(durationMs).max(100_000).optional(),
  })
  .refine((d) => (d.percentiles && Object.keys(d.percentiles).length > 0) || (d.samples && d.samples.length > 0), {
    message: 'expected "percentiles" and/or "samples"',
  })
  .refine(
    (d) => {
      if (!d.percentiles) return true;
      const pts = Object.entries(d.percentiles)
        .map(([p, v]) => [Number(p), v] as const)
        .sort((a, b) => a[0] - b[0]);
      return pts.every((p, i) => i === 0 || p[1] >= pts[i - 1][1]);
    },
    { message: 'expected percentile values that do not decrease as the percentile grows' },
  );
export type DistributionJson = z.input<typeof DistributionSchema>;

export const ProvenanceSchema = z.looseObject({
  source: z.string(),
  tool: z.string().optional(),
  versions: z.record(z.string(), z.string()).optional(),
  date: z.string().optional(),
  machine: z.string().optional(),
  citation: z.string().optional(),
  notes: z.string().optional(),
});

/** Where a profile's interference figures come from (README.md, "Hardware profiles"). */
export const INTERFERENCE_SOURCES = ['measured', 'assumed'] as const;
export type InterferenceSource = (typeof INTERFERENCE_SOURCES)[number];

/** The aggregate speed-up of k overlapping executions, speedup[k-1]; the last value repeats. */
export const zSpeedup = () => z.array(z.number().positive().max(MAX_FACTOR)).min(1).max(MAX_COUNT);
/** Extra coefficient of variation of an execution that overlaps another. */
export const zExtraCv = () => z.number().min(0).max(MAX_FACTOR);

/**
 * How `servesim profile --interference` measured the figures (src/models/harness/interference.ts):
 * the model, batch sizes, numbers of concurrent sessions, and the figures of each batch size.
 */
const count = () => z.number().int().nonnegative().max(MAX_COUNT);
export const InterferenceMeasurementSchema = z.strictObject({
  model: z.string().min(1),
  batchSizes: z.array(count().positive()).min(1).max(MAX_COUNT),
  /** The numbers of concurrent sessions measured: 1..k. */
  sessions: z.array(count().positive()).min(1).max(MAX_COUNT),
  intraOpThreads: count().positive().optional(),
  method: z.string().optional(),
  /** Per batch size: speed-up per k, extra CV, throughput (items/s), CV of run times and runs per k. */
  perBatch: z
    .record(
      z.string().regex(/^[1-9][0-9]*$/, 'expected a batch size key'),
      z.strictObject({
        speedup: z.array(z.number().nonnegative().max(MAX_FACTOR)).max(MAX_COUNT),
        extraCv: zExtraCv(),
        throughputPerSec: z.array(z.number().nonnegative().max(MAX_FACTOR)).max(MAX_COUNT).optional(),
        cv: z.array(z.number().nonnegative().max(MAX_FACTOR)).max(MAX_COUNT).optional(),
        runs: z.array(count()).max(MAX_COUNT).optional(),
      }),
    )
    .optional(),
  /** Wall time of the measurement (s). */
  seconds: z.number().nonnegative().max(MAX_DURATION / MS).optional(),
});

export const InterferenceSchema = z
  .strictObject({
    /** speedup[k-1]: aggregate throughput of k overlapping executions relative to one; the last value repeats. */
    speedup: zSpeedup(),
    /** Extra coefficient of variation applied to each execution that overlaps another. */
    extraCv: zExtraCv().default(0),
    /**
     * "measured" (by `servesim profile --interference`, or another measurement described in the
     * provenance) or "assumed" (chosen, not measured). Missing means "assumed": version-1
     * profiles written before this field existed said nothing about where the figures came from.
     */
    source: z.enum(INTERFERENCE_SOURCES).default('assumed'),
    /** How the figures were measured (source "measured" only). */
    measuredWith: InterferenceMeasurementSchema.optional(),
    notes: z.string().optional(),
  })
  .superRefine((i, ctx) => {
    if (i.measuredWith !== undefined && i.source !== 'measured') {
      ctx.addIssue({ code: 'custom', path: ['measuredWith'], message: 'expected only with "source": "measured"' });
    }
  });

/**
 * Where a model's ONNX came from, so `servesim live` can build the same model (docs/profiling.md,
 * "Model source"): a zoo model (name, weight seed, option overrides) or an ONNX file (its path as
 * given to the profiler, and the sha256 of its bytes; `dims`: sizes given for symbolic dimensions).
 */
export const ModelSourceSchema = z.union([
  z.strictObject({
    zoo: z.string().min(1),
    seed: z.string(),
    options: z.record(z.string(), z.number().int().positive().max(MAX_COUNT)).optional(),
  }),
  z.strictObject({
    onnx: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
    dims: z.record(z.string(), z.number().int().positive().max(MAX_COUNT)).optional(),
  }),
]);
export type ModelSourceJson = z.output<typeof ModelSourceSchema>;

export const ModelProfileSchema = z
  .strictObject({
    weightsBytes: bytes.positive(),
    inputBytes: bytes.nonnegative(),
    outputBytes: bytes.nonnegative(),
    batchSizes: z.array(z.number().int().positive().max(MAX_COUNT)).min(1),
    exec: z.record(z.string().regex(/^[1-9][0-9]*$/, 'expected a batch size key'), DistributionSchema),
    /**
     * The first execution at a batch size after each LOAD (docs/profiling.md, "First runs"): a
     * fresh onnxruntime session's first run at a shape plans and allocates its memory, and can take
     * several times a later run. Batch sizes without an entry run as `exec` says every time.
     */
    firstExec: z.record(z.string().regex(/^[1-9][0-9]*$/, 'expected a batch size key'), DistributionSchema).optional(),
    load: DistributionSchema,
    /** Device memory a loaded instance takes beyond its weights (e.g. a CUDA session's workspace), bytes. */
    extraMemoryBytes: bytes.nonnegative().optional(),
    /** Where the model came from (written by `servesim profile`; read by `servesim live`). */
    source: ModelSourceSchema.optional(),
    provenance: ProvenanceSchema.optional(),
    notes: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    const sizes = [...m.batchSizes].sort((a, b) => a - b);
    if (sizes.some((b, i) => i > 0 && b === sizes[i - 1])) {
      ctx.addIssue({ code: 'custom', path: ['batchSizes'], message: 'expected distinct batch sizes' });
    }
    for (const b of sizes) {
      if (!m.exec[String(b)]) ctx.addIssue({ code: 'custom', path: ['exec', String(b)], message: `expected a distribution for batch size ${b}` });
    }
    for (const [field, d] of [['exec', m.exec], ['firstExec', m.firstExec ?? {}]] as const) {
      for (const k of Object.keys(d)) {
        if (!sizes.includes(Number(k))) ctx.addIssue({ code: 'custom', path: [field, k], message: `batch size ${k} is not listed in batchSizes` });
      }
    }
  });
export type ModelProfileJson = z.input<typeof ModelProfileSchema>;

export const DeviceSchema = z
  .strictObject({
    name: z.string().min(1),
    kind: z.enum(['gpu', 'cpu']),
    memory: zSize().optional(),
    weightsMemory: zSize(),
    pageSize: zSize(),
    pcie: z.strictObject({ bandwidth: zBandwidth(), latency: zDuration({ allowZero: true }) }),
    interference: InterferenceSchema.default({ speedup: [1], extraCv: 0, source: 'assumed' }),
    /** Free-form facts about the device (cores, driver, cpu model...). */
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .superRefine((d, ctx) => {
    // The weight cache lives in the device's memory, and must hold at least one page.
    if (d.memory !== undefined && d.weightsMemory > d.memory) {
      ctx.addIssue({ code: 'custom', path: ['weightsMemory'], message: `expected at most device.memory (${d.memory} bytes)` });
    } else if (d.pageSize > d.weightsMemory) {
      ctx.addIssue({ code: 'custom', path: ['pageSize'], message: `expected at most device.weightsMemory (${d.weightsMemory} bytes)` });
    }
  });

export const ProfileSchema = z.strictObject({
  $schema: z.string().optional(),
  format: z.literal(PROFILE_FORMAT),
  version: z.literal(PROFILE_VERSION),
  device: DeviceSchema,
  provenance: ProvenanceSchema,
  models: z.record(z.string().min(1), ModelProfileSchema),
});
export type ProfileJson = z.input<typeof ProfileSchema>;

/**
 * A model's resolved profile: durations in integer nanoseconds. The engine reads the part declared
 * in src/sim/hardware.ts (ModelHardware: sizes, batch sizes, exec and load distributions).
 */
export interface ModelProfile extends ModelHardware {
  readonly weightsBytes: number;
  readonly extraMemoryBytes: number;
  /** Where the model came from, when the profile says (`source`). */
  readonly source?: ModelSourceJson;
  /** The model's free-text `provenance.source` (older profiles: "zoo:NAME (seed S)" or a file path). */
  readonly provenanceSource?: string;
}

/** The resolved device; the engine reads the part in src/sim/hardware.ts (DeviceHardware). */
export interface DeviceProfile extends DeviceHardware {
  readonly name: string;
  readonly kind: 'gpu' | 'cpu';
  readonly weightsMemoryBytes: number;
  readonly pageSizeBytes: number;
  /**
   * Where `interference` comes from: the profile's "measured" or "assumed", or "config" when the
   * experiment's `cluster.interference` overrides it (withInterference).
   */
  readonly interferenceSource: InterferenceSource | 'config';
}

export interface HardwareProfile extends Hardware {
  readonly path: string;
  /** sha256 of the file's bytes. */
  readonly hash: string;
  readonly device: DeviceProfile;
  readonly models: ReadonlyMap<string, ModelProfile>;
}

function toEmpirical(d: z.output<typeof DistributionSchema>): Empirical {
  const pts = Object.entries(d.percentiles ?? {}).map(([p, v]) => [Number(p), v * MS] as [number, number]);
  return new Empirical(pts, d.samples?.map((s) => s * MS));
}

export function resolveProfile(json: unknown, path: string, hash = ''): HardwareProfile {
  checkJsonValue(json, path);
  const p = parseOrThrow(ProfileSchema, json, path);
  const models = new Map<string, ModelProfile>();
  for (const [name, m] of Object.entries(p.models)) {
    const batchSizes = [...m.batchSizes].sort((a, b) => a - b);
    models.set(name, {
      name,
      weightsBytes: m.weightsBytes,
      inputBytes: m.inputBytes,
      outputBytes: m.outputBytes,
      batchSizes,
      exec: new Map(batchSizes.map((b) => [b, toEmpirical(m.exec[String(b)])])),
      ...(m.firstExec && Object.keys(m.firstExec).length > 0
        ? { firstExec: new Map(batchSizes.filter((b) => m.firstExec![String(b)]).map((b) => [b, toEmpirical(m.firstExec![String(b)])])) }
        : {}),
      load: toEmpirical(m.load),
      extraMemoryBytes: m.extraMemoryBytes ?? 0,
      ...(m.source ? { source: m.source } : {}),
      ...(m.provenance?.source ? { provenanceSource: m.provenance.source } : {}),
    });
  }
  const d = p.device;
  return {
    path,
    hash,
    models,
    device: {
      name: d.name,
      kind: d.kind,
      weightsMemoryBytes: d.weightsMemory,
      pageSizeBytes: d.pageSize,
      pcieBandwidth: d.pcie.bandwidth,
      pcieLatency: d.pcie.latency,
      interference: { speedup: d.interference.speedup, extraCv: d.interference.extraCv },
      interferenceSource: d.interference.source,
    },
  };
}

/** An interference override (the experiment's `cluster.interference`): each field given replaces the profile's. */
export interface InterferenceOverride {
  readonly speedup?: readonly number[];
  readonly extraCv?: number;
}

/**
 * The profile with its device's interference replaced field by field (a new object; the cached
 * profile is left alone). Without an override, the profile itself.
 */
export function withInterference(p: HardwareProfile, o: InterferenceOverride | undefined): HardwareProfile {
  if (!o || (o.speedup === undefined && o.extraCv === undefined)) return p;
  const interference = { speedup: o.speedup ?? p.device.interference.speedup, extraCv: o.extraCv ?? p.device.interference.extraCv };
  return { ...p, device: { ...p.device, interference, interferenceSource: 'config' } };
}

const cache = new Map<string, HardwareProfile>();

/**
 * Read a profile file as JSON: a regular file of bounded size (never a FIFO or device), parse
 * errors with line and column, no reserved field names (src/util/json-input.ts).
 */
export function readProfileJson(path: string): { json: unknown; bytes: Buffer } {
  const bytes = readInputFile(path, 'hardware profile');
  return { json: parseJsonInput(bytes.toString('utf8'), path, { topObject: true }), bytes };
}

/** Load and validate a profile file (cached by path and content hash). */
export function loadProfile(path: string): HardwareProfile {
  const bytes = readInputFile(path, 'hardware profile');
  const hash = sha256(bytes);
  const key = `${path}\0${hash}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const json = parseJsonInput(bytes.toString('utf8'), path, { topObject: true });
  const prof = resolveProfile(json, path, hash);
  cache.set(key, prof);
  return prof;
}

/** JSON Schema of the profile format, for editors. */
export function profileJsonSchema(): unknown {
  return z.toJSONSchema(ProfileSchema, { io: 'input', unrepresentable: 'any' });
}
