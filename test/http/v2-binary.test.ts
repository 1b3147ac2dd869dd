/**
 * Triton's binary tensor data extension on the v2 REST API (JSON header, then raw tensor bytes,
 * `Inference-Header-Content-Length` both ways), the bounds on JSON bodies (nesting depth, checked
 * before parsing), and non-finite FP32 values. Every response is checked against the official
 * schemas (test/helpers/v2-spec.ts).
 */
import { once } from 'node:events';
import http1 from 'node:http';
import path from 'node:path';
import type request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowValues } from '../../src/preprocess/preprocessor.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE, SMOKE_LABELS, readImage } from '../helpers/paths.js';
import { argmax, floatBytes, floatsOf, lengthPrefixed, splitLengthPrefixedStrings } from '../helpers/tensors.js';
import { rawBody, splitResponse, v2Requests } from '../helpers/v2-spec.js';

let t: TestApp;
let http: ReturnType<typeof v2Requests>;
const BEAGLE = path.join(SMOKE, 'beagle.jpg');
const BEAGLE_INDEX = 162;
const IMAGE_URL = '/v2/models/resnet50/infer';
const TENSOR_URL = '/v2/models/resnet50_tensor/infer';

interface Output {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: { binary_data_size?: number };
  data?: (number | string)[];
}

/** A binary request: the JSON header, then `binary`; optional Content-Type (Triton's client sends none). */
function sendBinary(url: string, header: object, binary: Buffer, contentType?: string): request.Test {
  const json = Buffer.from(JSON.stringify(header));
  // Bytes as they are: superagent would otherwise JSON-encode a Buffer sent as application/json.
  const asIs = (body: Buffer): string => body as unknown as string;
  const req = http.post(url).set('inference-header-content-length', String(json.length)).buffer(true).parse(rawBody).serialize(asIs);
  if (contentType !== undefined) void req.set('content-type', contentType);
  return req.send(Buffer.concat([json, binary]));
}

const imageHeader = (rows: number, extra: object = {}) => ({
  inputs: [{ name: 'image', datatype: 'BYTES', shape: [rows], parameters: { binary_data_size: 0 } }],
  ...extra,
});
/** The header with each input's binary_data_size filled in. */
function sized(header: { inputs: { parameters: { binary_data_size: number } }[] }, sizes: number[]): object {
  header.inputs.forEach((input, i) => (input.parameters.binary_data_size = sizes[i]));
  return header;
}

function expectV2Error(res: request.Response, status: number, message: RegExp): void {
  expect(res.status, res.text ?? String(res.body)).toBe(status);
  const { json } = splitResponse(res);
  expect(Object.keys(json as object)).toEqual(['error']);
  expect((json as { error: string }).error).toMatch(message);
}

let jsonProbabilities: number[];

beforeAll(async () => {
  t = await createTestApp();
  http = v2Requests(t.app.server);
  const res = await http.post(IMAGE_URL).send({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [readImage(BEAGLE).toString('base64')] }] }).expect(200);
  jsonProbabilities = (res.body.outputs as Output[])[0].data as number[];
});

afterAll(async () => {
  await t?.close();
});

describe('binary tensor data: inputs', () => {
  it('BYTES: length-prefixed images after the JSON, with or without a Content-Type; JSON outputs', async () => {
    const raw = lengthPrefixed([readImage(BEAGLE)]);
    for (const type of [undefined, 'application/octet-stream', 'application/json']) {
      const res = await sendBinary(IMAGE_URL, sized(imageHeader(1, { id: 'b1' }), [raw.length]), raw, type);
      expect(res.status, `${type}: ${String(res.body)}`).toBe(200);
      expect(res.headers['inference-header-content-length']).toBeUndefined();
      const { json } = splitResponse(res);
      const out = (json as { id: string; outputs: Output[] }).outputs[0];
      expect((json as { id: string }).id).toBe('b1');
      expect(out.data).toEqual(jsonProbabilities);
    }
  });

  it('FP32: little-endian floats after the JSON give the same probabilities', async () => {
    const row = rowValues(await t.service.preprocess(readImage(BEAGLE)));
    const raw = floatBytes(row);
    const header = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], parameters: { binary_data_size: raw.length } }] };
    const res = await sendBinary(TENSOR_URL, header, raw).expect(200);
    const probs = ((splitResponse(res).json as { outputs: Output[] }).outputs[0].data ?? []) as number[];
    for (let i = 0; i < 1000; i++) expect(Math.abs(probs[i] - jsonProbabilities[i])).toBeLessThan(1e-5);
  });

  it('malformed binary requests are 400 naming what is wrong', async () => {
    const image = readImage(BEAGLE);
    const raw = lengthPrefixed([image]);
    expectV2Error(await sendBinary(IMAGE_URL, sized(imageHeader(1), [raw.length + 10]), raw), 400, /binary_data_size is \d+ but only \d+ bytes/);
    expectV2Error(await sendBinary(IMAGE_URL, sized(imageHeader(1), [raw.length - 10]), raw), 400, /10 bytes of binary data beyond/);
    expectV2Error(await sendBinary(IMAGE_URL, sized(imageHeader(2), [raw.length]), raw), 400, /must be 2 elements.*found 1/);
    const badPrefix = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f]), image]);
    expectV2Error(await sendBinary(IMAGE_URL, sized(imageHeader(1), [badPrefix.length]), badPrefix), 400, /row 0: its length prefix says/);
    const both = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['AAAA'], parameters: { binary_data_size: raw.length } }] };
    expectV2Error(await sendBinary(IMAGE_URL, both, raw), 400, /both data and parameters.binary_data_size/);
    const withoutHeader = await http.post(IMAGE_URL).send(sized(imageHeader(1), [4]));
    expectV2Error(withoutHeader, 400, /no Inference-Header-Content-Length header/);
    const tooLong = await http.post(IMAGE_URL).set('inference-header-content-length', '999999').set('content-type', 'application/octet-stream').send(raw);
    expectV2Error(tooLong, 400, /Inference-Header-Content-Length is 999999 but the body has only/);
    expectV2Error(await sendBinary(IMAGE_URL, { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }] }, Buffer.alloc(0)), 400, /neither data nor/);
  });
});

describe('binary tensor data: outputs', () => {
  it('binary_data_output: probabilities as 4000 bytes of FP32 after the JSON header', async () => {
    const raw = lengthPrefixed([readImage(BEAGLE)]);
    const res = await sendBinary(IMAGE_URL, sized(imageHeader(1, { parameters: { binary_data_output: true } }), [raw.length]), raw).expect(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const { json, binary } = splitResponse(res);
    const out = (json as { outputs: Output[] }).outputs[0];
    expect(out).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [1, 1000], parameters: { binary_data_size: 4000 } });
    expect(binary).toHaveLength(4000);
    const probs = floatsOf(binary!);
    expect(argmax(probs)).toBe(BEAGLE_INDEX);
    for (let i = 0; i < 1000; i++) expect(probs[i]).toBe(Math.fround(jsonProbabilities[i]));
  });

  it('per output: binary classification strings (length-prefixed), from a JSON request too', async () => {
    const files = ['beagle.jpg', 'car.jpg'];
    const body = {
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: files.map((f) => readImage(path.join(SMOKE, f)).toString('base64')) }],
      outputs: [{ name: 'probabilities', parameters: { classification: 2, binary_data: true } }],
    };
    const res = await http.post(IMAGE_URL).buffer(true).parse(rawBody).send(body).expect(200);
    const { json, binary } = splitResponse(res);
    const out = (json as { outputs: Output[] }).outputs[0];
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [2, 2] });
    expect(out.parameters?.binary_data_size).toBe(binary!.length);
    const strings = splitLengthPrefixedStrings(binary!);
    expect(strings).toHaveLength(4);
    expect(strings[0].split(':')[2]).toBe(SMOKE_LABELS['beagle.jpg']);
    expect(strings[2].split(':')[2]).toBe(SMOKE_LABELS['car.jpg']);
  });

  it("an output's binary_data: false overrides binary_data_output; a non-boolean is 400", async () => {
    const raw = lengthPrefixed([readImage(BEAGLE)]);
    const header = imageHeader(1, { parameters: { binary_data_output: true }, outputs: [{ name: 'probabilities', parameters: { binary_data: false } }] });
    const res = await sendBinary(IMAGE_URL, sized(header, [raw.length]), raw).expect(200);
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    expect(((splitResponse(res).json as { outputs: Output[] }).outputs[0].data ?? []) as number[]).toEqual(jsonProbabilities);
    const bad = imageHeader(1, { outputs: [{ name: 'probabilities', parameters: { binary_data: 'yes' } }] });
    expectV2Error(await sendBinary(IMAGE_URL, sized(bad, [raw.length]), raw), 400, /binary_data must be true or false/);
  });
});

describe('JSON bodies are bounded', () => {
  it('a 12 MB deeply nested body is refused (400) before it is parsed', async () => {
    const nested = `{"inputs": ${'['.repeat(6_000_000)}${']'.repeat(6_000_000)}}`;
    const res = await http.post(IMAGE_URL).set('content-type', 'application/json').send(nested);
    expectV2Error(res, 400, /nested more than 16 levels deep/);
  });

  it('depth is counted outside strings only; 16 levels pass the check, 17 do not', async () => {
    const deep = (levels: number): string => `{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ${'['.repeat(levels - 3)}"[[[{{"${']'.repeat(levels - 3)}}]}`;
    expectV2Error(await http.post(IMAGE_URL).set('content-type', 'application/json').send(deep(16)), 400, /shape \[1\]/);
    expectV2Error(await http.post(IMAGE_URL).set('content-type', 'application/json').send(deep(17)), 400, /nested more than 16/);
  });

  it('millions of arrays within the depth bound are refused too', async () => {
    const many = `{"inputs": [${'[],'.repeat(1_000_000)}[]]}`;
    expectV2Error(await http.post(IMAGE_URL).set('content-type', 'application/json').send(many), 400, /more than 524288 arrays and objects; send tensor data flat/);
  });

  it('refused while arriving: the answer comes before the body is complete; a larger Content-Length is 413 at once', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const partial = async (contentLength: number, prefix: string): Promise<{ status?: number; body: string }> => {
      const req = http1.request({ host: '127.0.0.1', port, path: IMAGE_URL, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': contentLength } });
      const response = once(req, 'response') as Promise<[http1.IncomingMessage]>;
      req.on('error', () => {}); // the server may close the connection once it has answered
      req.write(prefix); // and never the rest: only an early answer can arrive
      const [res] = await response;
      let body = '';
      for await (const chunk of res) body += String(chunk);
      req.destroy();
      return { status: res.statusCode, body };
    };
    const nested = await partial(12_000_000, `{"inputs": ${'['.repeat(100_000)}`);
    expect(nested.status).toBe(400);
    expect(JSON.parse(nested.body).error).toMatch(/nested more than 16 levels/);
    const huge = await partial(100_000_000, '{');
    expect(huge.status).toBe(413);
    expect(Object.keys(JSON.parse(huge.body))).toEqual(['error']);
  });

  it('prototype-poisoning keys are refused', async () => {
    const body = '{"inputs": [], "__proto__": {"polluted": true}}';
    expectV2Error(await http.post(IMAGE_URL).set('content-type', 'application/json').send(body), 400, /not valid JSON/);
  });
});

describe('FP32 values must be finite in FP32', () => {
  it('1e39 (Infinity as a float) in JSON, Infinity or NaN in binary: 400 naming the element', async () => {
    const data = new Array<number>(150528).fill(0);
    data[9] = 1e39;
    const json = await http.post(TENSOR_URL).send({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], data }] });
    expectV2Error(json, 400, /element 9 \(row 0\) is 1e\+39, not a finite FP32 value/);
    for (const bad of [Infinity, NaN]) {
      const values = new Float32Array(150528);
      values[150527] = bad;
      const raw = floatBytes(values);
      const header = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], parameters: { binary_data_size: raw.length } }] };
      expectV2Error(await sendBinary(TENSOR_URL, header, raw), 400, new RegExp(`element 150527 \\(row 0\\) is ${bad}`));
    }
  });
});
