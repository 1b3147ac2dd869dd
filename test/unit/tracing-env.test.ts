/** When the standard OTEL_* variables turn tracing on (src/telemetry/env.ts): only when asked. */
import { afterEach, describe, expect, it } from 'vitest';
import { tracingRequested } from '../../src/telemetry/env.js';

const VARS = ['OTEL_SDK_DISABLED', 'OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
const saved = new Map(VARS.map((k) => [k, process.env[k]]));

function withEnv(vars: Record<string, string>): boolean {
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, vars);
  return tracingRequested();
}

afterEach(() => {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('tracingRequested', () => {
  it('is off when nothing is configured (the SDK would otherwise export to localhost by default)', () => {
    expect(withEnv({})).toBe(false);
    expect(withEnv({ OTEL_TRACES_EXPORTER: '' })).toBe(false); // empty counts as unset, as in the SDK
  });

  it('is on when an exporter is named, or an OTLP endpoint is given', () => {
    expect(withEnv({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(withEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(withEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  });

  it('stays off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(withEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(withEnv({ OTEL_TRACES_EXPORTER: 'otlp,none' })).toBe(false);
    expect(withEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(withEnv({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});
