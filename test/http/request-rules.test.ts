/**
 * The request rules of README "Errors": `topk` is a decimal integer from 1 to the model's class
 * count and nothing else; a Content-Type is its media type, compared case-insensitively, with
 * parameters ignored; client aborts are one access-log line at info; query values never reach the
 * logs.
 */
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { parseLogLines, type LogLine } from '../helpers/log-lines.js';
import { EDGE, SMOKE, readImage } from '../helpers/paths.js';
import { exchange } from '../helpers/raw-http.js';


let t: TestApp;
let port: number;
const lines = (): LogLine[] => parseLogLines(t.logText());
const BEAGLE = readImage(path.join(SMOKE, 'beagle.jpg'));

beforeAll(async () => {
  t = await createTestApp({ logLevel: 'info' }, { captureLogs: true });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await t.close();
});

const post = () => request(t.app.server).post('/predict');

describe('topk: a decimal integer from 1 to the number of classes', () => {
  it.each(['0x10', '1e3', '%2B5', '%205', '5%20', '5.0', '-1', '0', '1001', '', 'five'])('topk=%s -> 400 invalid_topk', async (query) => {
    const res = await post().query(`topk=${query}`).set('content-type', 'image/jpeg').send(BEAGLE).expect(400);
    expect(res.body).toEqual({ success: false, error: { code: 'invalid_topk', message: 'topk must be a decimal integer from 1 to 1000 (digits only: no sign, spaces, exponent or hex)' } });
  });

  it('topk given twice -> 400', async () => {
    const res = await post().query('topk=3&topk=4').set('content-type', 'image/jpeg').send(BEAGLE).expect(400);
    expect(res.body).toEqual({ success: false, error: { code: 'invalid_topk', message: 'topk must be given once' } });
  });

  it('the largest, the class count, and a leading zero are fine', async () => {
    const all = await post().query('topk=1000').set('content-type', 'image/jpeg').send(BEAGLE).expect(200);
    expect(all.body.predictions).toHaveLength(t.service.model?.labels.length ?? 0);
    const three = await post().query('topk=03').set('content-type', 'image/jpeg').send(BEAGLE).expect(200);
    expect(three.body.predictions.map((p: { label: string }) => p.label)).toEqual(['beagle', 'Walker_hound', 'English_foxhound']);
  });
});

describe('Content-Type: the media type, case-insensitive, parameters ignored', () => {
  it.each(['image/jpeg; charset=x', 'IMAGE/JPEG', 'Image/Png; foo="bar"', 'application/octet-stream; charset=binary', 'Application/Octet-Stream'])(
    '%s carries the raw image',
    async (type) => {
      const res = await post().set('content-type', type).send(BEAGLE).expect(200);
      expect(res.body.predictions[0].label).toBe('beagle');
    },
  );

  it('Multipart/Form-Data in any case', async () => {
    const body = Buffer.concat([Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="image"; filename="b.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'), BEAGLE, Buffer.from('\r\n--XyZ--\r\n')]);
    const res = await post().set('content-type', 'Multipart/Form-Data; boundary=XyZ').send(body).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it('the bytes decide the format, not the declared subtype', async () => {
    const res = await post().set('content-type', 'image/png; charset=x').send(readImage(path.join(EDGE, 'beagle.webp'))).expect(200);
    expect(res.body.image.format).toBe('webp');
  });

  it.each(['text/plain; charset=utf-8', 'application/json'])('%s -> 415 unsupported_content_type', async (type) => {
    const res = await post().set('content-type', type).send('{"image":"x"}').expect(415);
    expect(res.body.error.code).toBe('unsupported_content_type');
  });
});

describe('client aborts: one access-log line at info, never an error', () => {
  /** Sends `head` + `body` with a request id, then closes the connection without waiting. */
  async function abandon(id: string, head: string, body: Buffer | string): Promise<LogLine[]> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write(head.replace('\r\n', `\r\nX-Request-Id: ${id}\r\n`));
    socket.write(body, () => socket.destroy());
    await vi.waitFor(() => expect(lines().filter((l) => l.reqId === id).length).toBeGreaterThan(0), { timeout: 10_000 });
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0), { timeout: 10_000 });
    // Anything late (a second line) is flushed by now: the request's work has ended.
    await request(t.app.server).get('/healthz').expect(200);
    return lines().filter((l) => l.reqId === id);
  }

  const expectOneAbortLine = (logged: LogLine[]): void => {
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 30, msg: 'request aborted by the client', code: 'client_closed', req: { method: 'POST', url: '/predict' } });
    expect(logged[0].err).toBeUndefined();
  };

  it('a raw upload abandoned half-way', async () => {
    expectOneAbortLine(await abandon('abort-raw', 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 90000\r\n\r\n', BEAGLE.subarray(0, 1000)));
  });

  it('a multipart upload abandoned half-way', async () => {
    const head = 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 90000\r\n\r\n';
    expectOneAbortLine(await abandon('abort-multipart', head, Buffer.concat([Buffer.from('--B\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n'), BEAGLE.subarray(0, 1000)])));
  });

  it('a whole upload whose client leaves before the answer', async () => {
    expectOneAbortLine(await abandon('abort-waiting', `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${BEAGLE.length}\r\n\r\n`, BEAGLE));
  });

  it('nothing above info was logged by any of them', () => {
    expect(lines().filter((l) => l.level >= 40)).toEqual([]);
  });
});

describe('query strings are redacted in logs', () => {
  it('query values never reach a log line; keys and a numeric topk do', async () => {
    // Unknown query parameters are refused (400), and logged without their values.
    const unknown = await post().query('api_key=sekrit-1&topk=3').set('content-type', 'image/jpeg').send(BEAGLE).expect(400);
    expect(unknown.body).toEqual({ success: false, error: { code: 'invalid_request', message: 'querystring must NOT have additional properties' } });
    await request(t.app.server).get('/nope?token=sekrit-2&sekrit-3').expect(404);
    await post().query('topk=sekrit-4').set('content-type', 'image/jpeg').send(BEAGLE).expect(400);
    await exchange(port, 'GET /%zz?api_key=sekrit-5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await exchange(port, 'GET /predict?api_key=sekrit-6 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const urls = lines().filter((l) => l.msg === 'request completed').map((l) => l.req?.url);
    expect(urls).toEqual(
      expect.arrayContaining(['/predict?api_key=[redacted]&topk=3', '/nope?token=[redacted]&[redacted]', '/predict?topk=[redacted]', '/%zz?api_key=[redacted]', '/predict?api_key=[redacted]']),
    );
    expect(t.logText()).not.toMatch(/sekrit/);
  });
});
