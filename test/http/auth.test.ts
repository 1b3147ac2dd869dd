/** Optional bearer keys: inference needs one; probes and metrics stay open; keys never logged. */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE } from '../helpers/paths.js';

const KEYS = ['alpha-key-123', 'beta-key-456'];
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ apiKeys: KEYS, logLevel: 'info' }, { captureLogs: true });
});
afterAll(async () => {
  await t.close();
});

const beagle = path.join(SMOKE, 'beagle.jpg');

describe('API_KEYS', () => {
  it('no Authorization -> 401 missing_api_key with WWW-Authenticate', async () => {
    const res = await request(t.app.server).post('/predict').attach('image', beagle).expect(401);
    expect(res.body.error.code).toBe('missing_api_key');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it.each(['Bearer wrong', 'Bearer alpha-key-12', 'Basic YWxwaGE6a2V5', 'alpha-key-123'])('%s -> 401 invalid_api_key', async (header) => {
    const res = await request(t.app.server).post('/predict').set('authorization', header).attach('image', beagle).expect(401);
    expect(res.body.error.code).toBe('invalid_api_key');
  });

  it.each(KEYS)('a configured key (%s) classifies', async (key) => {
    const res = await request(t.app.server).post('/predict').set('authorization', `Bearer ${key}`).attach('image', beagle).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it('health, readiness and metrics stay open', async () => {
    await request(t.app.server).get('/healthz').expect(200);
    await request(t.app.server).get('/readyz').expect(200);
    await request(t.app.server).get('/metrics').expect(200);
  });

  it('keys never reach the logs (the product\'s own redaction)', () => {
    const logs = t.logText();
    expect(logs.length).toBeGreaterThan(0);
    for (const k of KEYS) expect(logs).not.toContain(k);
  });
});
