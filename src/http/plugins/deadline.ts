/**
 * Gives every request an AbortSignal that fires at its deadline (REQUEST_TIMEOUT_MS from arrival)
 * or when the client goes away, and the deadline itself (`deadlineAt`, performance.now() ms) so
 * that work can bound itself by what is left (libvips' decode timeout). Work waiting in the
 * batcher or the decode scheduler listens to it, so an abandoned request frees its place at once
 * and is never computed; a body still arriving is refused (src/http/plugins/upload-meter.ts).
 *
 * Backstop: a request that has not been answered a second after its deadline (some phase ignored
 * the signal) has its connection closed: nothing a client sends holds a socket past that. One
 * answered but not yet flushed is closed gently, so that its answer still reaches the client.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { closeGently } from '../client-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    deadline: AbortSignal;
    /** `performance.now()` at which the deadline passes. */
    deadlineAt: number;
  }
}

/** Time after the deadline for the 504 to be written before the connection is closed. */
export const BACKSTOP_GRACE_MS = 1000;

export const deadlineExceeded = (ms: number): AppError =>
  new AppError('timeout', 'deadline_exceeded', `the request was not served within its ${ms} ms deadline`);

async function deadline(app: FastifyInstance, opts: { timeoutMs: number }): Promise<void> {
  app.decorateRequest('deadline', null as unknown as AbortSignal);
  app.decorateRequest('deadlineAt', 0);
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController();
    let backstop: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      controller.abort(deadlineExceeded(opts.timeoutMs));
      backstop = setTimeout(() => {
        const socket = request.raw.socket;
        if (reply.raw.writableFinished || !socket) return;
        // Answered but not yet flushed (a lagging event loop, a client still sending or slow to
        // read): a reset now would lose the answer (unread data makes the kernel send RST), so
        // close gently, still bounded (LINGER_MS). Not answered at all: close now.
        if (reply.raw.writableEnded) closeGently(socket);
        else socket.destroy();
      }, BACKSTOP_GRACE_MS);
      backstop.unref();
    }, opts.timeoutMs);
    timer.unref();
    request.deadline = controller.signal;
    request.deadlineAt = performance.now() + opts.timeoutMs;
    // The response's 'close' fires when it is finished or when the connection dropped before that.
    reply.raw.once('close', () => {
      clearTimeout(timer);
      clearTimeout(backstop);
      if (!reply.raw.writableFinished) controller.abort(new AppError('invalid_request', 'client_closed', 'the client closed the connection'));
    });
  });
}

export const deadlinePlugin = fp(deadline, { name: 'deadline' });

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}
