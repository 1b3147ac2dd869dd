/** Unit: the AppError kind -> gRPC status table beside HTTP's, and the GRPC_PORT setting. */
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors.js';
import { STATUS_BY_KIND } from '../../src/http/error-mapping.js';
import { asAppError, GRPC_STATUS_BY_KIND, toStatus } from '../../src/grpc/status.js';

describe('gRPC status mapping', () => {
  it('each HTTP status family has its gRPC status', () => {
    const byHttp = new Map<number, string>();
    for (const [kind, http] of Object.entries(STATUS_BY_KIND)) {
      byHttp.set(http, [...new Set([byHttp.get(http), status[GRPC_STATUS_BY_KIND[kind as keyof typeof STATUS_BY_KIND]]])].filter(Boolean).join('|'));
    }
    expect(Object.fromEntries(byHttp)).toEqual({
      400: 'INVALID_ARGUMENT',
      401: 'UNAUTHENTICATED',
      404: 'NOT_FOUND',
      405: 'UNIMPLEMENTED',
      408: 'DEADLINE_EXCEEDED',
      413: 'RESOURCE_EXHAUSTED',
      431: 'RESOURCE_EXHAUSTED',
      415: 'INVALID_ARGUMENT',
      422: 'INVALID_ARGUMENT',
      503: 'UNAVAILABLE',
      504: 'DEADLINE_EXCEEDED',
      500: 'INTERNAL',
    });
  });

  it('carries the message, the stable code and Retry-After; hides unknown errors; a gone client is CANCELLED', () => {
    const s = toStatus(new AppError('overloaded', 'queue_full', 'busy', { retryAfterSeconds: 1 }));
    expect([status[s.code], s.details, s.metadata.get('error-code'), s.metadata.get('retry-after')]).toEqual(['UNAVAILABLE', 'busy', ['queue_full'], ['1']]);
    const hidden = toStatus(asAppError(new Error('secret stack detail')));
    expect([status[hidden.code], hidden.details]).toEqual(['INTERNAL', 'internal server error']);
    expect(status[toStatus(new AppError('invalid_request', 'client_closed', 'gone')).code]).toBe('CANCELLED');
  });
});

describe('GRPC_PORT', () => {
  it('defaults to 8001; 0 is ephemeral; off disables; anything else is a start-up error', () => {
    expect(loadConfig({}).grpcPort).toBe(8001);
    expect(loadConfig({ GRPC_PORT: '0' }).grpcPort).toBe(0);
    expect(loadConfig({ GRPC_PORT: 'OFF' }).grpcPort).toBeNull();
    expect(() => loadConfig({ GRPC_PORT: '70000' })).toThrow(/invalid GRPC_PORT="70000"/);
  });
});
