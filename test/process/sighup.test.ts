/**
 * SIGHUP on the real server process rescans its model repository (MODEL_CONTROL=none): a version
 * folder added after start serves once the signal is handled, and answers name it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server-process.js';
import { readImage, SMOKE } from '../helpers/paths.js';
import { tinyClassifier } from '../pipeline/onnx-models.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('SIGHUP', () => {
  it('rescans the repository: a new version serves, the old one is unloaded', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'resnet-serve-sighup-'));
    await mkdir(path.join(dir, 'repo', 'tiny', '1'), { recursive: true });
    await writeFile(path.join(dir, 'repo', 'tiny', 'model.yaml'), 'preprocess: torch\n');
    await writeFile(path.join(dir, 'repo', 'tiny', '1', 'model.onnx'), tinyClassifier({ height: 32, width: 32 }));
    const server = await startServer({ MODEL_REPOSITORY: path.join(dir, 'repo'), MODEL_CACHE_DIR: path.join(dir, 'cache'), MODEL_CONTROL: 'none', LOG_LEVEL: 'info' }, { fromSource: true });
    try {
      const predict = async (): Promise<{ version: string }> => {
        const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(readImage(path.join(SMOKE, 'beagle.jpg'))) });
        expect(res.status).toBe(200);
        return ((await res.json()) as { model: { version: string } }).model;
      };
      expect((await predict()).version).toBe('1');
      await mkdir(path.join(dir, 'repo', 'tiny', '2'));
      await writeFile(path.join(dir, 'repo', 'tiny', '2', 'model.onnx'), tinyClassifier({ height: 40, width: 40, softmax: true }));
      expect((await predict()).version).toBe('1'); // MODEL_CONTROL=none: nothing changes by itself
      server.child.kill('SIGHUP');
      await server.waitFor(/"msg":"model version unloaded"/);
      expect((await predict()).version).toBe('2');
      const index = await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST' })).json();
      expect(index).toEqual([
        { name: 'tiny', version: '1', state: 'UNAVAILABLE', reason: 'not loaded: only the highest version serves' },
        { name: 'tiny', version: '2', state: 'READY', reason: '' },
      ]);
      expect(server.output()).toMatch(/"msg":"model repository rescan requested"/);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
