/**
 * Meters a request body from its first byte: every chunk is charged to the memory budget as it
 * arrives and counted against the upload limit (multipart included: its whole body, fields and
 * envelope, is bounded, not only the image part). The body is refused at once with 413 when its
 * Content-Length is over the limit, the moment the limit is passed otherwise, and with 408 when the
 * request's deadline passes while the body is still arriving. A slow or stalled upload so holds
 * only what it has sent (charged UPLOAD_COPIES times).
 *
 * When the budget has no room for the next chunk, the body is paused: nothing more is read from
 * its connection (TCP pushes back on the client) until room is released, for at most
 * ADMISSION_WAIT_MS, then 503 memory_busy. Refusing at once instead made a flood of large uploads
 * cheap to resend and costly to receive: the server read hundreds of MB a second only to refuse
 * them, on the event loop ordinary requests need (docs/hostile.md).
 */
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, requestNotReceived, tooLarge } from '../../errors.js';
import { BULK_BYTES, memoryBusy, type Charge, type MemoryBudget } from '../../service/memory-budget.js';

declare module 'fastify' {
  interface FastifyRequest {
    upload: UploadMeter | null;
  }
}

/** Room for a multipart body's boundaries and part headers around an image of MAX_UPLOAD_BYTES. */
export const MULTIPART_ENVELOPE_BYTES = 16 * 1024;

/**
 * Bytes charged per byte received. A body is held twice before it is decoded: its chunks, then the
 * one buffer the body parser joins them into, while the chunks wait for the garbage collector.
 * Charging once let a flood of large uploads hold about twice the budget (container peak 965-990 MB
 * of 1 GiB with a 347 MB budget, docs/hostile.md).
 */
export const UPLOAD_COPIES = 2;

export const uploadTooLarge = (limit: number): AppError =>
  tooLarge('upload_too_large', `the request body is larger than ${limit} bytes (MAX_UPLOAD_BYTES)`);


export class UploadMeter {
  received = 0;
  /** Time this body has spent paused for room so far. */
  private waitedMs = 0;
  private readonly charge: Charge;
  private error: Error | undefined;
  private readonly failures: ((err: Error) => void)[] = [];
  /** Rejects when the body is refused; never resolves. */
  readonly failed: Promise<never>;

  constructor(
    private readonly budget: MemoryBudget,
    readonly limit: number,
    private readonly maxWaitMs: number,
    /** The body's declared length, when it has one: a large one is bulk from its first byte. */
    declared = 0,
  ) {
    // An empty charge always fits. Bulk from the start, or the first megabyte of every large upload
    // would be small and a flood of them would hold the small reserve ordinary photos need.
    this.charge = budget.tryCharge(0, declared * UPLOAD_COPIES > BULK_BYTES) as Charge;
    this.failed = new Promise<never>((_resolve, reject) => this.failures.push(reject));
    this.failed.catch(() => undefined); // observed by whoever awaits it; never unhandled
  }

  /** Bytes charged to the budget for this body (UPLOAD_COPIES per byte received). */
  get charged(): number {
    return this.charge.bytes;
  }

  /**
   * Takes one chunk: undefined when it is taken at once (the common case, no promise), else a
   * promise that resolves once the budget has room for it and rejects with the refusal: the limit,
   * no room within what is left of `maxWaitMs` (one allowance per body, however many pauses), or
   * the meter failing meanwhile (the deadline).
   */
  take(bytes: number): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error);
    this.received += bytes;
    if (this.received > this.limit) return Promise.reject(this.fail(uploadTooLarge(this.limit)));
    const cost = bytes * UPLOAD_COPIES;
    if (this.charge.grow(cost)) return undefined;
    const room = this.budget.whenRoom(() => this.charge.grow(cost));
    const paused = performance.now();
    const timer = setTimeout(() => this.fail(memoryBusy('this upload')), Math.max(0, this.maxWaitMs - this.waitedMs));
    return Promise.race([room.ready, this.failed]).finally(() => {
      clearTimeout(timer);
      room.cancel();
      this.waitedMs += performance.now() - paused;
    });
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
  /** Longest pause for room in the budget before 503 (ADMISSION_WAIT_MS). */
  maxWaitMs: number;
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
    void reply.header('connection', 'close'); // after the answer, the rest is discarded and the connection closes gently
    throw uploadTooLarge(limit);
  }
  const meter = new UploadMeter(opts.budget, limit, opts.maxWaitMs, declared);
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
  meter.onFailure(() => {
    void reply.header('connection', 'close');
    // The rest of the body is read and discarded, not left unread: a paused connection would hold
    // the client (still sending) until the deadline, and unread bytes at close make a reset that
    // loses the answer. The client stops sending once it has read the answer; the connection then
    // closes gently (src/http/client-errors.ts).
    raw.unpipe();
    raw.resume();
  });
  if (multipart) {
    // @fastify/multipart reads the raw request itself; the image part is counted as it is read
    // (src/http/plugins/uploads.ts), and a refusal ends the read at once (readMultipart's race).
    return payload;
  }
  const counted = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      // While a chunk waits for room, the pipe stops reading the request: the connection pauses.
      const waiting = meter.take(chunk.length);
      if (!waiting) callback(null, chunk);
      else waiting.then(() => callback(null, chunk), (err: Error) => callback(err));
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