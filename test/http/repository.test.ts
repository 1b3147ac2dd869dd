/**
 * A model repository served by the real app and engines (MODEL_REPOSITORY, MODEL_CONTROL=poll):
 * two ONNX models the test writes (an NCHW torchvision-style export giving logits, and an NHWC
 * one ending in Softmax), served at once; a new version published under steady load and swapped
 * in with zero non-200 answers; a broken version that never replaces the serving one.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { readImage, SMOKE } from '../helpers/paths.js';
import { tinyClassifier } from '../pipeline/onnx-models.js';
import { tempFolder } from '../pipeline/helpers.js';

const tmp = tempFolder('resnet-serve-repository-');
let t: TestApp;
let image: Buffer;

beforeAll(async () => {
  const repo = tmp.path('models');
  await mkdir(tmp.path('models', 'flowers', '1'), { recursive: true });
  await writeFile(tmp.path('models', 'flowers', 'model.yaml'), 'preprocess: torch\n');
  await writeFile(tmp.path('models', 'flowers', 'labels.txt'), 'rose\ntulip\ndaisy\n');
  await writeFile(tmp.path('models', 'flowers', '1', 'model.onnx'), tinyClassifier({ height: 32, width: 32 }));
  await mkdir(tmp.path('models', 'pets', '7'), { recursive: true });
  await writeFile(tmp.path('models', 'pets', 'model.yaml'), 'preprocess: tf\nlabels: names.json\n');
  await writeFile(tmp.path('models', 'pets', 'names.json'), JSON.stringify(['cat', 'dog', 'hamster']));
  await writeFile(tmp.path('models', 'pets', '7', 'pets.onnx'), tinyClassifier({ height: 48, width: 48, nhwc: true, softmax: true }));
  t = await createTestApp({ modelRepository: repo, modelCacheDir: tmp.path('cache'), modelName: 'flowers', modelControl: 'poll', modelPollSeconds: 1, maxQueue: 64, threads: 1 });
  image = readImage(path.join(SMOKE, 'beagle.jpg'));
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const predict = (model?: string) =>
  request(t.app.server)
    .post(`/predict${model ? `?model=${model}` : ''}`)
    .set('content-type', 'image/jpeg')
    .send(image);

const index = async (): Promise<{ name: string; version: string; state: string; reason: string }[]> => (await request(t.app.server).post('/v2/repository/index').expect(200)).body;

describe('a repository of models, served at once', () => {
  it('serves both models with their own labels, input size and layout; logits become probabilities', async () => {
    const flowers = (await predict().expect(200)).body;
    expect(flowers.model).toEqual({ name: 'flowers', version: '1', engine: 'onnx' });
    expect(flowers.predictions.map((p: { label: string }) => p.label).sort()).toEqual(['daisy', 'rose', 'tulip']);
    const sum = flowers.predictions.reduce((s: number, p: { probability: number }) => s + p.probability, 0);
    expect(sum).toBeCloseTo(1, 5);
    const pets = (await predict('pets').expect(200)).body;
    expect(pets.model).toEqual({ name: 'pets', version: '7', engine: 'onnx' });
    expect(pets.predictions.map((p: { label: string }) => p.label).sort()).toEqual(['cat', 'dog', 'hamster']);
    const meta = (name: string) => request(t.app.server).get(`/v2/models/${name}`).expect(200);
    expect((await meta('flowers_tensor')).body.inputs[0].shape).toEqual([-1, 3, 32, 32]);
    expect((await meta('pets_tensor')).body.inputs[0].shape).toEqual([-1, 48, 48, 3]);
    expect(await index()).toEqual([
      { name: 'flowers', version: '1', state: 'READY', reason: '' },
      { name: 'pets', version: '7', state: 'READY', reason: '' },
    ]);
  });

  it('a new version published under steady load serves once warm, with zero non-200 answers', async () => {
    const answers: { status: number; version?: string }[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        const res = await predict('flowers');
        answers.push({ status: res.status, version: res.body.model?.version });
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(10), { timeout: 30_000 });
    // Published as a copy (a half-copied version that fails is retried once its file changes).
    await mkdir(tmp.path('staging', '2'), { recursive: true });
    await writeFile(tmp.path('staging', '2', 'model.onnx'), tinyClassifier({ height: 40, width: 40, softmax: true }));
    await cp(tmp.path('staging', '2'), tmp.path('models', 'flowers', '2'), { recursive: true });
    // MODEL_CONTROL=poll finds it within a second or so.
    await vi.waitFor(() => expect(answers.some((a) => a.version === '2')).toBe(true), { timeout: 60_000, interval: 50 });
    const atSwap = answers.length;
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(atSwap + 20), { timeout: 30_000 });
    stop = true;
    await Promise.all(clients);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(answers.map((a) => a.version))).toEqual(new Set(['1', '2']));
    expect(answers.slice(atSwap + 4).every((a) => a.version === '2')).toBe(true);
    await vi.waitFor(async () =>
      expect((await index()).filter((e) => e.name === 'flowers')).toEqual([
        { name: 'flowers', version: '1', state: 'UNAVAILABLE', reason: 'not loaded: only the highest version serves' },
        { name: 'flowers', version: '2', state: 'READY', reason: '' },
      ]),
    );
  }, 180_000);

  it('a broken version is reported by the index and never replaces the serving one', async () => {
    await mkdir(tmp.path('models', 'pets', '8'), { recursive: true });
    await writeFile(tmp.path('models', 'pets', '8', 'pets.onnx'), tinyClassifier({ height: 48, width: 48, nhwc: true }).subarray(0, 100));
    await t.app.reloadModels(true); // as SIGHUP does
    const broken = (await index()).find((e) => e.name === 'pets' && e.version === '8');
    expect(broken?.state).toBe('UNAVAILABLE');
    expect(broken?.reason).toMatch(/pets\.onnx/);
    const pets = (await predict('pets').expect(200)).body;
    expect(pets.model.version).toBe('7');
  });
});
