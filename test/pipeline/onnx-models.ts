/**
 * A tiny ONNX image classifier, as a torchvision export would be laid out (NCHW), written with the
 * project's ONNX encoder (onnx-proto): 1x1 Conv (4 filters) + Relu -> GlobalAveragePool -> Flatten
 * -> Gemm (3 classes), optionally ending in Softmax. `reference` computes the same in plain JS.
 */
import { attr, encodeModel, GraphBuilder, IR_VERSION, type Dim } from '../../src/convert/index.js';

const C = 3;
const F = 4;
const K = 3;
const W1 = Array.from({ length: F * C }, (_, i) => ((i * 37) % 11) / 11 - 0.45);
const B1 = [0.1, -0.2, 0.05, 0.3];
const W2 = Array.from({ length: F * K }, (_, i) => ((i * 53) % 13) / 13 - 0.5);
const B2 = [0.2, -0.1, 0];

export interface TinyOnnxOptions {
  batch?: Dim;
  height: number;
  width: number;
  /** NHWC input (a tf2onnx-style export): the graph transposes it first. */
  nhwc?: boolean;
  softmax?: boolean;
}

export function tinyClassifier(o: TinyOnnxOptions): Uint8Array {
  const b = new GraphBuilder('tiny-torch');
  const n = o.batch ?? 'batch';
  let x = b.addInput('input', o.nhwc ? [n, o.height, o.width, C] : [n, C, o.height, o.width]);
  if (o.nhwc) x = b.op('Transpose', [x], [n, C, o.height, o.width], { perm: attr.ints([0, 3, 1, 2]) });
  const conv = b.op('Conv', [x, b.constF32('w1', [F, C, 1, 1], W1), b.constF32('b1', [F], B1)], [n, F, o.height, o.width], { kernel_shape: attr.ints([1, 1]) });
  const relu = b.op('Relu', [conv], [n, F, o.height, o.width]);
  const pooled = b.op('GlobalAveragePool', [relu], [n, F, 1, 1]);
  const flat = b.op('Flatten', [pooled], [n, F]);
  let out = b.op('Gemm', [flat, b.constF32('w2', [F, K], W2), b.constF32('b2', [K], B2)], [n, K], {}, o.softmax ? undefined : 'logits');
  if (o.softmax) out = b.op('Softmax', [out], [n, K], {}, 'probs');
  b.addOutput(out, [n, K]);
  return encodeModel({ graph: b.graph, irVersion: IR_VERSION, opsetVersion: 13, producerName: 'pytorch-like', producerVersion: '0', docString: '', metadata: {} });
}

/** The model's output for one NCHW row `[C, H, W]`. */
export function reference(row: Float32Array, softmax = false): number[] {
  const plane = row.length / C;
  const pooled = new Array<number>(F).fill(0);
  for (let p = 0; p < plane; p++) {
    for (let f = 0; f < F; f++) {
      let y = B1[f];
      for (let c = 0; c < C; c++) y += W1[f * C + c] * row[c * plane + p];
      pooled[f] += Math.max(y, 0) / plane;
    }
  }
  const logits = B2.map((bias, k) => pooled.reduce((s, g, f) => s + g * W2[f * K + k], bias));
  if (!softmax) return logits;
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}
