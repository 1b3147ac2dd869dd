/**
 * API keys (API_KEYS) for gRPC inference: `authorization: Bearer <key>` call metadata, checked as the
 * HTTP routes check their header. Health and metadata calls stay open, as over HTTP.
 */
import type { Metadata } from '@grpc/grpc-js';
import { bearerKeyCheck } from '../http/bearer-keys.js';

/** A check that throws `unauthorized` unless the call carries one of `keys`; a no-op without keys. */
export function apiKeyCheck(keys: readonly string[]): (metadata: Metadata) => void {
  if (keys.length === 0) return () => {};
  const check = bearerKeyCheck(keys, 'this call needs metadata authorization: Bearer <key>');
  return (metadata) => {
    const value = metadata.get('authorization')[0];
    check(typeof value === 'string' ? value : '');
  };
}
