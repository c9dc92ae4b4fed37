import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { makeBatchSymbolic } from '../src/models/onnx/batch.js';
import { integerValues } from '../src/models/onnx/graph.js';
import { encodeModel, type Model } from '../src/models/onnx/proto.js';
import { buildZooModel } from '../src/models/zoo/index.js';
import { fixedBatchModel } from './helpers/models.js';

async function runBoth(model: Model, batch: number) {
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const per = 3 * 8 * 8;
  const data = Float32Array.from({ length: batch * per }, (_, i) => Math.cos(i * 0.1));
  try {
    const many = await session.run({ x: new ort.Tensor('float32', data, [batch, 3, 8, 8]) });
    const last = await session.run({ x: new ort.Tensor('float32', data.slice((batch - 1) * per), [1, 3, 8, 8]) });
    return { many: many.y, last: last.y };
  } finally {
    await session.release();
  }
}

describe('batch-symbolic rewrite', () => {
  it('the fixed-batch model really is fixed: onnxruntime refuses batch 4', async () => {
    await expect(runBoth(fixedBatchModel(), 4)).rejects.toThrow();
  });

  it('rewrites dim 0 and the activation Reshape targets, never the weight Reshape', () => {
    const rw = makeBatchSymbolic(fixedBatchModel());
    expect(rw.status).toBe('rewritten');
    expect(rw.reshapes).toBe(2);
    const g = rw.model.graph!;
    expect(g.input![0].type!.tensorType!.shape!.dim![0]).toEqual({ dimParam: 'batch' });
    expect(g.output![0].type!.tensorType!.shape!.dim![0]).toEqual({ dimParam: 'batch' });
    const target = (out: string) => {
      const node = g.node!.find((n) => n.output![0] === out)!;
      return integerValues(g.initializer!.find((t) => t.name === node.input![1])!);
    };
    expect(target('flat')).toEqual([0, -1]); // already had a -1: 0 copies the batch
    expect(target('r2')).toEqual([-1, 10]);
    expect(target('bias2d')).toEqual([1, 10]); // a weight: untouched
  });

  it('the rewritten model runs at batch 4 with output [4, 10], each row as at batch 1', async () => {
    const { many, last } = await runBoth(makeBatchSymbolic(fixedBatchModel()).model, 4);
    expect(many.dims).toEqual([4, 10]);
    expect(last.dims).toEqual([1, 10]);
    const row = Array.from((many.data as Float32Array).slice(30, 40));
    Array.from(last.data as Float32Array).forEach((v, i) => expect(row[i]).toBeCloseTo(v, 4));
  });

  it('leaves models with a symbolic batch alone and reports a fixed batch other than 1', () => {
    const zoo = buildZooModel('mobilenetv2', {}, { seed: '1', withWeights: false });
    expect(makeBatchSymbolic(zoo)).toMatchObject({ status: 'symbolic', model: zoo });
    const eight = fixedBatchModel();
    eight.graph!.input![0].type!.tensorType!.shape!.dim![0] = { dimValue: 8 };
    const rw = makeBatchSymbolic(eight);
    expect(rw.status).toBe('fixed');
    expect(rw.fixedBatch).toBe(8);
    expect(rw.reason).toMatch(/fixed batch of 8/);
  });
});
