/**
 * gRPC around the call: API keys, deadlines (the client's and REQUEST_TIMEOUT_MS) ending as
 * DEADLINE_EXCEEDED, the model not loaded yet (UNAVAILABLE), and a graceful close that lets a
 * running call finish while refusing new ones.
 */
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGrpcServer, type RunningGrpcServer } from '../../src/grpc/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { SMOKE, readImage } from '../helpers/paths.js';
import { argmax, floatsOf } from '../helpers/tensors.js';
import { inferenceClient, type InferenceClient } from './client.js';

let t: TestApp;
const servers: RunningGrpcServer[] = [];
const clients: InferenceClient[] = [];
const quietLog = { debug: () => {}, info: () => {}, error: () => {} };
const BEAGLE = readImage(path.join(SMOKE, 'beagle.jpg'));
const imageRequest = { model_name: 'resnet50', inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [BEAGLE] } }] };

/** A gRPC server on `app`'s service with config overrides, and a client of it. */
async function serve(app: TestApp, overrides: Partial<TestApp['config']> = {}): Promise<{ server: RunningGrpcServer; client: InferenceClient }> {
  const server = await startGrpcServer({ config: { ...app.config, ...overrides }, service: app.service, log: quietLog, version: '1', port: 0, host: '127.0.0.1' });
  const client = inferenceClient(server.port);
  servers.push(server);
  clients.push(client);
  return { server, client };
}

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.close(1_000)));
  await t?.close();
});

describe('gRPC API keys', () => {
  it('ModelInfer needs `authorization: Bearer <key>` (UNAUTHENTICATED otherwise); health and metadata stay open', async () => {
    const { client } = await serve(t, { apiKeys: ['sesame'] });
    const missing = await client.error('ModelInfer', imageRequest);
    expect(status[missing.code]).toBe('UNAUTHENTICATED');
    expect(missing.details).toMatch(/authorization: Bearer/);
    expect(status[(await client.error('ModelInfer', imageRequest, { apiKey: 'wrong' })).code]).toBe('UNAUTHENTICATED');
    const ok = await client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', imageRequest, { apiKey: 'sesame' });
    expect(argmax(floatsOf(ok.raw_output_contents[0]))).toBe(162);
    expect(await client.call('ServerLive')).toEqual({ live: true });
    expect(await client.call('ModelMetadata', { name: 'resnet50' })).toMatchObject({ name: 'resnet50' });
  });
});

describe('gRPC deadlines end as DEADLINE_EXCEEDED', () => {
  it('REQUEST_TIMEOUT_MS applies to calls without a deadline of their own', async () => {
    // 0 ms: the deadline passes before the image is even decoded.
    const { client } = await serve(t, { requestTimeoutMs: 0 });
    const err = await client.error('ModelInfer', imageRequest);
    expect(status[err.code]).toBe('DEADLINE_EXCEEDED');
    expect(err.details).toMatch(/0 ms deadline/);
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0));
  });

  it("the client's deadline: a call queued behind a busy engine gives up in time, and its slot comes back", async () => {
    const { client } = await serve(t);
    // Keep the engine busy with 32 rows (several batches) submitted straight to the service.
    const busy = t.service.infer(Array.from({ length: 32 }, () => new Float32Array(224 * 224 * 3)));
    const err = await client.error('ModelInfer', imageRequest, { deadlineMs: 50 });
    expect(status[err.code]).toBe('DEADLINE_EXCEEDED');
    await busy;
    await vi.waitFor(() => expect(t.service.inFlight).toBe(0));
  });
});

describe('gRPC before the model is loaded', () => {
  it('ServerReady and ModelReady false, ModelMetadata and ModelInfer UNAVAILABLE with retry-after', async () => {
    const loading = await createTestApp({}, { load: false });
    try {
      const { client } = await serve(loading);
      expect(await client.call('ServerLive')).toEqual({ live: true });
      expect(await client.call('ServerReady')).toEqual({ ready: false });
      expect(await client.call('ModelReady', { name: 'resnet50_tensor' })).toEqual({ ready: false });
      for (const [method, request] of [['ModelMetadata', { name: 'resnet50' }], ['ModelInfer', imageRequest]] as const) {
        const err = await client.error(method, request);
        expect(status[err.code]).toBe('UNAVAILABLE');
        expect(err.details).toMatch(/still loading/);
        expect(Number(err.metadata.get('retry-after')[0])).toBeGreaterThan(0);
      }
    } finally {
      await loading.close();
    }
  });
});

describe('gRPC graceful close', () => {
  it('a call running when close() starts completes; afterwards the server takes no calls', async () => {
    const { server, client } = await serve(t);
    // Holds the call at the real batcher's door until close() has begun, so it is surely running
    // then (on a fast machine it could otherwise finish before close() starts).
    let open!: () => void;
    const door = new Promise<void>((resolve) => (open = resolve));
    const model = t.service.resolve({ name: 'resnet50' });
    const infer = model.infer.bind(model);
    const gate = vi.spyOn(model, 'infer').mockImplementation(async (...args) => {
      await door;
      return infer(...args);
    });
    const running = client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', imageRequest);
    await vi.waitFor(() => expect(gate).toHaveBeenCalled());
    expect(t.service.inFlight).toBe(1);
    const closed = server.close(30_000);
    open();
    const res = await running;
    gate.mockRestore();
    expect(argmax(floatsOf(res.raw_output_contents[0]))).toBe(162);
    await closed;
    const after = await client.error('ServerLive', {}, { deadlineMs: 2_000 });
    expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(status[after.code]);
  });
});
