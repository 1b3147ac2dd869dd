import type { Group } from 'h5wasm';
import { describe, expect, it } from 'vitest';
import { h5wasm, stringListAttr } from '../../src/sources/h5.js';
import { readKerasH5, readKerasModel } from '../../src/sources/index.js';
import { artifactsOf } from '../convert/helpers.js';
import { useCpuBackend } from '../convert/tfjs-models.js';
import { expectSameAsTfjs, grayscaleSequential, shapesOf, smallCnn, tempDir } from './models.js';
import { writeKeras2H5, writeKeras3H5 } from './writers.js';

useCpuBackend();
const tmp = tempDir();

describe('Keras HDF5 full model (.h5)', () => {
  it('tf.keras 2.x functional model: same outputs as TF.js within 1e-4', async () => {
    const model = smallCnn();
    const file = tmp.path('cnn-k2.h5');
    await writeKeras2H5(file, await artifactsOf(model));
    const source = await readKerasModel(file);
    expect(source.format).toBe('keras-h5');
    expect(source.kerasVersion).toBe('2.15.0');
    expect(source.backend).toBe('tensorflow');
    expect(source.input).toEqual({ name: 'image', shape: [null, 16, 16, 3] });
    // `conv1/kernel:0` in the file -> `conv1/kernel`, as TF.js names it.
    expect(source.artifacts.weightSpecs.map((w) => w.name)).toContain('conv1/kernel');
    expect(source.artifacts.weightSpecs.map((w) => w.name)).toContain('dw/depthwise_kernel');
    expect(source.artifacts.weightSpecs.find((w) => w.name === 'bn2/gamma')).toBeDefined();
    expect(source.artifacts.weightSpecs.find((w) => w.name === 'bn2/beta')).toBeUndefined(); // center=false
    await expectSameAsTfjs(model, source);
  });

  it('takes the layer from the group, not from the variable name prefix (renamed layers)', async () => {
    const model = smallCnn();
    const file = tmp.path('cnn-renamed.h5');
    // tf.keras names a variable after the scope it was created in: `conv2d_7/kernel:0` for a layer renamed to conv1.
    await writeKeras2H5(file, await artifactsOf(model), { weightName: (layer, _cls, v) => `scope_${layer}_7/${v}:0` });
    const source = await readKerasH5(file);
    expect(source.artifacts.weightSpecs.map((w) => w.name)).toContain('conv1/kernel');
    await expectSameAsTfjs(model, source);
  });

  it('reads a layer_names list Keras split over the HDF5 object-header limit (layer_names0, layer_names1, ...)', async () => {
    const model = smallCnn();
    const file = tmp.path('chunked.h5');
    await writeKeras2H5(file, await artifactsOf(model));
    const lib = await h5wasm();
    const f = new lib.File(file, 'a');
    const mw = f.get('model_weights') as Group;
    const names = stringListAttr(mw, 'layer_names') ?? [];
    mw.delete_attribute('layer_names');
    mw.create_attribute('layer_names0', names.slice(0, 6), [6], 'S16');
    mw.create_attribute('layer_names1', names.slice(6), [names.length - 6], 'S16');
    f.close();
    const source = await readKerasH5(file);
    expect(source.artifacts.weightSpecs.map((w) => w.name)).toContain('probs/kernel'); // a layer from the second chunk
    await expectSameAsTfjs(model, source);
  });

  it('tf.keras 2.x grayscale Sequential model', async () => {
    const model = grayscaleSequential();
    const file = tmp.path('gray-k2.hdf5');
    await writeKeras2H5(file, await artifactsOf(model));
    const source = await readKerasModel(file);
    expect(source.input.shape).toEqual([null, 12, 12, 1]);
    await expectSameAsTfjs(model, source);
  });

  it('Keras 3 model.save("x.h5"): Keras 3 config forms and variable-path weight names', async () => {
    const model = smallCnn();
    const file = tmp.path('cnn-k3.h5');
    await writeKeras3H5(file, await artifactsOf(model), { shapes: shapesOf(model) });
    const source = await readKerasH5(file);
    expect(source.kerasVersion).toBe('3.6.0');
    // Keras 3 calls the depthwise kernel `kernel`; the converter reads `depthwise_kernel`.
    expect(source.artifacts.weightSpecs.map((w) => w.name)).toContain('dw/depthwise_kernel');
    // Normalised to the TF.js / Keras 2 topology form.
    const layers = (source.artifacts.modelTopology as { model_config: { config: { layers: { name: string; config: Record<string, unknown>; inbound_nodes: unknown }[] } } })
      .model_config.config.layers;
    const input = layers.find((l) => l.name === 'image');
    expect(input?.config.batch_input_shape).toEqual([null, 16, 16, 3]);
    expect(layers.find((l) => l.name === 'residual')?.inbound_nodes).toEqual([
      [
        ['relu1', 0, 0, {}],
        ['bn2', 0, 0, {}],
      ],
    ]);
    expect(layers.find((l) => l.name === 'conv1')?.config.dtype).toBe('float32');
    await expectSameAsTfjs(model, source);
  });

  it('Keras 3 grayscale Sequential model saved as .h5', async () => {
    const model = grayscaleSequential();
    const file = tmp.path('gray-k3.h5');
    await writeKeras3H5(file, await artifactsOf(model));
    await expectSameAsTfjs(model, await readKerasH5(file));
  });
});
