/**
 * Span helpers on @opentelemetry/api only: with no SDK started every call is the API's no-op (a
 * shared non-recording span, no allocation of attributes), so the service layer can call them
 * unconditionally. Span names are fixed and low-cardinality, as the specification asks.
 */
import { context, isSpanContextValid, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

export const TRACER_NAME = 'resnet-serve';

/** Span names, one place: docs/observability.md lists them. */
export const SPAN = {
  upload: 'upload',
  decode: 'decode',
  queueWait: 'queue wait',
  batch: 'batch inference',
} as const;

/** The tracer, looked up per use: a map lookup, and it follows the SDK being (re)started. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Marks a span failed with the error (its message; the exception as an event). */
export function recordFailure(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * Runs `fn` inside a child span of the active one (the span is active within `fn`), ending it when
 * `fn` settles and recording a failure. `fn` may add attributes from its result.
 */
export async function inSpan<T>(name: string, fn: (span: Span) => Promise<T>, attributes?: Attributes): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Trace and span id of the span in `ctx` (the active context by default), for log lines. */
export function traceIds(ctx: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}
