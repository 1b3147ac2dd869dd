/**
 * The hostile clients of `npm run bench:hostile`, in their own process (as load-process.ts does
 * for ordinary clients) so their CPU is measured apart from the server's:
 * - decode clients: closed-loop keep-alive connections, each sending the worst cases in turn at
 *   full speed and resending the moment they are answered, whatever the answer (no Retry-After);
 * - tricklers: raw sockets sending the byte-limit upload a slice every 100 ms, half at a pace that
 *   ends within REQUEST_TIMEOUT_MS ("trickle-slow"), half at twice it ("trickle-stalled"). The
 *   answer is read while the body is still going out, as a server may answer (408, 413, 503)
 *   before the body ends.
 *
 * As a module: `inHostileProcess(job)`. As a program: the child side, given the job on argv.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { closedLoop, type Outcome, type RequestSpec } from './closed-loop.js';

/** Statuses a hostile request may get: served, refused as too large, or refused for now. */
export const HOSTILE_OK = [200, 413, 429, 503, 504];
/** A trickled upload may also be cut at the request deadline. */
export const TRICKLE_OK = [...HOSTILE_OK, 408];

export interface HostileJob {
  url: string;
  port: number;
  seconds: number;
  /** Closed-loop connections sending the decode worst cases. */
  decoders: number;
  /** Raw sockets trickling the byte-limit upload. */
  tricklers: number;
  requestTimeoutMs: number;
  cases: { name: string; file: string; contentType: string; trickle: boolean }[];
}

export interface HostileResult {
  outcomes: Outcome[];
  /** CPU the hostile clients used, in cores (user + system time over wall time). */
  clientCores: number;
}

const self = fileURLToPath(import.meta.url);
const TICK_MS = 100;

export function inHostileProcess(job: HostileJob): Promise<HostileResult> {
  const child = fork(self, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: HostileResult | undefined;
    child.once('message', (m) => (result = m as HostileResult));
    child.once('error', reject);
    child.once('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`hostile load exited with code ${code} and no result`))));
  });
}

interface Trickle {
  kind: string;
  port: number;
  body: Buffer;
  contentType: string;
  /** Time over which the whole body is sent. */
  paceMs: number;
  /** The client gives up (and records `no-answer-in-time`) after this long. */
  capMs: number;
  signal: AbortSignal;
}

/** One trickled upload over a raw socket; resolves with the status line's code or what ended it. */
function trickle(t: Trickle): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port: t.port });
    let head = '';
    let done = false;
    let ticker: NodeJS.Timeout | undefined;
    const finish = (status: number | string): void => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(cap);
      t.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ kind: t.kind, status, ms: performance.now() - started, ok: typeof status === 'number' && TRICKLE_OK.includes(status), retryAfter: null });
    };
    const onAbort = (): void => finish('unfinished');
    const cap = setTimeout(() => finish('no-answer-in-time'), t.capMs);
    t.signal.addEventListener('abort', onAbort);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(`POST /predict HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Type: ${t.contentType}\r\nContent-Length: ${t.body.length}\r\nConnection: close\r\n\r\n`);
      const slice = Math.ceil(t.body.length / Math.max(1, Math.round(t.paceMs / TICK_MS)));
      let sent = 0;
      ticker = setInterval(() => {
        if (sent >= t.body.length || socket.destroyed) return void clearInterval(ticker);
        const end = Math.min(t.body.length, sent + slice);
        socket.write(t.body.subarray(sent, end));
        sent = end;
      }, TICK_MS);
    });
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) finish(Number(m[1]));
      else if (head.length > 64) finish('bad-response');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'socket-error'));
    socket.on('close', () => finish('closed-without-answer'));
  });
}

async function run(job: HostileJob): Promise<Outcome[]> {
  const bodies = new Map(job.cases.map((c) => [c.name, readFileSync(c.file)]));
  const decodeCases = job.cases.filter((c) => !c.trickle);
  const trickleCase = job.cases.find((c) => c.trickle);
  const specs: RequestSpec[] = decodeCases.map((c) => ({
    kind: c.name, path: '/predict', headers: { 'content-type': c.contentType }, body: bodies.get(c.name) as Buffer, expect: HOSTILE_OK,
  }));
  const stop = new AbortController();
  const stopAt = performance.now() + job.seconds * 1000;
  const trickled: Outcome[] = [];
  const trickler = async (i: number): Promise<void> => {
    if (!trickleCase) return;
    const stalled = i % 2 === 1;
    while (performance.now() < stopAt) {
      trickled.push(await trickle({
        kind: stalled ? 'trickle-stalled' : 'trickle-slow', port: job.port, body: bodies.get(trickleCase.name) as Buffer, contentType: trickleCase.contentType,
        paceMs: (stalled ? 2 : 0.5) * job.requestTimeoutMs, capMs: job.requestTimeoutMs + 10_000, signal: stop.signal,
      }));
    }
  };
  const ending = setTimeout(() => stop.abort(), job.seconds * 1000);
  const [decoded] = await Promise.all([
    job.decoders > 0 && specs.length > 0 ? closedLoop(job.url, { concurrency: job.decoders, seconds: job.seconds, honourRetryAfter: false, next: (i) => specs[i % specs.length] }) : [],
    Promise.all(Array.from({ length: job.tricklers }, (_, i) => trickler(i))),
  ]);
  clearTimeout(ending);
  // A trickle cut by the end of the flood has no answer to judge.
  return [...decoded, ...trickled.filter((o) => o.status !== 'unfinished')];
}

if (process.argv[1] === self && process.send) {
  const job = JSON.parse(process.argv[2]) as HostileJob;
  const started = performance.now();
  const before = process.cpuUsage();
  const outcomes = await run(job);
  const cpu = process.cpuUsage(before);
  const clientCores = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
  process.send({ outcomes, clientCores } satisfies HostileResult, () => process.disconnect());
}
