import { describe, expect, it } from 'vitest';
import { normaliseKerasConfig, readKerasModel, readKerasV3 } from '../../src/sources/index.js';
import { snakeCase } from '../../src/sources/keras-v3-weights.js';
import { artifactsOf } from '../convert/helpers.js';
import { useCpuBackend } from '../convert/tfjs-models.js';
import { toKeras3Config } from './keras3-form.js';
import type { Json } from './keras3-form.js';
import { expectSameAsTfjs, grayscaleSequential, shapesOf, smallCnn, tempDir } from './models.js';
import { parseArtifacts, writeKeras3Archive } from './writers.js';

useCpuBackend();
const tmp = tempDir();

describe('Keras 3 archive (.keras)', () => {
  it('functional model: same outputs as TF.js within 1e-4', async () => {
    const model = smallCnn();
    const file = tmp.path('cnn.keras');
    await writeKeras3Archive(file, await artifactsOf(model), { shapes: shapesOf(model) });
    const source = await readKerasModel(file);
    expect(source.format).toBe('keras-v3');
    expect(source.kerasVersion).toBe('3.6.0');
    expect(source.input).toEqual({ name: 'image', shape: [null, 16, 16, 3] });
    // layers/depthwise_conv2d/vars/0 -> the converter's name for a depthwise kernel.
    const names = source.artifacts.weightSpecs.map((w) => w.name);
    expect(names).toEqual(
      expect.arrayContaining(['conv1/kernel', 'conv1/bias', 'dw/depthwise_kernel', 'bn2/gamma', 'bn2/moving_variance', 'conv2/kernel', 'probs/bias']),
    );
    expect(names).not.toContain('bn2/beta'); // center=false: 3 variables, gamma first
    expect(names).not.toContain('conv2/bias'); // use_bias=false
    await expectSameAsTfjs(model, source);
  });

  it('Sequential model (InputLayer entry, no layer names in inbound nodes)', async () => {
    const model = grayscaleSequential();
    const file = tmp.path('gray.keras');
    await writeKeras3Archive(file, await artifactsOf(model));
    const source = await readKerasV3(file);
    expect(source.input).toEqual({ name: 'input_layer', shape: [null, 12, 12, 1] });
    await expectSameAsTfjs(model, source);
  });

  it('reads archives from Keras < 3.6 (no layer name on the vars groups): position decides', async () => {
    const model = smallCnn();
    const file = tmp.path('cnn-old.keras');
    await writeKeras3Archive(file, await artifactsOf(model), { nameAttrs: false });
    await expectSameAsTfjs(model, await readKerasV3(file));
  });

  it('data augmentation layers (RandomFlip, RandomRotation) are the identity at inference', async () => {
    const model = smallCnn();
    const file = tmp.path('augmented.keras');
    const augment = (className: string, name: string, from: string): Record<string, Json> => ({
      module: 'keras.layers',
      class_name: className,
      config: { name, factor: 0.1, seed: null, data_format: 'channels_last', trainable: true },
      registered_name: null,
      name,
      inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 16, 16, 3], dtype: 'float32', keras_history: [from, 0, 0] } }], kwargs: {} }],
    });
    await writeKeras3Archive(file, await artifactsOf(model), {
      // image -> flip -> rotate -> conv1 ...: as `x = data_augmentation(inputs)` in the Keras tutorial.
      editConfig: (mc) => {
        const layers = (mc.config as { layers: Record<string, Json>[] }).layers;
        const conv1 = layers.find((l) => l.name === 'conv1') as { inbound_nodes: { args: { config: { keras_history: Json[] } }[] }[] };
        conv1.inbound_nodes[0].args[0].config.keras_history = ['rotate', 0, 0];
        layers.splice(1, 0, augment('RandomFlip', 'flip', 'image'), augment('RandomRotation', 'rotate', 'flip'));
      },
    });
    await expectSameAsTfjs(model, await readKerasV3(file));
  });

  it('normalises the Keras 3 config to the Keras 2 / TF.js form', async () => {
    const { modelConfig } = parseArtifacts(await artifactsOf(smallCnn()));
    const k3 = toKeras3Config(modelConfig);
    const topo = normaliseKerasConfig(k3, 'x.keras', { kerasVersion: '3.6.0' });
    expect(topo.keras_version).toBe('3.6.0');
    expect(topo.model_config.class_name).toBe('Functional');
    const cfg = topo.model_config.config;
    expect(cfg.input_layers).toEqual([['image', 0, 0]]);
    expect(cfg.output_layers).toEqual([['probs', 0, 0]]);
    const layers = cfg.layers as { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[];
    const conv = layers.find((l) => l.name === 'conv1');
    expect(conv?.config.dtype).toBe('float32');
    expect(conv?.config.kernel_initializer).toEqual({ class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } });
    expect(conv?.inbound_nodes).toEqual([[['image', 0, 0, {}]]]);
    expect(layers[0]).toEqual({
      class_name: 'InputLayer',
      name: 'image',
      config: { batch_input_shape: [null, 16, 16, 3], dtype: 'float32', sparse: false, ragged: false, name: 'image', optional: false },
      inbound_nodes: [],
    });
  });

  it("names weight groups as Keras' to_snake_case does", () => {
    expect(['Conv2D', 'BatchNormalization', 'DepthwiseConv2D', 'ReLU', 'GlobalAveragePooling2D', 'PReLU', 'Dense'].map(snakeCase)).toEqual([
      'conv2d',
      'batch_normalization',
      'depthwise_conv2d',
      're_lu',
      'global_average_pooling2d',
      'p_re_lu',
      'dense',
    ]);
  });
});
