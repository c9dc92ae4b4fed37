/**
 * A BERT-style encoder (Devlin et al. 2019) in the layout of Hugging Face's BertModel: word,
 * position and token-type embeddings, LayerNorm, `layers` post-LN transformer blocks (multi-head
 * self-attention with an additive attention mask, GELU feed-forward), and the tanh pooler over the
 * first token. Output: `pooler_output` [batch, hidden]. BERT-base (12 layers, hidden 768, 12 heads,
 * vocab 30522, 512 positions) has 109,482,240 parameters (108,891,648 without the pooler), as
 * bert-base-uncased. Inputs: `input_ids` and `attention_mask`, int64 [batch, seq]; token types are
 * all 0. LayerNormalization needs opset 17.
 */
import { GraphBuilder, type BuilderOptions } from '../onnx/builder.js';
import { DataType, type Model } from '../onnx/proto.js';

export interface BertOptions {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  /** Sequence length of the inputs (fixed in the graph; the batch is symbolic). */
  readonly seq: number;
  readonly vocab: number;
  /** Feed-forward width; 4 x hidden in BERT. */
  readonly intermediate: number;
  /** Rows of the position embedding table (512 in BERT); must be >= seq. */
  readonly positions: number;
}

const STD = { bound: 0.02 * Math.sqrt(3) }; // uniform with BERT's initializer standard deviation 0.02

export function buildBert(o: BertOptions, bo: BuilderOptions): Model {
  if (o.hidden % o.heads !== 0) throw new Error(`hidden (${o.hidden}) must be a multiple of heads (${o.heads})`);
  if (o.seq > o.positions) throw new Error(`seq (${o.seq}) must not exceed positions (${o.positions})`);
  const H = o.hidden;
  const dh = H / o.heads;
  const b = new GraphBuilder(`bert-l${o.layers}-h${H}`, bo);
  const ids = b.input('input_ids', DataType.INT64, ['batch', o.seq]);
  const mask = b.input('attention_mask', DataType.INT64, ['batch', o.seq]);

  const layerNorm = (x: string, name: string) =>
    b.node('LayerNormalization', [x, b.param(`${name}.weight`, [H], { lo: 0.9, hi: 1.1 }), b.param(`${name}.bias`, [H], STD)], { axis: -1, epsilon: { f: 1e-12 } });
  const dense = (x: string, name: string, cin: number, cout: number) =>
    b.node('Add', [b.node('MatMul', [x, b.param(`${name}.weight`, [cin, cout], STD)]), b.param(`${name}.bias`, [cout], STD)]);

  // Embeddings.
  const words = b.node('Gather', [b.param('embeddings.word_embeddings.weight', [o.vocab, H], STD), ids], { axis: 0 });
  const positionIds = b.int64('embeddings.position_ids', Array.from({ length: o.seq }, (_, i) => i));
  const positions = b.node('Gather', [b.param('embeddings.position_embeddings.weight', [o.positions, H], STD), positionIds], { axis: 0 });
  const typeId = b.int64('embeddings.token_type_id', [0], []);
  const types = b.node('Gather', [b.param('embeddings.token_type_embeddings.weight', [2, H], STD), typeId], { axis: 0 });
  let h = layerNorm(b.node('Add', [b.node('Add', [words, positions]), types]), 'embeddings.LayerNorm');

  // Additive mask: 0 where attended, -10000 where masked, shaped [batch, 1, 1, seq].
  const maskF = b.node('Unsqueeze', [b.node('Cast', [mask], { to: DataType.FLOAT }), b.int64('mask.axes', [1, 2])]);
  const maskBias = b.node('Mul', [b.node('Sub', [b.float('one', [1], []), maskF]), b.float('mask.value', [-10000], [])]);

  const headsShape = b.int64('shape.heads', [0, 0, o.heads, dh]);
  const mergedShape = b.int64('shape.merged', [0, 0, H]);
  const scale = b.float('attention.scale', [1 / Math.sqrt(dh)], []);
  const sqrt2 = b.float('gelu.sqrt2', [Math.SQRT2], []);
  const half = b.float('gelu.half', [0.5], []);
  const one = b.float('gelu.one', [1], []);
  const split = (x: string, perm: number[]) => b.node('Transpose', [b.node('Reshape', [x, headsShape])], { perm });

  for (let l = 0; l < o.layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = split(dense(h, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]);
    const k = split(dense(h, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = split(dense(h, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = b.node('Add', [b.node('Mul', [b.node('MatMul', [q, k]), scale]), maskBias]);
    const probs = b.node('Softmax', [scores], { axis: -1 });
    const ctx = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergedShape]);
    const attn = dense(ctx, `${p}.attention.output.dense`, H, H);
    h = layerNorm(b.node('Add', [attn, h]), `${p}.attention.output.LayerNorm`);
    const up = dense(h, `${p}.intermediate.dense`, H, o.intermediate);
    const gelu = b.node('Mul', [b.node('Mul', [up, b.node('Add', [b.node('Erf', [b.node('Div', [up, sqrt2])]), one])]), half]);
    const down = dense(gelu, `${p}.output.dense`, o.intermediate, H);
    h = layerNorm(b.node('Add', [down, h]), `${p}.output.LayerNorm`);
  }

  const first = b.node('Gather', [h, b.int64('pooler.index', [0], [])], { axis: 1 });
  const pooled = b.node('Gemm', [first, b.param('pooler.dense.weight', [H, H], STD), b.param('pooler.dense.bias', [H], STD)]);
  b.node('Tanh', [pooled], {}, 'pooler_output');
  b.output('pooler_output', DataType.FLOAT, ['batch', H]);
  return b.build({
    opset: 17,
    doc: `BERT-style encoder: ${o.layers} layers, hidden ${H}, ${o.heads} heads, seq ${o.seq}, vocab ${o.vocab}, seeded random weights`,
  });
}
