/** Keras .h5 / .keras and TF.js model files, prepared as served and run through the ONNX engine. */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { prepareModel, type PreparedModel } from '../../src/pipeline/prepare.js';
import { dataFreePlan } from '../../src/quantize/plan.js';
import { quantizedModelBytes } from '../../src/quantize/quantize-model.js';
import { artifactsOf, expectClose, randomizeWeights, runOrt } from '../convert/helpers.js';
import { ap, functional, useCpuBackend } from '../convert/tfjs-models.js';
import { smallCnn } from '../sources/models.js';
import { writeKeras2H5, writeKeras3Archive } from '../sources/writers.js';
import { rowsFor, runPrepared, settingsFor, tempFolder, writeTfjsFolder } from './helpers.js';

useCpuBackend();
const tmp = tempFolder('keras-files-');
const L = tf.layers;

/** conv + BN + ReLU, pooled, softmax head: every activation the int8 build calibrates has BN statistics. */
function bnCnn(seed: number): tf.LayersModel {
  const model = functional([20, 20, 3], (x) => {
    const c = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }), x);
    const b = ap(L.batchNormalization({ name: 'bn' }), c);
    const r = ap(L.reLU({ name: 'relu' }), b);
    const g = ap(L.globalAveragePooling2d({ name: 'gap' }), r);
    return ap(L.dense({ units: 4, activation: 'softmax', name: 'probs' }), g);
  });
  randomizeWeights(model, seed);
  return model;
}

function reference(model: tf.LayersModel, rows: Float32Array[]): Float32Array[] {
  const [h, w] = model.inputs[0].shape.slice(1, 3) as number[];
  return rows.map((r) => tf.tidy(() => (model.predict(tf.tensor(r, [1, h, w, 3])) as tf.Tensor).dataSync() as Float32Array));
}

async function int8Reference(model: tf.LayersModel, p: PreparedModel, rows: Float32Array[]): Promise<Float32Array[]> {
  const bytes = await quantizedModelBytes(await artifactsOf(model), await dataFreePlan({ preprocessing: p.preprocessing }));
  const [h, w] = [p.descriptor.input.height, p.descriptor.input.width];
  return Promise.all(rows.map(async (r) => Object.values(await runOrt(bytes, { image: { data: r, dims: [1, h, w, 3] } }))[0].data));
}

describe('a Keras model file served as ONNX', () => {
  it.each([
    ['tf.keras .h5', 'cnn.h5', writeKeras2H5, 'keras-h5'],
    ['Keras 3 .keras', 'cnn.keras', writeKeras3Archive, 'keras-v3'],
  ] as const)('%s: the model\'s input size, caffe, softmax detected, probabilities equal to the Keras model\'s', async (_what, name, write, platform) => {
    const model = smallCnn();
    const file = tmp.path(name);
    await write(file, await artifactsOf(model));
    const p = await prepareModel(settingsFor(file, tmp.path('cache'), { precision: 'fp32' }));
    expect(p.descriptor).toMatchObject({
      name: 'cnn',
      version: '1',
      platform,
      input: { height: 16, width: 16, channels: 3, layout: 'NHWC', datatype: 'FP32' },
      preprocessing: { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68], std: [1, 1, 1], resize: { mode: 'crop', shorter: 18 } },
      output: { classes: 5, activation: 'softmax' },
    });
    expect(p.labels).toEqual(['class_0', 'class_1', 'class_2', 'class_3', 'class_4']);
    expect([p.precision, p.location, p.engineSpec.engine]).toEqual(['fp32', file, 'onnx']);
    expect(p.modelBytes).toBe(p.engineSpec.engine === 'onnx' ? (await stat(p.engineSpec.modelPath)).size : -1);
    const rows = await rowsFor(p);
    const got = await runPrepared(p, rows);
    const want = reference(model, rows);
    got.forEach((g, i) => {
      expectClose(g, want[i], `image ${i}`, 1e-5);
      expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });
  });

  it('int8 (data-free) where BatchNorm statistics cover the graph; cached by content: an unchanged file is not converted again, a changed one is', async () => {
    const model = bnCnn(3);
    const file = tmp.path('bn', 'net.h5');
    await mkdir(path.dirname(file), { recursive: true });
    await writeKeras2H5(file, await artifactsOf(model));
    const cache = tmp.path('cache-int8');
    const first = await prepareModel(settingsFor(file, cache));
    expect([first.precision, first.note, first.convertSeconds > 0]).toEqual(['int8', undefined, true]);
    // Data-free ranges assume the BN statistics describe the data, which random weights' do not:
    // the reference is the quantizer's own build from the same artifacts and serving preprocessing.
    const rows = await rowsFor(first);
    const got = await runPrepared(first, rows);
    const want = await int8Reference(model, first, rows);
    got.forEach((g, i) => expectClose(g, want[i], `int8 image ${i}`, 1e-6));

    const again = await prepareModel(settingsFor(file, cache));
    expect([again.convertSeconds, again.engineSpec]).toEqual([0, first.engineSpec]);

    const changed = bnCnn(4);
    await writeKeras2H5(file, await artifactsOf(changed));
    const rebuilt = await prepareModel(settingsFor(file, cache));
    expect(rebuilt.convertSeconds).toBeGreaterThan(0);
    expect(rebuilt.engineSpec).not.toEqual(first.engineSpec);
    const out = await runPrepared(rebuilt, rows);
    const wantChanged = await int8Reference(changed, rebuilt, rows);
    out.forEach((g, i) => expectClose(g, wantChanged[i], `rebuilt image ${i}`, 1e-6));
    // The older build is dropped from the cache.
    const left = await readdir(path.join(cache, 'files', 'net', '1'));
    expect(left.filter((f) => f.endsWith('.onnx'))).toHaveLength(2); // fp32 + int8 of the new file only
  });

  it('int8 that cannot apply (no BatchNorm statistics reach a calibrated tensor) serves fp32 and says why; the refusal is remembered', async () => {
    const model = smallCnn(); // its conv2 has no BatchNormalization after it
    const file = tmp.path('nobn.h5');
    await writeKeras2H5(file, await artifactsOf(model));
    const cache = tmp.path('cache-fallback');
    const logs: string[] = [];
    const p = await prepareModel(settingsFor(file, cache), { log: (m) => logs.push(m) });
    expect(p.precision).toBe('fp32');
    expect(p.note).toMatch(/^served fp32: int8 quantization \(data-free-bn\) is not possible for this model: data-free calibration cannot estimate the range of ".*": no BatchNormalization statistics reach it; calibrate with images instead$/);
    expect(logs.some((l) => l.includes('served fp32: int8 quantization (data-free-bn) is not possible'))).toBe(true);
    const rows = await rowsFor(p);
    (await runPrepared(p, rows)).forEach((g, i) => expectClose(g, reference(model, rows)[i], `fallback image ${i}`, 1e-5));
    const again = await prepareModel(settingsFor(file, cache));
    expect([again.precision, again.note, again.convertSeconds]).toEqual(['fp32', p.note, 0]);
  });

  it('OUTPUT=logits and labels beside the model; model.yaml batching and input override', async () => {
    const model = smallCnn();
    const dir = tmp.path('with-labels');
    const file = path.join(dir, 'pets.keras');
    await mkdir(dir, { recursive: true });
    await writeKeras3Archive(file, await artifactsOf(model));
    await writeFile(path.join(dir, 'labels.txt'), 'ant\nbee\ncat\ndog\neel\n');
    await writeFile(path.join(dir, 'model.yaml'), 'preprocess: tf\nbatching: {maxBatchSize: 4}\n');
    const p = await prepareModel(settingsFor(dir, tmp.path('cache'), { precision: 'fp32', output: 'logits', modelName: 'pets' }));
    expect(p.labels).toEqual(['ant', 'bee', 'cat', 'dog', 'eel']);
    expect(p.descriptor.output.activation).toBe('none');
    expect(p.descriptor.batching).toEqual({ maxBatchSize: 4, maxQueueDelayMs: 0 });
    expect(p.descriptor.preprocessing).toMatchObject({ channelOrder: 'RGB', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] });
  });
});

describe('a TF.js layers model folder', () => {
  it('is converted like the built-in model (ONNX), or served by TF.js with ENGINE=tfjs; other formats under ENGINE=tfjs go to ONNX Runtime, said in the note', async () => {
    const model = smallCnn();
    const dir = tmp.path('tfjs-net');
    await writeTfjsFolder(dir, await artifactsOf(model));
    const onnx = await prepareModel(settingsFor(dir, tmp.path('cache'), { precision: 'fp32', modelName: 'tfjs-net' }));
    expect([onnx.descriptor.platform, onnx.engineSpec.engine, onnx.descriptor.output]).toEqual(['keras-tfjs-layers', 'onnx', { classes: 5, activation: 'softmax' }]);
    const rows = await rowsFor(onnx);
    const want = reference(model, rows);
    (await runPrepared(onnx, rows)).forEach((g, i) => expectClose(g, want[i], `onnx image ${i}`, 1e-5));

    const viaTfjs = await prepareModel(settingsFor(dir, tmp.path('cache'), { engine: 'tfjs', modelName: 'tfjs-net' }));
    expect(viaTfjs.engineSpec).toEqual({ engine: 'tfjs', modelJsonPath: path.join(dir, 'model.json'), threads: 1 });
    expect(viaTfjs.modelBytes).toBe((await stat(path.join(dir, 'model.json'))).size + (await stat(path.join(dir, 'group1-shard1of1.bin'))).size);

    const h5 = tmp.path('h5-under-tfjs.h5');
    await writeKeras2H5(h5, await artifactsOf(model));
    const sub = await prepareModel(settingsFor(h5, tmp.path('cache'), { engine: 'tfjs', precision: 'fp32' }));
    expect(sub.engineSpec.engine).toBe('onnx');
    expect(sub.note).toBe('ENGINE=tfjs serves TF.js layers models only; this keras-h5 model is served by ONNX Runtime');
  });
});
