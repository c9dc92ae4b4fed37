/**
 * onnxruntime-node: sessions with recorded options, the execution-provider check, and seeded
 * random input tensors built from a graph's input declarations.
 */
import * as ort from 'onnxruntime-node';
import { Rng } from '../../sim/random.js';
import { UserError } from '../../util/errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import { attr, runtimeInputs } from '../onnx/graph.js';
import { DataType, dataTypeName, encodeModel, type Graph } from '../onnx/proto.js';

export type Provider = 'cpu' | 'cuda';
export const PROVIDERS: readonly Provider[] = ['cpu', 'cuda'];

/**
 * onnxruntime-node's install script, which downloads the CUDA provider, is denied in package.json's
 * allowScripts (README.md, "Quick start"), so `npm install` never runs it: run it by hand.
 */
export const CUDA_INSTALL_HINT = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (in the directory holding node_modules/)';

export interface RuntimeOptions {
  readonly provider: Provider;
  /** CUDA device ordinal. */
  readonly deviceId: number;
  /** Intra-op threads (the one thread setting that matters for CPU latency). */
  readonly threads: number;
}

let logLevelSet = false;

/** The exact session options used, so a profile can record them. */
export function sessionOptions(o: RuntimeOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [o.provider === 'cuda' ? { name: 'cuda', deviceId: o.deviceId } : 'cpu'],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
}

export function onnxruntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
}

/** Create a session; returns it and the wall time it took (ms). */
export async function createSession(bytes: Uint8Array, o: RuntimeOptions, source: string): Promise<{ session: ort.InferenceSession; ms: number }> {
  if (!logLevelSet) {
    // Errors reach the user as messages; onnxruntime's own log lines would only repeat them.
    ort.env.logLevel = 'fatal';
    logLevelSet = true;
  }
  const t0 = performance.now();
  try {
    const session = await ort.InferenceSession.create(bytes, sessionOptions(o));
    return { session, ms: performance.now() - t0 };
  } catch (e) {
    throw new UserError(`${source}: onnxruntime cannot load the model: ${firstLine((e as Error).message)}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

/** A tiny probe: input x float32 [n], output y = ReduceMax(x) (a scalar). */
export function probeModelBytes(): Uint8Array {
  const b = new GraphBuilder('probe', { seed: 'probe' });
  const x = b.input('x', DataType.FLOAT, ['n']);
  b.node('ReduceMax', [x], { keepdims: 0 }, 'y');
  b.output('y', DataType.FLOAT, []);
  return encodeModel(b.build({ opset: 17 }));
}

/**
 * Stop unless the provider can create sessions here. Never falls back: a CUDA profile measured
 * on the CPU would be silently wrong.
 */
export async function checkProvider(o: RuntimeOptions): Promise<void> {
  if (o.provider === 'cpu') return;
  const listed = ort.listSupportedBackends().some((b) => b.name === o.provider);
  if (!listed) {
    throw new UserError(`execution provider "${o.provider}" is not supported by onnxruntime-node on ${process.platform}/${process.arch}`);
  }
  try {
    const { session } = await createSession(probeModelBytes(), o, 'probe');
    await session.release();
  } catch (e) {
    const why = e instanceof UserError ? e.message.replace(/^probe: onnxruntime cannot load the model: /, '') : (e as Error).message;
    throw new UserError(
      `execution provider "cuda" is not available (${why}). onnxruntime-node installs without its CUDA libraries by default; ` +
        `on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, download it with: ${CUDA_INSTALL_HINT}`,
    );
  }
}

/** One runtime input: element type and dims, the batch dimension marked 'batch'. */
export interface InputSpec {
  readonly name: string;
  readonly elemType: number;
  readonly dims: ReadonlyArray<number | 'batch'>;
  /** Integer inputs used as Gather indices: values are drawn from [1, bound) (token ids). */
  readonly indexBound?: number;
}

const ORT_TYPES: Record<number, ort.Tensor.Type> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
};

/**
 * The inputs to feed, from the graph's declarations. Dim 0 is the batch when `batchDim0` is true;
 * other symbolic dimensions take their size from `dims` (else an error says which to give).
 */
export function inputSpecs(graph: Graph, source: string, dims: Readonly<Record<string, number>>, batchDim0: boolean): InputSpec[] {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  return runtimeInputs(graph).map((v) => {
    const name = v.name ?? '';
    const tt = v.type?.tensorType;
    if (!tt) throw new UserError(`${source}: input "${name}" is not a tensor (sequences and maps are not supported)`);
    const elemType = tt.elemType ?? 0;
    if (!ORT_TYPES[elemType]) throw new UserError(`${source}: input "${name}" has element type ${dataTypeName(elemType)}, which the harness cannot generate`);
    const declared = tt.shape?.dim;
    if (!declared) throw new UserError(`${source}: input "${name}" has no declared shape; the harness needs one to generate inputs`);
    const shape = declared.map((d, i): number | 'batch' => {
      if (i === 0 && batchDim0) return 'batch';
      if (d.dimValue !== undefined && d.dimValue > 0) return d.dimValue;
      const size = d.dimParam !== undefined ? dims[d.dimParam] : undefined;
      if (size === undefined) {
        const what = d.dimParam ? `symbolic dimension "${d.dimParam}"` : 'an unnamed dynamic dimension';
        throw new UserError(`${source}: input "${name}" dimension ${i} is ${what}; give its size with --dim ${d.dimParam ?? 'NAME'}=SIZE`);
      }
      return size;
    });
    // Integer inputs that index a table (token ids) must stay inside it.
    let indexBound: number | undefined;
    for (const n of graph.node ?? []) {
      if (n.opType === 'Gather' && n.input?.[1] === name) {
        const table = inits.get(n.input[0]);
        const axis = attr(n, 'axis')?.i ?? 0;
        const rows = table?.dims?.[axis < 0 ? axis + table.dims.length : axis];
        if (rows !== undefined) indexBound = Math.min(indexBound ?? Infinity, rows);
      }
    }
    return { name, elemType, dims: shape, indexBound };
  });
}

function float16Bits(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = (x >>> 13) & 0x3ff;
  if (exp <= 0) return sign; // tiny values flush to zero; inputs here are in [-1, 1] away from 0 mostly
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | mant;
}

/**
 * Seeded random input tensors for `batch` items: floats uniform in [-1, 1], index inputs in
 * [1, bound), other integers over their range (int32/int64 without a table: 1, as for masks),
 * booleans true.
 */
export function makeFeeds(specs: readonly InputSpec[], batch: number, seed: string): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const s of specs) {
    const dims = s.dims.map((d) => (d === 'batch' ? batch : d));
    const n = dims.reduce((a, d) => a * d, 1);
    const rng = new Rng(`${seed}/${s.name}/${batch}`);
    const type = ORT_TYPES[s.elemType];
    let data: ort.Tensor.DataType;
    switch (type) {
      case 'float32':
      case 'float64': {
        const a = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
        data = a;
        break;
      }
      case 'float16': {
        const a = new Uint16Array(n);
        for (let i = 0; i < n; i++) a[i] = float16Bits(rng.uniform(-1, 1));
        data = a;
        break;
      }
      case 'int64':
      case 'uint64': {
        const a = type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
        for (let i = 0; i < n; i++) a[i] = BigInt(s.indexBound ? 1 + rng.int(Math.max(1, s.indexBound - 1)) : 1);
        data = a;
        break;
      }
      case 'int32':
      case 'uint32': {
        const a = type === 'int32' ? new Int32Array(n) : new Uint32Array(n);
        for (let i = 0; i < n; i++) a[i] = s.indexBound ? 1 + rng.int(Math.max(1, s.indexBound - 1)) : 1;
        data = a;
        break;
      }
      case 'uint8':
      case 'int8':
      case 'uint16':
      case 'int16': {
        const bits = type.endsWith('8') ? 8 : 16;
        const signed = type.startsWith('int');
        const a = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array }[type];
        const arr = new a(n);
        const lo = signed ? -(2 ** (bits - 1)) : 0;
        for (let i = 0; i < n; i++) arr[i] = lo + rng.int(2 ** bits);
        data = arr;
        break;
      }
      case 'bool': {
        data = new Uint8Array(n).fill(1);
        break;
      }
      default:
        throw new Error(`unsupported input type ${type}`);
    }
    feeds[s.name] = new ort.Tensor(type, data, dims);
  }
  return feeds;
}

const TYPE_BYTES: Partial<Record<ort.Tensor.Type, number>> = {
  float32: 4, float64: 8, float16: 2, int64: 8, uint64: 8, int32: 4, uint32: 4, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1,
};

/** Bytes of a set of tensors (string tensors count their UTF-8 bytes). */
export function tensorsBytes(tensors: Readonly<Record<string, ort.Tensor>>): number {
  let total = 0;
  for (const t of Object.values(tensors)) {
    if (t.type === 'string') total += (t.data as string[]).reduce((a, s) => a + Buffer.byteLength(s), 0);
    else total += t.size * (TYPE_BYTES[t.type] ?? 0);
  }
  return total;
}
