import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  ConversionError,
  convertLayersModel,
  TopologyError,
  UnsupportedConfigError,
  UnsupportedLayerError,
  WeightError,
} from '../../src/convert/index.js';
import type { LayersModelArtifacts } from '../../src/convert/index.js';
import { artifactsOf } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the conversion to throw');
}

const sequential = (layers: Record<string, unknown>[]): LayersModelArtifacts => ({
  modelTopology: { class_name: 'Sequential', config: { name: 's', layers } },
  weightSpecs: [],
  weightData: new ArrayBuffer(0),
});

describe('conversion errors', () => {
  it('LSTM -> UnsupportedLayerError naming the layer and its class', async () => {
    const model = functional([5, 3], (x) => ap(L.dense({ units: 2 }), ap(L.lstm({ units: 4, name: 'my_lstm' }), x)));
    const artifacts = await artifactsOf(model);
    const e = thrown(() => convertLayersModel(artifacts));
    expect(e).toBeInstanceOf(UnsupportedLayerError);
    expect(e).toBeInstanceOf(ConversionError);
    expect((e as UnsupportedLayerError).layerName).toBe('my_lstm');
    expect((e as UnsupportedLayerError).className).toBe('LSTM');
    expect((e as Error).message).toBe('Unsupported Keras layer "my_lstm" of class "LSTM"');
  });

  it('an unknown custom class in hand-written JSON', () => {
    const e = thrown(() =>
      convertLayersModel(sequential([{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4] } }, { class_name: 'FancyAttention', config: { name: 'fancy_1' } }])),
    );
    expect(e).toBeInstanceOf(UnsupportedLayerError);
    expect((e as Error).message).toContain('"fancy_1"');
    expect((e as Error).message).toContain('"FancyAttention"');
  });

  it('unsupported option of a supported layer -> UnsupportedConfigError', () => {
    const e = thrown(() =>
      convertLayersModel(
        sequential([
          { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 3, 8, 8] } },
          { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2], data_format: 'channels_first' } },
        ]),
      ),
    );
    expect(e).toBeInstanceOf(UnsupportedConfigError);
    expect((e as Error).message).toMatch(/"pool".*channels_first/);
  });

  it('missing weights -> WeightError naming the layer and weight', async () => {
    const model = functional([4], (x) => ap(L.dense({ units: 2, name: 'head' }), x));
    const artifacts = await artifactsOf(model);
    const bad = { ...artifacts, weightSpecs: artifacts.weightSpecs!.slice(0, 1), weightData: (artifacts.weightData as ArrayBuffer).slice(0, 4 * 8) };
    const e = thrown(() => convertLayersModel(bad));
    expect(e).toBeInstanceOf(WeightError);
    expect((e as Error).message).toMatch(/"head".*"bias"/);
  });

  it('truncated weight data -> WeightError', async () => {
    const model = functional([4], (x) => ap(L.dense({ units: 2 }), x));
    const artifacts = await artifactsOf(model);
    const e = thrown(() => convertLayersModel({ ...artifacts, weightData: (artifacts.weightData as ArrayBuffer).slice(0, 10) }));
    expect(e).toBeInstanceOf(WeightError);
  });

  it('a TF.js graph model or garbage topology -> TopologyError', () => {
    expect(() => convertLayersModel({ modelTopology: new ArrayBuffer(8) })).toThrow(TopologyError);
    expect(() => convertLayersModel({ modelTopology: { class_name: 'Mystery', config: {} } })).toThrow(TopologyError);
    expect(() => convertLayersModel({})).toThrow(TopologyError);
  });
});
