/**
 * ONNX models as plain typed objects: decode from bytes, encode to bytes, read a file.
 * int64 fields are JS numbers (exact below 2^53, which covers every shape and attribute in
 * practice); bytes fields are Uint8Array views into the decoded buffer (no copies).
 */
import { readInputFile } from '../../util/io.js';
import protobuf from 'protobufjs';
import { UserError } from '../../util/errors.js';
import { ONNX_DESCRIPTOR } from './schema.js';

export interface OperatorSetId {
  domain?: string;
  version?: number;
}

export interface StringStringEntry {
  key?: string;
  value?: string;
}

export interface Dimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShape {
  dim?: Dimension[];
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShape };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: TensorShape };
  denotation?: string;
}

export interface ValueInfo {
  name?: string;
  type?: TypeProto;
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface Tensor {
  dims?: number[];
  dataType?: number;
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  doubleData?: number[];
  uint64Data?: number[];
  externalData?: StringStringEntry[];
  dataLocation?: number;
  segment?: { begin?: number; end?: number };
  metadataProps?: StringStringEntry[];
}

export interface SparseTensor {
  values?: Tensor;
  indices?: Tensor;
  dims?: number[];
}

export interface Attribute {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: Tensor;
  g?: Graph;
  sparseTensor?: SparseTensor;
  tp?: TypeProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: Tensor[];
  graphs?: Graph[];
  sparseTensors?: SparseTensor[];
  typeProtos?: TypeProto[];
}

export interface Node {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute?: Attribute[];
  docString?: string;
  metadataProps?: StringStringEntry[];
}

export interface Graph {
  node?: Node[];
  name?: string;
  initializer?: Tensor[];
  sparseInitializer?: SparseTensor[];
  docString?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
  valueInfo?: ValueInfo[];
  quantizationAnnotation?: { tensorName?: string; quantParameterTensorNames?: StringStringEntry[] }[];
  metadataProps?: StringStringEntry[];
}

export interface Model {
  irVersion?: number;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: Graph;
  metadataProps?: StringStringEntry[];
  functions?: unknown[];
}

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const ELEMENT_BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
};

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

/** Bytes per element of an ONNX data type (strings and unknown types: undefined). */
export function elementBytes(dataType: number): number | undefined {
  return ELEMENT_BYTES[dataType];
}

export function dataTypeName(dataType: number): string {
  return TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

let modelType: protobuf.Type | undefined;
function ModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
  return modelType;
}

/** Decode ModelProto bytes. Throws a UserError naming `source` when the bytes are not an ONNX model. */
export function decodeModel(bytes: Uint8Array, source = 'model'): Model {
  const T = ModelType();
  let model: Model;
  try {
    const msg = T.decode(bytes);
    model = T.toObject(msg, { longs: Number, enums: Number, defaults: false, arrays: false }) as Model;
  } catch (e) {
    throw new UserError(`${source}: not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  const g = model.graph;
  if (!model.irVersion || !g || !g.node || g.node.length === 0 || !g.output || g.output.length === 0) {
    throw new UserError(`${source}: not an ONNX model (no ir_version, or no graph with nodes and outputs)`);
  }
  return model;
}

/** Encode a model to ModelProto bytes. */
export function encodeModel(model: Model): Uint8Array {
  return ModelType().encode(model as protobuf.Message).finish();
}

/** Read and decode an ONNX file; UserErrors for a missing file, a directory or non-ONNX bytes. */
export function readModelFile(path: string): { model: Model; bytes: Uint8Array } {
  // A regular file of at most 2 GiB (protobuf's own limit), never a device or FIFO that could hang.
  const bytes = readInputFile(path, 'ONNX model', 2 * 2 ** 30);
  const model = decodeModel(bytes, path);
  const ext = model.graph!.initializer?.find((t) => t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0);
  if (ext) {
    throw new UserError(`${path}: initializer "${ext.name}" stores its data in an external file; external data is not supported (save the model with all tensors inside the .onnx file)`);
  }
  return { model, bytes };
}
