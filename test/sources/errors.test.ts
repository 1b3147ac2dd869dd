import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/errors.js';
import { convertKerasSource, ModelSourceError, readKerasModel } from '../../src/sources/index.js';
import type { ModelSourceErrorCode } from '../../src/sources/index.js';
import { artifactsOf, randomizeWeights } from '../convert/helpers.js';
import { ap, functional, useCpuBackend } from '../convert/tfjs-models.js';
import { smallCnn, tempDir } from './models.js';
import type { Json } from './keras3-form.js';
import { writeKeras2H5, writeKeras3Archive, writeZip } from './writers.js';

useCpuBackend();
const tmp = tempDir();
const L = tf.layers;
type Obj = { [k: string]: Json };

/** Read (and, if reading succeeds, convert) `file`; return the ModelSourceError it fails with. */
async function failure(file: string): Promise<ModelSourceError> {
  try {
    convertKerasSource(await readKerasModel(file));
  } catch (err) {
    expect(err).toBeInstanceOf(ModelSourceError);
    expect(err).toBeInstanceOf(StartupError); // reported in one line at start, exit non-zero
    return err as ModelSourceError;
  }
  throw new Error(`${file} was accepted`);
}

async function expectFailure(file: string, code: ModelSourceErrorCode, message: RegExp): Promise<ModelSourceError> {
  const err = await failure(file);
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.stringMatching(message) });
  expect(err.message.startsWith(file)).toBe(true);
  return err;
}

const layersOf = (mc: Obj): Obj[] => (mc.config as Obj).layers as Obj[];
const layerNamed = (mc: Obj, name: string): Obj => layersOf(mc).find((l) => l.name === name || (l.config as Obj).name === name) as Obj;

function withLayerNorm(): tf.LayersModel {
  const m = functional([8, 8, 3], (x) => {
    const c = ap(L.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }), x);
    const n = ap(L.layerNormalization({ name: 'ln' }), c);
    return ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), ap(L.flatten({ name: 'flat' }), n));
  });
  randomizeWeights(m, 3);
  return m;
}

describe('bad models fail loudly and precisely', () => {
  it('an unsupported Keras layer names the layer and its class (.h5 and .keras)', async () => {
    const a = await artifactsOf(withLayerNorm());
    for (const [file, write] of [
      [tmp.path('ln.h5'), writeKeras2H5],
      [tmp.path('ln.keras'), writeKeras3Archive],
    ] as const) {
      await write(file, a);
      const err = await expectFailure(file, 'unsupported_layer', /Unsupported Keras layer "ln" of class "LayerNormalization"/);
      expect([err.layerName, err.className]).toEqual(['ln', 'LayerNormalization']);
    }
  });

  it('a custom layer class (tf.keras 2: unknown class_name, or registered "Custom>...")', async () => {
    const a = await artifactsOf(smallCnn());
    await writeKeras2H5(tmp.path('custom.h5'), a, { editConfig: (mc) => void (layerNamed(mc, 'relu1').class_name = 'MyActivation') });
    const err = await expectFailure(tmp.path('custom.h5'), 'custom_object', /layer "relu1" is of custom class "MyActivation" \(not a Keras built-in layer class\)/);
    expect([err.layerName, err.className]).toEqual(['relu1', 'MyActivation']);
    await writeKeras2H5(tmp.path('registered.h5'), a, { editConfig: (mc) => void (layerNamed(mc, 'relu1').class_name = 'Custom>Swish') });
    await expectFailure(tmp.path('registered.h5'), 'custom_object', /layer "relu1" is of custom class "Custom>Swish" \(registered as "Custom>Swish"\)/);
  });

  it('a Keras 3 custom object: a layer from another package, a custom activation, a subclassed model', async () => {
    const a = await artifactsOf(smallCnn());
    await writeKeras3Archive(tmp.path('pkg.keras'), a, {
      editConfig: (mc) => Object.assign(layerNamed(mc, 'relu1'), { module: 'my_project.layers', class_name: 'ReLU', registered_name: 'my_project>ReLU' }),
    });
    await expectFailure(tmp.path('pkg.keras'), 'custom_object', /layer "relu1" is of custom class "ReLU" \(registered as "my_project>ReLU"\)/);

    await writeKeras3Archive(tmp.path('act.keras'), a, {
      editConfig: (mc) =>
        void ((layerNamed(mc, 'probs').config as Obj).activation = { module: 'my_project.acts', class_name: 'function', config: 'sharp_softmax', registered_name: 'my_project>sharp_softmax' }),
    });
    await expectFailure(tmp.path('act.keras'), 'custom_object', /layer "probs" \(Dense\) uses custom object "function" in config "activation" \(registered as "my_project>sharp_softmax"\)/);

    await writeKeras3Archive(tmp.path('subclass.keras'), a, {
      editConfig: (mc) => Object.assign(mc, { module: '__main__', class_name: 'MyClassifier', registered_name: 'Custom>MyClassifier' }),
    });
    await expectFailure(tmp.path('subclass.keras'), 'custom_object', /the model is of custom class "MyClassifier"/);
  });

  it('unreadable files: truncated or non-HDF5 .h5, a .keras that is not a zip, is cut short, or lacks config.json', async () => {
    const good = tmp.path('good.h5');
    await writeKeras2H5(good, await artifactsOf(smallCnn()));
    const bytes = await readFile(good);
    await writeFile(tmp.path('cut.h5'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectFailure(tmp.path('cut.h5'), 'unreadable_file', /cannot open Keras \.h5 file as HDF5: truncated file: eof = \d+/);
    await writeFile(tmp.path('text.h5'), 'this is not HDF5\n');
    await expectFailure(tmp.path('text.h5'), 'unreadable_file', /as HDF5: file signature not found/);

    await writeFile(tmp.path('text.keras'), 'not a zip');
    await expectFailure(tmp.path('text.keras'), 'unreadable_file', /not a readable \.keras \(zip\) archive/);
    await writeKeras3Archive(tmp.path('whole.keras'), await artifactsOf(smallCnn()));
    const zip = await readFile(tmp.path('whole.keras'));
    await writeFile(tmp.path('cut.keras'), zip.subarray(0, Math.floor(zip.length / 2)));
    await expectFailure(tmp.path('cut.keras'), 'unreadable_file', /not a readable \.keras \(zip\) archive/);
    await writeZip(tmp.path('noconfig.keras'), { 'metadata.json': '{}', 'model.weights.h5': new Uint8Array(8) });
    await expectFailure(tmp.path('noconfig.keras'), 'missing_entry', /\.keras archive has no config\.json \(it holds metadata\.json, model\.weights\.h5\)/);
  });

  it('a corrupt weights file inside a .keras archive, and a weights-only .h5', async () => {
    const { unzipSync } = await import('fflate');
    await writeKeras3Archive(tmp.path('w.keras'), await artifactsOf(smallCnn()));
    const entries = unzipSync(await readFile(tmp.path('w.keras')));
    const w = entries['model.weights.h5'];
    await writeZip(tmp.path('badweights.keras'), { ...entries, 'model.weights.h5': w.subarray(0, w.length - 100) });
    await expectFailure(tmp.path('badweights.keras'), 'unreadable_file', /cannot open model\.weights\.h5 in badweights\.keras as HDF5: truncated file/);

    await writeKeras2H5(tmp.path('weights-only.h5'), await artifactsOf(smallCnn()));
    const { h5wasm } = await import('../../src/sources/h5.js');
    const lib = await h5wasm();
    const f = new lib.File(tmp.path('weights-only.h5'), 'a');
    f.delete_attribute('model_config');
    f.close();
    await expectFailure(tmp.path('weights-only.h5'), 'missing_entry', /has no model_config attribute/);
  });

  it('weights that do not fit the config (.keras: variable count per layer)', async () => {
    await writeKeras3Archive(tmp.path('bias.keras'), await artifactsOf(smallCnn()), {
      editConfig: (mc) => void ((layerNamed(mc, 'conv2').config as Obj).use_bias = true),
    });
    await expectFailure(tmp.path('bias.keras'), 'weights_mismatch', /layer "conv2" \(Conv2D\) has 1 saved variables at layers\/conv2d_1\/vars, expected 2 \(kernel, bias\)/);
  });

  it('not an image classifier: input rank, channel count, output shape', async () => {
    const flat = functional([20], (x) => ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), x));
    await writeKeras2H5(tmp.path('tabular.h5'), await artifactsOf(flat));
    await expectFailure(tmp.path('tabular.h5'), 'not_image_classifier', /input "image" has shape \[None, 20\] \(rank 2\); an image classifier takes rank 4/);

    const rgba = functional([8, 8, 4], (x) => ap(L.dense({ units: 3, name: 'probs' }), ap(L.flatten({ name: 'flat' }), x)));
    await writeKeras3Archive(tmp.path('rgba.keras'), await artifactsOf(rgba));
    await expectFailure(tmp.path('rgba.keras'), 'not_image_classifier', /shape \[None, 8, 8, 4\] with 4 channels; an image classifier takes 1 \(grayscale\) or 3 \(RGB\)/);

    const chw = functional([3, 8, 8], (x) => ap(L.dense({ units: 3, name: 'probs' }), ap(L.flatten({ name: 'flat' }), x)));
    await writeKeras2H5(tmp.path('chw.h5'), await artifactsOf(chw));
    await expectFailure(tmp.path('chw.h5'), 'not_image_classifier', /channels_first models are not supported/);

    const seg = functional([8, 8, 3], (x) => ap(L.conv2d({ filters: 2, kernelSize: 3, name: 'mask' }), x));
    await writeKeras2H5(tmp.path('seg.h5'), await artifactsOf(seg));
    await expectFailure(tmp.path('seg.h5'), 'not_image_classifier', /output "mask" has shape \[N, 6, 6, 2\]; an image classifier outputs \[batch, classes\]/);
  });

  it('several inputs or several outputs', async () => {
    const a = tf.input({ shape: [8, 8, 3], name: 'left' });
    const b = tf.input({ shape: [8, 8, 3], name: 'right' });
    const joined = L.concatenate({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
    const two = tf.model({ inputs: [a, b], outputs: L.globalAveragePooling2d({ name: 'gap' }).apply(joined) as tf.SymbolicTensor });
    await writeKeras3Archive(tmp.path('two-in.keras'), await artifactsOf(two));
    await expectFailure(tmp.path('two-in.keras'), 'several_inputs', /the model has 2 inputs \(left, right\)/);

    const x = tf.input({ shape: [8, 8, 3], name: 'image' });
    const g = L.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
    const heads = [L.dense({ units: 2, name: 'cls' }).apply(g), L.dense({ units: 4, name: 'box' }).apply(g)] as tf.SymbolicTensor[];
    await writeKeras2H5(tmp.path('two-out.h5'), await artifactsOf(tf.model({ inputs: x, outputs: heads })));
    await expectFailure(tmp.path('two-out.h5'), 'several_outputs', /the model has 2 outputs \(cls, box\)/);
  });
});
