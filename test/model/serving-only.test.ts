/**
 * A cache trimmed for serving (what the container image ships): only the int8 ONNX model and the
 * labels remain, a start re-checks both against their recorded hashes, and asking the trimmed cache
 * for anything it cannot build is a precise start-up error.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, type Config } from '../../src/config/config.js';
import { inspectCache } from '../../src/model/cache.js';
import { readDescriptor, type NpmModelDescriptor } from '../../src/model/descriptor.js';
import { ensureSource, prepareModel } from '../../src/pipeline/prepare.js';
import { trimToServing } from '../../src/model/serving-only.js';

let cacheDir: string;
let config: Config;
let d: NpmModelDescriptor;
beforeAll(async () => {
  const real = configWith({ logLevel: 'silent', modelFetch: 'never' });
  d = await readDescriptor(real.modelRepository, real.modelName);
  const source = await ensureSource(real, d, {});
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'serving-only-'));
  await cp(source.dir, path.join(cacheDir, d.name), { recursive: true });
  config = { ...real, modelCacheDir: cacheDir, engine: 'onnx', precision: 'int8', quantCalibration: 'data-free' };
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('serving-only model cache', () => {
  it('keeps only the ONNX build and the labels, recorded with their hashes, and still serves', async () => {
    const prepared = await prepareModel(config);
    if (prepared.engineSpec.engine !== 'onnx') throw new Error('expected the ONNX engine');
    const record = await trimToServing(cacheDir, d, prepared.engineSpec.modelPath);
    const onnxRel = path.relative(path.join(cacheDir, d.name), prepared.engineSpec.modelPath);
    expect(Object.keys(record.files).sort()).toEqual([onnxRel, d.files.labels].sort());
    expect(record.servingOnly).toEqual({ engine: 'onnx', onnx: onnxRel });
    expect((await readdir(path.join(cacheDir, d.name))).sort()).toEqual([d.files.labels, 'onnx', 'source.json']);
    const again = await prepareModel(config);
    expect(again.engineSpec).toEqual(prepared.engineSpec);
    expect(again.convertSeconds).toBe(0);
    expect(again.labels[162]).toBe('beagle');
  });

  it('refuses builds it has no source for, naming what to run', async () => {
    await expect(prepareModel({ ...config, precision: 'fp32' })).rejects.toThrow(/trimmed to serve onnx\/resnet50-int8-[0-9a-f]{16}\.onnx only and cannot build the fp32 ONNX model; re-fetch the source/);
    await expect(prepareModel({ ...config, engine: 'tfjs' })).rejects.toThrow(/cannot build the TF\.js engine/);
  });

  it('catches a corrupted model file at start', async () => {
    const state = await inspectCache(cacheDir, d);
    if (state.status !== 'valid' || !state.record.servingOnly) throw new Error('expected a valid trimmed cache');
    const file = path.join(state.dir, state.record.servingOnly.onnx);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    await expect(prepareModel(config)).rejects.toThrow(/corrupt \(sha256 mismatch\)/);
  });
});
