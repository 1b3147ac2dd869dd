/**
 * Gives every request an AbortSignal that fires at its deadline (REQUEST_TIMEOUT_MS from arrival)
 * or when the client goes away. Work waiting in the batcher listens to it, so an abandoned request
 * frees its queue slot at once and is never computed.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    deadline: AbortSignal;
  }
}

export const deadlineExceeded = (ms: number): AppError =>
  new AppError('timeout', 'deadline_exceeded', `the request was not served within its ${ms} ms deadline`);

async function deadline(app: FastifyInstance, opts: { timeoutMs: number }): Promise<void> {
  app.decorateRequest('deadline', null as unknown as AbortSignal);
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(deadlineExceeded(opts.timeoutMs)), opts.timeoutMs);
    timer.unref();
    request.deadline = controller.signal;
    // The response's 'close' fires when it is finished or when the connection dropped before that.
    reply.raw.once('close', () => {
      clearTimeout(timer);
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
