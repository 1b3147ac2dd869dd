/**
 * The one place where errors become HTTP. Every error a client can cause maps to a precise 4xx
 * with a JSON body; anything else is a 500 whose body never carries a stack trace. The same bodies
 * are written for what never reaches a route: unknown paths (404), known paths asked with another
 * method (405), malformed URLs, and what Node's HTTP parser refuses (src/http/client-errors.ts).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorKind } from '../errors.js';
import type { AllowedMethods } from './allowed-methods.js';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  headers_too_large: 431,
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

/** A request target's path without its query string, which may carry secrets: for messages. */
export const pathOf = (url: string | undefined): string => (url ?? '/').split('?')[0] || '/';

/** Where no route decides (parser errors, unknown paths, bad URLs): the v2 shape under /v2, else the tutorial's. */
export function errorFormatFor(url: string | undefined): ErrorFormat {
  const path = pathOf(url);
  return path === '/v2' || path.startsWith('/v2/') ? 'v2' : 'classic';
}

/** The JSON body of an error, in the given format. */
export function errorBody(err: AppError, format: ErrorFormat): string {
  return JSON.stringify(format === 'v2' ? { error: err.message } : { success: false, error: { code: err.code, message: err.message } });
}

/** Fastify's and its plugins' own error codes, translated into our kinds and codes. */
const FASTIFY_CODES: Record<string, [ErrorKind, string, string?]> = {
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
  // Fastify's message repeats the raw path, query included: ours does not.
  FST_ERR_BAD_URL: ['invalid_request', 'invalid_url', 'the URL path is malformed: a "%" not followed by two hex digits, or escapes that are not UTF-8'],
  FST_ERR_MAX_PARAM_LENGTH: ['not_found', 'not_found', 'no such route: a path segment is longer than 100 characters'],
};

/** Other errors that carry only an HTTP status (from Fastify or a plugin): the kind of that status. */
const KIND_BY_STATUS: Record<number, ErrorKind> = {
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'too_large',
  415: 'unsupported_media',
  422: 'unprocessable',
  431: 'headers_too_large',
};

/** Errors that only say the client's connection went away (abort mid-upload, reset). */
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

function validationCode(err: FastifyError): string {
  // `querystring/topk must be >= 1` -> invalid_topk: the parameter named in the code.
  const first = err.validation?.[0];
  const param = first?.instancePath?.split('/').filter(Boolean)[0] ?? (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
  return param ? `invalid_${param.replace(/[^A-Za-z0-9_]/g, '_')}` : 'invalid_request';
}

export const clientClosed = (): AppError => new AppError('invalid_request', 'client_closed', 'the client closed the connection');

/** Normalises anything thrown in a request into an AppError. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError> & { message?: string };
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const [kind, code, message] = FASTIFY_CODES[fe.code];
    const finalCode = fe.code === 'FST_ERR_VALIDATION' ? validationCode(fe as FastifyError) : code;
    return new AppError(kind, finalCode, message ?? fe.message ?? code);
  }
  if (fe.code && CONNECTION_CODES.has(fe.code)) return clientClosed();
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const kind = KIND_BY_STATUS[fe.statusCode] ?? 'invalid_request';
    return new AppError(kind, kind, fe.message ?? 'bad request');
  }
  return new AppError('internal', 'internal_error', 'internal server error', { cause: err });
}

/** The route's error format, or the path's where no route matched (404, bad URL: no route context). */
function formatOf(request: FastifyRequest): ErrorFormat {
  let configured: ErrorFormat | undefined;
  try {
    configured = request.routeOptions.config?.errorFormat;
  } catch {
    configured = undefined; // a request Fastify built without a route (frameworkErrors)
  }
  return configured ?? errorFormatFor(request.url);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: AppError): FastifyReply {
  request.failure = err; // for the access log (src/http/access-log.ts)
  const status = STATUS_BY_KIND[err.kind];
  if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds));
  // The rest of a request that timed out is never read: the connection cannot carry another one.
  if (err.kind === 'request_timeout') void reply.header('connection', 'close');
  // Sent as text: no route's response schema can reshape an error body.
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(err, formatOf(request)));
}

/** No route for this method and path: 405 with `Allow` when the path takes other methods, else 404. */
export function routeMissing(request: FastifyRequest, reply: FastifyReply, allowed: AllowedMethods): AppError {
  const path = pathOf(request.url);
  const methods = allowed.for(request.url);
  if (methods.length === 0 || methods.includes(request.method)) return new AppError('not_found', 'not_found', `no route ${request.method} ${path}`);
  void reply.header('allow', methods.join(', '));
  return new AppError('method_not_allowed', 'method_not_allowed', `${request.method} is not allowed on ${path}; allowed: ${methods.join(', ')}`);
}

/** Improves Fastify's bare "Unsupported Media Type" with what the route takes. */
function mediaTypeRefusal(request: FastifyRequest): AppError {
  const got = request.headers['content-type'] ?? '(none)';
  const takes =
    formatOf(request) === 'v2'
      ? 'send JSON (Content-Type: application/json)'
      : 'send multipart/form-data with field "image", or the raw image with Content-Type image/* or application/octet-stream';
  return new AppError('unsupported_media', 'unsupported_content_type', `Content-Type ${got} is not accepted here: ${takes}`);
}

export function registerErrorHandlers(app: FastifyInstance, allowed: AllowedMethods): void {
  app.setErrorHandler((err, request, reply) => {
    let appErr = toAppError(err);
    // A catch-all route (the v2 one) throws the generic not_found: the path may still be known.
    if (appErr.kind === 'not_found' && appErr.code === 'not_found') appErr = routeMissing(request, reply, allowed);
    if (appErr.code === 'unsupported_content_type' && (err as FastifyError).code?.startsWith('FST_ERR_CTP_')) appErr = mediaTypeRefusal(request);
    // Client errors and aborts are logged once, on the request's access-log line.
    if (appErr.kind === 'internal') request.log.error({ err }, 'request failed');
    return sendError(request, reply, appErr);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, routeMissing(request, reply, allowed)));
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL), which
 * Fastify would otherwise answer in its own shape. The request has no route, so no hooks run:
 * the request id header and the access-log line are written here.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appErr = toAppError(err);
  void reply.header('x-request-id', request.id);
  void sendError(request, reply, appErr);
  request.log.info({ req: request, res: reply, code: appErr.code, error: appErr.message }, 'request completed');
}
