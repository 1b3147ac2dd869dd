/**
 * HTTP tracing: @fastify/otel (OpenTelemetry's own Fastify instrumentation) makes the request span
 * from the incoming W3C `traceparent`/`tracestate` (through the propagators the SDK registered),
 * names it `<METHOD> <route>` and ends it with the status code. Around it, three small hooks:
 * - `upload`: a child span from the start of body parsing until the request body has been read
 *   (by Fastify's parser for raw and JSON bodies, by the route for multipart);
 * - the route handler runs inside the request span's context, so the service's spans (`decode`,
 *   `queue wait`) and the batch's links hang off the request span;
 * - the access log reads the trace id (./http-context.ts).
 *
 * Registered only when the SDK is started (tracingEnabled()): off, this file is not even imported.
 * Lifecycle-hook and handler spans of @fastify/otel are off: one span per Fastify hook would
 * double the spans per request for little information.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { requestContext } from './http-context.js';
import { recordFailure, SPAN, tracer } from './spans.js';

/** Probes and scrapes every few seconds would drown the traces that matter. */
const UNTRACED = new Set(['/healthz', '/readyz', '/livez', '/metrics', '/v2/health/live', '/v2/health/ready']);

async function httpTracing(app: FastifyInstance): Promise<void> {
  const otel = new FastifyOtelInstrumentation({
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: ({ url }) => UNTRACED.has(url.split('?')[0] ?? url),
    // The HTTP semantic conventions' server span name: low cardinality, the route not the URL.
    requestHook: (span, request) => span.updateName(request.routeOptions.url ? `${request.method} ${request.routeOptions.url}` : request.method),
  });
  await app.register(otel.plugin());

  app.addHook('preParsing', (request, _reply, payload, done) => {
    const parent = requestContext(request);
    if (parent && hasBody(request) && trace.getSpan(parent)?.isRecording()) {
      const length = Number(request.headers['content-length']);
      const span = tracer().startSpan(SPAN.upload, { attributes: Number.isFinite(length) ? { 'http.request.body.size': length } : {} }, parent);
      let open = true;
      const end = (err?: Error): void => {
        if (!open) return;
        open = false;
        if (err) recordFailure(span, err);
        span.end();
      };
      payload.once('end', () => end());
      payload.once('error', end);
      // Never read (refused before reading), or the client went away mid-body.
      request.raw.once('close', () => end());
    }
    done(null, payload);
  });

  // The handler is called synchronously from the last preHandler: it runs in this context.
  app.addHook('preHandler', (request, _reply, done) => {
    const ctx = requestContext(request);
    if (ctx) context.with(ctx, done);
    else done();
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export const httpTracingPlugin = fp(httpTracing, { name: 'http-tracing' });
