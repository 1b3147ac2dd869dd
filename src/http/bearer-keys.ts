/**
 * API keys (API_KEYS) as bearer tokens, for HTTP routes and gRPC calls alike: compared in constant
 * time over their SHA-256 digests (so length leaks nothing), every key checked every time, never
 * logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * A check of an `Authorization` value that throws `unauthorized` unless it is `Bearer <one of keys>`;
 * `missing` is the message when there is no value at all. Build it only when keys are set.
 */
export function bearerKeyCheck(keys: readonly string[], missing: string): (authorization: string) => void {
  const digests = keys.map(digest);
  return (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = m ? digest(m[1]) : undefined;
    // Check every key, always: the time taken does not depend on which key matched.
    let ok = false;
    for (const d of digests) ok = (given !== undefined && timingSafeEqual(d, given)) || ok;
    if (!ok) throw new AppError('unauthorized', header ? 'invalid_api_key' : 'missing_api_key', header ? 'the API key is not valid' : missing);
  };
}
