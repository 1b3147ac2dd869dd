import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { attr, checkOnnxModel, encodeModel, GraphBuilder, IR_VERSION } from '../../src/convert/index.js';
import type { Dim, IrModel, TensorDataType } from '../../src/convert/index.js';
import { inspectOnnxBytes, inspectOnnxModel, ModelSourceError } from '../../src/sources/index.js';
import type { ModelSourceErrorCode } from '../../src/sources/index.js';
import { tempDir } from './models.js';

const tmp = tempDir();

function wrap(b: GraphBuilder): IrModel {
  return { graph: b.graph, irVersion: IR_VERSION, opsetVersion: 13, producerName: 'onnx-test', producerVersion: '0', docString: '', metadata: {} };
}

/** x -> (Transpose if NHWC) -> GlobalAveragePool -> Flatten -> Gemm -> Softmax: a tiny 5-class classifier. */
function classifier(dims: Dim[], opts: { nhwc?: boolean; elemType?: TensorDataType; legacyInputs?: boolean; extraOutput?: boolean } = {}): Uint8Array {
  const b = new GraphBuilder('tiny');
  const n = dims[0];
  let x = b.addInput('pixels', dims, opts.elemType ?? 'float32');
  if (opts.elemType && opts.elemType !== 'float32') x = b.op('Cast', [x], null, { to: attr.int(1) });
  if (opts.nhwc) x = b.op('Transpose', [x], [n, dims[3], dims[1], dims[2]], { perm: attr.ints([0, 3, 1, 2]) });
  const c = Number(opts.nhwc ? dims[3] : dims[1]) || 3;
  const pooled = b.op('GlobalAveragePool', [x], [n, c, 1, 1]);
  const flat = b.op('Flatten', [pooled], [n, c]);
  const w = b.constF32('w', [c, 5], Array.from({ length: c * 5 }, (_, i) => (i % 7) / 7));
  const logits = b.op('Gemm', [flat, w], [n, 5]);
  const probs = b.op('Softmax', [logits], [n, 5], {}, 'probs');
  b.addOutput(probs, [n, 5]);
  if (opts.extraOutput) b.addOutput(logits, [n, 5]);
  if (opts.legacyInputs) b.graph.inputs.push({ name: w, elemType: 'float32', shape: [c, 5] });
  return encodeModel(wrap(b));
}

function failure(bytes: Uint8Array, code: ModelSourceErrorCode, message: RegExp): void {
  let err: unknown;
  try {
    inspectOnnxBytes(bytes, 'model.onnx');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelSourceError);
  expect({ code: (err as ModelSourceError).code, message: (err as ModelSourceError).message }).toEqual({ code, message: expect.stringMatching(message) });
}

describe('inspectOnnxModel', () => {
  it('NCHW with a dynamic batch (a torchvision-style export)', async () => {
    const bytes = classifier(['batch', 3, 32, 24]);
    expect(await checkOnnxModel(bytes)).toEqual({ inputNames: ['pixels'], outputNames: ['probs'] });
    const file = tmp.path('nchw.onnx');
    await writeFile(file, bytes);
    expect(await inspectOnnxModel(file)).toEqual({
      file,
      input: { name: 'pixels', dims: ['batch', 3, 32, 24], layout: 'NCHW', batch: 'dynamic', height: 32, width: 24, channels: 3, dtype: 'float32' },
      output: { name: 'probs', dims: ['batch', 5], classes: 5, producer: 'Softmax' },
      opset: 13,
      producer: 'onnx-test',
    });
  });

  it('NHWC with a fixed batch of 1 (a tf2onnx-style export)', async () => {
    const bytes = classifier([1, 20, 16, 3], { nhwc: true });
    expect(await checkOnnxModel(bytes)).toEqual({ inputNames: ['pixels'], outputNames: ['probs'] });
    const info = inspectOnnxBytes(bytes, 'm.onnx');
    expect(info.input).toEqual({ name: 'pixels', dims: [1, 20, 16, 3], layout: 'NHWC', batch: 1, height: 20, width: 16, channels: 3, dtype: 'float32' });
  });

  it('grayscale NCHW with unknown spatial size; initializers listed as inputs (IR < 4) are not inputs', () => {
    const info = inspectOnnxBytes(classifier([null, 1, 'h', 'w'], { legacyInputs: true }), 'm.onnx');
    expect(info.input).toMatchObject({ name: 'pixels', layout: 'NCHW', batch: 'dynamic', height: null, width: null, channels: 1 });
    expect(info.output.classes).toBe(5);
  });

  it('refuses what is not a one-input float image classifier, saying why', async () => {
    failure(classifier(['N', 3, 8, 8], { extraOutput: true }), 'several_outputs', /the model has 2 outputs \(probs, /);
    failure(classifier(['N', 3, 8, 8], { elemType: 'uint8' }), 'unsupported_config', /input "pixels" has element type UINT8; only float32/);
    failure(classifier(['N', 4, 8, 8]), 'not_image_classifier', /shape \[N, 4, 8, 8\]: cannot tell NCHW from NHWC/);
    failure(classifier(['N', 3, 8, 3]), 'not_image_classifier', /shape \[N, 3, 8, 3\]: cannot tell NCHW from NHWC/);

    const two = new GraphBuilder('two');
    const a = two.addInput('a', ['N', 3, 8, 8]);
    const c = two.addInput('b', ['N', 3, 8, 8]);
    const sum = two.op('Add', [a, c], ['N', 3, 8, 8]);
    two.addOutput(two.op('Flatten', [sum], ['N', 192]), ['N', 192]);
    failure(encodeModel(wrap(two)), 'several_inputs', /the model has 2 inputs \(a, b\)/);

    const flat = new GraphBuilder('flat');
    flat.addOutput(flat.op('Relu', [flat.addInput('features', ['N', 20])], ['N', 20]), ['N', 20]);
    failure(encodeModel(wrap(flat)), 'not_image_classifier', /input "features" has shape \[N, 20\] \(rank 2\)/);

    const seg = new GraphBuilder('seg');
    seg.addOutput(seg.op('Relu', [seg.addInput('x', ['N', 3, 8, 8])], ['N', 3, 8, 8]), ['N', 3, 8, 8]);
    failure(encodeModel(wrap(seg)), 'not_image_classifier', /output "\w+" has shape \[N, 3, 8, 8\]; an image classifier outputs \[batch, classes\]/);

    const good = classifier(['N', 3, 8, 8]);
    failure(good.subarray(0, Math.floor(good.length / 2)), 'unreadable_file', /not a readable ONNX model/);
    failure(new TextEncoder().encode('definitely not protobuf'), 'unreadable_file', /not a readable ONNX model/);
    await expect(inspectOnnxModel(tmp.path('missing.onnx'))).rejects.toMatchObject({ code: 'unreadable_file' });
  });
});
