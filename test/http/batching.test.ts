/** Concurrent requests with distinct images are batched together, and each gets its own answer. */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE, SMOKE_LABELS } from '../helpers/paths.js';

let t: TestApp;
beforeAll(async () => {
  // A generous queue delay makes batching deterministic for the test: 12 concurrent requests must
  // end up in batches of more than one image.
  t = await createTestApp({ maxBatchSize: 8, maxQueueDelayMs: 500 });
});
afterAll(async () => {
  await t.close();
});

describe('dynamic batching over HTTP', () => {
  it('12 concurrent distinct images: every response carries its own image label', async () => {
    const files = [...Object.keys(SMOKE_LABELS), ...Object.keys(SMOKE_LABELS)];
    const responses = await Promise.all(files.map((f) => request(t.app.server).post('/predict').attach('image', path.join(SMOKE, f))));
    responses.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body.predictions[0].label).toBe(SMOKE_LABELS[files[i]]);
    });
    const batches = await t.metrics.batchSize.get();
    const count = batches.values.find((v) => v.metricName === 'inference_batch_size_count')?.value ?? 0;
    const sum = batches.values.find((v) => v.metricName === 'inference_batch_size_sum')?.value ?? 0;
    expect(sum).toBe(12); // the 12 images (the warm-up runs outside the batcher)
    expect(count).toBeLessThan(12); // grouped: fewer engine runs than images
  });
});
