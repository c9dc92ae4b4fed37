/**
 * Batch-symbolic rewrite. Many exported ONNX files fix the batch dimension to 1: the graph
 * inputs and outputs say [1, ...] and activation Reshape nodes take constant target shapes such as
 * [1, 2048]. This rewrite makes dim 0 of the inputs and outputs symbolic and replaces the leading 1
 * of those Reshape targets with -1 (or 0, "copy from the input", when the target already has a
 * -1). It never touches weights: a Reshape whose data input is itself a constant is left alone.
 *
 * The rewrite is static and best effort; whether the result really computes a batch is checked by
 * running it (see the harness), since other ops (Expand, Tile, Slice with constants...) can also
 * hard-code the batch.
 */
import { analyzeConstants, attr, int64Tensor, opsetVersion, runtimeInputs } from './graph.js';
import type { Dimension, Graph, Model, Node, Tensor, ValueInfo } from './proto.js';

export const BATCH_PARAM = 'batch';

export type BatchStatus =
  /** Every graph input already has a symbolic (or unset) first dimension. */
  | 'symbolic'
  /** Inputs had a fixed batch of 1 and the model was rewritten. */
  | 'rewritten'
  /** The batch is fixed and could not be made symbolic: see `reason`. */
  | 'fixed';

export interface BatchRewrite {
  readonly status: BatchStatus;
  /** The model to run: the rewritten copy, or the input model unchanged. */
  readonly model: Model;
  /** For 'fixed': the fixed batch size (dim 0 of the inputs). */
  readonly fixedBatch?: number;
  /** Number of Reshape targets rewritten. */
  readonly reshapes: number;
  /** For 'fixed': why it could not be rewritten. */
  readonly reason?: string;
}

function dim0(v: ValueInfo): Dimension | undefined {
  return v.type?.tensorType?.shape?.dim?.[0];
}

function withSymbolicDim0(v: ValueInfo, param: string): ValueInfo {
  const tt = v.type!.tensorType!;
  const dims = tt.shape!.dim!;
  return { ...v, type: { ...v.type, tensorType: { ...tt, shape: { ...tt.shape, dim: [{ dimParam: param }, ...dims.slice(1)] } } } };
}

/** Make the batch dimension of `model` symbolic when that can be done statically. */
export function makeBatchSymbolic(model: Model): BatchRewrite {
  const graph = model.graph as Graph;
  const inputs = runtimeInputs(graph);
  if (inputs.length === 0) return { status: 'fixed', model, fixedBatch: 1, reshapes: 0, reason: 'the graph has no runtime inputs' };
  const fixed: number[] = [];
  let param: string | undefined;
  for (const i of inputs) {
    const dims = i.type?.tensorType?.shape?.dim;
    if (!i.type?.tensorType) return { status: 'fixed', model, fixedBatch: 1, reshapes: 0, reason: `input "${i.name}" is not a tensor` };
    if (!dims) continue; // unknown rank: nothing fixed
    if (dims.length === 0) return { status: 'fixed', model, fixedBatch: 1, reshapes: 0, reason: `input "${i.name}" is a scalar (no batch dimension)` };
    const d = dims[0];
    if (d.dimValue !== undefined && d.dimValue > 0) fixed.push(d.dimValue);
    else param ??= d.dimParam;
  }
  if (fixed.length === 0) return { status: 'symbolic', model, reshapes: 0 };
  const batch = fixed[0];
  if (fixed.some((b) => b !== batch)) {
    return { status: 'fixed', model, fixedBatch: batch, reshapes: 0, reason: `inputs disagree on the batch dimension (${fixed.join(', ')})` };
  }
  if (batch !== 1) {
    return { status: 'fixed', model, fixedBatch: batch, reshapes: 0, reason: `the inputs have a fixed batch of ${batch} (only a fixed batch of 1 is rewritten)` };
  }
  param ??= BATCH_PARAM;

  const opset = opsetVersion(model.opsetImport);
  const { constants } = analyzeConstants(graph, model.irVersion ?? 0, opset);
  const newInits: Tensor[] = [];
  const renamed = new Map<string, string>();
  const usedNames = new Set<string>([...(graph.initializer ?? []).map((t) => t.name ?? ''), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]);
  let reshapes = 0;
  const nodes: Node[] = [];
  for (const node of graph.node ?? []) {
    const [data, shapeName] = node.input ?? [];
    if (node.opType !== 'Reshape' || (node.domain ?? '') !== '' || constants.has(data) || !constants.has(shapeName)) {
      nodes.push(node);
      continue;
    }
    const values = constants.get(shapeName)!.values;
    if (!values) {
      return { status: 'fixed', model, fixedBatch: 1, reshapes: 0, reason: `Reshape "${node.name ?? node.output?.[0]}" takes a constant target shape that cannot be read statically` };
    }
    if (values[0] !== 1) {
      nodes.push(node);
      continue;
    }
    let target = renamed.get(shapeName);
    if (!target) {
      const allowZero = attr(node, 'allowzero')?.i === 1;
      let lead: number;
      if (!values.includes(-1)) lead = -1;
      else if (!allowZero) lead = 0;
      else return { status: 'fixed', model, fixedBatch: 1, reshapes: 0, reason: `Reshape "${node.name ?? node.output?.[0]}" target [${values.join(', ')}] already has a -1 and sets allowzero` };
      let name = `${shapeName}__batch`;
      for (let k = 2; usedNames.has(name); k++) name = `${shapeName}__batch${k}`;
      usedNames.add(name);
      newInits.push(int64Tensor(name, [lead, ...values.slice(1)]));
      renamed.set(shapeName, name);
      target = name;
    }
    reshapes++;
    nodes.push({ ...node, input: [data, target, ...(node.input ?? []).slice(2)] });
  }

  // Shape tensors that only the rewritten Reshapes used are dropped (with their IR < 4 input entries).
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  const dropped = new Set([...renamed.keys()].filter((n) => !used.has(n)));
  const inputNames = new Set(inputs.map((i) => i.name));
  const rewritten: Graph = {
    ...graph,
    node: nodes,
    initializer: [...(graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? '')), ...newInits],
    input: (graph.input ?? [])
      .filter((i) => !dropped.has(i.name ?? ''))
      .map((i) => (inputNames.has(i.name) && dim0(i)?.dimValue === 1 ? withSymbolicDim0(i, param!) : i)),
    output: (graph.output ?? []).map((o) => (dim0(o)?.dimValue === 1 ? withSymbolicDim0(o, param!) : o)),
    // Intermediate shape annotations are optional hints; with a fixed batch they would contradict.
    valueInfo: [],
  };
  // IR < 4 requires every initializer to be listed among the graph inputs.
  if ((model.irVersion ?? 0) < 4) {
    for (const t of newInits) rewritten.input!.push({ name: t.name, type: { tensorType: { elemType: t.dataType, shape: { dim: t.dims!.map((d) => ({ dimValue: d })) } } } });
  }
  return { status: 'rewritten', model: { ...model, graph: rewritten }, reshapes };
}
