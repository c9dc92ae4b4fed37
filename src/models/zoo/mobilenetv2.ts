/**
 * MobileNetV2 (Sandler et al. 2018) as torchvision builds it (width 1.0): 3,504,872 parameters with
 * 1000 classes. ReLU6 is Clip(0, 6).
 */
import { GraphBuilder, type BuilderOptions } from '../onnx/builder.js';
import { DataType, type Model } from '../onnx/proto.js';
import { batchNorm, conv, linear, poolFlatten } from './layers.js';

export interface MobileNetV2Options {
  readonly classes: number;
  readonly image: number;
}

/** Inverted residual settings: expansion t, output channels c, repeats n, first stride s. */
const SETTINGS: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export function buildMobileNetV2(o: MobileNetV2Options, bo: BuilderOptions): Model {
  const b = new GraphBuilder('mobilenetv2', bo);
  const zero = b.float('relu6.min', [0], []);
  const six = b.float('relu6.max', [6], []);
  const relu6 = (x: string) => b.node('Clip', [x, zero, six]);
  const input = b.input('input', DataType.FLOAT, ['batch', 3, o.image, o.image]);
  let x = relu6(batchNorm(b, conv(b, input, 'features.0.0', { cin: 3, cout: 32, kernel: 3, stride: 2 }), 'features.0.1', 32));
  let cin = 32;
  let index = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = Math.round(cin * t);
      const p = `features.${index++}.conv`;
      let y = x;
      let k = 0;
      if (t !== 1) {
        y = relu6(batchNorm(b, conv(b, y, `${p}.${k}.0`, { cin, cout: hidden, kernel: 1 }), `${p}.${k}.1`, hidden));
        k++;
      }
      y = relu6(batchNorm(b, conv(b, y, `${p}.${k}.0`, { cin: hidden, cout: hidden, kernel: 3, stride, groups: hidden }), `${p}.${k}.1`, hidden));
      k++;
      y = batchNorm(b, conv(b, y, `${p}.${k}`, { cin: hidden, cout: c, kernel: 1 }), `${p}.${k + 1}`, c);
      x = stride === 1 && cin === c ? b.node('Add', [x, y]) : y;
      cin = c;
    }
  }
  x = relu6(batchNorm(b, conv(b, x, `features.${index}.0`, { cin, cout: 1280, kernel: 1 }), `features.${index}.1`, 1280));
  const logits = linear(b, poolFlatten(b, x), 'classifier.1', 1280, o.classes);
  b.node('Identity', [logits], {}, 'logits');
  b.output('logits', DataType.FLOAT, ['batch', o.classes]);
  return b.build({ doc: `MobileNetV2 (torchvision layout), ${o.image}x${o.image} input, ${o.classes} classes, seeded random weights` });
}
