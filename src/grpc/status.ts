/**
 * The one place where errors become gRPC statuses, kind for kind beside the HTTP mapping
 * (src/http/error-mapping.ts): what is 400/415/422 over HTTP is INVALID_ARGUMENT, 404 NOT_FOUND,
 * 413 RESOURCE_EXHAUSTED (as gRPC's own message-size limit), 503 UNAVAILABLE (retryable; the
 * Retry-After seconds travel as `retry-after` trailing metadata), 504 DEADLINE_EXCEEDED. The
 * stable error code travels as `error-code` metadata; the message is the status details.
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { AppError, type ErrorKind } from '../errors.js';

export const GRPC_STATUS_BY_KIND: Record<ErrorKind, status> = {
  invalid_request: status.INVALID_ARGUMENT,
  unauthorized: status.UNAUTHENTICATED,
  not_found: status.NOT_FOUND,
  too_large: status.RESOURCE_EXHAUSTED,
  unsupported_media: status.INVALID_ARGUMENT,
  unprocessable: status.INVALID_ARGUMENT,
  not_ready: status.UNAVAILABLE,
  overloaded: status.UNAVAILABLE,
  timeout: status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
  // HTTP-only situations (a method on a path, a request not received in full, oversized headers):
  // gRPC's own framing handles them, but the table stays total so a new kind cannot be forgotten.
  method_not_allowed: status.UNIMPLEMENTED,
  request_timeout: status.DEADLINE_EXCEEDED,
  headers_too_large: status.RESOURCE_EXHAUSTED,
};

/** Normalises anything thrown in a call into an AppError; unknown errors are internal. */
export const asAppError = (err: unknown): AppError =>
  err instanceof AppError ? err : new AppError('internal', 'internal_error', 'internal server error', { cause: err });

export function toStatus(err: AppError): StatusObject {
  const metadata = new Metadata();
  metadata.set('error-code', err.code);
  if (err.retryAfterSeconds !== undefined) metadata.set('retry-after', String(err.retryAfterSeconds));
  // A client that went away gets no answer anyway; CANCELLED says what happened.
  const code = err.code === 'client_closed' ? status.CANCELLED : GRPC_STATUS_BY_KIND[err.kind];
  return { code, details: err.message, metadata };
}
