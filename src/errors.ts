/**
 * Typed errors shared by every layer. They say *what* went wrong (kind + stable code); the HTTP
 * layer alone decides the status code (src/http/error-mapping.ts), so services never know HTTP.
 */
export type ErrorKind =
  | 'invalid_request' // the client sent something malformed or missing
  | 'unauthorized' // missing or wrong credentials
  | 'not_found' // unknown route or model
  | 'method_not_allowed' // a known path asked with a method it does not take
  | 'request_timeout' // the client did not send its whole request (headers, body) in time
  | 'headers_too_large' // request line and headers over the HTTP parser's limit
  | 'too_large' // upload or decoded pixel count over the limits
  | 'unsupported_media' // not a supported raster image, or undecodable
  | 'unprocessable' // a valid image the model cannot use (e.g. 1x1 pixel)
  | 'not_ready' // model still loading, or shutting down
  | 'overloaded' // queue full: try again later
  | 'timeout' // the request's deadline passed before it was served
  | 'internal'; // a bug or an engine failure: never caused by client input

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Stable machine-readable code, e.g. `missing_image`; part of the API contract. */
  readonly code: string;
  /** Seconds a client should wait before retrying (503s from overload or start-up). */
  readonly retryAfterSeconds?: number;

  constructor(kind: ErrorKind, code: string, message: string, opts: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export const invalidRequest = (code: string, message: string): AppError => new AppError('invalid_request', code, message);
export const tooLarge = (code: string, message: string): AppError => new AppError('too_large', code, message);
export const unsupportedMedia = (code: string, message: string, cause?: unknown): AppError =>
  new AppError('unsupported_media', code, message, { cause });
export const notReady = (code: string, message: string, retryAfterSeconds = 5): AppError =>
  new AppError('not_ready', code, message, { retryAfterSeconds });

/** A fault in configuration or start-up: the process reports it in one line and exits non-zero. */
export class StartupError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StartupError';
  }
}

/** A request whose headers or body did not arrive in full within REQUEST_TIMEOUT_MS: one rule for every phase. */
export const requestNotReceived = (ms: number): AppError =>
  new AppError('request_timeout', 'request_timeout', `the request was not received in full within ${ms} ms (REQUEST_TIMEOUT_MS)`);
