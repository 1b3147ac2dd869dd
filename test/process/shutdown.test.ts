/**
 * Graceful shutdown of the real server process: SIGTERM in the middle of a burst of 50 requests.
 * Every request already accepted gets its 200 (none is reset), readiness turns 503 at once, new
 * connections are refused, and the process exits 0.
 */
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server-process.js';
import { imagenetSample, readImage } from '../helpers/paths.js';

interface Outcome {
  status?: number;
  label?: string;
  error?: string;
}

/** One POST on its own keep-alive connection; resolves with what happened, never rejects. */
function post(port: number, body: Buffer, agent: http.Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/predict', method: 'POST', agent, headers: { 'content-type': 'image/jpeg', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, label: (JSON.parse(text) as { predictions?: { label: string }[] }).predictions?.[0]?.label }));
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

describe('graceful shutdown', () => {
  it('SIGTERM mid-burst: all 50 accepted requests get 200, then exit 0', async () => {
    const server = await startServer({ LOG_LEVEL: 'debug', SHUTDOWN_GRACE_MS: '60000', MAX_QUEUE: '100' }, { fromSource: true });
    const samples = imagenetSample().slice(0, 50);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const results = samples.map((s) => post(server.port, readImage(s.file), agent));
    // "Accepted" = the server has taken the request in: at debug it logs each one as it arrives.
    // (readiness polls are logged too: count only the uploads)
    await server.waitFor((out) => out.split('\n').filter((l) => l.includes('"msg":"incoming request"') && l.includes('"url":"/predict"')).length >= samples.length);

    const exit = once(server.child, 'exit') as Promise<[number | null]>;
    server.child.kill('SIGTERM');
    await server.waitFor(/"msg":"shutdown: draining"/);
    // From now on the pod is never ready: /readyz says 503 while accepted work drains, or the new
    // connection is refused (listener closed) or reset (it reached the accept queue as it closed).
    const ready = await fetch(`${server.url}/readyz`).then((r) => r.status, (e: Error) => (e.cause as NodeJS.ErrnoException)?.code ?? 'error');
    expect([503, 'ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(ready);

    const outcomes = await Promise.all(results);
    const [code] = await exit;
    agent.destroy();
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed).toEqual([]);
    expect(outcomes.every((o) => typeof o.label === 'string' && o.label.length > 0)).toBe(true);
    expect(code).toBe(0);
    // After exit nothing listens any more.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(server.output()).toMatch(/"msg":"shutdown: done"/);
  });
});
