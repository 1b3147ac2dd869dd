/**
 * OpenTelemetry end to end: the real app and model, the SDK started from the standard OTEL_*
 * variables as `npm start` does, spans exported over OTLP/HTTP (both encodings) to an in-process
 * receiver. Checks the span tree under an incoming W3C traceparent, the one batch span linking the
 * requests it served, the trace id in the access log, and the gRPC helper.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../src/grpc/server.js';
import { withRequestSpan } from '../../src/telemetry/grpc.js';
import { startTracing, type Tracing } from '../../src/telemetry/sdk.js';
import { inferenceClient } from '../grpc/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { readImage, SMOKE } from '../helpers/paths.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const caller = (): { traceId: string; parent: string; header: string } => {
  const traceId = hex(16);
  const parent = hex(8);
  return { traceId, parent, header: `00-${traceId}-${parent}-01` };
};

const OTEL_VARS = ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME'] as const;

interface Line {
  msg: string;
  req?: { url: string; headers?: Record<string, string> };
  traceId?: string;
  spanId?: string;
}

describe.each([
  ['http/protobuf', 'application/x-protobuf'],
  ['http/json', 'application/json'],
])('tracing exported as OTLP %s', (protocol, contentType) => {
  let receiver: OtlpReceiver;
  let tracing: Tracing | undefined;
  let t: TestApp;
  const saved = new Map(OTEL_VARS.map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    Object.assign(process.env, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'resnet-serve-under-test',
    });
    tracing = startTracing({ serviceName: 'resnet-serve', serviceVersion: '0.0.0-test' });
    // Batches of two, and a lone image would wait 10 s for a partner: two concurrent requests are
    // one batch, deterministically.
    t = await createTestApp({ maxBatchSize: 2, maxQueueDelayMs: 10_000, logLevel: 'info' }, { captureLogs: true });
  });
  afterAll(async () => {
    await t?.close();
    await tracing?.shutdown();
    await receiver?.close();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const byName = (spans: ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);

  it('continues each caller trace (request span, upload/decode/queue wait children) and links one batch span to both requests', async () => {
    expect(tracing).toBeDefined();
    const a = caller();
    const b = caller();
    const [ra, rb] = await Promise.all([
      request(t.app.server).post('/predict').set('traceparent', a.header).attach('image', path.join(SMOKE, 'beagle.jpg')),
      request(t.app.server).post('/predict').set('traceparent', b.header).set('content-type', 'image/jpeg').send(readImage(path.join(SMOKE, 'cat.jpg'))),
    ]);
    expect(ra.status).toBe(200);
    expect(ra.body.predictions[0].label).toBe('beagle');
    expect(rb.status).toBe(200);
    expect(rb.body.predictions[0].label).toBe('tabby');
    await tracing?.flush();

    const spans = receiver.spans;
    expect(new Set(receiver.contentTypes)).toEqual(new Set([contentType]));
    const requestSpans = [a, b].map((c) => {
      // The request span continues the caller's trace, as the child of the caller's span.
      const own = spans.filter((s) => s.traceId === c.traceId && s.parentSpanId === c.parent);
      expect(own).toHaveLength(1);
      const req = own[0];
      expect(req).toMatchObject({ name: 'POST /predict', kind: 2, scope: '@fastify/otel' });
      expect(req.attributes).toMatchObject({ 'http.route': '/predict', 'http.request.method': 'POST', 'http.response.status_code': 200 });
      expect(req.resource['service.name']).toBe('resnet-serve-under-test');
      const children = spans.filter((s) => s.parentSpanId === req.spanId);
      expect(children.map((s) => s.name).sort()).toEqual(['decode', 'queue wait', 'upload']);
      for (const child of children) expect(child.traceId).toBe(c.traceId);
      expect(byName(children, 'decode')[0].attributes).toMatchObject({ 'image.format': 'jpeg', 'image.width': expect.any(Number) });
      return { req, queueWait: byName(children, 'queue wait')[0] };
    });

    // One batch served both: one root span of its own trace, linked to both request spans.
    const batches = byName(spans, 'batch inference');
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch.parentSpanId).toBe('');
    expect([a.traceId, b.traceId]).not.toContain(batch.traceId);
    expect(batch.attributes).toMatchObject({ 'batch.size': 2, 'model.name': 'resnet50', 'model.version': '1', 'inference.engine': 'onnx' });
    const links = batch.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, rows: l.attributes['batch.rows'] }));
    expect(links).toHaveLength(2);
    expect(links).toEqual(
      expect.arrayContaining(requestSpans.map(({ req }) => ({ traceId: req.traceId, spanId: req.spanId, rows: 1 }))),
    );
    // ...and each request's queue wait links back to the batch.
    for (const { queueWait } of requestSpans) expect(queueWait.links).toEqual([{ traceId: batch.traceId, spanId: batch.spanId, attributes: {} }]);

    // Each access-log line carries its request's trace id (and span id).
    const logged = t
      .logText()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.msg === 'request completed');
    for (const { req } of requestSpans) expect(logged).toContainEqual(expect.objectContaining({ traceId: req.traceId, spanId: req.spanId }));
  });

  it('a gRPC call wrapped in withRequestSpan: SERVER span from the metadata traceparent, its rows linked once by their batch', async () => {
    const c = caller();
    const metadata = new Map<string, string[]>([['traceparent', [c.header]]]);
    const carrier = { get: (key: string) => metadata.get(key) ?? [] };
    const rpc = { service: 'inference.GRPCInferenceService', method: 'ModelInfer' };
    const probs = await withRequestSpan(rpc, carrier, async () => {
      const rows = await Promise.all(['beagle.jpg', 'castle.jpg'].map((f) => t.service.preprocess(readImage(path.join(SMOKE, f)))));
      return t.service.infer(rows);
    });
    expect(t.service.topK(probs[0], 1)[0].label).toBe('beagle');
    expect(t.service.topK(probs[1], 1)[0].label).toBe('castle');
    await expect(withRequestSpan(rpc, carrier, async () => Promise.reject(Object.assign(new Error('bad tensor'), { code: 3 })))).rejects.toThrow('bad tensor');
    await tracing?.flush();

    const calls = receiver.spans.filter((s) => s.traceId === c.traceId && s.parentSpanId === c.parent);
    expect(calls).toHaveLength(2);
    const [ok, failed] = calls;
    expect(ok).toMatchObject({ name: 'inference.GRPCInferenceService/ModelInfer', kind: 2, status: 0 });
    expect(ok.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'ModelInfer', 'rpc.grpc.status_code': 0 });
    expect(failed).toMatchObject({ status: 2, attributes: expect.objectContaining({ 'rpc.grpc.status_code': 3 }) });
    const children = receiver.spans.filter((s) => s.parentSpanId === ok.spanId).map((s) => s.name).sort();
    expect(children).toEqual(['decode', 'decode', 'queue wait', 'queue wait']);
    const batch = byName(receiver.spans, 'batch inference').find((s) => s.links.some((l) => l.spanId === ok.spanId));
    expect(batch?.links).toEqual([{ traceId: c.traceId, spanId: ok.spanId, attributes: { 'batch.rows': 2 } }]);
    expect(batch?.attributes['batch.size']).toBe(2);
  });

  it('the gRPC server: ModelInfer continues the metadata traceparent, a bad request is marked with its status', async () => {
    const server = await startGrpcServer({ config: t.config, service: t.service, log: { debug: () => {}, info: () => {}, error: () => {} }, version: '0', port: 0, host: '127.0.0.1' });
    const client = inferenceClient(server.port);
    try {
      const c = caller();
      const images = ['beagle.jpg', 'cat.jpg'].map((f) => readImage(path.join(SMOKE, f)));
      const request = { model_name: 'resnet50', inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], contents: { bytes_contents: images } }] };
      const res = await client.call<{ model_name: string }>('ModelInfer', request, { metadata: { traceparent: c.header } });
      expect(res.model_name).toBe('resnet50');
      const err = await client.error('ModelInfer', { model_name: 'vgg16' }, { metadata: { traceparent: c.header } });
      expect(err.code).toBe(5); // NOT_FOUND
      await tracing?.flush();
      const calls = receiver.spans.filter((s) => s.traceId === c.traceId && s.parentSpanId === c.parent);
      expect(calls.map((s) => [s.name, s.status, s.attributes['rpc.grpc.status_code']])).toEqual([
        ['inference.GRPCInferenceService/ModelInfer', 0, 0],
        ['inference.GRPCInferenceService/ModelInfer', 2, 5],
      ]);
      const children = receiver.spans.filter((s) => s.parentSpanId === calls[0].spanId).map((s) => s.name).sort();
      expect(children).toEqual(['decode', 'decode', 'queue wait', 'queue wait']);
      const batch = byName(receiver.spans, 'batch inference').find((s) => s.links.some((l) => l.spanId === calls[0].spanId));
      expect(batch?.links).toEqual([{ traceId: c.traceId, spanId: calls[0].spanId, attributes: { 'batch.rows': 2 } }]);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('health probes and metric scrapes make no spans', async () => {
    const before = receiver.spans.length;
    await request(t.app.server).get('/healthz').set('traceparent', caller().header).expect(200);
    await request(t.app.server).get('/metrics').expect(200);
    await tracing?.flush();
    expect(receiver.spans.length).toBe(before);
  });
});

describe('tracing off (no OTEL_* variables)', () => {
  it('registers no instrumentation and logs no trace id, even for a request with a traceparent', async () => {
    const t = await createTestApp({ logLevel: 'info' }, { load: false, captureLogs: true });
    try {
      expect(t.app.hasRequestDecorator('opentelemetry')).toBe(false);
      await request(t.app.server).post('/predict').set('traceparent', caller().header).attach('image', path.join(SMOKE, 'beagle.jpg')).expect(503);
      const line = t
        .logText()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line)
        .find((l) => l.msg === 'request completed');
      expect(line).toBeDefined();
      expect(line?.traceId).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
