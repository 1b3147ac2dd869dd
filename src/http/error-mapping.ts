/**
 * The one place where errors become HTTP. Every error a client can cause maps to a precise 4xx
 * with a JSON body; anything else is a 500 whose body never carries a stack trace.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorKind } from '../errors.js';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  not_ready: 503,
  overloaded: 503,
  timeout: 504,
  internal: 500,
};

/** Error body formats: the tutorial's `{success:false,error:{code,message}}` or the v2 protocol's `{error}`. */
export type ErrorFormat = 'classic' | 'v2';

declare module 'fastify' {
  interface FastifyContextConfig {
    errorFormat?: ErrorFormat;
  }
}

/** Fastify's and its plugins' own error codes, translated into our kinds and codes. */
const FASTIFY_CODES: Record<string, [ErrorKind, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['too_large', 'upload_too_large'],
  FST_REQ_FILE_TOO_LARGE: ['too_large', 'upload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media', 'unsupported_content_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'invalid_content_length'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_request', 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_request', 'invalid_json'],
  FST_ERR_CTP_EMPTY_TYPE: ['unsupported_media', 'unsupported_content_type'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: ['invalid_request', 'invalid_multipart'],
  FST_FILES_LIMIT: ['invalid_request', 'too_many_files'],
  FST_PARTS_LIMIT: ['invalid_request', 'too_many_parts'],
  FST_FIELDS_LIMIT: ['invalid_request', 'too_many_parts'],
  FST_PROTO_VIOLATION: ['invalid_request', 'invalid_multipart'],
  FST_ERR_VALIDATION: ['invalid_request', 'invalid_request'],
};

function validationCode(err: FastifyError): string {
  // `querystring/topk must be <= 1000` -> invalid_topk: the parameter named in the code.
  const first = err.validation?.[0];
  const param = first?.instancePath?.split('/').filter(Boolean)[0] ?? (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
  return param ? `invalid_${param.replace(/[^A-Za-z0-9_]/g, '_')}` : 'invalid_request';
}

/** Normalises anything thrown in a request into an AppError. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError> & { message?: string };
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const [kind, code] = FASTIFY_CODES[fe.code];
    const finalCode = fe.code === 'FST_ERR_VALIDATION' ? validationCode(fe as FastifyError) : code;
    return new AppError(kind, finalCode, fe.message ?? code);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('invalid_request', 'invalid_request', fe.message ?? 'bad request');
  }
  return new AppError('internal', 'internal_error', 'internal server error', { cause: err });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  request.failure = err; // for the access log (src/http/access-log.ts)
  const status = STATUS_BY_KIND[err.kind];
  if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
  const format = request.routeOptions.config?.errorFormat ?? 'classic';
  const body = format === 'v2' ? { error: err.message } : { success: false, error: { code: err.code, message: err.message } };
  return reply.code(status).type('application/json').send(body);
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const appErr = toAppError(err);
    // Client errors are logged once, on the request's access-log line, with their code and message.
    if (appErr.kind === 'internal') request.log.error({ err }, 'request failed');
    return sendError(request, reply, appErr);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new AppError('not_found', 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
