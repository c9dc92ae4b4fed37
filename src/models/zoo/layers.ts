/** Building blocks shared by the zoo's convolutional networks (NCHW, float32). */
import type { GraphBuilder } from '../onnx/builder.js';

/** Kaiming-uniform bound for a layer with this fan-in (keeps activations in range through depth). */
export const kaiming = (fanIn: number) => ({ bound: Math.sqrt(6 / fanIn) });

export interface ConvSpec {
  readonly cin: number;
  readonly cout: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly groups?: number;
  readonly bias?: boolean;
}

/** Conv with "same"-style padding (kernel / 2), no bias unless asked. */
export function conv(b: GraphBuilder, x: string, name: string, s: ConvSpec): string {
  const groups = s.groups ?? 1;
  const fanIn = (s.cin / groups) * s.kernel * s.kernel;
  const w = b.param(`${name}.weight`, [s.cout, s.cin / groups, s.kernel, s.kernel], kaiming(fanIn));
  const inputs = [x, w];
  if (s.bias) inputs.push(b.param(`${name}.bias`, [s.cout], { bound: 1 / Math.sqrt(fanIn) }));
  const p = Math.floor(s.kernel / 2);
  return b.node('Conv', inputs, { kernel_shape: [s.kernel, s.kernel], strides: [s.stride ?? 1, s.stride ?? 1], pads: [p, p, p, p], group: groups }, name);
}

/** Inference-mode batch normalization with random (positive-variance) statistics. */
export function batchNorm(b: GraphBuilder, x: string, name: string, channels: number): string {
  const scale = b.param(`${name}.weight`, [channels], { lo: 0.5, hi: 1 });
  const bias = b.param(`${name}.bias`, [channels], { bound: 0.1 });
  const mean = b.param(`${name}.running_mean`, [channels], { bound: 0.1 });
  const variance = b.param(`${name}.running_var`, [channels], { lo: 0.5, hi: 1.5 });
  return b.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: { f: 1e-5 } }, `${name}.out`);
}

/** Fully connected layer on [batch, cin]: Gemm with weight [cout, cin] (transB), like torch.nn.Linear. */
export function linear(b: GraphBuilder, x: string, name: string, cin: number, cout: number): string {
  const w = b.param(`${name}.weight`, [cout, cin], { bound: 1 / Math.sqrt(cin) });
  const bias = b.param(`${name}.bias`, [cout], { bound: 1 / Math.sqrt(cin) });
  return b.node('Gemm', [x, w, bias], { transB: 1 }, `${name}.out`);
}

/** Global average pool + flatten: [batch, c, h, w] -> [batch, c]. */
export function poolFlatten(b: GraphBuilder, x: string): string {
  return b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: 1 }, 'pooled');
}
