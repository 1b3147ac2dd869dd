/**
 * The request span's context as @fastify/otel keeps it on the request, read without importing
 * @fastify/otel at run time (only its types), so the access log can ask for a trace id whether
 * tracing is on or not.
 */
import type {} from '@fastify/otel'; // FastifyRequest.opentelemetry()
import type { Context } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { traceIds } from './spans.js';

/**
 * The request span's context, once @fastify/otel has made one (none for ignored paths, nor when
 * tracing is off). It stays after the span has ended, for the log line.
 */
export function requestContext(request: FastifyRequest): Context | undefined {
  if (typeof request.opentelemetry !== 'function') return undefined; // tracing off: no plugin
  return request.opentelemetry().context ?? undefined;
}

/** Trace and span id of the request's span, for its log line; undefined when it has none. */
export function requestTraceIds(request: FastifyRequest): { traceId: string; spanId: string } | undefined {
  const ctx = requestContext(request);
  return ctx && traceIds(ctx);
}
