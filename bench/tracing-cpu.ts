/**
 * What tracing costs per request, in CPU time of the event-loop thread (where every span is made
 * and exported), measured without the model so that inference's noise does not hide it: a Fastify
 * app with the real tracing plugin, the real `decode` span helper and the real batcher with its
 * batch tracer, an engine that answers at once, raw 9 KB JPEG bodies, through `app.inject`. Modes
 * alternate: off (no SDK: what production runs by default) and on (NodeSDK, OTLP http/protobuf to
 * a local sink that discards, whose CPU counts against tracing: conservative). Export is included
 * (flushed before the clock stops). CPU time, not wall time: a busy machine does not skew it much.
 *
 *   node --import tsx bench/tracing-cpu.ts [--requests 4000] [--rounds 5]
 *
 * Divide the added time by the CPU an image costs end to end (2 cores / images per second from
 * `npm run bench`) for the share of throughput; `npm run bench` with and without
 * OTEL_EXPORTER_OTLP_ENDPOINT measures the same end to end on a quiet machine.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { DynamicBatcher, type RunBatch } from '../src/service/batcher.js';
import { OtelBatchTracer } from '../src/telemetry/batch-tracer.js';
import { startTracing } from '../src/telemetry/sdk.js';
import { inSpan, SPAN } from '../src/telemetry/spans.js';
import { PROJECT } from '../test/helpers/paths.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '5' } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = 8;
const jpeg = readFileSync(path.join(PROJECT, 'test', 'fixtures', 'images', 'smoke', 'beagle.jpg'));

const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
sink.listen(0, '127.0.0.1');
await once(sink, 'listening');
const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

async function round(mode: 'off' | 'on'): Promise<number> {
  if (mode === 'on') process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
  else delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracing = startTracing({ serviceName: 'resnet-serve-bench', serviceVersion: '0' });
  const app = Fastify({ logger: false });
  if (tracing) await app.register((await import('../src/telemetry/fastify.js')).httpTracingPlugin);
  app.addContentTypeParser('image/jpeg', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const engine: RunBatch = async (input) => ({ data: new Float32Array(input.dims[0] * 1000), dims: [input.dims[0], 1000] });
  const batcher = new DynamicBatcher(engine, { maxBatch: 8, maxDelayMs: 0, maxQueue: 1024, rowDims: [1, 1, 1] }, undefined, new OtelBatchTracer({ name: 'resnet50', version: '1', engine: 'onnx' }));
  app.post('/predict', async (request) => {
    const bytes = await inSpan(SPAN.decode, async (span) => {
      span.setAttributes({ 'image.format': 'jpeg', 'image.width': 224, 'image.height': 224 });
      return (request.body as Buffer).length;
    }, { 'image.bytes': (request.body as Buffer).length });
    const out = await batcher.submit(Float32Array.of(bytes));
    return { success: true, values: out.length };
  });
  await app.ready();
  const run = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < n) {
          const res = await app.inject({ method: 'POST', url: '/predict', headers: { 'content-type': 'image/jpeg' }, payload: jpeg });
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        }
      }),
    );
  };
  await run(2000); // warm-up (JIT)
  await tracing?.flush();
  const t0 = process.threadCpuUsage();
  await run(REQUESTS);
  await tracing?.flush();
  const used = process.threadCpuUsage(t0);
  await app.close();
  await tracing?.shutdown();
  return (used.user + used.system) / REQUESTS; // µs per request
}

const results: Record<'off' | 'on', number[]> = { off: [], on: [] };
for (let r = 0; r < Number(values.rounds); r++) for (const mode of ['off', 'on'] as const) results[mode].push(await round(mode));
sink.close();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(results.off);
const on = median(results.on);
console.log(`event-loop CPU per request (µs), ${REQUESTS} requests x ${values.rounds} rounds: off ${results.off.map(Math.round).join(', ')}; on ${results.on.map(Math.round).join(', ')}`);
console.log(`median: off ${off.toFixed(0)} µs, on ${on.toFixed(0)} µs -> tracing adds ${(on - off).toFixed(0)} µs of CPU per request`);
