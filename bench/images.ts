/** Request bodies for load scripts: real JPEGs from test/fixtures and a set of broken inputs. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT } from '../test/helpers/paths.js';
import type { RequestSpec } from './closed-loop.js';

const SHARED = path.resolve(PROJECT, 'test', 'fixtures', 'images');

export function sampleJpegs(): Buffer[] {
  const dir = path.join(SHARED, 'imagenet-sample');
  return readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f)));
}

export const jpegRequest = (body: Buffer): RequestSpec => ({ kind: 'valid', path: '/predict', headers: { 'content-type': 'image/jpeg' }, body, expect: [200] });

/** Every kind of bad request a client can send, each with the status it must get. */
export function invalidRequests(): RequestSpec[] {
  const edge = (f: string): Buffer => readFileSync(path.join(SHARED, 'edge', f));
  const raw = (kind: string, body: Buffer | string, status: number, type = 'image/jpeg', query = ''): RequestSpec => ({
    kind, path: `/predict${query}`, headers: { 'content-type': type }, body, expect: [status],
  });
  return [
    raw('empty', Buffer.alloc(0), 400),
    raw('not-an-image', edge('not-an-image.jpg'), 415),
    raw('truncated', edge('cat-truncated.jpg'), 415),
    raw('tiny', edge('tiny-1x1.png'), 422, 'image/png'),
    raw('bomb', edge('bomb-30000x30000.png'), 413, 'image/png'),
    raw('svg', '<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>', 415, 'image/svg+xml'),
    raw('json', '{"url":"http://example.com/dog.jpg"}', 415, 'application/json'),
    raw('bad-topk', edge('beagle.webp'), 400, 'image/webp', '?topk=abc'),
    {
      kind: 'wrong-field', path: '/predict', headers: { 'content-type': 'multipart/form-data; boundary=XX' },
      body: '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nabc\r\n--XX--\r\n', expect: [400],
    },
  ];
}
