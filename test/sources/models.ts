/** Small Keras-style test models (TF.js layers, random weights) and the parity check the source tests share. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { convertKerasSource } from '../../src/sources/index.js';
import type { KerasModelSource } from '../../src/sources/index.js';
import { expectClose, randomizeWeights, rng, runOrt, uniform } from '../convert/helpers.js';
import { ap, functional } from '../convert/tfjs-models.js';
import type { Json } from './keras3-form.js';

const L = tf.layers;

/** conv+BN+ReLU, depthwise conv, a residual Add, pooling, a bias-free conv, softmax head: [N,16,16,3] -> [N,5]. */
export function smallCnn(): tf.LayersModel {
  const model = functional([16, 16, 3], (x) => {
    const c1 = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1' }), x);
    const b1 = ap(L.batchNormalization({ name: 'bn1' }), c1);
    const r1 = ap(L.reLU({ name: 'relu1' }), b1);
    const dw = ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }), r1);
    const b2 = ap(L.batchNormalization({ name: 'bn2', center: false }), dw);
    const sum = ap(L.add({ name: 'residual' }), [r1, b2]);
    const p = ap(L.maxPooling2d({ poolSize: 2, name: 'pool' }), sum);
    const c2 = ap(L.conv2d({ filters: 6, kernelSize: 1, useBias: false, name: 'conv2' }), p);
    const g = ap(L.globalAveragePooling2d({ name: 'gap' }), c2);
    return ap(L.dense({ units: 5, activation: 'softmax', name: 'probs' }), g);
  });
  randomizeWeights(model, 11);
  return model;
}

/** A grayscale Sequential classifier: [N,12,12,1] -> [N,4]. */
export function grayscaleSequential(): tf.LayersModel {
  const model = tf.sequential({
    name: 'gray',
    layers: [
      L.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'c1' }),
      L.batchNormalization({ name: 'n1' }),
      L.maxPooling2d({ poolSize: 2, name: 'p1' }),
      L.flatten({ name: 'flat' }),
      L.dense({ units: 4, activation: 'softmax', name: 'out' }),
    ],
  });
  randomizeWeights(model, 5);
  return model;
}

/** Output shapes by layer name, for the Keras 3 `__keras_tensor__` entries. */
export function shapesOf(model: tf.LayersModel): Map<string, Json> {
  return new Map(model.layers.map((l) => [l.name, l.outputShape as Json]));
}

/** Convert the source and compare with TF.js' own predict on a random batch of 2. */
export async function expectSameAsTfjs(model: tf.LayersModel, source: KerasModelSource, tol = 1e-4): Promise<number> {
  const converted = convertKerasSource(source);
  const dims = model.inputs[0].shape.map((d) => d ?? 2);
  const x = uniform(rng(17), dims.reduce((a, b) => a * b, 1), -1, 1);
  const input = tf.tensor(x, dims);
  const expected = model.predict(input) as tf.Tensor;
  const out = await runOrt(converted.bytes, { [converted.inputName]: { data: x, dims } });
  const got = out[converted.outputName];
  expect(got.dims).toEqual(expected.shape);
  const diff = expectClose(got.data, expected.dataSync(), 'ONNX vs TF.js', tol);
  tf.dispose([input, expected]);
  return diff;
}

/** A fresh temp folder per test file, removed afterwards. */
export function tempDir(): { path: (name: string) => string } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sources-test-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return { path: (name) => path.join(dir, name) };
}
