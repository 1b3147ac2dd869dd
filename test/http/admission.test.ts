/** Admission over HTTP: uploads metered from their first byte, memory refusals, thin images. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UPLOAD_COPIES } from '../../src/http/plugins/upload-meter.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE } from '../helpers/paths.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  // One MAX_QUEUE slot and a 48 MB budget: a 12 MP progressive 4:4:4 JPEG (~72 MB of coefficients +
  // overhead) can never fit; an ordinary photo always does.
  t = await createTestApp({ maxQueue: 1, memoryBudget: 48 * 1024 * 1024, maxUploadBytes: 1024 * 1024 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t.close();
});

/** Starts an upload that sends `bytes` of its body and stops; resolves with the response if one comes. */
function stalledUpload(headers: Record<string, string>, bytes: number): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/predict', headers });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.write(Buffer.alloc(bytes, 0xff));
  return { req, response };
}

describe('admission', () => {
  it('a stalled upload holds only its bytes: it takes no slot, and others still get 200', async () => {
    const stalled = stalledUpload({ 'content-type': 'image/jpeg', 'content-length': '500000' }, 100);
    await vi.waitFor(() => expect(t.service.memory.used).toBe(100 * UPLOAD_COPIES));
    const res = await request(t.app.server).post('/predict').attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
    // The client gives up mid-upload: its bytes are released.
    stalled.req.destroy();
    stalled.response.catch(() => undefined);
    await vi.waitFor(() => expect(t.service.memory.used).toBe(0));
    expect(t.service.inFlight).toBe(0);
  });

  it('refuses a multipart body at once (413) when its Content-Length is over the limit', async () => {
    const { req, response } = stalledUpload({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(1024 ** 3) }, 10);
    const res = await response;
    expect(res.statusCode).toBe(413);
    const body = await new Promise<string>((resolve) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    expect(JSON.parse(body)).toMatchObject({ success: false, error: { code: 'upload_too_large' } });
    req.destroy();
    await vi.waitFor(() => expect(t.service.memory.used).toBe(0));
  });

  it('refuses a multipart body whose first file is not the image field at once (400 missing_image)', async () => {
    const res = await request(t.app.server)
      .post('/predict')
      .attach('other', Buffer.alloc(20_000, 1), 'other.bin')
      .attach('image', path.join(SMOKE, 'beagle.jpg'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('missing_image');
  });

  it('an image whose decode can never fit the budget gets 413 image_exceeds_memory_budget', async () => {
    const progressive = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#808080' } }).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toBuffer();
    const res = await request(t.app.server).post('/predict').set('content-type', 'image/jpeg').send(progressive);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('image_exceeds_memory_budget');
    expect(t.service.memory.used).toBe(0);
  });

  it('classifies an image too thin to resize whole (8 x 100000) instead of failing in libvips', async () => {
    const thin = await sharp({ create: { width: 8, height: 100_000, channels: 3, background: '#406080' } }).png().toBuffer();
    const res = await request(t.app.server).post('/predict').set('content-type', 'image/png').send(thin);
    expect(res.status).toBe(200);
    expect(res.body.image).toEqual({ format: 'png', width: 8, height: 100_000 });
  });

  it('readiness stays 200 while admission is refusing for memory', async () => {
    const stalled = stalledUpload({ 'content-type': 'image/jpeg', 'content-length': '900000' }, 64 * 1024);
    await vi.waitFor(() => expect(t.service.memory.used).toBeGreaterThan(0));
    await request(t.app.server).get('/readyz').expect(200);
    stalled.req.destroy();
    stalled.response.catch(() => undefined);
    await vi.waitFor(() => expect(t.service.memory.used).toBe(0));
  });
});
