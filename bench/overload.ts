/**
 * `npm run bench:overload`: 10x overload. The real server gets 256 closed-loop clients (about 10x
 * what it serves at full speed) for a fixed time, once with clients that ignore Retry-After
 * ("hammer") and once with clients that honour it ("polite"), after a concurrency-16 reference run.
 * Checks: every answer is 200 or a fast 503 refusal with Retry-After, throughput stays at the
 * reference, resident memory stays bounded, /healthz keeps answering 200 quickly.
 *
 * Options: --seconds S (per phase, 30)  --clients N (256)
 */
import { parseArgs } from 'node:util';
import { countBy, percentile, type Outcome } from './closed-loop.js';
import { inLoadProcess } from './load-process.js';
import { startServer, type ServerProcess } from './server-process.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, clients: { type: 'string', default: '256' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);

interface Phase {
  name: string;
  clients: number;
  okPerSecond: number;
  statuses: Record<string, number>;
  ok200: { p50: number; p99: number };
  refused503: { count: number; p50: number; p99: number; withRetryAfter: number };
  health: { probes: number; non200: number; p99: number; max: number };
  rssMb: { before: number; max: number; after: number };
  /** CPU used during the phase, in cores: the server, and the load generator beside it. */
  cores: { server: number; clients: number };
}

async function phase(server: ServerProcess, name: string, n: number, polite: boolean): Promise<Phase> {
  const before = await server.rss();
  const cpuBefore = await server.cpuSeconds();
  const started = performance.now();
  let maxRss = before;
  let stop = false;
  const health: { status: number; ms: number }[] = [];
  // Probe liveness and memory while the load runs, as the kubelet and Prometheus would.
  const prober = (async () => {
    while (!stop) {
      const t0 = performance.now();
      const status = await fetch(`${server.url}/healthz`).then((r) => r.status, () => 0);
      health.push({ status, ms: performance.now() - t0 });
      maxRss = Math.max(maxRss, await server.rss());
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const { outcomes, clientCores } = await inLoadProcess({ kind: 'closed-loop', url: server.url, concurrency: n, seconds, polite });
  const serverCores = ((await server.cpuSeconds()) - cpuBefore) / ((performance.now() - started) / 1000);
  stop = true;
  await prober;
  const ok = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.status === 503);
  const hms = health.map((h) => h.ms);
  return {
    name,
    clients: n,
    okPerSecond: ok.length / seconds,
    statuses: countBy(outcomes, (o) => String(o.status)),
    ok200: { p50: percentile(ok.map((o) => o.ms), 50), p99: percentile(ok.map((o) => o.ms), 99) },
    refused503: {
      count: refused.length,
      p50: percentile(refused.map((o) => o.ms), 50),
      p99: percentile(refused.map((o) => o.ms), 99),
      withRetryAfter: refused.filter((o) => o.retryAfter !== null).length,
    },
    health: { probes: health.length, non200: health.filter((h) => h.status !== 200).length, p99: percentile(hms, 99), max: Math.max(0, ...hms) },
    rssMb: { before: before / 1e6, max: maxRss / 1e6, after: (await server.rss()) / 1e6 },
    cores: { server: serverCores, clients: clientCores },
  };
}

// The clients run in a separate process at the server's priority (see load-process.ts).
const server = await startServer();
const phases: Phase[] = [];
try {
  await inLoadProcess({ kind: 'closed-loop', url: server.url, concurrency: 4, seconds: 3, polite: false }); // warm-up
  phases.push(await phase(server, 'reference', 16, false));
  phases.push(await phase(server, 'hammer', clients, false));
  phases.push(await phase(server, 'polite', clients, true));
} finally {
  console.log(`server exit code after SIGTERM: ${await server.stop()}`);
}

const f = (n: number): string => n.toFixed(1);
console.log(`\noverload: ${seconds} s per phase`);
for (const p of phases) {
  console.log(
    `${p.name.padEnd(9)} clients ${String(p.clients).padStart(3)}  ok ${f(p.okPerSecond)} img/s  statuses ${JSON.stringify(p.statuses)}  ` +
      `200 p50/p99 ${f(p.ok200.p50)}/${f(p.ok200.p99)} ms  503 n=${p.refused503.count} p50/p99 ${f(p.refused503.p50)}/${f(p.refused503.p99)} ms (Retry-After on ${p.refused503.withRetryAfter})  ` +
      `healthz ${p.health.probes} probes, ${p.health.non200} non-200, p99 ${f(p.health.p99)} ms, max ${f(p.health.max)} ms  RSS MB ${f(p.rssMb.before)} -> max ${f(p.rssMb.max)} -> ${f(p.rssMb.after)}  ` +
      `cores: server ${p.cores.server.toFixed(2)}, clients ${p.cores.clients.toFixed(2)}`,
  );
}
const ref = phases[0];
const checks = phases.slice(1).flatMap((p) => [
  [`${p.name}: only 200 and 503`, Object.keys(p.statuses).every((s) => s === '200' || s === '503')],
  [`${p.name}: every 503 has Retry-After`, p.refused503.withRetryAfter === p.refused503.count],
  [`${p.name}: throughput >= 90% of reference`, p.okPerSecond >= 0.9 * ref.okPerSecond],
  [`${p.name}: /healthz always 200`, p.health.non200 === 0],
  [`${p.name}: memory bounded (max RSS < 2x idle RSS)`, p.rssMb.max < 2 * p.rssMb.before],
] as const);
for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
console.log(JSON.stringify({ seconds, phases }, null, 2));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
