/** An ONNX export as served: its input layout and size, fixed batch, classes, and final Softmax. */
import { inspectOnnxModel } from '../sources/index.js';
import type { ModelShape } from './model-shape.js';

export async function inspectServableOnnx(file: string): Promise<ModelShape> {
  const info = await inspectOnnxModel(file);
  return {
    layout: info.input.layout,
    height: info.input.height,
    width: info.input.width,
    channels: info.input.channels,
    classes: info.output.classes,
    activation: info.output.producer === 'Softmax' ? 'softmax' : 'none',
    ...(typeof info.input.batch === 'number' ? { fixedBatch: info.input.batch } : {}),
  };
}
