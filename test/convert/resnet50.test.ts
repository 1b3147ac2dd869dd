import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOnnxModel, convertLayersModel } from '../../src/convert/index.js';
import type { ConvertedModel } from '../../src/convert/index.js';
import path from 'node:path';
import { configWith } from '../../src/config/config.js';
import { readLayersModel } from '../../src/model/artifacts.js';
import { expectClose, maxAbsDiff, rng, runOrt, uniform } from './helpers.js';

// The model the app serves, from its cache (the test suite's global setup fetches it).
const modelJson = path.join(configWith({}).modelCacheDir, 'resnet50', 'tfjs', 'model.json');

function argmax(a: ArrayLike<number>, from: number, to: number): number {
  let best = from;
  for (let i = from; i < to; i++) if (a[i] > a[best]) best = i;
  return best - from;
}

describe('Keras ResNet50 (TF.js) -> ONNX', () => {
  let artifacts: tf.io.ModelArtifacts;
  let converted: ConvertedModel;
  let convertMs = 0;

  beforeAll(async () => {
    artifacts = (await readLayersModel(modelJson)) as tf.io.ModelArtifacts;
    const t0 = performance.now();
    converted = convertLayersModel(artifacts);
    convertMs = performance.now() - t0;
    console.log(`[resnet50] conversion: ${convertMs.toFixed(0)} ms, ${(converted.bytes.length / 1e6).toFixed(1)} MB`);
  }, 60_000);

  it('produces a graph with NHWC input, [N,1000] output, folded BN and fused pads', async () => {
    expect(converted.inputName).toBe('input_1');
    expect(converted.inputShape).toEqual(['N', 224, 224, 3]);
    expect(converted.outputName).toBe('fc1000');
    expect(converted.outputShape).toEqual(['N', 1000]);
    expect(converted.passes).toEqual({ foldedBatchNorms: 53, fusedPads: 2 });
    expect(converted.unusedWeights).toEqual([]);
    const ops = converted.ir.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(53);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(1); // the single NHWC -> NCHW at the input
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Pad');
    expect(converted.ir.producerName).toBe('resnet-serve keras2onnx');
    expect(converted.ir.metadata.keras_model_name).toBe('resnet50');
    const check = await checkOnnxModel(converted.bytes);
    expect(check).toEqual({ inputNames: ['input_1'], outputNames: ['fc1000'] });
  });

  it('matches TF.js (wasm) probabilities within 1e-4 on two random caffe-range inputs', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const rand = rng(2024);
    const n = 224 * 224 * 3;
    const batch = new Float32Array(2 * n);
    batch.set(uniform(rand, 2 * n, -120, 150));

    const session = await ort.InferenceSession.create(converted.bytes);
    try {
      // Batch-1 latency (after one warm-up run).
      const one = new ort.Tensor('float32', batch.subarray(0, n), [1, 224, 224, 3]);
      await session.run({ input_1: one });
      const t0 = performance.now();
      const runs = 3;
      for (let i = 0; i < runs; i++) await session.run({ input_1: one });
      const latency = (performance.now() - t0) / runs;

      const res = await session.run({ input_1: new ort.Tensor('float32', batch, [2, 224, 224, 3]) });
      const ortProbs = res.fc1000;
      expect([...ortProbs.dims]).toEqual([2, 1000]);
      const actual = ortProbs.data as Float32Array;

      const t1 = performance.now();
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const loadMs = performance.now() - t1;
      const input = tf.tensor4d(batch, [2, 224, 224, 3]);
      const out = model.predict(input) as tf.Tensor;
      const expected = await out.data();
      tf.dispose([input, out]);
      model.dispose();

      const diff = expectClose(actual, expected, 'ResNet50 probabilities', 1e-4);
      for (let b = 0; b < 2; b++) {
        expect(argmax(actual, b * 1000, (b + 1) * 1000), `argmax of image ${b}`).toBe(argmax(expected, b * 1000, (b + 1) * 1000));
      }
      let sum = 0;
      for (let i = 0; i < 1000; i++) sum += actual[i];
      expect(sum).toBeCloseTo(1, 4);
      console.log(
        `[resnet50] max abs diff vs TF.js: ${diff.toExponential(3)}; ORT batch-1 latency: ${latency.toFixed(1)} ms; ` +
          `TF.js load: ${loadMs.toFixed(0)} ms; conversion: ${convertMs.toFixed(0)} ms`,
      );
    } finally {
      await session.release();
    }
  }, 60_000);

  // Probabilities of random inputs are often near one-hot, so also compare the
  // pre-softmax logits (same weights, fc1000 activation set to linear).
  it('matches TF.js logits (fc1000 without softmax) to 1e-4 relative', async () => {
    await tf.setBackend('wasm');
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as {
      model_config: { config: { layers: { name: string; config: Record<string, unknown> }[] } };
    };
    topology.model_config.config.layers.find((l) => l.name === 'fc1000')!.config.activation = 'linear';
    const logitArtifacts = { ...artifacts, modelTopology: topology };
    const { bytes } = convertLayersModel(logitArtifacts);
    const x = uniform(rng(99), 224 * 224 * 3, -120, 150);
    const actual = (await runOrt(bytes, { input_1: { data: x, dims: [1, 224, 224, 3] } })).fc1000.data;
    const model = await tf.loadLayersModel(tf.io.fromMemory(logitArtifacts));
    const out = model.predict(tf.tensor4d(x, [1, 224, 224, 3])) as tf.Tensor;
    const expected = await out.data();
    model.dispose();
    const scale = Math.max(...Array.from(expected, Math.abs));
    const diff = maxAbsDiff(actual, expected);
    console.log(`[resnet50] logits: max |logit| ${scale.toFixed(2)}, max abs diff ${diff.toExponential(3)}`);
    expect(diff / scale, `relative logit diff ${diff / scale}`).toBeLessThan(1e-4);
  }, 60_000);
});
