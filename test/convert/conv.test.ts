import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convertLayersModel } from '../../src/convert/index.js';
import { artifactsOf, expectClose, expectParity, randomizeWeights, runOrt } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

type Case = [string, number[], () => tf.layers.Layer];

const conv2dCases: Case[] = [
  ['3x3 valid', [9, 9, 3], () => L.conv2d({ filters: 4, kernelSize: 3 })],
  ['3x3 same', [9, 9, 3], () => L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' })],
  ['3x3 same stride 2 (odd input: TF pads extra at the end)', [9, 9, 3], () => L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })],
  ['4x4 same stride 2 (even kernel)', [10, 10, 2], () => L.conv2d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' })],
  ['2x3 kernel, strides [2,1], valid', [9, 8, 3], () => L.conv2d({ filters: 5, kernelSize: [2, 3], strides: [2, 1] })],
  ['7x7 stride 2 valid', [16, 16, 3], () => L.conv2d({ filters: 4, kernelSize: 7, strides: 2 })],
  ['dilation 2 same', [12, 12, 3], () => L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same' })],
  ['dilation [2,3] valid', [12, 12, 2], () => L.conv2d({ filters: 3, kernelSize: 3, dilationRate: [2, 3] })],
  ['no bias', [8, 8, 3], () => L.conv2d({ filters: 4, kernelSize: 3, useBias: false, padding: 'same' })],
  ['fused relu', [8, 8, 3], () => L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })],
  ['fused sigmoid', [8, 8, 3], () => L.conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid' })],
  ['1x1 pointwise', [5, 5, 6], () => L.conv2d({ filters: 8, kernelSize: 1 })],
];

const depthwiseCases: Case[] = [
  ['depthwise 3x3 same', [8, 8, 3], () => L.depthwiseConv2d({ kernelSize: 3, padding: 'same' })],
  ['depthwise depth_multiplier 2, stride 2 same', [9, 9, 3], () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })],
  ['depthwise no bias, relu6', [8, 8, 4], () => L.depthwiseConv2d({ kernelSize: 3, useBias: false, activation: 'relu6' })],
];

const separableCases: Case[] = [
  ['separable 3x3 valid', [8, 8, 3], () => L.separableConv2d({ filters: 5, kernelSize: 3 })],
  ['separable depth_multiplier 2, same, stride 2', [9, 9, 3], () => L.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })],
  ['separable no bias + relu', [8, 8, 4], () => L.separableConv2d({ filters: 6, kernelSize: 3, useBias: false, activation: 'relu' })],
];

describe('Conv2D / DepthwiseConv2D / SeparableConv2D parity with TF.js', () => {
  for (const [name, shape, make] of [...conv2dCases, ...depthwiseCases, ...separableCases]) {
    it(name, async () => {
      const model = functional(shape, (x) => ap(make(), x));
      randomizeWeights(model, 11);
      const { converted } = await expectParity(model);
      expect(converted.inputShape).toEqual(['N', ...shape]);
    });
  }

  // tfjs-layers ignores dilation_rate in DepthwiseConv2D (passes null), Keras does not:
  // compare against the tfjs core op with dilations instead.
  it('depthwise dilation 2 (reference: tf.depthwiseConv2d op)', async () => {
    const layer = L.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, depthMultiplier: 3, padding: 'same' });
    const model = functional([10, 10, 2], (x) => ap(layer, x));
    randomizeWeights(model, 9);
    const artifacts = await artifactsOf(model);
    const { bytes } = convertLayersModel(artifacts);
    const x = tf.randomUniform([2, 10, 10, 2], -1, 1, 'float32', 4);
    const [kernel, bias] = layer.getWeights();
    const expected = tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same', 'NHWC', 2), bias);
    const out = await runOrt(bytes, { image: { data: x.dataSync() as Float32Array, dims: [2, 10, 10, 2] } });
    const y = Object.values(out)[0];
    expect(y.dims).toEqual(expected.shape);
    expectClose(y.data, expected.dataSync(), 'dilated depthwise');
  });

  it('uses explicit TF-style pads (extra at the end) instead of auto_pad', async () => {
    const model = functional([9, 9, 3], (x) => ap(L.conv2d({ filters: 2, kernelSize: 4, strides: 2, padding: 'same' }), x));
    randomizeWeights(model, 3);
    const { converted } = await expectParity(model);
    const conv = converted.ir.graph.nodes.find((n) => n.opType === 'Conv');
    expect(conv?.attributes.pads).toEqual({ type: 'ints', value: [1, 1, 2, 2] });
    expect(conv?.attributes.auto_pad).toBeUndefined();
  });

  it('keeps a conv stack in NCHW: one Transpose in, one out', async () => {
    const model = functional([8, 8, 3], (x) => {
      const a = ap(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
      const b = ap(L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), a);
      return ap(L.separableConv2d({ filters: 3, kernelSize: 3, padding: 'same' }), b);
    });
    randomizeWeights(model, 5);
    const { converted } = await expectParity(model);
    expect(converted.ir.graph.nodes.filter((n) => n.opType === 'Transpose')).toHaveLength(2);
    expect(converted.outputShape).toEqual(['N', 8, 8, 3]);
  });
});
