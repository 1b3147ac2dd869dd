/**
 * Meters a request body from its first byte: every chunk is charged to the memory budget as it
 * arrives and counted against the upload limit (multipart included: its whole body, fields and
 * envelope, is bounded, not only the image part). The body is refused at once with 413 when its
 * Content-Length is over the limit, the moment the limit is passed otherwise, with 503 when the
 * budget has no room for the next chunk, and with 504 when the request's deadline passes while the
 * body is still arriving. A slow or stalled upload so holds only the bytes it has sent.
 */
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, requestNotReceived, tooLarge } from '../../errors.js';
import { memoryBusy, type Charge, type MemoryBudget } from '../../service/memory-budget.js';

declare module 'fastify' {
  interface FastifyRequest {
    upload: UploadMeter | null;
  }
}

/** Room for a multipart body's boundaries and part headers around an image of MAX_UPLOAD_BYTES. */
export const MULTIPART_ENVELOPE_BYTES = 16 * 1024;

export const uploadTooLarge = (limit: number): AppError =>
  tooLarge('upload_too_large', `the request body is larger than ${limit} bytes (MAX_UPLOAD_BYTES)`);


export class UploadMeter {
  received = 0;
  private readonly charge: Charge;
  private error: Error | undefined;
  private readonly failures: ((err: Error) => void)[] = [];
  /** Rejects when the body is refused; never resolves. */
  readonly failed: Promise<never>;

  constructor(
    budget: MemoryBudget,
    readonly limit: number,
  ) {
    this.charge = budget.tryCharge(0) as Charge; // an empty charge always fits
    this.failed = new Promise<never>((_resolve, reject) => this.failures.push(reject));
    this.failed.catch(() => undefined); // observed by whoever awaits it; never unhandled
  }

  /** Bytes charged to the budget for this body. */
  get charged(): number {
    return this.charge.bytes;
  }

  /** Counts one chunk; returns the refusal when it cannot be taken. */
  count(bytes: number): Error | undefined {
    if (this.error) return this.error;
    this.received += bytes;
    if (this.received > this.limit) return this.fail(uploadTooLarge(this.limit));
    if (!this.charge.grow(bytes)) return this.fail(memoryBusy('this upload'));
    return undefined;
  }

  onFailure(listener: (err: Error) => void): void {
    if (this.error) listener(this.error);
    else this.failures.push(listener);
  }

  fail(err: Error): Error {
    if (this.error) return this.error;
    this.error = err;
    for (const f of this.failures) f(err);
    return err;
  }

  release(): void {
    this.charge.release();
  }
}

export interface MeterOptions {
  budget: MemoryBudget;
  maxUploadBytes: number;
  timeoutMs: number;
}

/**
 * A route's preParsing hook: returns the stream the body parser should read. Raw bodies are read
 * through a counting pass-through. Multipart bodies are read by @fastify/multipart from the raw
 * request: their image part is counted chunk by chunk as it is read, the rest is bounded by the
 * parser's limits (fields, field size, parts) and by the declared Content-Length.
 */
export function meterUpload(request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream, opts: MeterOptions): NodeJS.ReadableStream {
  // From the header: request.isMultipart() is only set by the body parser, which runs after this hook.
  const multipart = /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '');
  const limit = multipart ? opts.maxUploadBytes + MULTIPART_ENVELOPE_BYTES : opts.maxUploadBytes;
  const declared = Number(request.headers['content-length']);
  if (declared > limit) {
    void reply.header('connection', 'close'); // the rest of the body is never read
    throw uploadTooLarge(limit);
  }
  const meter = new UploadMeter(opts.budget, limit);
  request.upload = meter;
  const raw = request.raw;
  const onDeadline = (): void => {
    // Only the deadline: a client that left is the deadline plugin's and the socket's business.
    if (!raw.complete && (request.deadline.reason as AppError | undefined)?.kind === 'timeout') meter.fail(requestNotReceived(opts.timeoutMs));
  };
  request.deadline.addEventListener('abort', onDeadline, { once: true });
  reply.raw.once('close', () => {
    request.deadline.removeEventListener('abort', onDeadline);
    meter.release();
  });
  meter.onFailure(() => void reply.header('connection', 'close'));
  if (multipart) {
    // @fastify/multipart reads the raw request itself; the image part is counted as it is read
    // (src/http/plugins/uploads.ts), and a refusal ends the read at once (readMultipart's race).
    return payload;
  }
  const counted = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      const err = meter.count(chunk.length);
      callback(err ?? null, err ? undefined : chunk);
    },
  });
  // The body parser listens for errors while it reads; once it has stopped, a late refusal (the
  // deadline) must not become an uncaught 'error'.
  counted.on('error', () => undefined);
  payload.on('error', (err) => counted.destroy(err));
  meter.onFailure((err) => {
    payload.unpipe(counted);
    counted.destroy(err);
  });
  return payload.pipe(counted);
}