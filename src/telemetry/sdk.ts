/**
 * Starts the OpenTelemetry SDK (NodeSDK) from the standard `OTEL_*` variables when ./env.ts says
 * tracing is on. Everything but that on/off decision is the SDK's own reading of the environment:
 * the exporter and its protocol (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`: http/protobuf, the
 * default, http/json or grpc), endpoint, headers and timeout, the sampler
 * (`OTEL_TRACES_SAMPLER[_ARG]`), the batch processor (`OTEL_BSP_*`), the propagators
 * (`OTEL_PROPAGATORS`, W3C trace context + baggage by default) and the resource
 * (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`). It is kept to traces: metrics are
 * Prometheus' (GET /metrics) and logs are the JSON lines on stdout (with the trace id), so no OTLP
 * metric or log exporter is started.
 *
 * Heavy to import (the SDK brings every exporter): import it dynamically, only when tracing is on.
 */
import { context, propagation, trace, type TracerProvider } from '@opentelemetry/api';
import { getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { setTracingEnabled, tracingRequested } from './env.js';

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  serviceName: string;
  serviceVersion: string;
}

export interface Tracing {
  /** What the environment asked for, for the start-up log line. */
  readonly description: TracingDescription;
  /** Exports every ended span now (tests, before asserting). */
  flush(): Promise<void>;
  /**
   * Flushes and stops the SDK, and unregisters it from the API (so it can be started again). Waits
   * at most `timeoutMs` for the exporter: spans are best effort, a stop must not hang on them.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

export interface TracingDescription {
  exporters: string[];
  protocol?: string;
  endpoint?: string;
  sampler?: string;
}

let running: Tracing | undefined;

/**
 * Starts the SDK when the environment asks for it (undefined otherwise). Call it before the app
 * is built: @fastify/otel is registered only when tracing is on.
 */
export function startTracing(opts: TracingOptions): Tracing | undefined {
  if (running) return running;
  if (!tracingRequested()) return undefined;
  const sdk = new NodeSDK({
    // Detected and OTEL_* resource attributes are merged over this, so OTEL_SERVICE_NAME wins.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName, [ATTR_SERVICE_VERSION]: opts.serviceVersion })),
    // Spans come from @fastify/otel (registered on the app) and our own helpers, never from patching.
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const provider = trace.getTracerProvider();
  const flush = async (): Promise<void> => {
    const delegate = (provider as { getDelegate?: () => TracerProvider }).getDelegate?.() ?? provider;
    await (delegate as { forceFlush?: () => Promise<void> }).forceFlush?.();
  };
  const tracing: Tracing = {
    description: describe(),
    flush,
    shutdown: async (timeoutMs = 5_000) => {
      if (running !== tracing) return;
      running = undefined;
      setTracingEnabled(false);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
      await Promise.race([sdk.shutdown().catch(() => undefined), late]).finally(() => clearTimeout(timer));
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  running = tracing;
  setTracingEnabled(true);
  return tracing;
}

function describe(): TracingDescription {
  const exporters = getStringListFromEnv('OTEL_TRACES_EXPORTER') ?? [];
  const list = exporters.length > 0 ? exporters : ['otlp'];
  if (!list.includes('otlp')) return { exporters: list, sampler: getStringFromEnv('OTEL_TRACES_SAMPLER') };
  return {
    exporters: list,
    protocol: getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf',
    endpoint: getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') ?? '(the SDK default: localhost)',
    sampler: getStringFromEnv('OTEL_TRACES_SAMPLER'),
  };
}
