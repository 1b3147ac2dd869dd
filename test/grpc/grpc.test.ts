/**
 * gRPC Open Inference Protocol against the real service and model, through a real client loaded
 * from the same .proto: health, metadata of both model entries, inference with images (typed and
 * raw contents) and FP32 tensors (typed and raw), the classification extension, and every error's
 * status code.
 */
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGrpcServer, type RunningGrpcServer } from '../../src/grpc/server.js';
import { rowValues } from '../../src/preprocess/preprocessor.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { EDGE, SMOKE, SMOKE_LABELS, readImage } from '../helpers/paths.js';
import { argmax, floatBytes, floatsOf, lengthPrefixed, splitLengthPrefixedStrings } from '../helpers/tensors.js';
import { inferenceClient, type InferenceClient } from './client.js';

let t: TestApp;
let server: RunningGrpcServer;
let client: InferenceClient;

const BEAGLE = path.join(SMOKE, 'beagle.jpg');
const BEAGLE_INDEX = 162;
const quietLog = { debug: () => {}, info: () => {}, error: () => {} };

interface Output {
  name: string;
  datatype: string;
  shape: number[];
}
interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: Output[];
  raw_output_contents: Buffer[];
}

const imageRequest = (images: Buffer[], extra: object = {}) => ({
  model_name: 'resnet50',
  inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length], contents: { bytes_contents: images } }],
  ...extra,
});
const tensorRequest = (shape: number[], contents: object, extra: object = {}) => ({
  model_name: 'resnet50_tensor',
  inputs: [{ name: 'input', datatype: 'FP32', shape, contents }],
  ...extra,
});
const infer = (request: object) => client.call<InferResponse>('ModelInfer', request);
async function expectStatus(request: object, code: status, details?: RegExp): Promise<void> {
  const err = await client.error('ModelInfer', request);
  expect(status[err.code], err.details).toBe(status[code]);
  if (details) expect(err.details).toMatch(details);
}

beforeAll(async () => {
  t = await createTestApp();
  server = await startGrpcServer({ config: t.config, service: t.service, log: quietLog, version: '9.9.9', port: 0, host: '127.0.0.1' });
  client = inferenceClient(server.port);
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
  await t?.close();
});

describe('gRPC health and metadata', () => {
  it('ServerLive, ServerReady, ServerMetadata (with both extensions)', async () => {
    expect(await client.call('ServerLive')).toEqual({ live: true });
    expect(await client.call('ServerReady')).toEqual({ ready: true });
    expect(await client.call('ServerMetadata')).toEqual({ name: 'resnet-serve', version: '9.9.9', extensions: ['classification', 'binary_tensor_data'] });
  });

  it("RepositoryIndex (Triton's method and fields): every model version with its state", async () => {
    const entry = { name: 'resnet50', version: '1', state: 'READY', reason: '' };
    expect(await client.call('RepositoryIndex', {})).toEqual({ models: [entry] });
    expect(await client.call('RepositoryIndex', { repository_name: '', ready: true })).toEqual({ models: [entry] });
  });

  it('ModelReady and ModelMetadata for both entries; one input each', async () => {
    for (const name of ['resnet50', 'resnet50_tensor']) {
      expect(await client.call('ModelReady', { name })).toEqual({ ready: true });
      expect(await client.call('ModelReady', { name, version: '1' })).toEqual({ ready: true });
    }
    const outputs = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 1000] }];
    expect(await client.call('ModelMetadata', { name: 'resnet50' })).toEqual({
      name: 'resnet50',
      versions: ['1'],
      platform: expect.stringMatching(/^[a-z0-9]+_[a-z0-9]+$/),
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1] }],
      outputs,
    });
    expect(await client.call('ModelMetadata', { name: 'resnet50_tensor', version: '1' })).toMatchObject({
      name: 'resnet50_tensor',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 224, 224, 3] }],
      outputs,
    });
  });

  it('unknown models and versions are NOT_FOUND', async () => {
    for (const [method, request] of [
      ['ModelReady', { name: 'vgg16' }],
      ['ModelMetadata', { name: 'vgg16' }],
      ['ModelMetadata', { name: 'resnet50', version: '2' }],
      ['ModelInfer', { model_name: 'vgg16' }],
      ['ModelInfer', { model_name: 'resnet50', model_version: '2' }],
    ] as const) {
      const err = await client.error(method, request);
      expect(status[err.code]).toBe('NOT_FOUND');
      expect(err.details).toMatch(/unknown model 'vgg16'|no version '2'/);
    }
  });
});

describe('gRPC ModelInfer', () => {
  let probabilities: Float32Array;

  it('BYTES in contents.bytes_contents: FP32 probabilities in raw_output_contents, argmax beagle; id echoed', async () => {
    const res = await infer(imageRequest([readImage(BEAGLE)], { id: 'call-1' }));
    expect(res).toMatchObject({ model_name: 'resnet50', model_version: '1', id: 'call-1' });
    expect(res.outputs).toMatchObject([{ name: 'probabilities', datatype: 'FP32', shape: [1, 1000] }]);
    expect(res.raw_output_contents).toHaveLength(1);
    probabilities = floatsOf(res.raw_output_contents[0]);
    expect(probabilities).toHaveLength(1000);
    expect(argmax(probabilities)).toBe(BEAGLE_INDEX);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it('BYTES in raw_input_contents (length-prefixed), 3 images, classification 3: each row its own label', async () => {
    const files = ['beagle.jpg', 'cat.jpg', 'car.jpg'];
    const raw = lengthPrefixed(files.map((f) => readImage(path.join(SMOKE, f))));
    const res = await infer({
      model_name: 'resnet50',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [3, 1] }],
      raw_input_contents: [raw],
      outputs: [{ name: 'probabilities', parameters: { classification: { int64_param: 3 } } }],
    });
    expect(res.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [3, 3] });
    const strings = splitLengthPrefixedStrings(res.raw_output_contents[0]);
    expect(strings).toHaveLength(9);
    files.forEach((file, row) => {
      const [score, index, label] = strings[row * 3].split(':');
      expect(label).toBe(SMOKE_LABELS[file]);
      expect(t.service.model?.labels[Number(index)]).toBe(label);
      expect(Number(score)).toBeGreaterThan(Number(strings[row * 3 + 1].split(':')[0]));
    });
  });

  it('FP32 rows, in fp32_contents and in raw_input_contents, give the BYTES probabilities', async () => {
    expect(probabilities).toBeDefined();
    const row = rowValues(await t.service.preprocess(readImage(BEAGLE)));
    const typed = await infer(tensorRequest([1, 224, 224, 3], { fp32_contents: Array.from(row) }));
    const raw = await infer({ ...tensorRequest([1, 224, 224, 3], {}), raw_input_contents: [floatBytes(row)] });
    for (const res of [typed, raw]) {
      expect(res.model_name).toBe('resnet50_tensor');
      const probs = floatsOf(res.raw_output_contents[0]);
      for (let i = 0; i < 1000; i++) expect(Math.abs(probs[i] - probabilities[i])).toBeLessThan(1e-5);
    }
  });

  it('a client that fills every input the metadata lists succeeds, for both entries', async () => {
    const row = rowValues(await t.service.preprocess(readImage(BEAGLE)));
    for (const name of ['resnet50', 'resnet50_tensor']) {
      const meta = await client.call<{ inputs: Output[] }>('ModelMetadata', { name });
      const inputs = meta.inputs.map((i) => ({
        name: i.name,
        datatype: i.datatype,
        shape: i.shape.map((d) => (d === -1 ? 1 : d)),
        contents: i.datatype === 'BYTES' ? { bytes_contents: [readImage(BEAGLE)] } : { fp32_contents: Array.from(row) },
      }));
      const res = await infer({ model_name: name, inputs });
      expect(argmax(floatsOf(res.raw_output_contents[0]))).toBe(BEAGLE_INDEX);
    }
  });
});

describe('gRPC errors', () => {
  it('INVALID_ARGUMENT: wrong input, datatype, shape, count, undecodable image, raw/contents mix', async () => {
    await expectStatus({ model_name: 'resnet50', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 224, 224, 3] }] }, status.INVALID_ARGUMENT, /'input' goes to model 'resnet50_tensor'/);
    await expectStatus({ ...imageRequest([readImage(BEAGLE)]), inputs: [{ name: 'image', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }] }, status.INVALID_ARGUMENT, /datatype BYTES/);
    await expectStatus(tensorRequest([1, 3, 224, 224], { fp32_contents: [0] }), status.INVALID_ARGUMENT, /NHWC/);
    await expectStatus(tensorRequest([1, 224, 224, 3], { fp32_contents: [0, 1, 2] }), status.INVALID_ARGUMENT, /needs 150528 elements, data has 3/);
    await expectStatus(imageRequest([Buffer.from('not an image at all')]), status.INVALID_ARGUMENT, /row 0: not a supported image/);
    await expectStatus(imageRequest([readImage(path.join(EDGE, 'tiny-1x1.png'))]), status.INVALID_ARGUMENT, /row 0: image is 1x1/);
    await expectStatus({ ...imageRequest([readImage(BEAGLE)]), raw_input_contents: [lengthPrefixed([readImage(BEAGLE)])] }, status.INVALID_ARGUMENT, /both contents and raw_input_contents/);
    await expectStatus({ ...imageRequest([]), inputs: [{ name: 'image', datatype: 'BYTES', shape: [2] }], raw_input_contents: [lengthPrefixed([readImage(BEAGLE)])] }, status.INVALID_ARGUMENT, /2 elements.*found 1/);
  });

  it('INVALID_ARGUMENT: non-finite FP32 values (typed or raw)', async () => {
    const values = new Float32Array(150528);
    values[5] = Infinity; // what a client's 1e39 becomes in a float field
    await expectStatus(tensorRequest([1, 224, 224, 3], { fp32_contents: Array.from(values) }), status.INVALID_ARGUMENT, /element 5 \(row 0\) is Infinity, not a finite FP32/);
    values[5] = NaN;
    await expectStatus({ ...tensorRequest([1, 224, 224, 3], {}), raw_input_contents: [floatBytes(values)] }, status.INVALID_ARGUMENT, /element 5 .*NaN/);
  });

  it('RESOURCE_EXHAUSTED: an image over MAX_UPLOAD_BYTES, or a message over the limit', async () => {
    await expectStatus(imageRequest([Buffer.alloc(t.config.maxUploadBytes + 1, 1)]), status.RESOURCE_EXHAUSTED, /row 0: .*limit is/);
    await expectStatus(imageRequest([Buffer.alloc(t.config.maxUploadBytes, 1), Buffer.alloc(t.config.maxUploadBytes, 1)]), status.RESOURCE_EXHAUSTED);
  });

  it('UNAVAILABLE with retry-after when MAX_QUEUE images are in flight; slots come back', async () => {
    const hold = t.service.admit(t.config.maxQueue).release;
    try {
      const err = await client.error('ModelInfer', imageRequest([readImage(BEAGLE)]));
      expect(status[err.code]).toBe('UNAVAILABLE');
      expect(err.metadata.get('retry-after')).toEqual(['1']);
      expect(err.metadata.get('error-code')).toEqual(['queue_full']);
    } finally {
      hold();
    }
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0));
  });
});
