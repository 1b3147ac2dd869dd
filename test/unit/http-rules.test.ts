/** The HTTP layer's small rules, on their own: URL redaction, topk parsing, parser refusals, timeouts, 405 lookup. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { redactUrl } from '../../src/http/access-log.js';
import { AllowedMethods } from '../../src/http/allowed-methods.js';
import { refusalFor, serverTimeouts } from '../../src/http/client-errors.js';
import { errorBody, errorFormatFor, pathOf, STATUS_BY_KIND, toAppError } from '../../src/http/error-mapping.js';
import { parseTopk } from '../../src/http/topk-param.js';

describe('redactUrl', () => {
  it.each([
    ['/predict', '/predict'],
    ['/predict?', '/predict?'],
    ['/predict?topk=5', '/predict?topk=5'],
    ['/predict?api_key=s3cret&topk=5', '/predict?api_key=[redacted]&topk=5'],
    ['/predict?topk=5&token=a%20b', '/predict?topk=5&token=[redacted]'],
    ['/predict?topk=0x10', '/predict?topk=[redacted]'],
    ['/predict?s3cret', '/predict?[redacted]'],
    ['/v2/models/resnet50?a=1&&b=', '/v2/models/resnet50?a=[redacted]&b=[redacted]'],
  ])('%s -> %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});

describe('parseTopk', () => {
  it('takes digits from 1 to the class count', () => {
    expect(parseTopk(undefined)).toBeUndefined();
    expect(parseTopk('1')).toBe(1);
    expect(parseTopk('007')).toBe(7);
    expect(parseTopk('1000')).toBe(1000);
    expect(parseTopk('10', 10)).toBe(10);
  });

  it('has no upper bound before a model is loaded (the class count is unknown; the request gets 503)', () => {
    expect(parseTopk('5000')).toBe(5000);
    expect(() => parseTopk('0')).toThrow("topk must be a decimal integer from 1 to the model's class count");
  });

  it.each([
    ['11', 10],
    ['1001', 1000],
    ['0', 1000],
    ['0x10', 1000],
    ['1e3', 1000],
    ['+5', 1000],
    [' 5', 1000],
    ['5.', 1000],
    ['', 1000],
    ['99999999999999999999', 1000],
  ])('%j with %i classes -> 400 invalid_topk', (raw, classes) => {
    expect(() => parseTopk(raw, classes)).toThrow(new AppError('invalid_request', 'invalid_topk', `topk must be a decimal integer from 1 to ${classes} (digits only: no sign, spaces, exponent or hex)`));
  });

  it('refuses a repeated topk', () => {
    expect(() => parseTopk(['1', '2'])).toThrow('topk must be given once');
  });
});

describe("Node's parser refusals", () => {
  it('maps timeouts to 408, oversized headers to 431, anything else to 400', () => {
    const timeout = refusalFor({ code: 'ERR_HTTP_REQUEST_TIMEOUT', message: 'Request timeout' }, 1500);
    expect([STATUS_BY_KIND[timeout.kind], timeout.code, timeout.message]).toEqual([408, 'request_timeout', 'the request was not received in full within 1500 ms (REQUEST_TIMEOUT_MS)']);
    const big = refusalFor({ code: 'HPE_HEADER_OVERFLOW', message: 'Parse Error: Header overflow' }, 1500, 8192);
    expect([STATUS_BY_KIND[big.kind], big.code, big.message]).toEqual([431, 'headers_too_large', 'the request line and headers exceed 8192 bytes']);
    const bad = refusalFor({ code: 'HPE_INVALID_METHOD', message: 'Parse Error: Invalid method encountered' }, 1500);
    expect([STATUS_BY_KIND[bad.kind], bad.code, bad.message]).toEqual([400, 'malformed_request', 'malformed HTTP request: Invalid method encountered']);
  });

  it('checks deadlines often enough to keep them: a twentieth of the timeout, within 100..250 ms', () => {
    expect(serverTimeouts(15_000)).toEqual({ requestTimeout: 15_000, headersTimeout: 15_000, connectionsCheckingInterval: 250 });
    expect(serverTimeouts(3000)).toEqual({ requestTimeout: 3000, headersTimeout: 3000, connectionsCheckingInterval: 150 });
    expect(serverTimeouts(100).connectionsCheckingInterval).toBe(100);
  });
});

describe('error bodies', () => {
  it('are the v2 shape under /v2 and the tutorial shape elsewhere', () => {
    expect(['/v2', '/v2/models?x=1', '/v2/', '/v2x', '/predict', undefined].map(errorFormatFor)).toEqual(['v2', 'v2', 'v2', 'classic', 'classic', 'classic']);
    const err = new AppError('method_not_allowed', 'method_not_allowed', 'GET is not allowed on /predict; allowed: POST');
    expect(JSON.parse(errorBody(err, 'classic'))).toEqual({ success: false, error: { code: 'method_not_allowed', message: 'GET is not allowed on /predict; allowed: POST' } });
    expect(JSON.parse(errorBody(err, 'v2'))).toEqual({ error: 'GET is not allowed on /predict; allowed: POST' });
  });

  it('never carry the query in a path', () => {
    expect(pathOf('/nope?api_key=x')).toBe('/nope');
    expect(pathOf(undefined)).toBe('/');
  });

  it('map connection errors to client_closed and bare 4xx statuses to their kind', () => {
    expect(toAppError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })).code).toBe('client_closed');
    expect(toAppError(Object.assign(new Error('x'), { statusCode: 413 })).kind).toBe('too_large');
    expect(toAppError(Object.assign(new Error('x'), { statusCode: 418 })).kind).toBe('invalid_request');
    expect(toAppError(new Error('bug')).kind).toBe('internal');
  });
});

describe('AllowedMethods', () => {
  it('knows which methods a concrete path takes; catch-alls do not make a path known', () => {
    const a = new AllowedMethods();
    a.add('POST', '/predict');
    a.add(['GET', 'HEAD'], '/v2/models/:name');
    a.add(['GET', 'POST', 'DELETE'], '/v2/*');
    expect(a.for('/predict?topk=3')).toEqual(['POST']);
    expect(a.for('/v2/models/resnet50')).toEqual(['GET', 'HEAD']);
    expect(a.for('/v2/other')).toEqual([]);
    expect(a.for('/Predict')).toEqual([]);
  });
});
