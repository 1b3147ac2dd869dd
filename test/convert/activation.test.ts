import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convertLayersModel, UnsupportedConfigError } from '../../src/convert/index.js';
import type { LayersModelArtifacts } from '../../src/convert/index.js';
import { artifactsOf, expectClose, expectParity, randomizeWeights, rng, runOrt, uniform } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

const ACTIVATIONS = [
  'relu', 'relu6', 'sigmoid', 'hard_sigmoid', 'tanh', 'softmax', 'linear', 'swish',
  'elu', 'selu', 'softplus', 'softsign', 'mish', 'gelu', 'gelu_new',
] as const;

// tfjs' typed option names are camelCase; the saved config is Keras snake_case.
const tfjsName = (a: string): string => (a === 'hard_sigmoid' ? 'hardSigmoid' : a);

describe('activations parity with TF.js', () => {
  for (const act of ACTIVATIONS) {
    it(`Activation('${act}') on a conv output (NCHW storage; softmax over channels)`, async () => {
      const model = functional([5, 5, 3], (x) =>
        ap(L.activation({ activation: tfjsName(act) as 'relu' }), ap(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x)),
      );
      randomizeWeights(model, 51);
      await expectParity(model, { lo: -3, hi: 3 });
    });
    it(`Dense fused activation '${act}'`, async () => {
      const model = functional([6], (x) => ap(L.dense({ units: 5, activation: tfjsName(act) as 'relu' }), x));
      randomizeWeights(model, 52);
      await expectParity(model, { lo: -3, hi: 3 });
    });
  }

  const layerCases: [string, () => tf.layers.Layer][] = [
    ['ReLU layer', () => L.reLU({})],
    ['ReLU layer max_value 0.5', () => L.reLU({ maxValue: 0.5 })],
    ['LeakyReLU alpha 0.1', () => L.leakyReLU({ alpha: 0.1 })],
    ['ELU', () => L.elu({})],
    ['ThresholdedReLU theta 0.3', () => L.thresholdedReLU({ theta: 0.3 })],
    ['Softmax layer axis -1', () => L.softmax({ axis: -1 })],
    ['PReLU', () => L.prelu({})],
    ['PReLU shared over H,W', () => L.prelu({ sharedAxes: [1, 2] })],
  ];
  for (const [name, make] of layerCases) {
    it(`${name} after a conv`, async () => {
      const model = functional([5, 4, 3], (x) => ap(make(), ap(L.conv2d({ filters: 3, kernelSize: 1 }), x)));
      randomizeWeights(model, 53);
      await expectParity(model, { lo: -2, hi: 2 });
    });
  }
});

/** Keras relu(x, negative_slope, max_value, threshold) as the TF backend computes it. */
function kerasRelu(x: number, slope: number, max: number | null, thr: number): number {
  let pos = thr !== 0 ? (x > thr ? x : 0) : Math.max(x, 0);
  if (max !== null) pos = Math.min(Math.max(pos, 0), max);
  const neg = Math.max(thr - x, 0);
  return pos - slope * neg;
}

/** Hand-written Keras JSON: tfjs' ReLU layer lacks negative_slope/threshold. */
function reluArtifacts(config: Record<string, number | null>): LayersModelArtifacts {
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'relu_only',
        layers: [{ class_name: 'ReLU', config: { name: 'relu', batch_input_shape: [null, 64], ...config } }],
      },
    },
    weightSpecs: [],
    weightData: new ArrayBuffer(0),
  };
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown;
}
const layersOf = (a: { modelTopology?: unknown }): LayerJson[] => (a.modelTopology as { config: { layers: LayerJson[] } }).config.layers;

describe('hand-written Keras configs tfjs cannot build (reference formulas)', () => {
  const variants: Record<string, number | null>[] = [
    { max_value: null, negative_slope: 0, threshold: 0 },
    { max_value: 6, negative_slope: 0, threshold: 0 },
    { max_value: null, negative_slope: 0.2, threshold: 0 },
    { max_value: 1.5, negative_slope: 0.2, threshold: 0 },
    { max_value: null, negative_slope: 0, threshold: 0.5 },
    { max_value: 2, negative_slope: 0.1, threshold: 0.5 },
    { max_value: 1, negative_slope: 0.3, threshold: -0.5 },
  ];
  for (const v of variants) {
    it(JSON.stringify(v), async () => {
      const { bytes } = convertLayersModel(reluArtifacts(v));
      const x = uniform(rng(5), 64, -3, 3);
      x.set([0.5, -0.5, 0, 2, 1.5, 6]); // boundaries
      const y = Object.values(await runOrt(bytes, { relu_input: { data: x, dims: [1, 64] } }))[0];
      const expected = Array.from(x, (xi) => kerasRelu(xi, v.negative_slope ?? 0, v.max_value, v.threshold ?? 0));
      expectClose(y.data, expected, 'relu variant', 1e-6);
    });
  }

  // tfjs rejects ELU alpha != 1 and softmax over a non-last axis, Keras allows both.
  it('ELU alpha 0.7', async () => {
    const artifacts = reluArtifacts({});
    layersOf(artifacts)[0] = { class_name: 'ELU', config: { name: 'elu', alpha: 0.7, batch_input_shape: [null, 64] } };
    const x = uniform(rng(6), 64, -3, 3);
    const y = Object.values(await runOrt(convertLayersModel(artifacts).bytes, { elu_input: { data: x, dims: [1, 64] } }))[0];
    expectClose(y.data, Array.from(x, (v) => (v > 0 ? v : 0.7 * Math.expm1(v))), 'elu', 1e-6);
  });

  it('Softmax layer axis 1 on a 4-D conv output (an H axis in Keras numbering)', async () => {
    const conv = L.conv2d({ filters: 3, kernelSize: 1, name: 'conv' });
    const model = functional([4, 5, 3], (x) => ap(conv, x));
    randomizeWeights(model, 7);
    const artifacts = await artifactsOf(model);
    layersOf(artifacts).push({ class_name: 'Softmax', config: { name: 'sm', axis: 1 }, inbound_nodes: [[['conv', 0, 0, {}]]] });
    (artifacts.modelTopology as { config: { output_layers: unknown } }).config.output_layers = [['sm', 0, 0]];
    const x = tf.randomUniform([2, 4, 5, 3], -2, 2, 'float32', 3);
    const logits = conv.apply(x) as tf.Tensor4D;
    const expected = tf.transpose(tf.softmax(tf.transpose(logits, [0, 2, 3, 1])), [0, 3, 1, 2]);
    const y = Object.values(await runOrt(convertLayersModel(artifacts).bytes, { image: { data: x.dataSync() as Float32Array, dims: [2, 4, 5, 3] } }))[0];
    expect(y.dims).toEqual([2, 4, 5, 3]);
    expectClose(y.data, expected.dataSync(), 'softmax axis 1');
  });

  it('unknown activation names are rejected with the layer name', () => {
    const artifacts = reluArtifacts({});
    layersOf(artifacts)[0] = { class_name: 'Activation', config: { name: 'act', activation: 'crelu_custom', batch_input_shape: [null, 4] } };
    expect(() => convertLayersModel(artifacts)).toThrow(UnsupportedConfigError);
    expect(() => convertLayersModel(artifacts)).toThrow(/"act".*crelu_custom/);
  });
});
