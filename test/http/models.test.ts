/**
 * Several models over HTTP (the real app, test engines behind it): `/predict?model=`, the v2 routes
 * per model and version, Triton's repository index, readiness and per-model metrics, and a swap
 * that the answers' `model.version` follows.
 */
import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { configWith } from '../../src/config/config.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { FastifyInstance } from 'fastify';
import type { InferenceService } from '../../src/service/inference-service.js';
import { parseMetrics } from '../helpers/server-process.js';
import { MB, TestRepository, version } from '../helpers/test-repository.js';

let app: FastifyInstance;
let service: InferenceService;
let repo: TestRepository;
let image: Buffer;

beforeAll(async () => {
  repo = new TestRepository().put(version('cats', '1', 3), version('dogs', '4', 7));
  const metrics = new Metrics({ defaultMetrics: false });
  const overrides = { modelName: 'cats', grpcPort: null };
  service = repo.service(overrides, 200 * MB, metrics);
  app = await createApp({ config: configWith({ logLevel: 'silent', maxQueue: 64, ...overrides }), service, metrics, logger: false, tracing: false });
  await app.ready();
  await app.loadModel();
  image = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).png().toBuffer();
});

afterAll(async () => {
  await app.close();
});

const predict = (query: string) => request(app.server).post(`/predict${query}`).set('content-type', 'image/png').send(image);

describe('several models over HTTP', () => {
  it('/predict serves the model ?model= names, MODEL_NAME by default, and says which version answered', async () => {
    const cats = await predict('').expect(200);
    expect(cats.body.predictions[0].label).toBe('class_3');
    expect(cats.body.model).toEqual({ name: 'cats', version: '1', engine: 'onnx' });
    const dogs = await predict('?model=dogs&topk=2').expect(200);
    expect(dogs.body.predictions.map((p: { label: string }) => p.label)[0]).toBe('class_7');
    expect(dogs.body.model).toEqual({ name: 'dogs', version: '4', engine: 'onnx' });
  });

  it('an unknown model is 404 before the upload is read; topk is bounded by the named model', async () => {
    const res = await predict('?model=birds').expect(404);
    expect(res.body).toEqual({ success: false, error: { code: 'unknown_model', message: "unknown model 'birds'; this server serves: cats, dogs" } });
    expect((await predict('?model=dogs&topk=11').expect(400)).body.error.code).toBe('invalid_topk');
  });

  it('v2: each model under its name and version; metadata and readiness per model', async () => {
    const body = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [image.toString('base64')] }], outputs: [{ name: 'probabilities', parameters: { classification: 1 } }] };
    const res = await request(app.server).post('/v2/models/dogs/versions/4/infer').send(body).expect(200);
    expect(res.body).toMatchObject({ model_name: 'dogs', model_version: '4' });
    expect(res.body.outputs[0].data[0]).toMatch(/:7:class_7$/);
    expect((await request(app.server).post('/v2/models/dogs/versions/1/infer').send(body).expect(404)).body.error).toMatch(/no version '1' loaded; loaded: 4/);
    expect((await request(app.server).get('/v2/models/cats_tensor').expect(200)).body.inputs[0].shape).toEqual([-1, 32, 32, 3]);
    expect((await request(app.server).get('/v2/models/dogs/versions/4/ready').expect(200)).body).toEqual({ name: 'dogs', ready: true });
    expect((await request(app.server).get('/v2/models/birds/ready').expect(404)).body.error).toMatch(/unknown model 'birds'/);
    expect((await request(app.server).get('/readyz').expect(200)).body).toMatchObject({ status: 'ready' });
  });

  it('POST /v2/repository/index lists every version and its state ({"ready": true}: the ready ones)', async () => {
    const all = await request(app.server).post('/v2/repository/index').expect(200);
    expect(all.body).toEqual([
      { name: 'cats', version: '1', state: 'READY', reason: '' },
      { name: 'dogs', version: '4', state: 'READY', reason: '' },
    ]);
    const ready = await request(app.server).post('/v2/repository/index').send({ ready: true }).expect(200);
    expect(ready.body).toEqual(all.body);
  });

  it('metrics are labelled by model, model_info lists every serving version, and a swap updates both', async () => {
    await predict('?model=dogs').expect(200);
    let m = parseMetrics((await request(app.server).get('/metrics')).text);
    expect(m.get('inference_batch_size_count{model="dogs"}')).toBeGreaterThan(0);
    expect(m.get('model_info{model="cats",version="1",engine="onnx",backend="test engine",precision="fp32"}')).toBe(1);
    expect(m.get('model_info{model="dogs",version="4",engine="onnx",backend="test engine",precision="fp32"}')).toBe(1);

    repo.put(version('dogs', '5', 8));
    await app.reloadModels(false);
    const after = await predict('?model=dogs').expect(200);
    expect(after.body.model.version).toBe('5');
    expect(after.body.predictions[0].label).toBe('class_8');
    m = parseMetrics((await request(app.server).get('/metrics')).text);
    expect(m.get('model_info{model="dogs",version="5",engine="onnx",backend="test engine",precision="fp32"}')).toBe(1);
    expect(m.get('model_info{model="dogs",version="4",engine="onnx",backend="test engine",precision="fp32"}')).toBeUndefined();
  });
});
