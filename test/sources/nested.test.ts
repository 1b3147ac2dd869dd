import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readKerasModel } from '../../src/sources/index.js';
import { artifactsOf, randomizeWeights } from '../convert/helpers.js';
import { ap, useCpuBackend } from '../convert/tfjs-models.js';
import { expectSameAsTfjs, shapesOf, tempDir } from './models.js';
import { writeKeras2H5, writeKeras3Archive, writeKeras3H5 } from './writers.js';

useCpuBackend();
const tmp = tempDir();
const L = tf.layers;

/** A small "pretrained base" (conv+BN+ReLU, depthwise, global pool) to nest, as keras.applications bases are. */
function base(): tf.LayersModel {
  const x = tf.input({ shape: [12, 12, 3], name: 'base_input' });
  const c = ap(L.conv2d({ filters: 6, kernelSize: 3, name: 'conv' }), x);
  const b = ap(L.batchNormalization({ name: 'bn' }), c);
  const r = ap(L.reLU({ name: 'relu' }), b);
  const d = ap(L.depthwiseConv2d({ kernelSize: 3, name: 'dw' }), r);
  return tf.model({ inputs: x, outputs: ap(L.globalAveragePooling2d({ name: 'gap' }), d), name: 'base' });
}

function transferFunctional(): tf.LayersModel {
  const x = tf.input({ shape: [12, 12, 3], name: 'image' });
  const features = base().apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: ap(L.dense({ units: 4, activation: 'softmax', name: 'head' }), features), name: 'classifier' });
  randomizeWeights(m, 21);
  return m;
}

function transferSequential(): tf.LayersModel {
  const m = tf.sequential({ name: 'classifier', layers: [base(), L.dense({ units: 3, activation: 'softmax', name: 'head' })] });
  randomizeWeights(m, 22);
  return m;
}

describe('models nested as layers (transfer learning) are inlined', () => {
  it('a Functional base inside a Functional classifier: tf.keras 2 .h5, Keras 3 .h5, .keras', async () => {
    const model = transferFunctional();
    const a = await artifactsOf(model);
    for (const [name, write] of [
      ['k2.h5', writeKeras2H5],
      ['k3.h5', writeKeras3H5],
      ['nested.keras', writeKeras3Archive],
    ] as const) {
      const file = tmp.path(name);
      await write(file, a, { shapes: shapesOf(model) });
      const source = await readKerasModel(file);
      expect(source.input).toEqual({ name: 'image', shape: [null, 12, 12, 3] });
      expect(source.artifacts.weightSpecs.map((w) => w.name).sort()).toEqual(
        [
          'base/bn/beta', 'base/bn/gamma', 'base/bn/moving_mean', 'base/bn/moving_variance', 'base/conv/bias', 'base/conv/kernel',
          'base/dw/bias', 'base/dw/depthwise_kernel', 'head/bias', 'head/kernel',
        ].sort(),
      );
      const layers = (source.artifacts.modelTopology as { model_config: { config: { layers: { name: string; inbound_nodes: unknown }[] } } }).model_config.config.layers;
      expect(layers.find((l) => l.name === 'base/conv')?.inbound_nodes).toEqual([[['image', 0, 0, {}]]]);
      expect(layers.find((l) => l.name === 'head')?.inbound_nodes).toEqual([[['base/gap', 0, 0, {}]]]);
      await expectSameAsTfjs(model, source);
    }
  });

  it('a Functional base as the first layer of a Sequential classifier (.h5 and .keras)', async () => {
    const model = transferSequential();
    const a = await artifactsOf(model);
    for (const [name, write] of [
      ['seq.h5', writeKeras2H5],
      ['seq.keras', writeKeras3Archive],
    ] as const) {
      const file = tmp.path(name);
      await write(file, a);
      const source = await readKerasModel(file);
      expect(source.input.shape).toEqual([null, 12, 12, 3]);
      await expectSameAsTfjs(model, source);
    }
  });
});
