/**
 * The built-in ResNet50 written as a tf.keras .h5 (from the fetched weights) and served as a team's
 * own file: prepared by prepareVersion as configured by default (int8, data-free), it answers as
 * the built-in model does. One test: it converts and quantizes a 100 MB model.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWith } from '../../src/config/config.js';
import { readLayersModel } from '../../src/model/artifacts.js';
import { prepareModel } from '../../src/pipeline/prepare.js';
import { prepareVersion, scanRepository } from '../../src/pipeline/repository.js';
import { writeKeras2H5 } from '../sources/writers.js';
import { rowsFor, runPrepared, tempFolder, top5 } from './helpers.js';

const tmp = tempFolder('resnet50-h5-');

describe('ResNet50 as a tf.keras .h5 file', () => {
  it('is served like the built-in model: same input, preprocessing, ImageNet labels and top-5 on two images (int8)', async () => {
    const base = configWith({ logLevel: 'silent', modelFetch: 'never', threads: 2 });
    const builtIn = await prepareModel(base);
    const file = tmp.path('resnet50.h5');
    await writeKeras2H5(file, await readLayersModel(path.join(builtIn.dir, 'tfjs', 'model.json')));

    const settings = { ...base, modelPath: file, modelName: 'resnet50-h5', modelCacheDir: tmp.path('cache') };
    const [entry] = await scanRepository(settings);
    expect(entry.versions.map((v) => [v.version, v.location])).toEqual([['1', file]]);
    const started = performance.now();
    const p = await prepareVersion(settings, entry.versions[0], { log: (m) => console.log(`[resnet50-h5] ${m}`) });
    console.log(`[resnet50-h5] prepared in ${((performance.now() - started) / 1000).toFixed(1)} s; ${(p.modelBytes / 1e6).toFixed(1)} MB ${p.precision}`);

    expect([p.precision, p.note]).toEqual(['int8', undefined]);
    expect(p.descriptor).toMatchObject({ name: 'resnet50-h5', platform: 'keras-h5', input: builtIn.descriptor.input, output: builtIn.descriptor.output, preprocessing: builtIn.descriptor.preprocessing });
    expect(p.preprocessing).toEqual(builtIn.preprocessing);
    expect(p.labels).toEqual(builtIn.labels); // the product's own ImageNet list, for a 1000-class model with no labels

    const rows = await rowsFor(builtIn, ['beagle.jpg', 'coffeepot.jpg']);
    const [viaH5, viaBuiltIn] = [await runPrepared(p, rows), await runPrepared(builtIn, rows)];
    const names = viaH5.map((probs) => top5(probs).map((i) => p.labels[i]));
    console.log(`[resnet50-h5] top-5: ${names.map((n) => n.join(', ')).join(' | ')}`);
    expect(viaH5.map(top5)).toEqual(viaBuiltIn.map(top5));
    expect([names[0][0], names[1][0]]).toEqual(['beagle', 'coffeepot']);
  }, 600_000);
});
