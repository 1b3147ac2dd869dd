/**
 * `npm run bench:soak`: 10,000 mixed valid and invalid requests against the real server (default
 * 70% valid JPEGs, 30% spread over every kind of bad input), then: resident memory sampled along the
 * way (it must settle, not grow), every answer checked against its expected status, and for the
 * TF.js engine the live tensor count back at its baseline.
 *
 * Options: --requests N (10000)  --concurrency N (16)  --engine onnx|tfjs  --valid-share 0.7
 */
import { parseArgs } from 'node:util';
import { closedLoop, countBy, percentile } from './closed-loop.js';
import { invalidRequests, jpegRequest, sampleJpegs } from './images.js';
import { startServer } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    engine: { type: 'string', default: 'onnx' },
    'valid-share': { type: 'string', default: '0.7' },
  },
});
const total = Number(values.requests);
const validShare = Number(values['valid-share']);
const images = sampleJpegs();
const invalid = invalidRequests();

const server = await startServer({ ENGINE: values.engine ?? 'onnx', MAX_QUEUE: '1000' });
const tensors = async (): Promise<number | undefined> => (values.engine === 'tfjs' ? (await server.metrics()).get('engine_tensors') : undefined);
const samples: { done: number; rssMb: number }[] = [];
let exitCode: number | null = null;
try {
  // Warm-up so the baseline is the steady state (allocator pools, JIT), not the cold process.
  await closedLoop(server.url, { concurrency: 4, total: 100, next: (i) => jpegRequest(images[i % images.length]) });
  const baselineTensors = await tensors();
  samples.push({ done: 0, rssMb: (await server.rss()) / 1e6 });
  const every = Math.max(1, Math.floor(total / 20));
  // Deterministic mix: request i is valid unless its slot falls in the invalid share.
  const outcomes = await closedLoop(server.url, {
    concurrency: Number(values.concurrency),
    total,
    next: (i) => ((i * 7919) % 1000 < validShare * 1000 ? jpegRequest(images[i % images.length]) : invalid[i % invalid.length]),
    onOutcome: (_o, done) => {
      if (done % every === 0) void server.rss().then((r) => samples.push({ done, rssMb: r / 1e6 }));
    },
  });
  const afterTensors = await tensors();
  const wrong = outcomes.filter((o) => !o.ok);
  const rss = samples.map((s) => s.rssMb);
  const secondHalf = rss.slice(Math.floor(rss.length / 2));
  console.log(`soak: ${outcomes.length} requests, engine ${values.engine}, concurrency ${values.concurrency}`);
  console.log(`by kind: ${JSON.stringify(countBy(outcomes, (o) => o.kind))}`);
  console.log(`by status: ${JSON.stringify(countBy(outcomes, (o) => String(o.status)))}`);
  console.log(`unexpected answers: ${wrong.length} ${JSON.stringify(countBy(wrong, (o) => `${o.kind}:${o.status}`))}`);
  console.log(`valid latency p50/p99: ${percentile(outcomes.filter((o) => o.kind === 'valid').map((o) => o.ms), 50).toFixed(0)}/${percentile(outcomes.filter((o) => o.kind === 'valid').map((o) => o.ms), 99).toFixed(0)} ms`);
  console.log(`RSS MB along the run: ${samples.map((s) => `${s.done}:${s.rssMb.toFixed(0)}`).join(' ')}`);
  console.log(`RSS MB before ${rss[0].toFixed(1)}, after ${rss[rss.length - 1].toFixed(1)}; second half min/max ${Math.min(...secondHalf).toFixed(1)}/${Math.max(...secondHalf).toFixed(1)}`);
  if (baselineTensors !== undefined) console.log(`TF.js tensors: baseline ${baselineTensors}, after ${afterTensors}`);
  const settled = Math.max(...secondHalf) - Math.min(...secondHalf) < 0.1 * rss[0];
  const checks: [string, boolean][] = [
    ['every answer has its expected status', wrong.length === 0],
    ['memory settles (second-half RSS spread < 10% of the start)', settled],
  ];
  // Only TF.js has tensors to leak; with ONNX the check is not listed rather than passed.
  if (baselineTensors !== undefined) checks.push(['TF.js tensor count back at baseline', afterTensors === baselineTensors]);
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
  exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await server.stop();
}
process.exitCode = exitCode ?? 1;
