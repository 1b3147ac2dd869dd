import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { artifactsOf, expectClose, expectParity, randomizeWeights, runOrt } from './helpers.js';
import { convertLayersModel } from '../../src/convert/index.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

type Case = [string, number[], () => tf.layers.Layer];

const cases: Case[] = [
  ['MaxPooling2D 2x2 valid', [8, 8, 3], () => L.maxPooling2d({ poolSize: 2 })],
  ['MaxPooling2D 3x3 stride 2 valid', [9, 9, 3], () => L.maxPooling2d({ poolSize: 3, strides: 2 })],
  ['MaxPooling2D 3x3 stride 2 same (odd)', [9, 9, 3], () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  ['MaxPooling2D 2x2 same (extra pad at the end)', [7, 7, 2], () => L.maxPooling2d({ poolSize: 2, padding: 'same' })],
  ['MaxPooling2D [2,3] strides [1,2]', [8, 9, 2], () => L.maxPooling2d({ poolSize: [2, 3], strides: [1, 2] })],
  ['AveragePooling2D 2x2 valid', [8, 8, 3], () => L.averagePooling2d({ poolSize: 2 })],
  ['AveragePooling2D 3x3 stride 1 same (padding excluded from the mean)', [6, 6, 3], () => L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' })],
  ['AveragePooling2D 3x3 stride 2 same (odd)', [9, 9, 2], () => L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  ['GlobalAveragePooling2D', [6, 5, 4], () => L.globalAveragePooling2d({})],
  ['GlobalMaxPooling2D', [6, 5, 4], () => L.globalMaxPooling2d({})],
];

describe('pooling parity with TF.js', () => {
  for (const [name, shape, make] of cases) {
    it(name, async () => {
      // A conv in front puts the tensor in NCHW, as in real models.
      const model = functional(shape, (x) => ap(make(), ap(L.conv2d({ filters: shape[2], kernelSize: 1 }), x)));
      randomizeWeights(model, 21);
      await expectParity(model);
    });
    it(`${name} directly on the NHWC input`, async () => {
      await expectParity(functional(shape, (x) => ap(make(), x)));
    });
  }

  it('global pooling then Dense: no transpose back to NHWC needed', async () => {
    const model = functional([6, 6, 3], (x) => {
      const c = ap(L.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }), x);
      return ap(L.dense({ units: 4, activation: 'softmax' }), ap(L.globalAveragePooling2d({}), c));
    });
    randomizeWeights(model, 2);
    const { converted } = await expectParity(model);
    expect(converted.ir.graph.nodes.filter((n) => n.opType === 'Transpose')).toHaveLength(1);
    expect(converted.outputShape).toEqual(['N', 4]);
  });

  // tfjs has no keepdims option; patch the config like newer Keras writes it.
  for (const [cls, reduce] of [
    ['GlobalAveragePooling2D', (t: tf.Tensor) => tf.mean(t, [1, 2], true)],
    ['GlobalMaxPooling2D', (t: tf.Tensor) => tf.max(t, [1, 2], true)],
  ] as const) {
    it(`${cls} keepdims=true keeps [N,1,1,C] in channels-last order`, async () => {
      const conv = L.conv2d({ filters: 4, kernelSize: 3 });
      const layer = cls === 'GlobalAveragePooling2D' ? L.globalAveragePooling2d({}) : L.globalMaxPooling2d({});
      const model = functional([7, 7, 3], (x) => ap(layer, ap(conv, x)));
      randomizeWeights(model, 8);
      const artifacts = await artifactsOf(model);
      const topo = artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
      topo.config.layers.find((l) => l.class_name === cls)!.config.keepdims = true;
      const converted = convertLayersModel(artifacts);
      expect(converted.outputShape).toEqual(['N', 1, 1, 4]);
      const x = tf.randomUniform([2, 7, 7, 3], -1, 1, 'float32', 1);
      const expected = reduce(conv.apply(x) as tf.Tensor);
      const y = Object.values(await runOrt(converted.bytes, { image: { data: x.dataSync() as Float32Array, dims: [2, 7, 7, 3] } }))[0];
      expect(y.dims).toEqual([2, 1, 1, 4]);
      expectClose(y.data, expected.dataSync(), cls);
    });
  }
});
