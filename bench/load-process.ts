/**
 * Runs the load generator in its own process, so its CPU use can be measured apart from the
 * server's and the benchmark script's. Clients and server share this machine's cores at equal
 * priority: a pessimistic rig, as clients on other machines would leave the server every core.
 * (Lowering the clients' priority was tried: a starved client inflates its own latency readings
 * and uploads so slowly that the server's deadline cuts it off, so its figures mean nothing.)
 *
 * As a module: `inLoadProcess(job)`. As a program: the child side, given the job on argv.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closedLoop, openLoop, type Outcome, type RequestSpec } from './closed-loop.js';
import { jpegRequest, sampleJpegs } from './images.js';
import { runLoad, type LoadResult } from './load.js';

export type Load =
  /** Throughput run with autocannon, real JPEGs rotated per request. */
  | { kind: 'autocannon'; concurrency: number }
  /** Closed-loop clients with per-request outcomes; `polite` clients wait out Retry-After. */
  | { kind: 'closed-loop'; concurrency: number; polite: boolean }
  /** A fixed arrival rate (requests per second) over `connections`, whatever the answers. */
  | { kind: 'open-loop'; rate: number; connections: number };

/** A load, aimed at a server for a fixed time. */
export type LoadJob = Load & { url: string; seconds: number };

type ResultOf<J extends LoadJob> = (J extends { kind: 'autocannon' } ? LoadResult : { outcomes: Outcome[] }) & {
  /** CPU the load generator used, in cores (user + system time over wall time). */
  clientCores: number;
};

const self = fileURLToPath(import.meta.url);

export function inLoadProcess<J extends LoadJob>(job: J): Promise<ResultOf<J>> {
  const child = fork(self, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: ResultOf<J> | undefined;
    child.once('message', (m) => (result = m as ResultOf<J>));
    child.once('error', reject);
    child.once('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`load generator exited with code ${code} and no result`))));
  });
}

async function run(job: LoadJob, images: Buffer[]): Promise<object> {
  if (job.kind === 'autocannon') return runLoad(job.url, images, job.concurrency, job.seconds);
  const next = (i: number): RequestSpec => jpegRequest(images[i % images.length]);
  if (job.kind === 'open-loop') return { outcomes: await openLoop(job.url, { rate: job.rate, connections: job.connections, seconds: job.seconds, next }) };
  return { outcomes: await closedLoop(job.url, { concurrency: job.concurrency, seconds: job.seconds, honourRetryAfter: job.polite, next }) };
}

if (process.argv[1] === self && process.send) {
  const images = sampleJpegs();
  // From here on only: the process's start-up (loading tsx and autocannon, reading the images) is
  // not load generation.
  const started = performance.now();
  const before = process.cpuUsage();
  const result = await run(JSON.parse(process.argv[2]) as LoadJob, images);
  const cpu = process.cpuUsage(before);
  const clientCores = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
  process.send({ ...result, clientCores }, () => process.disconnect());
}
