/**
 * Open Inference Protocol (KServe v2) against the real app and model: metadata, both model entries
 * (one per input form), a batch of distinct images, the classification extension, and every client
 * error's status and `{"error"}` body. Every response is checked against the official OpenAPI
 * schemas (test/helpers/v2-spec.ts). Engine-agnostic (ENGINE picks it); few images, as inference is
 * slow on TF.js.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { v2BodyLimit } from '../../src/http/v2/routes.js';
import { rowValues } from '../../src/preprocess/preprocessor.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { EDGE, SMOKE, SMOKE_LABELS, readImage } from '../helpers/paths.js';
import { argmax } from '../helpers/tensors.js';
import { v2Requests } from '../helpers/v2-spec.js';

let t: TestApp;
let http: ReturnType<typeof v2Requests>;
const base64 = (file: string): string => readImage(file).toString('base64');
const BEAGLE = path.join(SMOKE, 'beagle.jpg');
const BEAGLE_INDEX = 162;
/** The model input values the service itself computes for an image. */
const serviceRow = async (file: string): Promise<number[]> => Array.from(rowValues(await t.service.preprocess(readImage(file))));

interface Output {
  name: string;
  shape: number[];
  datatype: string;
  data: (number | string)[];
}

const TENSOR_URL = '/v2/models/resnet50_tensor/infer';
const infer = (body: unknown, url = '/v2/models/resnet50/infer') => http.post(url).send(body as object);
const imageInput = (data: unknown[], shape: number[] = [data.length]) => ({ inputs: [{ name: 'image', datatype: 'BYTES', shape, data }] });

/** Every v2 error: JSON `{"error": "<message>"}` and nothing else (no stack, no tutorial shape). */
function expectV2Error(res: request.Response, status: number, message?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error).toBe('string');
  expect(res.text).not.toMatch(/\n\s+at /);
  if (message) expect(res.body.error).toMatch(message);
}

async function batchImagesComputed(): Promise<number> {
  const m = await t.metrics.batchSize.get();
  return m.values.find((v) => v.metricName === 'inference_batch_size_sum')?.value ?? 0;
}

beforeAll(async () => {
  t = await createTestApp();
  http = v2Requests(t.app.server);
});

afterAll(async () => {
  await t?.close();
});

describe('v2 server and model metadata', () => {
  it('GET /v2 describes the server and its extensions', async () => {
    for (const url of ['/v2', '/v2/']) {
      const res = await http.get(url).expect(200);
      expect(res.body).toEqual({ name: 'resnet-serve', version: expect.any(String), extensions: ['classification', 'binary_tensor_data'] });
    }
  });

  it('health: live and ready are 200 once the model is loaded', async () => {
    expect((await http.get('/v2/health/live').expect(200)).body).toEqual({ live: true });
    expect((await http.get('/v2/health/ready').expect(200)).body).toEqual({ ready: true });
    for (const name of ['resnet50', 'resnet50_tensor']) {
      for (const url of [`/v2/models/${name}/ready`, `/v2/models/${name}/versions/1/ready`]) {
        expect((await http.get(url).expect(200)).body).toEqual({ name, ready: true });
      }
    }
  });

  it('model metadata: one entry per input form, each listing the one input its infer takes (-1 for the batch)', async () => {
    const outputs = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 1000] }];
    const platform = expect.stringMatching(/^[a-z0-9]+_[a-z0-9]+$/);
    const images = await http.get('/v2/models/resnet50').expect(200);
    expect(images.body).toEqual({ name: 'resnet50', versions: ['1'], platform, inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1] }], outputs });
    const tensors = await http.get('/v2/models/resnet50_tensor').expect(200);
    expect(tensors.body).toEqual({ name: 'resnet50_tensor', versions: ['1'], platform, inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 224, 224, 3] }], outputs });
    expect((await http.get('/v2/models/resnet50/versions/1').expect(200)).body).toEqual(images.body);
    expect((await http.get('/v2/models/resnet50_tensor/versions/1').expect(200)).body).toEqual(tensors.body);
  });

  it('a generic client that fills every input the metadata lists succeeds, for both entries', async () => {
    const row = await serviceRow(BEAGLE);
    for (const name of ['resnet50', 'resnet50_tensor']) {
      const meta = (await http.get(`/v2/models/${name}`).expect(200)).body as { inputs: { name: string; datatype: string; shape: number[] }[] };
      const inputs = meta.inputs.map((i) => ({
        name: i.name,
        datatype: i.datatype,
        shape: i.shape.map((d) => (d === -1 ? 1 : d)),
        data: i.datatype === 'BYTES' ? [base64(BEAGLE)] : row,
      }));
      const res = await infer({ inputs }, `/v2/models/${name}/infer`).expect(200);
      expect(res.body.model_name).toBe(name);
      expect(argmax((res.body.outputs as Output[])[0].data as number[])).toBe(BEAGLE_INDEX);
    }
  });

  it('unknown models and versions are 404 on every model route', async () => {
    for (const url of ['/v2/models/resnet18', '/v2/models/resnet18/ready', '/v2/models/resnet18/versions/1']) {
      expectV2Error(await http.get(url), 404, /unknown model 'resnet18'/);
    }
    expectV2Error(await infer(imageInput(['AAAA']), '/v2/models/resnet18/infer'), 404, /unknown model/);
    for (const url of ['/v2/models/resnet50/versions/2', '/v2/models/resnet50/versions/2/ready']) {
      expectV2Error(await http.get(url), 404, /no version '2'/);
    }
    expectV2Error(await infer(imageInput(['AAAA']), '/v2/models/resnet50/versions/2/infer'), 404, /no version '2'/);
    expectV2Error(await http.get('/v2/repository/index'), 405, /allowed: POST/);
  });
});

describe('v2 inference', () => {
  let bytesProbabilities: number[];

  it('BYTES: a base64 image gives FP32 probabilities [1, 1000] with argmax beagle; id is echoed', async () => {
    const res = await infer({ id: 'req-1', ...imageInput([base64(BEAGLE)]) }).expect(200);
    expect(res.body).toMatchObject({ model_name: 'resnet50', model_version: '1', id: 'req-1' });
    const [out] = res.body.outputs as Output[];
    expect(res.body.outputs).toHaveLength(1);
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [1, 1000] });
    expect(out.data).toHaveLength(1000);
    bytesProbabilities = out.data as number[];
    expect(argmax(bytesProbabilities)).toBe(BEAGLE_INDEX);
    expect(t.service.model?.labels[BEAGLE_INDEX]).toBe('beagle');
    expect(bytesProbabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it('FP32: rows preprocessed by the service itself give the same probabilities as BYTES', async () => {
    expect(bytesProbabilities).toBeDefined();
    const row = await serviceRow(BEAGLE);
    const res = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], data: row }] }, TENSOR_URL).expect(200);
    expect(res.body.id).toBeUndefined();
    const [out] = res.body.outputs as Output[];
    expect(out.shape).toEqual([1, 1000]);
    const probs = out.data as number[];
    for (let i = 0; i < 1000; i++) expect(Math.abs(probs[i] - bytesProbabilities[i])).toBeLessThan(1e-5);
  });

  it('FP32: nested data (shaped like the tensor) is accepted too', async () => {
    const row = await serviceRow(BEAGLE);
    const nested = [Array.from({ length: 224 }, (_, y) => Array.from({ length: 224 }, (_, x) => row.slice((y * 224 + x) * 3, (y * 224 + x) * 3 + 3)))];
    const res = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], data: nested }] }, TENSOR_URL).expect(200);
    expect(argmax((res.body.outputs as Output[])[0].data as number[])).toBe(BEAGLE_INDEX);
  });

  it('a batch of 3 distinct images in one request: each row gets its own label, through the shared batcher', async () => {
    const files = ['beagle.jpg', 'cat.jpg', 'car.jpg'];
    const before = await batchImagesComputed();
    const res = await infer(
      {
        ...imageInput(files.map((f) => [base64(path.join(SMOKE, f))]), [3, 1]), // nested [N, 1] form
        outputs: [{ name: 'probabilities', parameters: { classification: 3 } }],
      },
      '/v2/models/resnet50/versions/1/infer',
    ).expect(200);
    expect(await batchImagesComputed()).toBe(before + 3);
    const [out] = res.body.outputs as Output[];
    expect(out).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [3, 3] });
    expect(out.data).toHaveLength(9);
    files.forEach((file, row) => {
      const classes = (out.data.slice(row * 3, row * 3 + 3) as string[]).map((s) => {
        // Triton classification extension: "<value>:<index>:<label>".
        const m = /^([0-9.e+-]+):(\d+):(.+)$/.exec(s);
        expect(m, s).not.toBeNull();
        return { score: Number(m![1]), index: Number(m![2]), label: m![3] };
      });
      expect(classes[0].label).toBe(SMOKE_LABELS[file]);
      expect(t.service.model?.labels[classes[0].index]).toBe(classes[0].label);
      expect(classes[0].score).toBeGreaterThan(classes[1].score);
      expect(classes[1].score).toBeGreaterThanOrEqual(classes[2].score);
      for (const c of classes) expect(c.score).toBeGreaterThanOrEqual(0);
    });
  });

  it('the classification output agrees with the raw probabilities', async () => {
    const res = await infer({ ...imageInput([base64(BEAGLE)]), outputs: [{ name: 'probabilities', parameters: { classification: 1 } }] }).expect(200);
    const [out] = res.body.outputs as Output[];
    expect(out.shape).toEqual([1, 1]);
    const [score, index, label] = (out.data[0] as string).split(':');
    expect([Number(index), label]).toEqual([BEAGLE_INDEX, 'beagle']);
    expect(Math.abs(Number(score) - bytesProbabilities[BEAGLE_INDEX])).toBeLessThan(1e-5);
  });
});

describe('v2 admission: rows count against MAX_QUEUE together with /predict', () => {
  it('a request needs one slot per row; without room it is 503 queue_full with Retry-After, and slots come back', async () => {
    const max = t.config.maxQueue;
    let hold = t.service.admit(max - 1).release; // as if /predict had max - 1 images in flight
    try {
      const two = await infer(imageInput(['AAAA', 'AAAA']));
      expectV2Error(two, 503, /busy/);
      expect(two.headers['retry-after']).toBe('1');
      // One row fits: admitted, then refused for its content.
      expectV2Error(await infer(imageInput(['not base64!'])), 400, /row 0/);
      hold();
      hold = t.service.admit(max).release;
      // No room at all: refused before the body is even read.
      expectV2Error(await infer(imageInput(['AAAA'])), 503, /busy/);
    } finally {
      hold();
    }
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0));
  });
});

describe('v2 client errors: 400 with {"error"} naming what is wrong', () => {
  const fp32 = (shape: number[], data: unknown[]) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape, data }] });
  const inferFp32 = (shape: number[], data: unknown[]) => infer(fp32(shape, data), TENSOR_URL);

  it('wrong datatype, unknown datatype', async () => {
    expectV2Error(await infer({ inputs: [{ name: 'image', datatype: 'FP32', shape: [1], data: [1] }] }), 400, /'image' must have datatype BYTES, got FP32/);
    expectV2Error(await infer({ inputs: [{ name: 'input', datatype: 'FLOAT32', shape: [1], data: [1] }] }, TENSOR_URL), 400, /FLOAT32.*not a v2 tensor data type/);
  });

  it('shape and data length disagree', async () => {
    expectV2Error(await infer(imageInput(['AAAA'], [2])), 400, /shape \[2\]: needs 2 elements, data has 1/);
    expectV2Error(await inferFp32([1, 224, 224, 3], [0, 1, 2]), 400, /needs 150528 elements, data has 3/);
    expectV2Error(await infer(imageInput([['AAAA'], ['AAAA', 'AAAA']], [2, 1])), 400, /data\[1\] has 2 elements/);
  });

  it('wrong shape for FP32 and for BYTES', async () => {
    expectV2Error(await inferFp32([1, 224, 224], [0]), 400, /must have shape \[N, 224, 224, 3\].*got \[1, 224, 224\]/);
    expectV2Error(await inferFp32([1, 3, 224, 224], [0]), 400, /NHWC/);
    expectV2Error(await infer(imageInput(['AAAA'], [1, 2])), 400, /must have shape \[N\] or \[N, 1\]/);
    expectV2Error(await infer(imageInput([], [0])), 400, /no rows/);
    expectV2Error(await infer(imageInput(['AAAA'], [-1])), 400, /shape/);
  });

  it('FP32 data that is not numbers', async () => {
    const data = new Array<unknown>(150528).fill(0);
    data[7] = 'x';
    expectV2Error(await inferFp32([1, 224, 224, 3], data), 400, /element 7 \(row 0\) is a string/);
  });

  it('bad base64 and non-image bytes name their row', async () => {
    expectV2Error(await infer(imageInput(['not base64!'])), 400, /input 'image' row 0: not valid base64/);
    const text = Buffer.from('hello, this is not an image').toString('base64');
    expectV2Error(await infer(imageInput([base64(BEAGLE), text])), 400, /input 'image' row 1: not a supported image/);
    expectV2Error(await infer(imageInput([base64(path.join(EDGE, 'not-an-image.jpg'))])), 400, /row 0/);
    expectV2Error(await infer(imageInput([base64(path.join(EDGE, 'tiny-1x1.png'))])), 400, /row 0: image is 1x1/);
    expectV2Error(await infer(imageInput([''])), 400, /row 0: the image is empty/);
    expectV2Error(await infer(imageInput([42])), 400, /row 0: BYTES data must be base64 strings/);
  });

  it('inputs: unknown name, the other entry input, none, or two at once', async () => {
    expectV2Error(await infer({ inputs: [{ name: 'input_1', datatype: 'BYTES', shape: [1], data: ['AAAA'] }] }), 400, /takes one input, 'image' \(BYTES \[-1\]\); got input 'input_1'/);
    const tensorInput = { name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3], data: [] };
    expectV2Error(await infer({ inputs: [tensorInput] }), 400, /'input' goes to model 'resnet50_tensor'/);
    expectV2Error(await infer(imageInput(['AAAA']), TENSOR_URL), 400, /model 'resnet50_tensor' takes one input, 'input'.*'image' goes to model 'resnet50'/);
    expectV2Error(await infer({ inputs: [] }), 400);
    expectV2Error(await infer({}), 400);
    expectV2Error(await infer({ inputs: [imageInput(['AAAA']).inputs[0], tensorInput] }), 400, /'input' is one too many/);
    expectV2Error(await infer({ inputs: [imageInput(['AAAA']).inputs[0], imageInput(['AAAA']).inputs[0]] }), 400, /'image' is one too many/);
  });

  it('outputs: unknown name, duplicates, bad classification counts', async () => {
    const body = (outputs: unknown[]) => ({ ...imageInput(['AAAA']), outputs });
    expectV2Error(await infer(body([{ name: 'logits' }])), 400, /unknown output 'logits'/);
    expectV2Error(await infer(body([{ name: 'probabilities' }, { name: 'probabilities' }])), 400, /twice/);
    for (const k of [0, 1001, 2.5, '5', true]) {
      expectV2Error(await infer(body([{ name: 'probabilities', parameters: { classification: k } }])), 400, /classification must be an integer from 1 to 1000/);
    }
  });

  it('too many rows for one request', async () => {
    expectV2Error(await infer(imageInput([], [33])), 400, /33 rows; at most 32 rows per request/);
  });

  it('not JSON: malformed body 400, other content types 415', async () => {
    const url = '/v2/models/resnet50/infer';
    expectV2Error(await http.post(url).set('content-type', 'application/json').send('{"inputs": ['), 400, /not valid JSON/);
    const raw = await http.post(url).set('content-type', 'application/octet-stream').send(Buffer.from('abc'));
    expectV2Error(raw, 415, /JSON.*Inference-Header-Content-Length/);
    expectV2Error(await http.post(url).attach('image', BEAGLE), 415, /JSON/);
    expectV2Error(await http.post(url).set('content-type', 'text/plain').send('{}'), 415);
  });

  it('413: an image over MAX_UPLOAD_BYTES (its row named), or a body over the base64 of it', async () => {
    const max = t.config.maxUploadBytes;
    const tooBig = Buffer.alloc(max + 1, 1).toString('base64');
    expect(tooBig.length).toBeLessThan(v2BodyLimit(max) - 1024); // the body itself is within the limit
    expectV2Error(await infer(imageInput([base64(BEAGLE), tooBig])), 413, /row 1: .*limit is/);
    const body = JSON.stringify(imageInput(['A'.repeat(v2BodyLimit(max))]));
    const res = await http.post('/v2/models/resnet50/infer').set('content-type', 'application/json').send(body);
    expectV2Error(res, 413);
  });
});
