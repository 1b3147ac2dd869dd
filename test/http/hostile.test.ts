/**
 * Hostile and broken input beyond the image edge cases: active formats refused by content
 * sniffing, nothing ever fetched from a URL, a slow or stalled upload cut off at its deadline
 * without holding a worker, and the server healthy throughout.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE } from '../helpers/paths.js';

let t: TestApp;
let port: number;
let decoy: http.Server;
let decoyHits = 0;
let decoyUrl: string;

beforeAll(async () => {
  t = await createTestApp({ requestTimeoutMs: 1500 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
  // Any attempt by the server to fetch a URL would land here.
  decoy = http.createServer((_req, res) => {
    decoyHits++;
    res.end();
  });
  decoy.listen(0, '127.0.0.1');
  await once(decoy, 'listening');
  decoyUrl = `http://127.0.0.1:${(decoy.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  decoy.close();
  await t.close();
});

const post = () => request(t.app.server).post('/predict');

describe('active and non-raster formats are refused by sniffing', () => {
  it.each([
    ['svg', 'image/svg+xml', () => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="500" height="500"><image xlink:href="${decoyUrl}/x.png" width="500" height="500"/><image xlink:href="file:///etc/passwd"/></svg>`],
    ['pdf', 'application/pdf', () => '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF'],
    ['postscript', 'application/postscript', () => '%!PS-Adobe-3.0\n(/etc/passwd) (r) file'],
    ['html', 'text/html', () => `<html><img src="${decoyUrl}/y.png"></html>`],
  ])('%s as a multipart image -> 415 unsupported_image', async (ext, type, body) => {
    const res = await post().attach('image', Buffer.from(body()), { filename: `evil.${ext}`, contentType: type }).expect(415);
    expect(res.body.error.code).toBe('unsupported_image');
  });

  it('svg as a raw image/svg+xml body -> 415', async () => {
    const res = await post().set('content-type', 'image/svg+xml').send(`<svg xmlns="http://www.w3.org/2000/svg"><image href="${decoyUrl}/z.png"/></svg>`).expect(415);
    expect(res.body.error.code).toBe('unsupported_image');
  });

  it('a JSON body naming a URL is refused and the URL is never fetched', async () => {
    const res = await post().send({ url: `${decoyUrl}/dog.jpg`, image: `${decoyUrl}/dog.jpg` }).expect(415);
    expect(res.body.error.code).toBe('unsupported_content_type');
    expect(decoyHits).toBe(0);
  });

  it('a text body holding a URL is refused', async () => {
    const res = await post().set('content-type', 'text/plain').send(`${decoyUrl}/dog.jpg`).expect(415);
    expect(res.body.error.code).toBe('unsupported_content_type');
    expect(decoyHits).toBe(0);
  });
});

/** Opens a raw connection, sends part of an upload, and reports how the server ended it. */
async function stalledUpload(sendBytes: number): Promise<{ closedAfterMs: number; response: string }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = performance.now();
  let response = '';
  socket.on('data', (d: Buffer) => (response += d.toString()));
  const headers = `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 500000\r\n\r\n`;
  socket.write(headers + 'x'.repeat(sendBytes));
  await once(socket, 'close');
  return { closedAfterMs: performance.now() - started, response };
}

describe('slow and stalled clients', () => {
  it('an upload that stops half-way is cut off at the request deadline, with no stuck work', async () => {
    const stalls = await Promise.all([stalledUpload(1000), stalledUpload(0), stalledUpload(100_000)]);
    for (const s of stalls) {
      // The server, not the test, ends the connection: the 1.5 s deadline, well before 10 s.
      expect(s.closedAfterMs).toBeLessThan(10_000);
      expect(s.response === '' || /^HTTP\/1\.1 (408|400|504)/.test(s.response)).toBe(true);
    }
    // The server frees the admitted slots when it ends those connections (events, not timing).
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0), { timeout: 5000 });
    await request(t.app.server).get('/healthz').expect(200);
    const ok = await post().attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    expect(ok.body.predictions[0].label).toBe('beagle');
  });

  it('a client that disconnects mid-upload leaves the server healthy', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 90000\r\n\r\n--B\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n\xff\xd8\xff');
    socket.destroy();
    await request(t.app.server).get('/healthz').expect(200);
    const ok = await post().attach('image', path.join(SMOKE, 'cat.jpg')).expect(200);
    expect(ok.body.predictions[0].label).toBe('tabby');
  });
});
