/** The build cache falls back to the temp folder when MODEL_CACHE_DIR cannot take a file (a read-only image). */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BuildCache } from '../../src/pipeline/build-cache.js';

const rel = path.join('files', `build-cache-test-${process.pid}`, '1');
afterAll(async () => {
  await rm(path.join(os.tmpdir(), 'resnet-serve', 'files', `build-cache-test-${process.pid}`), { recursive: true, force: true });
});

describe('BuildCache', () => {
  it('stores in the temp folder when the cache folder cannot be created, says so, and finds it there', async () => {
    const logged: string[] = [];
    // A folder under a file can never be created (ENOTDIR), as a missing one on a read-only root cannot.
    const cache = new BuildCache('/dev/null/cache', rel);
    const file = await cache.store('meta-x.json', '{"ok":true}', () => true, (m) => logged.push(m));
    expect(file).toBe(path.join(os.tmpdir(), 'resnet-serve', rel, 'meta-x.json'));
    expect(await readFile(file, 'utf8')).toBe('{"ok":true}');
    expect(logged).toEqual([`model cache ${path.join('/dev/null/cache', rel)} is not writable (ENOTDIR); caching in ${path.join(os.tmpdir(), 'resnet-serve', rel)}`]);
    expect(await cache.findText('meta-x.json')).toBe('{"ok":true}');
  });
});
