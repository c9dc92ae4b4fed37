/**
 * The synthetic model zoo: standard architectures written as ONNX with seeded random weights, so
 * hardware can be profiled with no downloads. Each entry is a family plus default options; callers
 * may override the family's numeric options (e.g. a BERT with 6 layers or a 112x112 ResNet).
 */
import { UserError } from '../../util/errors.js';
import type { BuilderOptions } from '../onnx/builder.js';
import type { Model } from '../onnx/proto.js';
import { buildBert } from './bert.js';
import { buildMobileNetV2 } from './mobilenetv2.js';
import { buildResNet } from './resnet.js';

export type ZooFamily = 'resnet' | 'mobilenetv2' | 'bert';

/** Numeric options of each family, with what they mean (for --help and errors). */
export const FAMILY_OPTIONS: Record<ZooFamily, Record<string, string>> = {
  resnet: { depth: 'ResNet depth: 18, 34, 50, 101 or 152', image: 'input height and width', classes: 'output classes', width: 'stem channels (64 in the paper)' },
  mobilenetv2: { image: 'input height and width', classes: 'output classes' },
  bert: {
    layers: 'transformer layers',
    hidden: 'hidden size',
    heads: 'attention heads',
    seq: 'sequence length of the inputs',
    vocab: 'vocabulary size',
    intermediate: 'feed-forward width (4 x hidden by default)',
    positions: 'position embedding rows',
  },
};

export interface ZooEntry {
  readonly name: string;
  readonly family: ZooFamily;
  readonly description: string;
  readonly options: Readonly<Record<string, number>>;
  /** Parameters of the reference implementation (torchvision, Hugging Face), when there is one. */
  readonly referenceParams?: number;
}

const resnet = (depth: number, params: number): ZooEntry => ({
  name: `resnet${depth}`,
  family: 'resnet',
  description: `ResNet-${depth}, 224x224 images, 1000 classes (torchvision)`,
  options: { depth, image: 224, classes: 1000, width: 64 },
  referenceParams: params,
});

const bert = (name: string, layers: number, hidden: number, heads: number, params?: number): ZooEntry => ({
  name,
  family: 'bert',
  description: `BERT encoder, ${layers} layers, hidden ${hidden}, ${heads} heads, seq 128, with pooler`,
  options: { layers, hidden, heads, seq: 128, vocab: 30522, intermediate: 4 * hidden, positions: 512 },
  referenceParams: params,
});

export const ZOO: readonly ZooEntry[] = [
  resnet(18, 11_689_512),
  resnet(34, 21_797_672),
  resnet(50, 25_557_032),
  resnet(101, 44_549_160),
  resnet(152, 60_192_808),
  {
    name: 'mobilenetv2',
    family: 'mobilenetv2',
    description: 'MobileNetV2 1.0, 224x224 images, 1000 classes (torchvision)',
    options: { image: 224, classes: 1000 },
    referenceParams: 3_504_872,
  },
  bert('bert-tiny', 2, 128, 2),
  bert('bert-mini', 4, 256, 4),
  bert('bert-small', 4, 512, 8),
  bert('bert-base', 12, 768, 12, 109_482_240),
];

export function zooEntry(name: string): ZooEntry {
  const e = ZOO.find((z) => z.name === name);
  if (!e) throw new UserError(`unknown zoo model "${name}" (known: ${ZOO.map((z) => z.name).join(', ')})`);
  return e;
}

/** The entry's options with `overrides` applied; unknown or non-positive-integer overrides are errors. */
export function zooOptions(entry: ZooEntry, overrides: Readonly<Record<string, number>> = {}): Record<string, number> {
  const allowed = FAMILY_OPTIONS[entry.family];
  const out = { ...entry.options };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in allowed)) {
      throw new UserError(`option "${k}" does not apply to ${entry.name} (${entry.family} options: ${Object.keys(allowed).join(', ')})`);
    }
    if (!Number.isInteger(v) || v <= 0) throw new UserError(`option "${k}" of ${entry.name} must be a positive integer, found ${v}`);
    out[k] = v;
  }
  if (entry.family === 'bert' && overrides.hidden !== undefined && overrides.intermediate === undefined) out.intermediate = 4 * out.hidden;
  return out;
}

/** Build a zoo model. `seed` fixes the weights. */
export function buildZooModel(name: string, overrides: Readonly<Record<string, number>> = {}, builder: BuilderOptions = { seed: '1' }): Model {
  const entry = zooEntry(name);
  const o = zooOptions(entry, overrides);
  try {
    switch (entry.family) {
      case 'resnet':
        return buildResNet({ depth: o.depth, image: o.image, classes: o.classes, width: o.width }, builder);
      case 'mobilenetv2':
        return buildMobileNetV2({ image: o.image, classes: o.classes }, builder);
      case 'bert':
        return buildBert(
          { layers: o.layers, hidden: o.hidden, heads: o.heads, seq: o.seq, vocab: o.vocab, intermediate: o.intermediate, positions: o.positions },
          builder,
        );
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${name}: ${(e as Error).message}`);
  }
}
