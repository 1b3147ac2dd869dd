/**
 * Whether tracing is on, decided from the standard variables alone (read with the SDK's own
 * parsers from @opentelemetry/core), and kept light: the SDK itself (./sdk.ts) and the Fastify
 * instrumentation (./fastify.ts) are imported only when it is on.
 *
 * On when an exporter or an endpoint is named: `OTEL_TRACES_EXPORTER` (otlp, console; `none`
 * keeps it off), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`.
 * `OTEL_SDK_DISABLED=true` wins over all. (The SDK's own default exporter is otlp to localhost;
 * a server that nobody configured must not send spans anywhere, hence the explicit opt-in.)
 */
import { getBooleanFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';

let started = false;

export function tracingRequested(): boolean {
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return false;
  const exporters = getStringListFromEnv('OTEL_TRACES_EXPORTER') ?? [];
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined || getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
}

/** True while the SDK started by ./sdk.ts runs: the HTTP app registers its instrumentation then. */
export function tracingEnabled(): boolean {
  return started;
}

/** For ./sdk.ts only. */
export function setTracingEnabled(on: boolean): void {
  started = on;
}
