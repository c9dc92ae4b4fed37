/**
 * A small builder for ONNX graphs with seeded random weights. Each parameter draws from its own
 * stream ("<seed>/<parameter name>"), so a model's weights depend only on the seed and the names.
 * Weights are written as raw little-endian float32 bytes (one typed array per tensor, no copies).
 */
import { endianness } from 'node:os';
import { Rng } from '../../sim/random.js';
import { AttributeType, DataType, type Attribute, type Model, type Node, type Tensor, type ValueInfo } from './proto.js';

/** Attribute values: integer -> INT, integer[] -> INTS, string -> STRING, {f} -> FLOAT, {floats} -> FLOATS, {t} -> TENSOR. */
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] } | { t: Tensor };

/** How a float parameter is initialised: uniform in [-bound, bound], or uniform in [lo, hi]. */
export type Init = { bound: number } | { lo: number; hi: number };

export interface BuilderOptions {
  /** Seed of the weights. */
  readonly seed: string;
  /** false: record parameter shapes only (for counting); the model cannot run. Default true. */
  readonly withWeights?: boolean;
}

function toAttribute(name: string, v: AttrValue): Attribute {
  if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('f' in v) return { name, type: AttributeType.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.TENSOR, t: v.t };
}

function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfo {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly inits: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly withWeights: boolean;

  constructor(
    readonly name: string,
    private readonly opts: BuilderOptions,
  ) {
    this.withWeights = opts.withWeights ?? true;
    if (this.withWeights && endianness() !== 'LE') throw new Error('ONNX raw tensor data is little-endian; this host is big-endian');
  }

  private unique(base: string): string {
    let n = base;
    while (this.names.has(n)) n = `${base}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  input(name: string, elemType: number, dims: readonly (number | string)[]): string {
    this.inputs.push(valueInfo(this.unique(name), elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: readonly (number | string)[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 parameter with seeded uniform random values (never all zeros). */
  param(name: string, dims: readonly number[], init: Init): string {
    const n = this.unique(name);
    const t: Tensor = { name: n, dataType: DataType.FLOAT, dims: [...dims] };
    if (this.withWeights) {
      let count = 1;
      for (const d of dims) count *= d;
      const lo = 'bound' in init ? -init.bound : init.lo;
      const span = 'bound' in init ? 2 * init.bound : init.hi - init.lo;
      const rng = new Rng(`${this.opts.seed}/${n}`);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = lo + span * rng.next();
      t.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    this.inits.push(t);
    return n;
  }

  /** A constant int64 tensor (shapes, indices, axes). Always materialised. */
  int64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const n = this.unique(name);
    this.inits.push({ name: n, dataType: DataType.INT64, dims: [...dims], int64Data: [...values] });
    return n;
  }

  /** A Constant node holding float32 values (not an initializer, so not counted as a parameter). */
  float(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.node('Constant', [], { value: { t: { name: '', dataType: DataType.FLOAT, dims: [...dims], floatData: [...values] } } }, name);
  }

  /** Add a node; returns its (first) output name, `out` or a fresh name derived from the op. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const o = this.unique(out ?? `${opType.toLowerCase()}_${this.nodes.length}`);
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: [...inputs],
      output: [o],
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return o;
  }

  build(opts: { opset?: number; irVersion?: number; doc?: string } = {}): Model {
    return {
      irVersion: opts.irVersion ?? 8,
      opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
      producerName: 'servesim zoo',
      producerVersion: '1',
      docString: opts.doc,
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
  }
}
