/**
 * What Node's HTTP server refuses before (or beside) Fastify: malformed requests, headers over the
 * size limit, and requests not received in full within REQUEST_TIMEOUT_MS. Node reports these as
 * `clientError`; this answers them in the API's JSON error shape (README "Errors") with their own
 * codes, logs one line at info, and closes the connection.
 *
 * Node checks request and header deadlines only every `connectionsCheckingInterval` (30 s by
 * default), so a trickled request used to be cut off up to 30 s late: the interval is tightened
 * here, and headers get the same deadline as the whole request.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { AppError, requestNotReceived } from '../errors.js';
import { errorBody, errorFormatFor, STATUS_BY_KIND } from './error-mapping.js';

/** Node server options: request and header deadlines, checked often enough to be kept. */
export function serverTimeouts(requestTimeoutMs: number): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  // A twentieth of the deadline, within 100..250 ms: a request still in its headers is refused at
  // most that late (the body phase has its own timer, src/http/plugins/deadline.ts), leaving room
  // for event-loop lag under load within the second issue 14 allows; the check (a walk over open
  // connections) stays cheap.
  const connectionsCheckingInterval = Math.min(250, Math.max(100, Math.round(requestTimeoutMs / 20)));
  return { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval };
}

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** How long a refused connection is still read (and discarded) after its answer. */
export const LINGER_MS = 2000;

/**
 * Closes after the answer without losing it: half-closes, then reads and discards what the client
 * still sends for up to LINGER_MS. Closing at once would reset a client still uploading, which then
 * never reads the answer (EPIPE instead of a 408): HTTP's "lingering close".
 */
export function closeGently(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Node closes a connection after an answer that says `Connection: close` with destroySoon(): the
 * socket is destroyed once the answer is written. When that answer came before the request's body
 * ended (413 from Content-Length, 503 for memory, 408), the client is still sending, and its unread
 * bytes make the kernel reset the connection: a client that had not yet read the answer loses it
 * (EPIPE / ECONNRESET). Every connection of `server` closes gently instead.
 */
export function closeConnectionsGently(server: http.Server): void {
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = () => closeGently(socket);
  });
}

/** The refusal for a parser error. */
export function refusalFor(err: Pick<ConnectionError, 'code' | 'message'>, requestTimeoutMs: number, maxHeaderSize = http.maxHeaderSize): AppError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return requestNotReceived(requestTimeoutMs);
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('headers_too_large', 'headers_too_large', `the request line and headers exceed ${maxHeaderSize} bytes`);
    default:
      // Node's parser messages name the fault without echoing the request ("Parse Error: Invalid method encountered").
      return new AppError('invalid_request', 'malformed_request', `malformed HTTP request: ${err.message.replace(/^Parse Error: /, '')}`);
  }
}

/** The request line's path, when the parser error came with the bytes it choked on. */
function targetOf(err: ConnectionError): string | undefined {
  const packet: unknown = err.rawPacket; // typed as JSON, a Buffer at run time
  if (!Buffer.isBuffer(packet)) return undefined;
  return /^[A-Z]+ (\S+)/.exec(packet.subarray(0, 2048).toString('latin1'))?.[1];
}

/**
 * Fastify's `clientErrorHandler` option, bound to the app. A request already handed to Fastify
 * (trickling its body) fails through its own route, with the route's error shape, request id,
 * access-log line and metrics: its body stream errs with the refusal, which every body reader
 * (Fastify's parsers, multipart) turns into the request's error.
 */
export function clientErrorHandler(requestTimeoutMs: number): (this: FastifyInstance, err: ConnectionError, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  return function onClientError(this: FastifyInstance, err, socket) {
    // A reset or closed connection has no one left to answer; neither has one that the client
    // closed mid-request (EOF before the request's end): an abort, which the access log records
    // for a request already routed (src/http/access-log.ts).
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE' || socket.destroyed || answered.has(socket)) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const refusal = refusalFor(err, requestTimeoutMs);
    const res = (socket as HttpSocket)._httpMessage;
    if (res) {
      const req = (res as ServerResponse & { req?: IncomingMessage }).req;
      if (res.headersSent) socket.destroy();
      else if (req && req.listenerCount('error') > 0) req.emit('error', refusal);
      else {
        const body = errorBody(refusal, errorFormatFor(req?.url));
        res.writeHead(STATUS_BY_KIND[refusal.kind], { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
        res.end(body);
      }
      return;
    }
    const id = randomUUID();
    const status = STATUS_BY_KIND[refusal.kind];
    this.log.info({ reqId: id, remoteAddress: socket.remoteAddress, res: { statusCode: status }, code: refusal.code, error: refusal.message }, 'request refused before routing');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = errorBody(refusal, errorFormatFor(targetOf(err)));
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
    );
    closeGently(socket);
  };
}
