/** Readiness follows the model: 503 before it is loaded and warm, 200 after, 503 once draining. */
import path from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE } from '../helpers/paths.js';

describe('readiness', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('is 503 while loading, 200 once warm, 503 from the moment draining starts; liveness stays 200', async () => {
    t = await createTestApp({}, { load: false });
    const server = t.app.server;
    const before = await request(server).get('/readyz').expect(503);
    expect(before.body.status).toBe('loading');
    await request(server).get('/healthz').expect(200, { status: 'ok' });
    const predict = await request(server).post('/predict').attach('image', path.join(SMOKE, 'beagle.jpg')).expect(503);
    expect(predict.body.error.code).toBe('model_not_ready');
    expect(predict.headers['retry-after']).toBeDefined();

    const loading = t.app.loadModel();
    await request(server).get('/healthz').expect(200); // liveness answers during the load
    await loading;
    const after = await request(server).get('/readyz').expect(200);
    expect(after.body).toMatchObject({ status: 'ready', model: 'resnet50' });
    expect(t.service.report?.warmupSeconds).toBeGreaterThan(0);

    t.service.beginDrain();
    const draining = await request(server).get('/readyz').expect(503);
    expect(draining.body.status).toBe('draining');
    await request(server).get('/healthz').expect(200);
  });
});
