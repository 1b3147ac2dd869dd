import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWith } from '../../src/config/config.js';
import { convertLayersModel } from '../../src/convert/index.js';
import { readLayersModel } from '../../src/model/artifacts.js';
import { ImagePreprocessor } from '../../src/preprocess/preprocessor.js';
import { convertKerasSource, readKerasModel } from '../../src/sources/index.js';
import { expectClose, runOrt } from '../convert/helpers.js';
import { tempDir } from './models.js';
import { writeKeras2H5 } from './writers.js';

// The pinned model from the shared cache (the suite's global setup fetches it).
const cache = path.join(configWith({}).modelCacheDir, 'resnet50');
const beagle = path.join(import.meta.dirname, '..', 'fixtures', 'images', 'smoke', 'beagle.jpg');
const caffe = { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68], std: [1, 1, 1] } as const;
const tmp = tempDir();

function top5(p: Float32Array): number[] {
  return [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 5);
}

describe('ResNet50 written as a tf.keras .h5', () => {
  it('converts through the .h5 reader to the same top-5 as the built-in TF.js path (beagle, fp32)', async () => {
    const artifacts = await readLayersModel(path.join(cache, 'tfjs', 'model.json'));
    const file = tmp.path('resnet50.h5');
    await writeKeras2H5(file, artifacts);
    console.log(`[resnet50-h5] wrote ${((await stat(file)).size / 1e6).toFixed(1)} MB`);

    const t0 = performance.now();
    const source = await readKerasModel(file);
    const t1 = performance.now();
    expect(source.input).toEqual({ name: 'input_1', shape: [null, 224, 224, 3] });
    expect(source.artifacts.weightSpecs).toHaveLength(artifacts.weightSpecs.length);
    const fromH5 = convertKerasSource(source);
    console.log(`[resnet50-h5] read ${(t1 - t0).toFixed(0)} ms, convert ${(performance.now() - t1).toFixed(0)} ms`);
    expect(fromH5.unusedWeights).toEqual([]);
    expect(fromH5.outputShape).toEqual(['N', 1000]);

    const pre = new ImagePreprocessor({
      geometry: { width: 224, height: 224, mode: 'crop', shorter: 256 },
      normalization: caffe,
      limits: { maxPixels: 40_000_000, minSide: 8 },
    });
    const { tensor } = await pre.preprocess(await readFile(beagle));
    const feed = { input_1: { data: tensor, dims: [1, 224, 224, 3] } };
    const viaH5 = (await runOrt(fromH5.bytes, feed)).fc1000.data;
    const builtIn = (await runOrt(convertLayersModel(artifacts).bytes, feed)).fc1000.data;

    const labels = JSON.parse(await readFile(path.join(cache, 'labels.json'), 'utf8')) as Record<string, string>;
    const names = top5(viaH5).map((i) => labels[String(i)]);
    console.log(`[resnet50-h5] top-5: ${names.join(', ')}`);
    expect(top5(viaH5)).toEqual(top5(builtIn));
    expect(names[0]).toMatch(/beagle/i);
    expectClose(viaH5, builtIn, 'probabilities', 1e-6);
  }, 300_000);
});
