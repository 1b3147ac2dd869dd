/**
 * One error shape everywhere (README "Errors"): what Node's HTTP parser refuses, what Fastify
 * refuses before routing, unknown paths and wrong methods all answer in the API's JSON shape (the
 * v2 protocol's `{error}` under /v2), with their own codes. Driven over raw sockets, since most of
 * these requests are ones no HTTP client library would send.
 */
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { exchange } from '../helpers/raw-http.js';

let t: TestApp;
let port: number;
const TIMEOUT_MS = 1000;

beforeAll(async () => {
  t = await createTestApp({ requestTimeoutMs: TIMEOUT_MS, maxUploadBytes: 200_000 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await t.close();
});

const get = (target: string, method = 'GET'): string => `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
const classic = (code: string, message: string) => ({ success: false, error: { code, message } });

describe("Node's HTTP parser", () => {
  it('a malformed request line -> 400 malformed_request, not Node\'s "Client Error"', async () => {
    const res = await exchange(port, 'GARBAGE\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(classic('malformed_request', 'malformed HTTP request: Invalid method encountered'));
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
  });

  it('a malformed request to /v2 answers in the v2 shape', async () => {
    const res = await exchange(port, 'POST /v2/models/resnet50/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'malformed HTTP request: Duplicate Content-Length' });
  });

  it('headers over the size limit -> 431 headers_too_large', async () => {
    const res = await exchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.body).toEqual(classic('headers_too_large', 'the request line and headers exceed 16384 bytes'));
  });
});

describe('requests not received in full within REQUEST_TIMEOUT_MS -> 408, whatever the phase', () => {
  const timedOut = `the request was not received in full within ${TIMEOUT_MS} ms (REQUEST_TIMEOUT_MS)`;

  it('trickled headers', async () => {
    const res = await exchange(port, 'POST /predict HTTP/1.1\r\nHost: x\r\nX-Slow: ', { trickle: 'a' });
    expect(res.status).toBe(408);
    expect(res.body).toEqual(classic('request_timeout', timedOut));
    expect(res.headers.connection).toBe('close');
  });

  it('stalled headers: part of them, then nothing', async () => {
    const res = await exchange(port, 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n');
    expect(res.status).toBe(408);
    expect(res.body).toEqual(classic('request_timeout', timedOut));
    expect(res.headers.connection).toBe('close');
  });

  it('a stalled raw image body: headers and part of the body, then nothing', async () => {
    const res = await exchange(port, 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n\xff\xd8\xff\xe0');
    expect(res.status).toBe(408);
    expect(res.body).toEqual(classic('request_timeout', timedOut));
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
  });

  it('a trickled raw image body', async () => {
    const res = await exchange(port, 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n', { trickle: 'x' });
    expect(res.status).toBe(408);
    expect(res.body).toEqual(classic('request_timeout', timedOut));
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
  });

  it('a trickled multipart body', async () => {
    const head = 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n';
    const res = await exchange(port, head + '--B\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n', { trickle: 'x' });
    expect(res.status).toBe(408);
    expect(res.body).toEqual(classic('request_timeout', timedOut));
  });

  it('a trickled v2 JSON body, in the v2 shape', async () => {
    const res = await exchange(port, 'POST /v2/models/resnet50/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{', { trickle: ' ' });
    expect(res.status).toBe(408);
    expect(res.body).toEqual({ error: timedOut });
  });

  it('leaves no admitted slot behind, and the server answers', async () => {
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0), { timeout: 5000 });
    const res = await exchange(port, get('/healthz'));
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

describe('Fastify and routing', () => {
  it('a malformed URL -> 400 invalid_url, without echoing the URL', async () => {
    const res = await exchange(port, get('/%zz?api_key=secret'));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(classic('invalid_url', 'the URL path is malformed: a "%" not followed by two hex digits, or escapes that are not UTF-8'));
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
  });

  it('a malformed URL under /v2 -> the v2 shape', async () => {
    const res = await exchange(port, get('/v2/models/%e0%a4%a'));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'the URL path is malformed: a "%" not followed by two hex digits, or escapes that are not UTF-8' });
  });

  it('an unknown path -> 404 not_found, without the query', async () => {
    const res = await exchange(port, get('/nope?api_key=secret'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual(classic('not_found', 'no route GET /nope'));
  });

  it.each([
    ['GET', '/predict', 'POST'],
    ['PUT', '/predict?topk=3', 'POST'],
    ['DELETE', '/healthz', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['POST', '/', 'GET, HEAD'],
    ['OPTIONS', '/readyz', 'GET, HEAD'],
  ])('%s %s, a known path with the wrong method -> 405 with Allow: %s', async (method, target, allow) => {
    const res = await exchange(port, get(target, method));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toEqual(classic('method_not_allowed', `${method} is not allowed on ${target.split('?')[0]}; allowed: ${allow}`));
  });

  it('a known v2 path with the wrong method -> 405 in the v2 shape', async () => {
    const res = await exchange(port, get('/v2/models/resnet50/infer'));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body).toEqual({ error: 'GET is not allowed on /v2/models/resnet50/infer; allowed: POST' });
  });

  it('an unknown v2 path stays 404 in the v2 shape', async () => {
    const res = await exchange(port, get('/v2/nothing/here', 'DELETE'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'no route DELETE /v2/nothing/here' });
  });

  it('a body over the limit, from its Content-Length -> 413 upload_too_large', async () => {
    const res = await exchange(port, 'POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: image/jpeg\r\nContent-Length: 300000\r\n\r\n');
    expect(res.status).toBe(413);
    expect(res.body).toEqual(classic('upload_too_large', 'the request body is larger than 200000 bytes (MAX_UPLOAD_BYTES)'));
  });

  it('a Content-Type v2 infer cannot read -> 415 naming what is accepted', async () => {
    const res = await exchange(port, 'POST /v2/models/resnet50/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/csv\r\nContent-Length: 3\r\n\r\na,b');
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      error: 'send the inference request as JSON (Content-Type: application/json), or as binary tensor data with an Inference-Header-Content-Length header; got Content-Type text/csv',
    });
  });
});
