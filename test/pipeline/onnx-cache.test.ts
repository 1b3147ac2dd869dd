/** The converted model is cached next to its source: a restart reuses it, a corrupted copy is caught. */
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config/config.js';
import { readDescriptor, type NpmModelDescriptor } from '../../src/model/descriptor.js';
import { ensureOnnxModel } from '../../src/pipeline/onnx-cache.js';
import { ensureSource } from '../../src/pipeline/prepare.js';

let dir: string;
let d: NpmModelDescriptor;
beforeAll(async () => {
  const config = configWith({ logLevel: 'silent', modelFetch: 'never' });
  d = await readDescriptor(config.modelRepository, config.modelName);
  const source = await ensureSource(config, d, {});
  // A private source folder sharing the real weights, so the test converts into its own cache.
  dir = await mkdtemp(path.join(os.tmpdir(), 'onnx-cache-'));
  await symlink(path.join(source.dir, 'tfjs'), path.join(dir, 'tfjs'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ONNX model cache', () => {
  it('converts once, then reuses the cached file (content-hashed name, sha256 sidecar)', async () => {
    const first = await ensureOnnxModel(d, dir, { precision: 'fp32' });
    expect(first.converted).toBe(true);
    expect(path.basename(first.path)).toMatch(/^resnet50-fp32-[0-9a-f]{16}\.onnx$/);
    const second = await ensureOnnxModel(d, dir, { precision: 'fp32' });
    expect(second).toMatchObject({ path: first.path, converted: false, seconds: 0 });
    expect((await readdir(path.join(dir, 'onnx'))).sort()).toEqual([path.basename(first.path), `${path.basename(first.path)}.sha256`]);
  });

  it('refuses a corrupted cached model instead of loading it', async () => {
    const { path: file } = await ensureOnnxModel(d, dir, { precision: 'fp32' });
    await writeFile(file, 'not a model');
    await expect(ensureOnnxModel(d, dir, { precision: 'fp32' })).rejects.toThrow(/corrupt \(sha256 mismatch\)/);
  });
});
