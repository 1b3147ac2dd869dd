/**
 * Batch spans, after the specification's batch-processing pattern (messaging "process" spans): a
 * batch serves rows of many requests, so it cannot be the child of one. Each batch is ONE root
 * span, `batch inference`, with a span link to every request span it served (one link per
 * request, `batch.rows` = how many of its rows), and each row gets a `queue wait` span in its own
 * request's trace (from submit to the batch's start) linking back to the batch. A trace viewer
 * goes from a request to its batch and from a batch to all its requests.
 *
 * The row's request span is whatever span is active when it is submitted: the HTTP request span
 * (@fastify/otel), or the gRPC call's span (withRequestSpan in ./grpc.ts).
 */
import { context, SpanKind, trace, type Attributes, type Context, type Link, type SpanContext } from '@opentelemetry/api';
import { recordFailure, SPAN, tracer } from './spans.js';

/** What travels with a traced row through the queue. */
interface RowTrace {
  ctx: Context;
  span: SpanContext;
  /** performance.now() at submit (the API takes it as a time input). */
  at: number;
}

export interface BatchModel {
  name: string;
  version: string;
  engine: string;
  precision?: string;
  backend?: string;
}

/** Attribute names of the batch span (no semantic convention covers batched inference yet). */
export const BATCH_ATTR = {
  size: 'batch.size',
  rows: 'batch.rows',
  model: 'model.name',
  version: 'model.version',
  engine: 'inference.engine',
  precision: 'inference.precision',
  backend: 'inference.backend',
} as const;

const untraced = (): void => {};

// Structurally the batcher's BatchTracer hook (src/service/batcher.ts): telemetry sits below the
// service and never imports it.
export class OtelBatchTracer {
  private readonly attributes: Attributes;

  constructor(model: BatchModel) {
    this.attributes = {
      [BATCH_ATTR.model]: model.name,
      [BATCH_ATTR.version]: model.version,
      [BATCH_ATTR.engine]: model.engine,
      ...(model.precision && { [BATCH_ATTR.precision]: model.precision }),
      ...(model.backend && { [BATCH_ATTR.backend]: model.backend }),
    };
  }

  /** Only rows of a recorded (sampled) request carry anything: the others cost one lookup. */
  enqueued(): RowTrace | undefined {
    const ctx = context.active();
    const span = trace.getSpan(ctx);
    if (!span?.isRecording()) return undefined;
    return { ctx, span: span.spanContext(), at: performance.now() };
  }

  started(rows: readonly unknown[]): (error?: unknown) => void {
    const traced = rows.filter((r): r is RowTrace => r !== undefined);
    // A batch of unsampled requests only: no span (it would be an orphan nobody asked for).
    if (traced.length === 0) return untraced;
    const now = performance.now();
    const t = tracer();
    const batch = t.startSpan(SPAN.batch, {
      root: true, // never the child of whichever request's context happens to be active here
      kind: SpanKind.INTERNAL,
      startTime: now,
      links: requestLinks(traced),
      attributes: { ...this.attributes, [BATCH_ATTR.size]: rows.length },
    });
    const toBatch: Link[] = [{ context: batch.spanContext() }];
    for (const row of traced) t.startSpan(SPAN.queueWait, { startTime: row.at, links: toBatch }, row.ctx).end(now);
    return (error?: unknown) => {
      if (error !== undefined) recordFailure(batch, error);
      batch.end();
    };
  }
}

/** One link per request span, counting its rows (a v2 or gRPC request may send several). */
function requestLinks(rows: readonly RowTrace[]): Link[] {
  const bySpan = new Map<string, { context: SpanContext; rows: number }>();
  for (const r of rows) {
    const key = `${r.span.traceId}-${r.span.spanId}`;
    const seen = bySpan.get(key);
    if (seen) seen.rows++;
    else bySpan.set(key, { context: r.span, rows: 1 });
  }
  return [...bySpan.values()].map((l) => ({ context: l.context, attributes: { [BATCH_ATTR.rows]: l.rows } }));
}
