/** POST /predict against the real app and the real model. */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { EDGE, SMOKE, SMOKE_LABELS, readImage } from '../helpers/paths.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

interface Prediction {
  label: string;
  probability: number;
  index: number;
}

const post = () => request(t.app.server).post('/predict');

describe('smoke photos', () => {
  it.each(Object.entries(SMOKE_LABELS))('%s -> %s', async (file, label) => {
    const res = await post().attach('image', path.join(SMOKE, file)).expect(200);
    expect(res.body.success).toBe(true);
    const preds = res.body.predictions as Prediction[];
    expect(preds).toHaveLength(5);
    expect(preds[0].label).toBe(label);
    // Best first, real probabilities.
    for (let i = 1; i < preds.length; i++) expect(preds[i].probability).toBeLessThanOrEqual(preds[i - 1].probability);
    expect(preds[0].probability).toBeGreaterThan(0.3);
    expect(preds.reduce((s, p) => s + p.probability, 0)).toBeLessThanOrEqual(1.0001);
  });

  it('beagle.jpg gives the tutorial shape: beagle, index 162, high probability', async () => {
    const res = await post().attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200).expect('content-type', /application\/json/);
    expect(res.body.predictions[0]).toMatchObject({ label: 'beagle', index: 162 });
    expect(res.body.predictions[0].probability).toBeGreaterThan(0.9);
    expect(res.body.model).toMatchObject({ name: 'resnet50', version: '1' });
    expect(res.body.image).toEqual({ format: 'jpeg', width: 227, height: 227 });
    expect(res.body.timings.total_ms).toBeGreaterThan(0);
    expect(res.headers['server-timing']).toMatch(/preprocess;dur=/);
  });

  it('accepts the raw image as the body with Content-Type image/*', async () => {
    const res = await post().set('content-type', 'image/jpeg').send(readImage(path.join(SMOKE, 'cat.jpg'))).expect(200);
    expect(res.body.predictions[0].label).toBe('tabby');
  });

  it('accepts a raw body sent chunked, without Content-Length', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const image = readImage(path.join(SMOKE, 'cat.jpg'));
    const body = Readable.from([image.subarray(0, 1000), image.subarray(1000)]); // a stream: fetch sends it chunked
    const res = await fetch(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0].label).toBe('tabby');
  });

  it('accepts application/octet-stream and sniffs the real format', async () => {
    const res = await post().set('content-type', 'application/octet-stream').send(readImage(path.join(EDGE, 'beagle.webp'))).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
    expect(res.body.image.format).toBe('webp');
  });
});

describe('edge images', () => {
  it.each([
    'beagle-16bit.png', 'beagle-alpha.png', 'beagle-cmyk.jpg', 'beagle-exif-rotated.jpg', 'beagle-gray.png', 'beagle.gif', 'beagle.tiff', 'beagle.webp',
  ])('%s classifies as beagle', async (file) => {
    const res = await post().attach('image', path.join(EDGE, file)).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it('AVIF (encoded here from beagle.jpg) classifies as beagle', async () => {
    const avif = await sharp(readImage(path.join(SMOKE, 'beagle.jpg'))).avif({ quality: 80 }).toBuffer();
    const res = await post().set('content-type', 'image/avif').send(avif).expect(200);
    expect(res.body.image.format).toBe('avif');
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it('an animated GIF classifies by its first frame', async () => {
    const beagle = await sharp(readImage(path.join(SMOKE, 'beagle.jpg'))).raw().toBuffer({ resolveWithObject: true });
    const grey = Buffer.alloc(beagle.data.length, 128);
    const frames = Buffer.concat([beagle.data, grey]);
    const gif = await sharp(frames, { raw: { width: beagle.info.width, height: beagle.info.height * 2, channels: 3, pageHeight: beagle.info.height } }).gif().toBuffer();
    const res = await post().attach('image', gif, 'two-frames.gif').expect(200);
    expect(res.body.image).toMatchObject({ format: 'gif', width: beagle.info.width, height: beagle.info.height });
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it('the 4000x6000 photo classifies (African_elephant)', async () => {
    const res = await post().attach('image', path.join(EDGE, 'elephant-large.jpg')).expect(200);
    expect(res.body.predictions[0].label).toBe('African_elephant');
    expect(res.body.image).toMatchObject({ width: 4000, height: 6000 });
  });

  it.each([
    ['empty.jpg', 400, 'empty_image'],
    ['not-an-image.jpg', 415, 'unsupported_image'],
    ['cat-truncated.jpg', 415, 'undecodable_image'],
    ['tiny-1x1.png', 422, 'image_too_small'],
    ['bomb-30000x30000.png', 413, 'image_too_large'],
  ])('%s -> %i %s', async (file, status, code) => {
    const res = await post().attach('image', path.join(EDGE, file)).expect(status);
    expect(res.body).toEqual({ success: false, error: { code, message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toMatch(/ at .*\.(ts|js):\d+/); // no stack trace
  });

  it('the server is still healthy after the bad inputs', async () => {
    await request(t.app.server).get('/healthz').expect(200);
    const res = await post().attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    expect(res.body.predictions[0].label).toBe('beagle');
  });
});

describe('topk', () => {
  it.each([1, 10, 1000])('topk=%i returns that many, best first', async (k) => {
    const res = await post().query({ topk: k }).attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    expect(res.body.predictions).toHaveLength(k);
    expect(res.body.predictions[0].label).toBe('beagle');
  });

  it.each(['0', '-1', 'abc', '5000', '2.5', ''])('topk=%s -> 400 invalid_topk', async (k) => {
    const res = await post().query(`topk=${k}`).attach('image', path.join(SMOKE, 'beagle.jpg')).expect(400);
    expect(res.body.error.code).toBe('invalid_topk');
  });
});

describe('malformed requests', () => {
  it('wrong multipart field name -> 400 missing_image naming the field', async () => {
    const res = await post().attach('file', path.join(SMOKE, 'beagle.jpg')).expect(400);
    expect(res.body.error.code).toBe('missing_image');
    expect(res.body.error.message).toMatch(/"file"/);
  });

  it('several files -> 400 too_many_files', async () => {
    const res = await post().attach('image', path.join(SMOKE, 'beagle.jpg')).attach('image', path.join(SMOKE, 'cat.jpg')).expect(400);
    expect(res.body.error.code).toBe('too_many_files');
  });

  it('no body -> 400 missing_image', async () => {
    const res = await post().expect(400);
    expect(res.body.error.code).toBe('missing_image');
  });

  it('a JSON body -> 415 unsupported_content_type', async () => {
    const res = await post().send({ image: 'https://example.com/dog.jpg' }).expect(415);
    expect(res.body.error.code).toBe('unsupported_content_type');
  });

  it('an unknown Content-Type -> 415', async () => {
    const res = await post().set('content-type', 'text/xml').send('<x/>').expect(415);
    expect(res.body.error.code).toBe('unsupported_content_type');
  });

  it('multipart without a boundary -> 400 invalid_multipart', async () => {
    const res = await post().set('content-type', 'multipart/form-data').send('garbage').expect(400);
    expect(res.body.error.code).toBe('invalid_multipart');
  });

  it('a broken multipart body -> 400 invalid_multipart', async () => {
    const body = '--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff';
    const res = await post().set('content-type', 'multipart/form-data; boundary=XyZ').send(body).expect(400);
    expect(res.body.error.code).toBe('invalid_multipart');
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const given = await request(t.app.server).get('/healthz').set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(t.app.server).get('/healthz').set('x-request-id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown routes -> 404 JSON', async () => {
    const res = await request(t.app.server).get('/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('upload limit', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await createTestApp({ maxUploadBytes: 20 * 1024 });
  });
  afterAll(async () => {
    await small.close();
  });

  it('multipart over the limit -> 413 upload_too_large', async () => {
    const res = await request(small.app.server).post('/predict').attach('image', path.join(EDGE, 'beagle-alpha.png')).expect(413);
    expect(res.body.error.code).toBe('upload_too_large');
  });

  it('raw body over the limit -> 413 upload_too_large', async () => {
    const res = await request(small.app.server).post('/predict').set('content-type', 'image/png').send(readImage(path.join(EDGE, 'beagle-alpha.png'))).expect(413);
    expect(res.body.error.code).toBe('upload_too_large');
  });
});
