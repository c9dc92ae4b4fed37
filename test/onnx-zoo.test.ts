import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { analyzeConstants, countParameters, integerValues, tensorBytes } from '../src/models/onnx/graph.js';
import { decodeModel, encodeModel, readModelFile, type Model } from '../src/models/onnx/proto.js';
import { buildZooModel, ZOO, zooEntry } from '../src/models/zoo/index.js';
import { UserError } from '../src/util/errors.js';
import { constantWeightsModel } from './helpers/models.js';

const shapesOnly = (name: string, overrides: Record<string, number> = {}) => buildZooModel(name, overrides, { seed: '1', withWeights: false });

async function run(model: Model, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function image(batch: number, size: number): ort.Tensor {
  const n = batch * 3 * size * size;
  return new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), [batch, 3, size, size]);
}

describe('zoo parameter counts', () => {
  it.each([
    ['resnet18', 11_689_512],
    ['resnet50', 25_557_032],
    ['resnet152', 60_192_808],
    ['mobilenetv2', 3_504_872],
    ['bert-base', 109_482_240],
  ])('%s has the reference count %d', (name, expected) => {
    expect(countParameters(shapesOnly(name).graph!)).toBe(expected);
  });

  it('every entry with a reference count matches it', () => {
    for (const z of ZOO.filter((z) => z.referenceParams !== undefined)) {
      expect([z.name, countParameters(shapesOnly(z.name).graph!)]).toEqual([z.name, z.referenceParams]);
    }
  });

  it('BERT-base without the pooler is 108,891,648 (the pooler is hidden^2 + hidden)', () => {
    expect(countParameters(shapesOnly('bert-base').graph!) - (768 * 768 + 768)).toBe(108_891_648);
  });

  it('parameter counts do not depend on the image size (global pooling)', () => {
    expect(countParameters(shapesOnly('resnet50', { image: 64 }).graph!)).toBe(25_557_032);
  });

  it('rejects options of another family and bad values with a UserError', () => {
    expect(() => shapesOnly('resnet50', { layers: 2 })).toThrow(/"layers" does not apply to resnet50/);
    expect(() => shapesOnly('bert-mini', { hidden: 100, heads: 3 })).toThrow(UserError);
    expect(() => zooEntry('resnet9000')).toThrow(/unknown zoo model "resnet9000"/);
  });
});

describe('zoo models run in onnxruntime with a symbolic batch', () => {
  it('a narrow ResNet-18 gives [batch, classes] at batch 3', async () => {
    const m = buildZooModel('resnet18', { image: 32, width: 8, classes: 10 }, { seed: '7' });
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim![0]).toEqual({ dimParam: 'batch' });
    const out = await run(m, { input: image(3, 32) });
    expect(out.logits.dims).toEqual([3, 10]);
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('a ResNet-50 (bottlenecks) at 32x32 gives [2, 5]', async () => {
    const out = await run(buildZooModel('resnet50', { image: 32, width: 4, classes: 5 }, { seed: '7' }), { input: image(2, 32) });
    expect(out.logits.dims).toEqual([2, 5]);
  });

  it('MobileNetV2 at 32x32 gives [2, 10]', async () => {
    const out = await run(buildZooModel('mobilenetv2', { image: 32, classes: 10 }, { seed: '7' }), { input: image(2, 32) });
    expect(out.logits.dims).toEqual([2, 10]);
    expect((out.logits.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('a one-layer BERT gives pooler_output [batch, hidden] that depends on the tokens', async () => {
    const m = buildZooModel('bert-tiny', { layers: 1, hidden: 32, heads: 4, seq: 8, vocab: 50 }, { seed: '7' });
    const ids = (k: number) => new ort.Tensor('int64', BigInt64Array.from({ length: 16 }, (_, i) => BigInt(1 + ((i * k) % 49))), [2, 8]);
    const mask = new ort.Tensor('int64', new BigInt64Array(16).fill(1n), [2, 8]);
    const a = await run(m, { input_ids: ids(3), attention_mask: mask });
    const b = await run(m, { input_ids: ids(5), attention_mask: mask });
    expect(a.pooler_output.dims).toEqual([2, 32]);
    expect(Array.from(a.pooler_output.data as Float32Array)).not.toEqual(Array.from(b.pooler_output.data as Float32Array));
  });
});

describe('weights', () => {
  it('are seeded: same seed, same bytes; another seed, other weights; never all zeros', () => {
    const o = { image: 32, width: 8, classes: 10 };
    const a = encodeModel(buildZooModel('resnet18', o, { seed: '1' }));
    const b = encodeModel(buildZooModel('resnet18', o, { seed: '1' }));
    const c = encodeModel(buildZooModel('resnet18', o, { seed: '2' }));
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, c)).not.toBe(0);
    const conv = decodeModel(a).graph!.initializer!.find((t) => t.name === 'conv1.weight')!;
    const values = new Float32Array(new Uint8Array(conv.rawData!).buffer);
    expect(values.length).toBe(8 * 3 * 7 * 7);
    expect(values.filter((v) => v === 0).length).toBe(0);
  });
});

describe('ONNX encode/decode', () => {
  it('round-trips a model: nodes, dims, int64 values and raw weights', () => {
    const m = buildZooModel('mobilenetv2', { image: 32, classes: 10 }, { seed: '3' });
    const d = decodeModel(encodeModel(m));
    expect(d.irVersion).toBe(8);
    expect(d.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(d.graph!.node!.length).toBe(m.graph!.node!.length);
    expect(d.graph!.node!.map((n) => n.opType)).toEqual(m.graph!.node!.map((n) => n.opType));
    const bytes = (x: Model) => x.graph!.initializer!.reduce((s, t) => s + tensorBytes(t), 0);
    expect(bytes(d)).toBe(bytes(m));
    const bnChannels = m.graph!.node!.filter((n) => n.opType === 'BatchNormalization').reduce((s, n) => s + m.graph!.initializer!.find((t) => t.name === n.input![3])!.dims![0], 0);
    expect(bytes(d)).toBe(countParameters(m.graph!) * 4 + 2 * 4 * bnChannels); // parameters + BN running mean and variance
  });

  it('reads int64 tensors stored as raw little-endian bytes', () => {
    const raw = new Uint8Array(new BigInt64Array([1n, -1n, 2048n]).buffer);
    expect(integerValues({ dataType: 7, dims: [3], rawData: raw })).toEqual([1, -1, 2048]);
  });

  it('counts weights made by ConstantOfShape and Constant nodes, not the shape tensors', () => {
    const m = constantWeightsModel();
    expect(analyzeConstants(m.graph!, 8, 13).weightsBytes).toBe(10 * 20 * 4 + 20 * 4);
  });

  it('gives UserErrors naming the file for a missing file and a non-ONNX file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servesim-onnx-'));
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is not a protobuf, just some text\n'.repeat(20));
    expect(() => readModelFile(join(dir, 'missing.onnx'))).toThrow(/missing\.onnx: ONNX model file not found/);
    expect(() => readModelFile(text)).toThrow(UserError);
    expect(() => readModelFile(text)).toThrow(/notes\.onnx: not an ONNX model/);
    expect(() => readModelFile(dir)).toThrow(/is a directory/);
  });
});
