/**
 * Request logging, through Fastify's LogController hooks: one line per request when it completes
 * (method, URL, status, time, and the error code when it failed) instead of Fastify's two, with
 * the arrival line kept at debug. A request whose client went away before the answer gets one line
 * at info too ("request aborted by the client"), never an error. Overload refusals are counted
 * instead: one warning when they start, then at most one summary line per interval while they go
 * on. Under a flood, refusing a request must stay cheap, and the logs must keep what an operator
 * needs, not thousands of identical lines a second.
 *
 * URLs are logged without their query values (`?api_key=[redacted]`): a query string may carry a
 * credential. Only `topk`'s value is kept, when it is a plain number.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppError } from '../errors.js';

export const REDACTED = '[redacted]';
/** Query parameters whose values are logged as sent, when they match. */
const LOGGED_VALUES: Record<string, RegExp> = { topk: /^\d{1,6}$/ };

/** `url` with every query value replaced by `[redacted]` (and bare keys too: they may be a token). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq < 0) return REDACTED;
      const key = p.slice(0, eq);
      return LOGGED_VALUES[key]?.test(p.slice(eq + 1)) ? p : `${key}=${REDACTED}`;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** pino serializer for requests: Fastify's fields, with the URL redacted. */
export function serializeRequest(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error this request was answered with, if any (set where errors become HTTP). */
    failure: AppError | null;
  }
}

/** Counts overload refusals and logs them as one warning, then one summary per interval. */
export class RefusalSummary {
  private refused = 0;
  private windowStart = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 10_000) {}

  count(log: FastifyBaseLogger, code: string): void {
    if (this.timer) {
      this.refused++;
      return;
    }
    log.warn({ code }, `overloaded: refusing new requests with 503 (${code}); refusals are now summarised every ${this.intervalMs / 1000} s`);
    this.schedule(log, code);
  }

  private schedule(log: FastifyBaseLogger, code: string): void {
    this.refused = 0;
    this.windowStart = performance.now();
    this.timer = setTimeout(() => {
      if (this.refused === 0) {
        this.timer = undefined; // quiet again: the next refusal warns at once
        return;
      }
      const seconds = Math.round((performance.now() - this.windowStart) / 100) / 10;
      log.warn({ code, refused: this.refused, seconds }, `overloaded: refused ${this.refused} requests in the last ${seconds} s (${code})`);
      this.schedule(log, code);
    }, this.intervalMs);
    this.timer.unref(); // never holds up a shutdown
  }

  /** Stops the timer (app close); a pending count is dropped. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class AccessLog extends LogController {
  readonly refusals = new RefusalSummary();
  private readonly aborted = new WeakSet<FastifyRequest>();

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug({ req: request }, 'incoming request');
    // 'close' before 'finish': the client went away before the whole answer was sent.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) this.requestAborted(request, reply);
    });
  }

  private requestAborted(request: FastifyRequest, reply: FastifyReply): void {
    if (this.aborted.has(request)) return;
    this.aborted.add(request);
    const error = 'the client closed the connection before the answer';
    reply.log.info({ req: request, responseTime: reply.elapsedTime, code: 'client_closed', error }, 'request aborted by the client');
  }

  /** The access-log line says it all; Fastify's own "Route not found" line would repeat it, query included. */
  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Called on the response's 'error' too: unfinished, it is an abort, logged once as such.
    if (!reply.raw.writableFinished) return this.requestAborted(request, reply);
    const failure = request.failure;
    if (failure?.kind === 'overloaded') {
      this.refusals.count(reply.server.log, failure.code);
      return;
    }
    const line = { req: request, res: reply, responseTime: reply.elapsedTime, ...(failure && { code: failure.code, error: failure.message }) };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
