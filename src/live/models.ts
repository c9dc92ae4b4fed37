/**
 * The models a live run executes: the same ONNX the profile was measured with, rebuilt from the
 * profile's record of where each model came from (docs/live.md, "Models").
 *
 * - `source: { zoo, seed, options? }`: the zoo model, built again (its weights are seeded, so the
 *   bytes are the same).
 * - `source: { onnx, sha256, dims? }`: the file (path as given to the profiler: absolute, else
 *   relative to the working directory, else to the profile's directory), checked against its hash,
 *   with the batch made symbolic as the profiler did.
 * - no `source` (profiles written before it existed): a `provenance.source` of the form
 *   "zoo:NAME (seed S)", which is how the profiler has always described zoo models.
 * Anything else is a UserError naming the model and how to fix it.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { makeBatchSymbolic } from '../models/onnx/batch.js';
import { encodeModel, readModelFile, type Model } from '../models/onnx/proto.js';
import { inputSpecs, type InputSpec } from '../models/harness/runtime.js';
import type { HardwareProfile, ModelProfile, ModelSourceJson } from '../models/profile.js';
import { buildZooModel } from '../models/zoo/index.js';
import { sha256 } from '../util/hash.js';
import { UserError } from '../util/errors.js';

/** A model as an executor needs it: ONNX bytes and how to generate its inputs. */
export interface LiveModel {
  /** Profile model name. */
  readonly name: string;
  /** Where it came from, for messages and the manifest ("zoo:resnet18 (seed 1)", a path). */
  readonly origin: string;
  readonly bytes: Uint8Array;
  /** Inputs; dim 'batch' takes the padded batch size. */
  readonly specs: InputSpec[];
}

const ZOO_PROVENANCE = /^zoo:([A-Za-z0-9_.-]+) \(seed (.*)\)$/;

/** The model's source: its `source` field, else one read from `provenance.source`, else null. */
export function modelSource(m: ModelProfile): ModelSourceJson | null {
  if (m.source) return m.source;
  const z = m.provenanceSource ? ZOO_PROVENANCE.exec(m.provenanceSource) : null;
  return z ? { zoo: z[1], seed: z[2] } : null;
}

function fromModel(name: string, origin: string, model: Model, dims: Readonly<Record<string, number>>): LiveModel {
  const rw = makeBatchSymbolic(model);
  const run = rw.status === 'rewritten' ? rw.model : model;
  const batchDim0 = rw.status !== 'fixed';
  let specs = inputSpecs(run.graph!, origin, dims, batchDim0);
  if (!batchDim0) {
    const fixed = rw.fixedBatch ?? 1;
    specs = specs.map((s) => ({ ...s, dims: s.dims.map((d) => (d === 'batch' ? fixed : d)) }));
  }
  return { name, origin, bytes: encodeModel(run), specs };
}

/** Build the ONNX model of profile model `name` (see the file comment), or throw a UserError. */
export function liveModel(profile: HardwareProfile, name: string): LiveModel {
  const m = profile.models.get(name);
  if (!m) throw new UserError(`${profile.path}: no model "${name}"`);
  const src = modelSource(m);
  const fix =
    'servesim live runs the ONNX model a profile was measured with: re-profile it with servesim profile (which records "source"), ' +
    'or add "source": {"zoo": NAME, "seed": "1"} or {"onnx": PATH, "sha256": HEX} to the model in the profile';
  if (!src) {
    throw new UserError(
      `${profile.path}: model "${name}" does not record where it came from${m.provenanceSource ? ` (provenance: "${m.provenanceSource}")` : ''}; ${fix}`,
    );
  }
  if ('zoo' in src) {
    const origin = `zoo:${src.zoo} (seed ${src.seed})${src.options ? ` ${JSON.stringify(src.options)}` : ''}`;
    return fromModel(name, origin, buildZooModel(src.zoo, src.options ?? {}, { seed: src.seed }), {});
  }
  const candidates = isAbsolute(src.onnx) ? [src.onnx] : [src.onnx, join(dirname(profile.path), src.onnx)];
  const file = candidates.find((c) => existsSync(c));
  if (!file) throw new UserError(`${profile.path}: model "${name}": ONNX file ${candidates.join(' or ')} not found; ${fix}`);
  const { model, bytes } = readModelFile(file);
  const hash = sha256(bytes);
  if (hash !== src.sha256) {
    throw new UserError(`${profile.path}: model "${name}": ${file} has sha256 ${hash}, not the ${src.sha256} it was profiled with; ${fix}`);
  }
  return fromModel(name, file, model, src.dims ?? {});
}
