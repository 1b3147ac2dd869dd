/**
 * Every model that cannot be served stops the start with one line naming the file and the cause
 * (a StartupError: the process prints it and exits non-zero), through the path the server takes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/errors.js';
import { prepareModel } from '../../src/pipeline/prepare.js';
import { ModelSourceError } from '../../src/sources/index.js';
import { artifactsOf, randomizeWeights } from '../convert/helpers.js';
import { ap, functional, useCpuBackend } from '../convert/tfjs-models.js';
import { smallCnn } from '../sources/models.js';
import { writeKeras2H5, writeKeras3Archive } from '../sources/writers.js';
import { settingsFor, tempFolder } from './helpers.js';
import { tinyClassifier } from './onnx-models.js';

useCpuBackend();
const tmp = tempFolder('start-errors-');
const L = tf.layers;

async function startError(modelPath: string, over: Parameters<typeof settingsFor>[2] = {}): Promise<StartupError> {
  const err = await prepareModel(settingsFor(modelPath, tmp.path('cache'), { precision: 'fp32', ...over })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StartupError);
  const message = (err as Error).message;
  expect(message.includes('\n'), 'one line').toBe(false);
  return err as StartupError;
}

async function put(rel: string, bytes: Uint8Array | string): Promise<string> {
  const file = tmp.path(rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

describe('start errors for a team\'s model', () => {
  it('an unsupported Keras layer: its name and class', async () => {
    const m = functional([8, 8, 3], (x) => {
      const n = ap(L.layerNormalization({ name: 'ln' }), ap(L.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }), x));
      return ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), ap(L.flatten({ name: 'flat' }), n));
    });
    randomizeWeights(m, 3);
    const file = tmp.path('ln.keras');
    await writeKeras3Archive(file, await artifactsOf(m));
    const err = await startError(file);
    expect(err).toBeInstanceOf(ModelSourceError);
    expect(err.message).toMatch(new RegExp(`^${file}: Unsupported Keras layer "ln" of class "LayerNormalization".*export the model to ONNX instead\\)$`));
  });

  it('custom objects', async () => {
    const file = tmp.path('custom.h5');
    await writeKeras2H5(file, await artifactsOf(smallCnn()), {
      editConfig: (mc) => void (((mc.config as { layers: { name: string; class_name: string }[] }).layers.find((l) => l.name === 'relu1') as { class_name: string }).class_name = 'MyActivation'),
    });
    expect((await startError(file)).message).toBe(
      `${file}: layer "relu1" is of custom class "MyActivation" (not a Keras built-in layer class); Keras itself needs the author's code (custom_objects) to load it, so it cannot be converted`,
    );
  });

  it('an unreadable or truncated file', async () => {
    const good = tmp.path('good.h5');
    await writeKeras2H5(good, await artifactsOf(smallCnn()));
    const bytes = await readFile(good);
    const cut = await put('cut.h5', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect((await startError(cut)).message).toMatch(new RegExp(`^${cut}: cannot open Keras \\.h5 file as HDF5: truncated file: eof = \\d+`));
    const junk = await put('junk.onnx', 'not protobuf at all');
    expect((await startError(junk, { preprocess: 'torch' })).message).toMatch(new RegExp(`^${junk}: not a readable ONNX model: `));
    const tfjs = await put('broken-tfjs/model.json', '{"modelTopology": ');
    expect((await startError(path.dirname(tfjs))).message).toMatch(new RegExp(`^${tfjs}: not a readable TF\\.js model\\.json: `));
    await put('no-shard/model.json', JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
    expect((await startError(tmp.path('no-shard'))).message).toBe(`${tmp.path('no-shard', 'model.json')}: cannot read weight shard gone.bin (ENOENT)`);
  });

  it('not an image classifier: input rank, grayscale or 4 channels; several inputs', async () => {
    const flat = tmp.path('tabular.h5');
    await writeKeras2H5(flat, await artifactsOf(functional([20], (x) => ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), x))));
    expect((await startError(flat)).message).toBe(`${flat}: input "image" has shape [None, 20] (rank 2); an image classifier takes rank 4 [batch, height, width, channels]`);

    const gray = tmp.path('gray.h5');
    await writeKeras2H5(gray, await artifactsOf(functional([8, 8, 1], (x) => ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), ap(L.flatten({ name: 'flat' }), x)))));
    expect((await startError(gray)).message).toBe(`${gray}: the input has 1 channels; only 3-channel (RGB) image classifiers can be served`);

    const a = tf.input({ shape: [8, 8, 3], name: 'left' });
    const b = tf.input({ shape: [8, 8, 3], name: 'right' });
    const joined = L.concatenate({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
    const two = tmp.path('two-in.keras');
    await writeKeras3Archive(two, await artifactsOf(tf.model({ inputs: [a, b], outputs: L.globalAveragePooling2d({ name: 'gap' }).apply(joined) as tf.SymbolicTensor })));
    expect((await startError(two)).message).toBe(`${two}: the model has 2 inputs (left, right); an image classifier takes exactly one image input`);
  });

  it('an ONNX model without preprocessing names the setting; int8 for ONNX is refused', async () => {
    const file = await put('plain.onnx', tinyClassifier({ height: 8, width: 8 }));
    expect((await startError(file)).message).toBe(`${file}: an ONNX model does not say how its pixels are prepared; set PREPROCESS (--preprocess) to caffe, tf or torch (torchvision exports: torch)`);
    const repo = tmp.path('repo');
    await put('repo/plain/1/model.onnx', tinyClassifier({ height: 8, width: 8 }));
    const inRepo = { modelPath: undefined, modelRepository: repo, modelName: 'plain' };
    await expect(prepareModel(settingsFor(repo, tmp.path('cache'), inRepo))).rejects.toThrow(
      `${path.join(repo, 'plain', '1', 'model.onnx')}: an ONNX model does not say how its pixels are prepared; set \`preprocess:\` in the model folder's model.yaml to caffe, tf or torch (torchvision exports: torch)`,
    );
    await put('repo/plain/model.yaml', 'preprocess: torch\nprecision: int8\n');
    await expect(prepareModel(settingsFor(repo, tmp.path('cache'), inRepo))).rejects.toThrow(/model\.onnx: precision int8 is not available for ONNX models \(the quantizer works on Keras\/TF\.js graphs\); quantize the ONNX model yourself/);
  });

  it('two model files in one version folder; a version folder that is not a number', async () => {
    const repo = tmp.path('repo2');
    await put('repo2/m/1/a.h5', 'x');
    await put('repo2/m/1/b.keras', 'x');
    const inRepo = { modelPath: undefined, modelRepository: repo, modelName: 'm' };
    await expect(prepareModel(settingsFor(repo, tmp.path('cache'), inRepo))).rejects.toThrow(
      `version folder ${path.join(repo, 'm', '1')} holds 2 model files (a.h5, b.keras); a version serves exactly one`,
    );
    const folder = tmp.path('kserve');
    await put('kserve/1/a.h5', 'x');
    await put('kserve/v2/a.h5', 'x');
    await expect(prepareModel(settingsFor(folder, tmp.path('cache')))).rejects.toThrow(`model folder ${folder}: "v2" is not a version folder (positive integers: 1, 2, ...)`);
  });
});
