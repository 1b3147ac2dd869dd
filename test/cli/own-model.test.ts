/** `resnet-serve classify --model <file>`: a team's ONNX export, its preprocessing and labels from flags. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config/config.js';
import { prepareModel } from '../../src/pipeline/prepare.js';
import { killChildrenAfterEach, run } from '../helpers/cli.js';
import { SMOKE } from '../helpers/paths.js';
import { rowsFor } from '../pipeline/helpers.js';
import { reference, tinyClassifier } from '../pipeline/onnx-models.js';

killChildrenAfterEach();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-own-model-'));
  await writeFile(path.join(dir, 'colours.onnx'), tinyClassifier({ height: 16, width: 16, softmax: true }));
  await writeFile(path.join(dir, 'colours.txt'), 'red\ngreen\nblue\n');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('resnet-serve classify --model', () => {
  it('classifies with the given ONNX model, preprocessing and labels (probabilities equal to the model\'s)', async () => {
    const model = path.join(dir, 'colours.onnx');
    const labels = path.join(dir, 'colours.txt');
    const r = await run(['classify', '--json', '--topk', '3', '--model', model, '--preprocess', 'torch', '--labels', labels, path.join(SMOKE, 'beagle.jpg')], { MODEL_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const [result] = JSON.parse(r.stdout) as { predictions: { label: string; probability: number }[] }[];
    const p = await prepareModel({ ...configWith({ modelCacheDir: path.join(dir, 'cache') }), modelPath: model, modelName: 'colours', preprocess: 'torch', labels });
    const want = reference((await rowsFor(p, ['beagle.jpg']))[0], true);
    const byLabel = Object.fromEntries(result.predictions.map((x) => [x.label, x.probability]));
    expect(Object.keys(byLabel).sort()).toEqual(['blue', 'green', 'red']);
    ['red', 'green', 'blue'].forEach((l, i) => expect(byLabel[l]).toBeCloseTo(want[i], 4));
  });

  it('an ONNX model without --preprocess stops the load naming the setting; bad flag values are usage errors', async () => {
    const model = path.join(dir, 'colours.onnx');
    const r = await run(['classify', '--model', model, path.join(SMOKE, 'beagle.jpg')], { MODEL_CACHE_DIR: path.join(dir, 'cache') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${model}: an ONNX model does not say how its pixels are prepared; set PREPROCESS (--preprocess) to caffe, tf or torch`);
    const bad = await run(['classify', '--model', model, '--preprocess', 'imagenet', path.join(SMOKE, 'beagle.jpg')]);
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'resnet-serve classify: invalid PREPROCESS="imagenet": expected one of caffe, tf, torch (--preprocess)']);
    const out = await run(['serve', '--output', 'softmax']);
    expect([out.code, out.stderr.split('\n')[0]]).toEqual([2, 'resnet-serve serve: invalid OUTPUT="softmax": expected one of logits, probabilities (--output)']);
  });
});
