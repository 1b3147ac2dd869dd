/**
 * An upload the memory budget cannot hold now is paused (its connection is not read) rather than
 * refused at once: it completes when room is released, or gets 503 memory_busy after
 * ADMISSION_WAIT_MS, an answer that reaches a client still sending its body (no reset).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { readImage, SMOKE } from '../helpers/paths.js';

const MB = 1024 * 1024;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** 32 MB budget: bulk charges (large uploads, charged twice their bytes) stop at 24 MB. */
async function start(admissionWaitMs: number): Promise<number> {
  t = await createTestApp({ memoryBudget: 32 * MB, maxUploadBytes: 12 * MB, admissionWaitMs });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return (t.app.server.address() as AddressInfo).port;
}

/** An upload declaring `declared` bytes that sends `sent` of them and stops. */
function stalledUpload(port: number, declared: number, sent: number): http.ClientRequest {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/predict', headers: { 'content-type': 'image/jpeg', 'content-length': String(declared) } });
  req.on('error', () => undefined); // destroyed by the test
  req.write(Buffer.alloc(sent, 0xff));
  return req;
}

/** The beagle, padded after its end-of-image marker (decoders ignore trailing bytes) to `size`. */
const paddedBeagle = (size: number): Buffer => {
  const jpeg = readImage(path.join(SMOKE, 'beagle.jpg'));
  return Buffer.concat([jpeg, Buffer.alloc(size - jpeg.length)]);
};

describe('uploads wait for memory', () => {
  it('an upload that does not fit now is paused, then completes (200) once room is released', async () => {
    const port = await start(60_000);
    const holder = stalledUpload(port, 10 * MB, 10 * MB - 10);
    await vi.waitFor(() => expect(t?.service.memory.used).toBe(2 * (10 * MB - 10)));

    let answered = false;
    const body = paddedBeagle(4 * MB);
    const pending = fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(body) }).then((r) => {
      answered = true;
      return r;
    });
    // It takes what the bulk ceiling leaves (24 MB in all), then waits with its connection paused.
    await vi.waitFor(() => expect(t?.service.memory.used).toBeGreaterThan(23.8 * MB));
    expect(answered).toBe(false);

    holder.destroy(); // its 20 MB are released: the paused upload goes on
    const res = await pending;
    expect(res.status).toBe(200);
    const json = (await res.json()) as { predictions: { label: string }[] };
    expect(json.predictions[0].label).toBe('beagle');
    await vi.waitFor(() => expect(t?.service.memory.used).toBe(0));
  });

  it('after ADMISSION_WAIT_MS a paused upload gets 503 memory_busy, readable while the client is still sending', async () => {
    const port = await start(200);
    const holder = stalledUpload(port, 10 * MB, 10 * MB - 10);
    await vi.waitFor(() => expect(t?.service.memory.used).toBe(2 * (10 * MB - 10)));

    // A raw client writes its whole 11 MB body at once (more than the kernel's socket buffers hold) and reads whatever comes back.
    const socket = net.connect({ host: '127.0.0.1', port });
    const errors: string[] = [];
    socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${11 * MB}\r\n\r\n`);
    socket.write(paddedBeagle(11 * MB));
    await closed;

    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ success: false, error: { code: 'memory_busy' } });
    expect(errors).toEqual([]); // closed gently: the server read what was still coming, no reset
    holder.destroy();
    await vi.waitFor(() => expect(t?.service.memory.used).toBe(0));
  });
});
