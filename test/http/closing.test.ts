/**
 * A request that arrives while the server closes gets 503 shutting_down in the API's error shape
 * (Fastify would answer in its own), and the request accepted before still gets its answer.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE, readImage } from '../helpers/paths.js';
import { parseResponse } from '../helpers/raw-http.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await t.service.stop();
});

describe('closing', () => {
  it('a request pipelined behind one in progress gets 503 shutting_down once closing began', async () => {
    const img = readImage(path.join(SMOKE, 'beagle.jpg'));
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.on('connect', resolve));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closedSocket = new Promise((resolve) => socket.on('close', resolve));
    // The first request is accepted, then waits for the rest of its body.
    socket.write(`POST /predict?topk=1 HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${img.length}\r\n\r\n`);
    socket.write(img.subarray(0, 100));
    // Accepted and reading: its first bytes are charged to the memory budget (no queue slot yet).
    await vi.waitFor(() => expect(t.service.memory.used).toBeGreaterThan(0));
    const closing = t.app.close();
    await vi.waitFor(() => expect(t.app.server.listening).toBe(false));
    // The rest of the first body, and a second request on the same connection.
    socket.write(Buffer.concat([img.subarray(100), Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')]));
    await closedSocket;
    await closing;
    const second = text.indexOf('HTTP/1.1', 1);
    const first = parseResponse(text.slice(0, second));
    expect(first).toMatchObject({ status: 200, body: { success: true, predictions: [{ label: 'beagle' }] } });
    const refused = parseResponse(text.slice(second));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toEqual({ success: false, error: { code: 'shutting_down', message: 'the server is shutting down' } });
  });
});
