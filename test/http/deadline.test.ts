/** Every request has a deadline: past it the client gets 504 deadline_exceeded, never a hang. */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseMetrics } from '../helpers/server-process.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE } from '../helpers/paths.js';

let t: TestApp;
beforeAll(async () => {
  // One image per engine run and a 100 ms deadline: 60 simultaneous requests need far longer than
  // 100 ms in all, so the later ones must hit their deadline while queued.
  t = await createTestApp({ requestTimeoutMs: 100, maxBatchSize: 1, maxQueue: 100 });
});
afterAll(async () => {
  await t.close();
});

describe('request deadline', () => {
  it('answers 504 deadline_exceeded past REQUEST_TIMEOUT_MS, and the abandoned work leaves the queue', async () => {
    const responses = await Promise.all(Array.from({ length: 60 }, () => request(t.app.server).post('/predict').attach('image', path.join(SMOKE, 'beagle.jpg'))));
    const statuses = responses.map((r) => r.status);
    // 408 when the deadline passed before the upload was even received in full (60 uploads at
    // once on a busy server), 504 when it passed while the image waited or ran.
    expect(statuses.every((s) => s === 200 || s === 504 || s === 408)).toBe(true);
    const late = responses.filter((r) => r.status === 504);
    expect(late.length).toBeGreaterThan(0);
    for (const r of late) expect(r.body).toEqual({ success: false, error: { code: 'deadline_exceeded', message: expect.stringMatching(/100 ms deadline/) } });
    for (const r of responses.filter((x) => x.status === 408)) {
      expect(r.body).toEqual({ success: false, error: { code: 'request_timeout', message: 'the request was not received in full within 100 ms (REQUEST_TIMEOUT_MS)' } });
    }
    for (const r of responses.filter((x) => x.status === 200)) expect(r.body.predictions[0].label).toBe('beagle');
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0), { timeout: 5000 });
    const m = parseMetrics((await request(t.app.server).get('/metrics')).text);
    expect(m.get('requests_rejected_total{reason="deadline_exceeded",model="resnet50"}')).toBeGreaterThan(0);
    // Work withdrawn at its deadline is never computed: fewer engine runs than requests.
    expect(m.get('inference_batch_size_count{model="resnet50"}')).toBeLessThan(60);
  });
});
