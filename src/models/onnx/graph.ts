/**
 * Static analysis of ONNX graphs: which tensors are constants, their shapes where they can be
 * inferred, the weight bytes a runtime holds after constant folding, and parameter counts.
 */
import { DataType, elementBytes, type Attribute, type Graph, type Node, type Tensor, type ValueInfo } from './proto.js';

/** Ops whose outputs are random: never constants even when all their inputs are. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

export function attr(node: Node, name: string): Attribute | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Elements of a stored tensor (from its dims). */
export function tensorElements(t: Tensor): number {
  return product(t.dims ?? []);
}

/** Bytes of a stored tensor's elements (0 for strings and unknown types). */
export function tensorBytes(t: Tensor): number {
  return tensorElements(t) * (elementBytes(t.dataType ?? 0) ?? 0);
}

/** The values of an integer tensor (int64 or int32), from typed fields or raw little-endian bytes. */
export function integerValues(t: Tensor): number[] | undefined {
  if (t.dataType === DataType.INT64) {
    if (t.int64Data && t.int64Data.length > 0) return [...t.int64Data];
    if (t.rawData) {
      const raw = t.rawData;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out: number[] = [];
      for (let i = 0; i + 8 <= raw.byteLength; i += 8) out.push(Number(view.getBigInt64(i, true)));
      return out;
    }
    return tensorElements(t) === 0 ? [] : undefined;
  }
  if (t.dataType === DataType.INT32) {
    if (t.int32Data && t.int32Data.length > 0) return [...t.int32Data];
    if (t.rawData) {
      const raw = t.rawData;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out: number[] = [];
      for (let i = 0; i + 4 <= raw.byteLength; i += 4) out.push(view.getInt32(i, true));
      return out;
    }
  }
  return undefined;
}

/** An int64 tensor with the given values. */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): Tensor {
  return { name, dataType: DataType.INT64, dims: [...dims], int64Data: [...values] };
}

interface ConstInfo {
  dataType: number;
  /** Known shape, or undefined when it could not be inferred. */
  dims?: number[];
  /** Known integer values (small shape-like tensors only). */
  values?: number[];
}

function broadcast(a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Shapes of constant subgraph outputs that a runtime folds; undefined when not inferable here. */
function foldedOutput(node: Node, ins: ConstInfo[], opset: number): ConstInfo | undefined {
  const op = node.opType ?? '';
  const a = ins[0];
  switch (op) {
    case 'Constant': {
      const t = attr(node, 'value')?.t;
      if (!t) return undefined;
      return { dataType: t.dataType ?? 0, dims: [...(t.dims ?? [])], values: integerValues(t) };
    }
    case 'ConstantOfShape': {
      const shape = a?.values;
      const t = attr(node, 'value')?.t;
      return { dataType: t?.dataType ?? DataType.FLOAT, dims: shape ? [...shape] : undefined };
    }
    case 'Identity':
      return a;
    case 'Cast':
      return a && { dataType: attr(node, 'to')?.i ?? a.dataType, dims: a.dims, values: a.values };
    case 'Reshape': {
      if (!a) return undefined;
      const target = ins[1]?.values;
      if (!target || !a.dims) return { dataType: a.dataType };
      const total = product(a.dims);
      const dims = target.map((d, i) => (d === 0 ? a.dims![i] ?? 0 : d));
      const known = product(dims.filter((d) => d !== -1));
      return { dataType: a.dataType, dims: dims.map((d) => (d === -1 ? total / known : d)), values: a.values };
    }
    case 'Flatten': {
      if (!a?.dims) return a && { dataType: a.dataType };
      const axis = normAxis(attr(node, 'axis')?.i ?? 1, a.dims.length);
      return { dataType: a.dataType, dims: [product(a.dims.slice(0, axis)), product(a.dims.slice(axis))] };
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      if (!a?.dims) return a && { dataType: a.dataType };
      const axes = opset >= 13 ? ins[1]?.values : attr(node, 'axes')?.ints;
      if (op === 'Squeeze') {
        if (!axes) return { dataType: a.dataType, dims: a.dims.filter((d) => d !== 1), values: a.values };
        const drop = new Set(axes.map((x) => normAxis(x, a.dims!.length)));
        return { dataType: a.dataType, dims: a.dims.filter((_, i) => !drop.has(i)), values: a.values };
      }
      if (!axes) return { dataType: a.dataType };
      const rank = a.dims.length + axes.length;
      const add = new Set(axes.map((x) => normAxis(x, rank)));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(add.has(i) ? 1 : a.dims[j++]);
      return { dataType: a.dataType, dims, values: a.values };
    }
    case 'Transpose': {
      if (!a?.dims) return a && { dataType: a.dataType };
      const perm = attr(node, 'perm')?.ints ?? a.dims.map((_, i) => a.dims!.length - 1 - i);
      return { dataType: a.dataType, dims: perm.map((p) => a.dims![p]) };
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Sqrt':
    case 'Neg':
    case 'Reciprocal':
    case 'Exp': {
      if (!a) return undefined;
      let dims = a.dims;
      for (const b of ins.slice(1)) dims = dims && b.dims ? broadcast(dims, b.dims) : undefined;
      return { dataType: a.dataType, dims };
    }
    default:
      return undefined;
  }
}

export interface ConstantAnalysis {
  /** Every tensor whose value does not depend on the graph inputs. */
  readonly constants: ReadonlyMap<string, ConstInfo>;
  /** Bytes of the constant tensors a runtime keeps after constant folding. */
  readonly weightsBytes: number;
  /** Constant tensors whose size could not be inferred (counted as zero bytes). */
  readonly unknownSize: readonly string[];
}

export function opsetVersion(opsets: readonly { domain?: string; version?: number }[] | undefined): number {
  const std = opsets?.find((o) => !o.domain || o.domain === 'ai.onnx');
  return std?.version ?? 1;
}

/**
 * Propagate constants through the graph the way a runtime's constant folding does: initializers
 * (unless they are overridable graph inputs, IR >= 4), Constant nodes, and the outputs of
 * deterministic nodes whose inputs are all constant. The weights are the constant tensors that
 * some non-constant node (or a graph output) consumes: what remains in memory after folding.
 */
export function analyzeConstants(graph: Graph, irVersion: number, opset: number): ConstantAnalysis {
  const constants = new Map<string, ConstInfo>();
  const inputNames = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    if (irVersion >= 4 && inputNames.has(name)) continue;
    constants.set(name, { dataType: t.dataType ?? 0, dims: [...(t.dims ?? [])], values: tensorElements(t) <= 64 ? integerValues(t) : undefined });
  }
  const runtimeConsumed = new Set<string>();
  for (const node of graph.node ?? []) {
    const ins = (node.input ?? []).filter((n) => n !== '');
    const allConst = ins.every((n) => constants.has(n)) && !NONDETERMINISTIC.has(node.opType ?? '') && (node.domain ?? '') === '';
    const folded = allConst && (ins.length > 0 || node.opType === 'Constant') ? foldedOutput(node, ins.map((n) => constants.get(n)!), opset) : undefined;
    if (folded && (node.output ?? []).length === 1) {
      constants.set(node.output![0], folded);
    } else {
      for (const n of ins) if (constants.has(n)) runtimeConsumed.add(n);
    }
  }
  for (const o of graph.output ?? []) if (constants.has(o.name ?? '')) runtimeConsumed.add(o.name ?? '');
  let weightsBytes = 0;
  const unknownSize: string[] = [];
  for (const name of [...runtimeConsumed].sort()) {
    const c = constants.get(name)!;
    const eb = elementBytes(c.dataType);
    if (!c.dims || eb === undefined) unknownSize.push(name);
    else weightsBytes += product(c.dims) * eb;
  }
  return { constants, weightsBytes, unknownSize };
}

/**
 * Trainable parameters, counted as frameworks count them: elements of floating-point
 * initializers, except BatchNormalization running mean and variance (buffers, not parameters).
 */
export function countParameters(graph: Graph): number {
  const buffers = new Set<string>();
  for (const n of graph.node ?? []) {
    if (n.opType === 'BatchNormalization') {
      if (n.input?.[3]) buffers.add(n.input[3]);
      if (n.input?.[4]) buffers.add(n.input[4]);
    }
  }
  const floating = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16]);
  let total = 0;
  for (const t of graph.initializer ?? []) {
    if (floating.has(t.dataType ?? 0) && !buffers.has(t.name ?? '')) total += tensorElements(t);
  }
  return total;
}

/** Graph inputs that are fed at run time (not initializers). */
export function runtimeInputs(graph: Graph): ValueInfo[] {
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((i) => !inits.has(i.name));
}
