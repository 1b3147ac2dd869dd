/**
 * Reads an infer body from its stream with every bound applied while it arrives: the size limit
 * (413 at once from a larger Content-Length, or at the chunk that passes it) and the JSON bounds
 * on the JSON part (src/http/v2/json-bounds.ts), so a hostile body is refused before it is read
 * whole, and no chunk costs the event loop more than a native scan of it.
 */
import type { Readable } from 'node:stream';
import { tooLarge } from '../../errors.js';
import { JsonBoundsScanner } from './json-bounds.js';

export interface ReadBodyOptions {
  limit: number;
  /** Content-Length, when the client sent one. */
  contentLength?: number;
  /** Bytes of JSON at the start of the body (binary extension); all of it when undefined. */
  jsonLength?: number;
}

const overLimit = (limit: number): Error => tooLarge('upload_too_large', `the request body is larger than the ${limit}-byte limit`);

export function readBoundedBody(stream: Readable, opts: ReadBodyOptions): Promise<Buffer> {
  const { limit, jsonLength } = opts;
  if (opts.contentLength !== undefined && opts.contentLength > limit) return Promise.reject(overLimit(limit));
  const scanner = new JsonBoundsScanner();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (err: Error | undefined, body?: Buffer): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (err) {
        // Whatever is still on its way is discarded, not buffered.
        stream.resume();
        reject(err);
      } else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      const start = received;
      received += chunk.length;
      if (received > limit) return finish(overLimit(limit));
      chunks.push(chunk);
      const jsonEnd = jsonLength === undefined ? received : Math.min(jsonLength, received);
      try {
        if (start < jsonEnd) scanner.feed(chunk.subarray(0, jsonEnd - start));
      } catch (err) {
        finish(err as Error);
      }
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks, received));
    const onError = (err: Error): void => finish(err);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
