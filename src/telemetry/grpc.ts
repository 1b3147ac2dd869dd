/**
 * Tracing for the gRPC server (src/grpc), without patching @grpc/grpc-js: the caller's W3C
 * `traceparent`/`tracestate` (and `baggage`) travel in the call's metadata, exactly like HTTP
 * headers (gRPC metadata keys are lower-case HTTP/2 headers), and are read by the propagators the
 * SDK registered (`propagation.extract`), never parsed here. Wire a handler like this:
 *
 *   withRequestSpan({ service: 'inference.GRPCInferenceService', method: 'ModelInfer' }, call.metadata,
 *     async () => { ...decode the request, service.preprocess(...), service.infer(...)... });
 *
 * Inside `fn` the call's span is active: `decode`, `queue wait` and the batch's link attach to it
 * as for HTTP, and traceIds() (./spans.ts) gives the ids for the call's log line. With tracing
 * off every step is the API's no-op.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { recordFailure, tracer } from './spans.js';

/** gRPC metadata as @grpc/grpc-js's `Metadata` presents it: every value of a key, strings or Buffers (binary `-bin` keys). */
export interface MetadataCarrier {
  get(key: string): ReadonlyArray<string | Buffer>;
  getMap?(): Record<string, string | Buffer>;
}

const metadataGetter: TextMapGetter<MetadataCarrier> = {
  keys: (carrier) => Object.keys(carrier.getMap?.() ?? {}),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

/** The caller's trace context from the call's metadata, over `parent` (a fresh root by default). */
export function extractContext(metadata: MetadataCarrier, parent: Context = ROOT_CONTEXT): Context {
  return propagation.extract(parent, metadata, metadataGetter);
}

export interface RpcMethod {
  /** Fully qualified service, e.g. `inference.GRPCInferenceService`. */
  service: string;
  /** e.g. `ModelInfer`. */
  method: string;
}

/**
 * Runs one call's handling inside a SERVER span named `<service>/<method>` (the RPC semantic
 * conventions' name and `rpc.*` attributes), continuing the caller's trace. A thrown error marks
 * the span failed; its numeric `code` (a gRPC status, as @grpc/grpc-js's ServiceError carries)
 * becomes `rpc.grpc.status_code`, 0 on success. `fn` may set attributes on the span it gets.
 */
export async function withRequestSpan<T>(rpc: RpcMethod, metadata: MetadataCarrier, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = extractContext(metadata);
  const span = tracer().startSpan(
    `${rpc.service}/${rpc.method}`,
    { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': rpc.service, 'rpc.method': rpc.method } },
    parent,
  );
  try {
    const out = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.setAttribute('rpc.grpc.status_code', 0);
    return out;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'number') span.setAttribute('rpc.grpc.status_code', code);
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}
