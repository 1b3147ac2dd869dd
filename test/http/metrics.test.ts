/** /metrics exposes what operators need, with real values after real traffic. */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from '../helpers/server-process.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { EDGE, SMOKE } from '../helpers/paths.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ maxQueue: 1, maxBatchSize: 1 });
});
afterAll(async () => {
  await t.close();
});

describe('/metrics', () => {
  it('counts requests by route and status, and times preprocessing, queueing and inference', async () => {
    await request(t.app.server).post('/predict').attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    await request(t.app.server).post('/predict').attach('image', path.join(EDGE, 'not-an-image.jpg')).expect(415);
    const res = await request(t.app.server).get('/metrics').expect(200).expect('content-type', /text\/plain/);
    const m = parseMetrics(res.text);
    expect(m.get('http_requests_total{route="/predict",method="POST",status="200"}')).toBe(1);
    expect(m.get('http_requests_total{route="/predict",method="POST",status="415"}')).toBe(1);
    expect(m.get('http_request_duration_seconds_count{route="/predict",method="POST"}')).toBe(2);
    expect(m.get('preprocess_duration_seconds_count{model="resnet50"}')).toBe(1);
    expect(m.get('inference_duration_seconds_count{model="resnet50"}')).toBe(1);
    expect(m.get('inference_batch_size_sum{model="resnet50"}')).toBe(1);
    expect(m.get('inference_queue_wait_seconds_count{model="resnet50"}')).toBe(1);
    expect(m.get('inference_queue_depth')).toBe(0);
    // The admission budget, sized from the machine's memory at load, nothing held between requests.
    expect(m.get('memory_budget_bytes')).toBe(t.service.memory.capacity);
    expect(t.service.memory.capacity).toBeGreaterThan(64 * 2 ** 20);
    expect(m.get('memory_budget_in_use_bytes')).toBe(0);
    // Set by the app's own load (the lifecycle plugin), with the real phases of this load.
    const report = t.service.report!;
    expect(m.get('model_load_seconds{phase="load"}')).toBeGreaterThan(0);
    expect(m.get('model_load_seconds{phase="load"}')).toBeCloseTo(report.loadSeconds, 6);
    expect(m.get('model_load_seconds{phase="warmup"}')).toBeGreaterThan(0);
    expect(m.get('model_load_seconds{phase="warmup"}')).toBeCloseTo(report.warmupSeconds, 6);
    const engine = t.service.model!.engine;
    const { name, version } = t.service.model!.descriptor;
    expect(m.get(`model_info{model="${name}",version="${version}",engine="${engine.engine}",backend="${engine.backend}",precision="${engine.precision}"}`)).toBe(1);
  });

  it('counts refusals by reason when the queue is full', async () => {
    const files = Array.from({ length: 12 }, () => path.join(SMOKE, 'cat.jpg'));
    const statuses = (await Promise.all(files.map((f) => request(t.app.server).post('/predict').attach('image', f)))).map((r) => r.status);
    const refused = statuses.filter((s) => s === 503).length;
    expect(refused).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    const m = parseMetrics((await request(t.app.server).get('/metrics')).text);
    expect(m.get('requests_rejected_total{reason="queue_full",model="resnet50"}')).toBe(refused);
  });

  it('includes the default process metrics in the server registry', async () => {
    const text = await new Metrics().registry.metrics();
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
  });
});
