/**
 * What `npm run bench:hostile` floods: the built image in Docker under a memory limit, or the
 * server from dist/ as a local process. Either way it exposes the same readings: memory now and
 * at peak, CPU used, the memory budget the server announces, and whether it survived.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { freePort, parseMetrics, startServer, type ServerProcess } from '../test/helpers/server-process.js';

const exec = promisify(execFile);

export interface Survival {
  alive: boolean;
  /** Kernel OOM kills seen (container cgroup counter or docker's State.OOMKilled). */
  oomKills: number;
  restarts: number;
  /** When the server (re)started last (docker State.StartedAt), epoch ms. */
  startedAt?: number;
  detail: string;
}

export interface Target {
  kind: 'docker' | 'local';
  url: string;
  port: number;
  /** Bytes: the container's cgroup usage, or the process's resident set. */
  memoryNow: () => Promise<number | undefined>;
  /** Bytes: the highest usage the kernel recorded, when it records one. */
  memoryPeak: () => Promise<number | undefined>;
  /** The container's memory limit, in bytes (docker only). */
  memoryLimit?: number;
  /** CPU seconds used so far by the server (process or container), when readable. */
  cpuSeconds: () => Promise<number | undefined>;
  /** The memory budget the server announces (start log `memoryBudget` or a /metrics gauge). */
  memoryBudget: () => Promise<number | undefined>;
  /** Reads counters that a restart would reset; called every 200 ms during the phases. */
  sample?: () => Promise<void>;
  survival: () => Promise<Survival>;
  logTail: () => Promise<string>;
  stop: () => Promise<void>;
}

const readNumber = (file: string): Promise<number | undefined> => readFile(file, 'utf8').then((s) => Number(s.trim().split(/\s+/)[0]), () => undefined);

/** `memoryBudget` from a JSON log line, else a gauge named like *memory_budget* at /metrics. */
async function announcedBudget(url: string, log: string): Promise<number | undefined> {
  const m = /"memoryBudget(?:Bytes)?"\s*:\s*(\d+)/.exec(log);
  if (m) return Number(m[1]);
  const metrics = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
  for (const [name, value] of parseMetrics(metrics)) if (/memory_budget/i.test(name) && !/used|held|in_use/i.test(name)) return value;
  return undefined;
}

async function waitReady(url: string, alive: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await alive())) throw new Error('the server exited before it was ready');
    if (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false)) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface LocalOptions {
  env: Record<string, string>;
  /** The bench kills the server past this RSS: the host is shared, and nothing limits a local process. */
  rssLimit: number;
}

export async function localTarget(opts: LocalOptions): Promise<Target> {
  // Info level, as deployed: logging is part of what a request costs (as in overload.ts).
  const server: ServerProcess = await startServer({ LOG_LEVEL: 'info', ...opts.env });
  const pid = server.child.pid as number;
  const status = (field: string): Promise<number | undefined> =>
    readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN) * 1024, () => undefined);
  let watchdogKill: string | undefined;
  let peak = 0;
  const watchdog = setInterval(() => {
    void status('VmRSS').then((rss) => {
      peak = Math.max(peak, rss ?? 0);
      if (rss !== undefined && rss > opts.rssLimit && !watchdogKill) {
        watchdogKill = `killed by the bench at RSS ${(rss / 1e6).toFixed(0)} MB (--rss-limit ${(opts.rssLimit / 1e6).toFixed(0)} MB)`;
        server.child.kill('SIGKILL');
      }
    });
  }, 50);
  return {
    kind: 'local',
    url: server.url,
    port: server.port,
    memoryNow: () => status('VmRSS'),
    // VmHWM is the kernel's own high-water mark; the 50 ms watchdog samples also count once the process is gone.
    memoryPeak: async () => Math.max(peak, (await status('VmHWM')) ?? 0),
    cpuSeconds: () => server.cpuSeconds().catch(() => undefined),
    memoryBudget: () => announcedBudget(server.url, server.output()),
    survival: async () => {
      const exited = server.child.exitCode !== null || server.child.signalCode !== null;
      return {
        alive: !exited, oomKills: 0, restarts: 0,
        detail: watchdogKill ?? (exited ? `exited (code ${server.child.exitCode}, signal ${server.child.signalCode})` : 'running'),
      };
    },
    logTail: async () => server.output().split('\n').filter((l) => !l.includes('"request completed"')).slice(-20).join('\n'),
    stop: async () => {
      clearInterval(watchdog);
      await server.stop();
    },
  };
}

export interface DockerOptions {
  image: string;
  /** docker run --memory (and --memory-swap, so no swap), e.g. `1g`. */
  memory: string;
  env: Record<string, string>;
  readyTimeoutMs: number;
}

const docker = async (...args: string[]): Promise<string> => (await exec('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
/** `docker logs` replays the container's stdout and stderr on the same two streams. */
const dockerLogs = async (...args: string[]): Promise<string> => {
  const { stdout, stderr } = await exec('docker', ['logs', ...args], { maxBuffer: 256 * 1024 * 1024 });
  return `${stdout}${stderr}`;
};

/**
 * A cgroup counter that survives restarts: a restarted container gets a new cgroup whose counters
 * start again from zero, so a drop means "add what the old one had reached". Read it often.
 */
function monotonic(read: () => Promise<number | undefined>): () => Promise<number | undefined> {
  let last = 0;
  let carried = 0;
  return async () => {
    const now = await read();
    if (now === undefined || Number.isNaN(now)) return undefined;
    if (now < last) carried += last;
    last = now;
    return carried + now;
  };
}

/** The container's cgroup folder for one controller (v1 cgroupfs or systemd driver, or v2). */
async function cgroupDir(id: string, controller: string, file: string): Promise<string | undefined> {
  const candidates = [
    `/sys/fs/cgroup/${controller}/docker/${id}`,
    `/sys/fs/cgroup/${controller}/system.slice/docker-${id}.scope`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope`,
    `/sys/fs/cgroup/docker/${id}`,
  ];
  for (const dir of candidates) if ((await readNumber(`${dir}/${file}`)) !== undefined) return dir;
  return undefined;
}

export async function dockerTarget(opts: DockerOptions): Promise<Target> {
  const port = await freePort();
  const name = `resnet-hostile-${process.pid}`;
  const env = Object.entries({ ...opts.env, PORT: String(port), HOST: '127.0.0.1' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // As the Deployment runs it: memory limit without swap, read-only root, restarted when it dies.
  const id = await docker('run', '-d', '--name', name, `--memory=${opts.memory}`, `--memory-swap=${opts.memory}`, '--read-only', '--tmpfs', '/tmp',
    '--network', 'host', '--restart', 'on-failure', ...env, opts.image);
  const inspect = async (): Promise<{ Running: boolean; OOMKilled: boolean; Status: string; ExitCode: number; StartedAt: string; restarts: number } | undefined> => {
    const out = await docker('inspect', '--format', '{{json .State}} {{.RestartCount}}', id).catch(() => '');
    const i = out.lastIndexOf(' ');
    return out ? { ...(JSON.parse(out.slice(0, i)) as { Running: boolean; OOMKilled: boolean; Status: string; ExitCode: number; StartedAt: string }), restarts: Number(out.slice(i + 1)) } : undefined;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, async () => (await inspect())?.Running === true, opts.readyTimeoutMs);
  } catch (err) {
    const logs = await dockerLogs('--tail', '30', id).catch(() => '');
    await docker('rm', '-f', '-v', id).catch(() => '');
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  const mem = await cgroupDir(id, 'memory', 'memory.usage_in_bytes') ?? await cgroupDir(id, 'memory', 'memory.current');
  const cpuV1 = (await cgroupDir(id, 'cpuacct', 'cpuacct.usage')) ?? (await cgroupDir(id, 'cpu,cpuacct', 'cpuacct.usage'));
  const v2 = mem !== undefined && (await readNumber(`${mem}/memory.current`)) !== undefined;
  let polledPeak = 0;
  const statsNow = async (): Promise<number | undefined> => {
    // Fallback when the cgroup is not readable from here: docker stats (costs a CLI call).
    const s = await docker('stats', '--no-stream', '--format', '{{.MemUsage}}', id).catch(() => '');
    const m = /^([\d.]+)\s*([KMG]i?B)/.exec(s);
    return m ? Number(m[1]) * ({ KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9 } as Record<string, number>)[m[2]] : undefined;
  };
  const oomKillCount = monotonic(async () => {
    const text = mem ? await readFile(`${mem}/${v2 ? 'memory.events' : 'memory.oom_control'}`, 'utf8').catch(() => '') : '';
    return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
  });
  const cpuSeconds = monotonic(async () => {
    if (cpuV1) return ((await readNumber(`${cpuV1}/cpuacct.usage`)) ?? NaN) / 1e9;
    const usec = mem && v2 ? /usage_usec (\d+)/.exec(await readFile(`${mem}/cpu.stat`, 'utf8').catch(() => ''))?.[1] : undefined;
    return usec ? Number(usec) / 1e6 : undefined;
  });
  return {
    kind: 'docker',
    url,
    port,
    memoryLimit: mem ? await readNumber(`${mem}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`) : undefined,
    memoryNow: async () => {
      const now = mem ? await readNumber(`${mem}/${v2 ? 'memory.current' : 'memory.usage_in_bytes'}`) : await statsNow();
      polledPeak = Math.max(polledPeak, now ?? 0);
      return now;
    },
    memoryPeak: async () => Math.max(polledPeak, (mem ? await readNumber(`${mem}/${v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'}`) : 0) ?? 0),
    cpuSeconds,
    sample: async () => void (await Promise.all([cpuSeconds(), oomKillCount()])),
    memoryBudget: async () => announcedBudget(url, await dockerLogs(id).catch(() => '')),
    survival: async () => {
      const s = await inspect();
      const kills = (await oomKillCount()) ?? 0;
      if (!s) return { alive: false, oomKills: kills, restarts: 0, detail: 'container gone' };
      return {
        alive: s.Running && s.restarts === 0, oomKills: Math.max(kills, s.OOMKilled ? 1 : 0), restarts: s.restarts, startedAt: Date.parse(s.StartedAt),
        detail: `status ${s.Status}, OOMKilled ${s.OOMKilled}, RestartCount ${s.restarts}, cgroup oom_kill ${mem ? kills : 'unreadable'}, last exit code ${s.ExitCode}`,
      };
    },
    // Start-up, errors and exits, without the access log around them.
    logTail: async () => (await dockerLogs('--tail', '5000', id).catch((err: Error) => err.message)).split('\n').filter((l) => !l.includes('"request completed"')).slice(-20).join('\n'),
    stop: async () => {
      await docker('rm', '-f', '-v', id).catch(() => '');
    },
  };
}
