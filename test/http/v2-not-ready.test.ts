/**
 * The v2 API before the model is loaded (the app is built with `load: false`): liveness and server
 * metadata answer, readiness and everything model-bound is 503 with Retry-After (before any body is
 * read), unknown models are still 404, and auth applies first.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v2BodyLimit } from '../../src/http/v2/routes.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { v2Requests } from '../helpers/v2-spec.js';

const MAX_UPLOAD = 3_000;
let t: TestApp;
let secured: TestApp;
let http: ReturnType<typeof v2Requests>;
let securedHttp: ReturnType<typeof v2Requests>;

const validBody = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['AAAA'] }] };

function expectV2Error(res: request.Response, status: number, message?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  if (message) expect(res.body.error).toMatch(message);
}

beforeAll(async () => {
  t = await createTestApp({ maxUploadBytes: MAX_UPLOAD }, { load: false });
  secured = await createTestApp({ apiKeys: ['sesame'] }, { load: false });
  http = v2Requests(t.app.server);
  securedHttp = v2Requests(secured.app.server);
});

afterAll(async () => {
  await t?.close();
  await secured?.close();
});

describe('v2 before the model is loaded', () => {
  it('server live and metadata answer; server ready is 503 {ready: false}', async () => {
    expect((await http.get('/v2/health/live').expect(200)).body).toEqual({ live: true });
    expect((await http.get('/v2/health/ready').expect(503)).body).toEqual({ ready: false });
    expect((await http.get('/v2').expect(200)).body.extensions).toEqual(['classification', 'binary_tensor_data']);
  });

  it('model ready is 503 {name, ready: false}, with or without a version', async () => {
    for (const name of ['resnet50', 'resnet50_tensor']) {
      for (const url of [`/v2/models/${name}/ready`, `/v2/models/${name}/versions/1/ready`]) {
        expect((await http.get(url).expect(503)).body).toEqual({ name, ready: false });
      }
    }
  });

  it('metadata and inference are 503 with Retry-After', async () => {
    for (const res of [
      await http.get('/v2/models/resnet50'),
      await http.get('/v2/models/resnet50/versions/1'),
      await http.get('/v2/models/resnet50_tensor'),
      await http.post('/v2/models/resnet50/infer').send(validBody),
      await http.post('/v2/models/resnet50/versions/1/infer').send(validBody),
    ]) {
      expectV2Error(res, 503, /still loading/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('503 comes before body validation: a loading model is the answer to any body', async () => {
    expectV2Error(await http.post('/v2/models/resnet50/infer').send({ inputs: 'nonsense' }), 503);
  });

  it('before the repository is read, any model name is 503 (not yet known, not unknown)', async () => {
    expectV2Error(await http.get('/v2/models/vgg16'), 503, /still loading/);
    expect((await http.get('/v2/models/vgg16/ready').expect(503)).body).toEqual({ name: 'vgg16', ready: false });
    expectV2Error(await http.post('/v2/models/vgg16/infer').send(validBody), 503);
  });

  it('the body is not even read while loading: an oversized one is 503 too (413 needs a loaded model)', async () => {
    const limit = v2BodyLimit(MAX_UPLOAD);
    expect(limit).toBeGreaterThanOrEqual(Math.ceil((MAX_UPLOAD * 4) / 3));
    const over = JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['A'.repeat(limit)] }] });
    expectV2Error(await http.post('/v2/models/resnet50/infer').set('content-type', 'application/json').send(over), 503);
  });

  it('with API_KEYS, inference needs the key (401 in v2 shape); metadata and health stay open', async () => {
    const res = await securedHttp.post('/v2/models/resnet50/infer').send(validBody);
    expectV2Error(res, 401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expectV2Error(await securedHttp.post('/v2/models/resnet50/infer').set('authorization', 'Bearer sesame').send(validBody), 503);
    await securedHttp.get('/v2/health/live').expect(200);
    await securedHttp.get('/v2').expect(200);
  });
});
