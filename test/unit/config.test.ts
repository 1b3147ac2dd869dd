import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config/config.js';
import { cgroupCpuQuota } from '../../src/config/cpus.js';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 5000, host: '0.0.0.0', engine: 'onnx', precision: 'int8', maxUploadBytes: 10 * 1024 * 1024, maxPixels: 40_000_000, modelFetch: 'auto', apiKeys: [], eventLoopNice: 0 });
    expect(c.threads).toBeGreaterThanOrEqual(1);
  });

  it('parses values and size suffixes', () => {
    const c = loadConfig({ PORT: '8080', ENGINE: 'TFJS', MAX_UPLOAD_BYTES: '2mb', API_KEYS: 'a, b,,c', RESIZE_MODE: 'squash' });
    expect(c).toMatchObject({ port: 8080, engine: 'tfjs', maxUploadBytes: 2 * 1024 * 1024, apiKeys: ['a', 'b', 'c'], resizeMode: 'squash' });
  });

  it.each([
    ['PORT', 'abc', /invalid PORT="abc": expected an integer from 0 to 65535/],
    ['PORT', '70000', /invalid PORT="70000"/],
    ['ENGINE', 'pytorch', /invalid ENGINE="pytorch": expected one of onnx, tfjs/],
    ['MAX_UPLOAD_BYTES', '10 parsecs', /invalid MAX_UPLOAD_BYTES/],
    ['MAX_BATCH_SIZE', '0', /invalid MAX_BATCH_SIZE="0"/],
    ['LOG_LEVEL', 'loud', /invalid LOG_LEVEL/],
    ['EVENT_LOOP_NICE', '20', /invalid EVENT_LOOP_NICE="20": expected an integer from 0 to 19/],
    ['EVENT_LOOP_NICE', '-5', /invalid EVENT_LOOP_NICE="-5"/],
  ])('stops on a bad %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it.each([', ,', ' ', ',', ' , , '])('stops on API_KEYS=%j: set but holding no key would turn authentication off', (value) => {
    expect(() => loadConfig({ API_KEYS: value })).toThrow(
      'invalid API_KEYS: it is set but holds no key (only commas or spaces); give at least one key, or unset API_KEYS to turn authentication off',
    );
  });

  it('stops on an API_KEYS key with whitespace inside, without repeating the keys', () => {
    let message = '';
    try {
      loadConfig({ API_KEYS: 'first-secret, second secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('invalid API_KEYS: key 2 of 2 contains whitespace, which a bearer token cannot carry');
  });

  it('takes an empty API_KEYS as unset: no keys, authentication off', () => {
    expect(loadConfig({ API_KEYS: '' }).apiKeys).toEqual([]);
  });

  it('documents every setting with its env name', () => {
    const names = SETTINGS.map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    for (const s of SETTINGS) expect(s.describe.length).toBeGreaterThan(10);
  });

  it('reads the cgroup v2 and v1 CPU quota', () => {
    const v2 = mkdtempSync(path.join(os.tmpdir(), 'cg2-'));
    writeFileSync(path.join(v2, 'cpu.max'), '150000 100000\n');
    expect(cgroupCpuQuota(v2)).toBe(2);
    writeFileSync(path.join(v2, 'cpu.max'), 'max 100000\n');
    expect(cgroupCpuQuota(v2)).toBeUndefined();
    const v1 = mkdtempSync(path.join(os.tmpdir(), 'cg1-'));
    mkdirSync(path.join(v1, 'cpu'));
    writeFileSync(path.join(v1, 'cpu', 'cpu.cfs_quota_us'), '50000');
    writeFileSync(path.join(v1, 'cpu', 'cpu.cfs_period_us'), '100000');
    expect(cgroupCpuQuota(v1)).toBe(1);
  });
});
