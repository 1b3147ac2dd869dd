import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectModelFormat, ModelSourceError, readKerasModel } from '../../src/sources/index.js';
import { tempDir } from './models.js';

const tmp = tempDir();

async function touch(name: string): Promise<string> {
  const file = tmp.path(name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'x');
  return file;
}

async function rejection(p: Promise<unknown>): Promise<ModelSourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelSourceError);
  return err as ModelSourceError;
}

describe('detectModelFormat', () => {
  it('tells formats apart by name: .h5/.hdf5, .keras, model.json or its folder, .onnx', async () => {
    for (const [name, format] of [
      ['a/model.h5', 'keras-h5'],
      ['a/MODEL.HDF5', 'keras-h5'],
      ['a/classifier.keras', 'keras-v3'],
      ['a/resnet.onnx', 'onnx'],
      ['tfjs/model.json', 'tfjs-layers'],
    ] as const) {
      const file = await touch(name);
      expect(await detectModelFormat(file)).toEqual({ format, file });
    }
    expect(await detectModelFormat(tmp.path('tfjs'))).toEqual({ format: 'tfjs-layers', file: tmp.path('tfjs/model.json') });
  });

  it('refuses anything else with what it accepts', async () => {
    const pb = await rejection(detectModelFormat(await touch('saved/saved_model.pb')));
    expect(pb.code).toBe('unknown_format');
    expect(pb.message).toMatch(/saved_model\.pb: unknown model format \.pb; a model path must be \.h5\/\.hdf5 \(Keras HDF5\), \.keras/);
    const json = await rejection(detectModelFormat(await touch('x/weights.json')));
    expect(json.message).toMatch(/a TF.js layers model is read from a file named model\.json, not "weights\.json"/);
    const dir = await rejection(detectModelFormat(tmp.path('saved')));
    expect(dir.message).toMatch(/folder holds no model\.json/);
    const missing = await rejection(detectModelFormat(tmp.path('nope.h5')));
    expect([missing.code, missing.message]).toEqual(['not_found', `${tmp.path('nope.h5')}: cannot read model path (ENOENT)`]);
  });

  it('readKerasModel refuses a non-Keras format by name', async () => {
    const err = await rejection(readKerasModel(await touch('m/net.onnx')));
    expect([err.code, err.message]).toEqual(['unknown_format', `${tmp.path('m/net.onnx')}: holds format "onnx", not a Keras .h5/.keras file`]);
  });
});
