/** Raw HTTP/1.1 over a socket, for requests no client library would send (tests only). */
import { once } from 'node:events';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Parses the first HTTP/1.1 response in `text` (Content-Length framed, as every error here is). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const raw = text.slice(end + 4, end + 4 + Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(raw) as unknown };
}

/**
 * Sends `head` (and `body`) on a fresh connection, then `trickle` every 50 ms until the server
 * answers; returns the response it wrote before closing the connection.
 */
export async function exchange(p: number, head: string | Buffer, opts: { body?: Buffer; trickle?: string } = {}): Promise<RawResponse> {
  const socket = net.connect(p, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (d: Buffer) => {
    clearInterval(timer); // answered: stop sending
    text += d.toString('latin1');
  });
  socket.on('error', () => undefined); // a reset after the answer is fine: the answer is what counts
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.write(head);
  if (opts.body) socket.write(opts.body);
  if (opts.trickle !== undefined) timer = setInterval(() => socket.write(opts.trickle ?? ''), 50);
  await closed;
  clearInterval(timer);
  return parseResponse(text);
}
