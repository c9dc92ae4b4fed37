/** Tiny generated ONNX models for tests. */
import { GraphBuilder } from '../../src/models/onnx/builder.js';
import { DataType, type Model } from '../../src/models/onnx/proto.js';

/**
 * A Caffe2-style model with a fixed batch of 1: x [1,3,8,8] -> Conv -> Reshape [1,-1] -> Gemm ->
 * Reshape [1,10] -> + Reshape(bias, [1,10]) (a weight reshape, to be left alone) -> y [1,10].
 */
export function fixedBatchModel(): Model {
  const b = new GraphBuilder('fixed', { seed: 'fixed' });
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const c = b.node('Conv', [x, b.param('conv.w', [4, 3, 3, 3], { bound: 0.3 })], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const flat = b.node('Reshape', [c, b.int64('flat.shape', [1, -1])], {}, 'flat');
  const fc = b.node('Gemm', [flat, b.param('fc.w', [256, 10], { bound: 0.1 })]);
  const r2 = b.node('Reshape', [fc, b.int64('out.shape', [1, 10])], {}, 'r2');
  const bias = b.node('Reshape', [b.param('bias', [10], { bound: 1 }), b.int64('bias.shape', [1, 10])], {}, 'bias2d');
  b.node('Add', [r2, bias], {}, 'y');
  b.output('y', DataType.FLOAT, [1, 10]);
  return b.build({ opset: 13 });
}

/** Fixed batch 1 that no static rewrite can fix: Slice keeps only the first row. */
export function firstRowModel(): Model {
  const b = new GraphBuilder('first-row', { seed: 'first' });
  const x = b.input('x', DataType.FLOAT, [1, 4]);
  const s = b.node('Slice', [x, b.int64('starts', [0]), b.int64('ends', [1]), b.int64('axes', [0])]);
  b.node('Relu', [s], {}, 'y');
  b.output('y', DataType.FLOAT, [1, 4]);
  return b.build({ opset: 13 });
}

/**
 * Weights made by ConstantOfShape (as in onnx's light_*.onnx) and a Constant node:
 * y = (x [batch,10] @ W [10,20]) + c [20], W = ConstantOfShape([10, 20], 0.02).
 */
export function constantWeightsModel(): Model {
  const b = new GraphBuilder('light', { seed: 'light' });
  const x = b.input('x', DataType.FLOAT, ['batch', 10]);
  const shape = b.int64('W__SHAPE', [10, 20]);
  const w = b.node('ConstantOfShape', [shape], { value: { t: { dims: [1], dataType: DataType.FLOAT, floatData: [0.02] } } }, 'W');
  const c = b.float('c', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  b.node('Add', [b.node('MatMul', [x, w]), c], {}, 'y');
  b.output('y', DataType.FLOAT, ['batch', 20]);
  return b.build({ opset: 13 });
}

