/**
 * Starts the real server (`node dist/server.js`) as a child process on a free port, waits for
 * readiness, and reads its Prometheus metrics. Shared by the process tests and the benchmark,
 * overload, soak and cold-start scripts (bench/ imports test helpers, never the other way), so each
 * measures the product exactly as deployed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PROJECT } from './paths.js';

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the server wrote (JSON log lines). */
  output: () => string;
  /** Resolves once the server's output matches (a pattern, or a test over the whole output). */
  waitFor: (until: RegExp | ((output: string) => boolean)) => Promise<void>;
  metrics: () => Promise<Map<string, number>>;
  /** Resident set size of the server process, in bytes (Linux /proc). */
  rss: () => Promise<number>;
  /** CPU time the server process has used so far (user + system), in seconds (Linux /proc). */
  cpuSeconds: () => Promise<number>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * The fields of a /proc stat line after the command name, so `fields[0]` is field 3 (state) of
 * proc(5). The name sits in parentheses and may itself hold spaces or ')', hence the last ')'.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

/** Parses Prometheus text into `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export interface StartOptions {
  readyTimeoutMs?: number;
  /** Run src/server.ts through tsx (tests) instead of the built dist/server.js (benchmarks). */
  fromSource?: boolean;
  /** Return as soon as the process is spawned, without waiting for readiness. */
  noWait?: boolean;
}

export async function startServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const args = opts.fromSource ? ['--import', 'tsx', path.join(PROJECT, 'src', 'server.ts')] : [path.join(PROJECT, 'dist', 'server.js')];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT,
    // An ephemeral gRPC port unless asked: servers started side by side never collide on 8001.
    env: { ...process.env, PORT: String(port), GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers: { test: (output: string) => boolean; resolve: () => void }[] = [];
  const onData = (d: Buffer): void => {
    output += d.toString();
    for (const w of watchers.filter((x) => x.test(output))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const url = `http://127.0.0.1:${port}`;
  const handle: ServerProcess = {
    url,
    port,
    child,
    output: () => output,
    waitFor: (until) => {
      const test = typeof until === 'function' ? until : (o: string) => until.test(o);
      return test(output) ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ test, resolve }));
    },
    metrics: async () => parseMetrics(await (await fetch(`${url}/metrics`)).text()),
    rss: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    },
    cpuSeconds: async () => {
      // Fields 14 and 15 of stat (utime, stime) in clock ticks, 100 per second on Linux.
      const fields = statFields(await readFile(`/proc/${child.pid}/stat`, 'utf8'));
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
  if (opts.noWait) return handle;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before ready:\n${output}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return handle;
}
