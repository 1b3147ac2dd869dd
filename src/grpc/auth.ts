/**
 * API keys (API_KEYS) for gRPC inference: `authorization: Bearer <key>` call metadata, compared in
 * constant time over SHA-256 digests, as the HTTP auth plugin does for its routes. Health and
 * metadata calls stay open, as over HTTP.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { AppError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A check that throws `unauthorized` unless the call carries one of `keys`; a no-op without keys. */
export function apiKeyCheck(keys: readonly string[]): (metadata: Metadata) => void {
  if (keys.length === 0) return () => {};
  const digests = keys.map(digest);
  return (metadata) => {
    const value = metadata.get('authorization')[0];
    const header = typeof value === 'string' ? value : '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = m ? digest(m[1]) : undefined;
    // Check every key, always: the time taken does not depend on which key matched.
    let ok = false;
    for (const d of digests) ok = (given !== undefined && timingSafeEqual(d, given)) || ok;
    if (!ok) {
      throw new AppError('unauthorized', header ? 'invalid_api_key' : 'missing_api_key', header ? 'the API key is not valid' : 'this call needs metadata authorization: Bearer <key>');
    }
  };
}
