/** Named float32 weights -> the `weightSpecs` + one `weightData` buffer the converter decodes. */
import type { WeightSpec } from '../convert/index.js';

export interface NamedWeight {
  /** `<layer name>/<variable name>`, e.g. `conv1/kernel`, as TF.js writes them. */
  name: string;
  dims: number[];
  data: Float32Array;
}

export function packWeights(weights: NamedWeight[]): { weightSpecs: WeightSpec[]; weightData: ArrayBuffer } {
  const total = weights.reduce((n, w) => n + w.data.length, 0);
  const all = new Float32Array(total);
  const weightSpecs: WeightSpec[] = [];
  let offset = 0;
  for (const w of weights) {
    all.set(w.data, offset);
    offset += w.data.length;
    weightSpecs.push({ name: w.name, shape: [...w.dims], dtype: 'float32' });
  }
  return { weightSpecs, weightData: all.buffer };
}

/**
 * The variable name the converter asks a layer for. Keras 3 names the DepthwiseConv2D kernel
 * `kernel` (keras/src/layers/convolutional/base_depthwise_conv.py) where tf.keras 2 and TF.js say
 * `depthwise_kernel`.
 */
export function converterVariableName(className: string | undefined, variable: string): string {
  if ((className === 'DepthwiseConv2D' || className === 'DepthwiseConv1D') && variable === 'kernel') return 'depthwise_kernel';
  return variable;
}
