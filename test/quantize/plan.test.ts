import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError } from '../../src/errors.js';
import { readDescriptor, type NpmModelDescriptor } from '../../src/model/descriptor.js';
import { cacheKey } from '../../src/pipeline/onnx-cache.js';
import { preprocessorOptions, type PreprocessorOptions } from '../../src/preprocess/preprocessor.js';
import { dataFreePlan, parseCalibrationSetting, resolveQuantizationPlan } from '../../src/quantize/plan.js';
import { PROJECT, SMOKE } from '../helpers/paths.js';

describe('quantization plan', () => {
  let d: NpmModelDescriptor;
  let pre: PreprocessorOptions;
  let dir: string;

  beforeAll(async () => {
    d = await readDescriptor(path.join(PROJECT, 'models'), 'resnet50');
    pre = preprocessorOptions(d, { maxPixels: 40_000_000, minImageSide: 8 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'quant-plan-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('data-free: stable fingerprint that follows k, the fp32 layers and the normalisation', async () => {
    const a = await dataFreePlan({ preprocessing: pre });
    expect(a.method).toBe('data-free-bn');
    expect((await dataFreePlan({ preprocessing: pre })).fingerprint).toBe(a.fingerprint);
    expect((await dataFreePlan({ preprocessing: pre, k: 3 })).fingerprint).not.toBe(a.fingerprint);
    expect((await dataFreePlan({ preprocessing: pre, layers: { firstConv: 'fp32', classifier: 'int8' } })).fingerprint).not.toBe(a.fingerprint);
    const rgb = { ...pre, normalization: { ...pre.normalization, mean: [0, 0, 0] as [number, number, number] } };
    expect((await dataFreePlan({ preprocessing: rgb })).fingerprint).not.toBe(a.fingerprint);
    expect((await resolveQuantizationPlan('data-free', { preprocessing: pre })).fingerprint).toBe(a.fingerprint);
  });

  it('image folder: fingerprint follows the images contents and the method, not names or other files', async () => {
    const folder = path.join(dir, 'cal');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    await copyFile(path.join(SMOKE, 'beagle.jpg'), path.join(folder, 'beagle.jpg'));
    await copyFile(path.join(SMOKE, 'cat.jpg'), path.join(folder, 'sub', 'cat.jpg'));
    const a = await resolveQuantizationPlan(folder, { preprocessing: pre });
    expect(a.method).toBe('percentile');
    expect(a.calibration.kind === 'images' && a.calibration.files.length).toBe(2);

    await writeFile(path.join(folder, 'README.txt'), 'not an image');
    await rename(path.join(folder, 'beagle.jpg'), path.join(folder, 'dog.jpg'));
    expect((await resolveQuantizationPlan(folder, { preprocessing: pre })).fingerprint).toBe(a.fingerprint);

    const minmax = await resolveQuantizationPlan(`minmax:${folder}`, { preprocessing: pre });
    expect(minmax.method).toBe('minmax');
    expect(minmax.fingerprint).not.toBe(a.fingerprint);

    await copyFile(path.join(SMOKE, 'car.jpg'), path.join(folder, 'dog.jpg')); // same name, new contents
    const changed = await resolveQuantizationPlan(folder, { preprocessing: pre });
    expect(changed.fingerprint).not.toBe(a.fingerprint);
    // ...and so the ONNX cache key changes with it.
    expect(cacheKey(d, { precision: 'int8', quantization: changed })).not.toBe(cacheKey(d, { precision: 'int8', quantization: a }));
  });

  it('a bad folder is a StartupError that says what is wrong', async () => {
    const missing = path.join(dir, 'nope');
    await expect(resolveQuantizationPlan(missing, { preprocessing: pre })).rejects.toThrow(StartupError);
    await expect(resolveQuantizationPlan(missing, { preprocessing: pre })).rejects.toThrow(/is not a folder.*data-free/);
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    await writeFile(path.join(empty, 'notes.txt'), 'hello');
    await expect(resolveQuantizationPlan(empty, { preprocessing: pre })).rejects.toThrow(/no images/);
  });

  it('parses an optional method prefix', () => {
    expect(parseCalibrationSetting('entropy:/data/cal', 'percentile')).toEqual({ method: 'entropy', folder: '/data/cal' });
    expect(parseCalibrationSetting('/data/cal', 'percentile')).toEqual({ method: 'percentile', folder: '/data/cal' });
    expect(parseCalibrationSetting('c:/data', 'minmax')).toEqual({ method: 'minmax', folder: 'c:/data' });
  });
});
