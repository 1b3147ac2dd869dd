/**
 * The one rule for `topk`: a decimal integer (ASCII digits only) from 1 to the number of classes
 * the model the request names has (its descriptor's `output.classes`; unbounded before the model
 * is loaded or when the name is unknown, when the request is refused with 503 or 404 anyway). No sign, spaces,
 * exponent, hex or fraction: `0x10`, `1e3`, `+5`, ` 5` and `5.0` are refused with 400
 * `invalid_topk`. Checked on the raw query string, before the schema's type coercion (which would
 * read `0x10` as 16) and before the upload is read.
 */
import type { FastifyRequest } from 'fastify';
import { invalidRequest, type AppError } from '../errors.js';
import { topkQuery } from './schemas.js';

const DECIMAL = /^[0-9]+$/;

// The value is not repeated: the message lands in the access log, and query values never do.
const refused = (classes: number | undefined): AppError =>
  invalidRequest('invalid_topk', `topk must be a decimal integer from 1 to ${classes ?? "the model's class count"} (digits only: no sign, spaces, exponent or hex)`);

/** The topk value of a query (`undefined` when absent), or throws 400 invalid_topk. */
export function parseTopk(raw: unknown, classes?: number): number | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw invalidRequest('invalid_topk', 'topk must be given once');
  const text = String(raw);
  if (!DECIMAL.test(text)) throw refused(classes);
  const value = Number(text);
  if (value < 1 || value > (classes ?? Number.MAX_SAFE_INTEGER)) throw refused(classes);
  return value;
}

/**
 * App hook: on every route whose query schema is `topkQuery`, replaces the raw `topk` with its
 * number (the schema then only fills in the default), before the body is read.
 */
export function strictTopk(classes: (model: string | undefined) => number | undefined) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.routeOptions.schema?.querystring !== topkQuery) return;
    const query = request.query as Record<string, unknown>;
    const topk = parseTopk(query.topk, classes(typeof query.model === 'string' ? query.model : undefined));
    if (topk !== undefined) query.topk = topk;
  };
}
