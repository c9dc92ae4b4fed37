/**
 * ResNet (He et al. 2016) as torchvision builds it (v1.5: stride in the 3x3 conv of bottlenecks).
 * With the defaults the parameter counts equal torchvision's: resnet18 11,689,512,
 * resnet34 21,797,672, resnet50 25,557,032, resnet101 44,549,160, resnet152 60,192,808.
 */
import { GraphBuilder, type BuilderOptions } from '../onnx/builder.js';
import { DataType, type Model } from '../onnx/proto.js';
import { batchNorm, conv, linear, poolFlatten } from './layers.js';

export interface ResNetOptions {
  /** 18, 34 (basic blocks), 50, 101, 152 (bottlenecks). */
  readonly depth: number;
  readonly classes: number;
  /** Input height and width. */
  readonly image: number;
  /** Channels of the stem (64 in the paper); every stage scales with it. */
  readonly width: number;
}

const STAGES: Record<number, { bottleneck: boolean; blocks: number[] }> = {
  18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  101: { bottleneck: true, blocks: [3, 4, 23, 3] },
  152: { bottleneck: true, blocks: [3, 8, 36, 3] },
};

export const RESNET_DEPTHS = Object.keys(STAGES).map(Number);

export function buildResNet(o: ResNetOptions, bo: BuilderOptions): Model {
  const arch = STAGES[o.depth];
  if (!arch) throw new Error(`ResNet depth must be one of ${RESNET_DEPTHS.join(', ')}, found ${o.depth}`);
  const b = new GraphBuilder(`resnet${o.depth}`, bo);
  const input = b.input('input', DataType.FLOAT, ['batch', 3, o.image, o.image]);
  let x = b.node('Relu', [batchNorm(b, conv(b, input, 'conv1', { cin: 3, cout: o.width, kernel: 7, stride: 2 }), 'bn1', o.width)]);
  x = b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const expansion = arch.bottleneck ? 4 : 1;
  let cin = o.width;
  arch.blocks.forEach((count, stage) => {
    const planes = o.width * 2 ** stage;
    for (let i = 0; i < count; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const p = `layer${stage + 1}.${i}`;
      const cout = planes * expansion;
      let y: string;
      if (arch.bottleneck) {
        y = b.node('Relu', [batchNorm(b, conv(b, x, `${p}.conv1`, { cin, cout: planes, kernel: 1 }), `${p}.bn1`, planes)]);
        y = b.node('Relu', [batchNorm(b, conv(b, y, `${p}.conv2`, { cin: planes, cout: planes, kernel: 3, stride }), `${p}.bn2`, planes)]);
        y = batchNorm(b, conv(b, y, `${p}.conv3`, { cin: planes, cout, kernel: 1 }), `${p}.bn3`, cout);
      } else {
        y = b.node('Relu', [batchNorm(b, conv(b, x, `${p}.conv1`, { cin, cout: planes, kernel: 3, stride }), `${p}.bn1`, planes)]);
        y = batchNorm(b, conv(b, y, `${p}.conv2`, { cin: planes, cout: planes, kernel: 3 }), `${p}.bn2`, planes);
      }
      const shortcut =
        stride !== 1 || cin !== cout
          ? batchNorm(b, conv(b, x, `${p}.downsample.0`, { cin, cout, kernel: 1, stride }), `${p}.downsample.1`, cout)
          : x;
      x = b.node('Relu', [b.node('Add', [y, shortcut])]);
      cin = cout;
    }
  });
  const logits = linear(b, poolFlatten(b, x), 'fc', cin, o.classes);
  b.node('Identity', [logits], {}, 'logits');
  b.output('logits', DataType.FLOAT, ['batch', o.classes]);
  return b.build({ doc: `ResNet-${o.depth} (torchvision layout), ${o.image}x${o.image} input, ${o.classes} classes, seeded random weights` });
}
