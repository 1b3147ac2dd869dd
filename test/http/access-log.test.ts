/**
 * Request logs at the production level (info): one line per request with what an operator needs,
 * and overload refusals summarised instead of logged one by one.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { parseLogLines, type LogLine } from '../helpers/log-lines.js';
import { EDGE, SMOKE } from '../helpers/paths.js';


let t: TestApp;
const lines = (): LogLine[] => parseLogLines(t.logText());

beforeAll(async () => {
  t = await createTestApp({ maxQueue: 1, maxBatchSize: 1, logLevel: 'info' }, { captureLogs: true });
});
afterAll(async () => {
  await t.close();
});

const completed = (url: string): LogLine[] => lines().filter((l) => l.msg === 'request completed' && l.req?.url === url);

describe('access log', () => {
  it('writes one line per request, with method, URL, status, time and any error code', async () => {
    await request(t.app.server).post('/predict').attach('image', path.join(SMOKE, 'beagle.jpg')).expect(200);
    await request(t.app.server).post('/predict?topk=3').attach('image', path.join(EDGE, 'not-an-image.jpg')).expect(415);
    const [ok] = completed('/predict');
    expect(ok).toMatchObject({ level: 30, req: { method: 'POST', url: '/predict' }, res: { statusCode: 200 } });
    expect(ok.responseTime).toBeGreaterThan(0);
    expect(ok.reqId).toMatch(/^[\w-]{8,}$/);
    expect(ok.code).toBeUndefined();
    const [bad] = completed('/predict?topk=3');
    expect(bad).toMatchObject({ level: 30, res: { statusCode: 415 }, code: 'unsupported_image' });
    expect(bad.error).toMatch(/not a supported image/i);
    // Nothing else per request at info: no arrival line, no separate error line.
    expect(lines().filter((l) => l.reqId === ok.reqId || l.reqId === bad.reqId)).toHaveLength(2);
  });

  it('summarises overload refusals: one warning, not one line per refused request', async () => {
    const before = lines().length;
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => request(t.app.server).post('/predict').attach('image', path.join(SMOKE, 'cat.jpg'))))).map((r) => r.status);
    const refused = statuses.filter((s) => s === 503).length;
    expect(refused).toBeGreaterThanOrEqual(2);
    const burst = lines().slice(before);
    expect(burst.filter((l) => l.res?.statusCode === 503)).toEqual([]);
    const warnings = burst.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'queue_full' });
    expect(warnings[0].msg).toMatch(/^overloaded: refusing new requests with 503/);
    expect(burst.filter((l) => l.msg === 'request completed' && l.res?.statusCode === 200)).toHaveLength(20 - refused);
  });
});
