/**
 * Request logging, through Fastify's LogController hooks: one line per request when it completes
 * (method, URL, status, time, and the error code when it failed) instead of Fastify's two, with
 * the arrival line kept at debug. Overload refusals are counted instead: one warning when they
 * start, then at most one summary line per interval while they go on. Under a flood, refusing a
 * request must stay cheap, and the logs must keep what an operator needs, not thousands of
 * identical lines a second.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppError } from '../errors.js';
import { requestTraceIds } from '../telemetry/http-context.js';

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

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const failure = request.failure;
    if (failure?.kind === 'overloaded') {
      this.refusals.count(reply.server.log, failure.code);
      return;
    }
    const line = {
      req: request,
      res: reply,
      responseTime: reply.elapsedTime,
      ...(failure && { code: failure.code, error: failure.message }),
      ...requestTraceIds(request), // traceId, spanId: when the request has a span (tracing on)
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
