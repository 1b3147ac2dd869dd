/**
 * `npm run bench:overload`: 10x overload, after a concurrency-16 reference run, in three shapes:
 * - "10x": requests arrive at ten times the reference rate (open loop over N connections), and
 *   nobody waits out Retry-After;
 * - "hammer": N closed-loop clients that ignore Retry-After and resend the moment they are refused
 *   (far beyond 10x: as many requests as the server can refuse);
 * - "polite": N closed-loop clients that honour Retry-After.
 * Checks: every answer is 200 or a fast 503 refusal (p99 under 1 s) with Retry-After, throughput
 * stays at the reference, resident memory stays bounded, /healthz keeps answering 200 quickly.
 *
 * Options: --seconds S (per phase, 30)  --clients N (256)
 */
import { parseArgs } from 'node:util';
import { countBy, percentile, type Outcome } from './closed-loop.js';
import { inLoadProcess, type Load } from './load-process.js';
import { startServer, type ServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, clients: { type: 'string', default: '256' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);

interface Phase {
  name: string;
  clients: number;
  /** Requests sent per second, refused ones included. */
  sentPerSecond: number;
  okPerSecond: number;
  statuses: Record<string, number>;
  ok200: { p50: number; p99: number };
  refused503: { count: number; p50: number; p99: number; withRetryAfter: number };
  health: { probes: number; non200: number; p99: number; max: number };
  rssMb: { before: number; max: number; after: number };
  /** CPU used during the phase, in cores: the server, and the load generator beside it. */
  cores: { server: number; clients: number };
}

/** The loads that report each request's outcome. */
type PhaseLoad = Exclude<Load, { kind: 'autocannon' }>;

async function phase(server: ServerProcess, name: string, load: PhaseLoad): Promise<Phase> {
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
  const { outcomes, clientCores } = await inLoadProcess({ ...load, url: server.url, seconds });
  const serverCores = ((await server.cpuSeconds()) - cpuBefore) / ((performance.now() - started) / 1000);
  stop = true;
  await prober;
  const ok = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.status === 503);
  const hms = health.map((h) => h.ms);
  return {
    name,
    clients: load.kind === 'open-loop' ? load.connections : load.concurrency,
    sentPerSecond: outcomes.length / seconds,
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

// The clients run in a separate process at the server's priority (see load-process.ts). The
// server logs at info, as deployed (k8s/deployment.yaml): logging is part of what a request costs.
const server = await startServer({ LOG_LEVEL: 'info' });
const phases: Phase[] = [];
try {
  await inLoadProcess({ kind: 'closed-loop', url: server.url, concurrency: 4, seconds: 3, polite: false }); // warm-up
  phases.push(await phase(server, 'reference', { kind: 'closed-loop', concurrency: 16, polite: false }));
  const rate = Math.round(10 * phases[0].okPerSecond);
  phases.push(await phase(server, '10x', { kind: 'open-loop', rate, connections: clients }));
  phases.push(await phase(server, 'hammer', { kind: 'closed-loop', concurrency: clients, polite: false }));
  phases.push(await phase(server, 'polite', { kind: 'closed-loop', concurrency: clients, polite: true }));
} finally {
  console.log(`server exit code after SIGTERM: ${await server.stop()}`);
}

const f = (n: number): string => n.toFixed(1);
console.log(`\noverload: ${seconds} s per phase`);
for (const p of phases) {
  console.log(
    `${p.name.padEnd(9)} clients ${String(p.clients).padStart(3)}  sent ${f(p.sentPerSecond)}/s  ok ${f(p.okPerSecond)} img/s  statuses ${JSON.stringify(p.statuses)}  ` +
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
  [`${p.name}: refusals are fast (503 p99 < 1 s)`, p.refused503.p99 < 1000],
  [`${p.name}: /healthz always 200`, p.health.non200 === 0],
  [`${p.name}: memory bounded (max RSS < 2x idle RSS)`, p.rssMb.max < 2 * p.rssMb.before],
] as const);
for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
console.log(JSON.stringify({ seconds, phases }, null, 2));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
