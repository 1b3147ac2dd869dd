/**
 * `npm run bench`: the performance figures of issue "fast path", reproducible by anyone.
 *
 *  1. engine-only: ONNX Runtime images/s by batch size (1, 4, 8, 16), random input;
 *  2. preprocessing: decode alone vs the serving pipeline, per image;
 *  3. end-to-end: the real server (child process) loaded over loopback with real JPEGs from
 *     test/fixtures/images/imagenet-sample at concurrency 1, 4, 16, 64 for a fixed time each:
 *     images/s, p50/p90/p99 latency, errors, where the time went (from /metrics deltas), and the
 *     CPU the server and the load generator (a separate process, see load-process.ts) each used.
 *
 * Options: --precision fp32,int8 (both)  --duration S (per level, 15)  --engine-seconds S (5)
 *          --concurrency 1,4,16,64  --batches 1,4,8,16  --out FILE
 * Prints tables and writes JSON to bench/results/ (latest.json and a timestamped copy).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { configWith } from '../src/config/config.js';
import { prepareModel } from '../src/pipeline/prepare.js';
import { ImagePreprocessor } from '../src/preprocess/preprocessor.js';
import { measureEngine, type EngineResult } from './engine-only.js';
import type { LoadResult } from './load.js';
import { inLoadProcess } from './load-process.js';
import { measurePreprocess, type PreprocessResult } from './preprocess.js';
import { sampleJpegs } from './images.js';
import { PROJECT } from '../test/helpers/paths.js';
import { startServer } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    precision: { type: 'string', default: 'fp32,int8' },
    duration: { type: 'string', default: '15' },
    'engine-seconds': { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4,16,64' },
    batches: { type: 'string', default: '1,4,8,16' },
    out: { type: 'string' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const precisions = (values.precision ?? 'fp32,int8').split(',') as ('fp32' | 'int8')[];
const duration = Number(values.duration);
const engineSeconds = Number(values['engine-seconds']);

interface Breakdown {
  preprocessMs: number;
  queueWaitMs: number;
  batchSize: number;
  engineMsPerBatch: number;
  engineMsPerImage: number;
  httpMs: number;
}

interface LevelResult extends LoadResult {
  breakdown: Breakdown;
  rssMb: number;
  /** CPU used during the level, in cores: the server, and the load generator beside it. */
  cores: { server: number; clients: number };
}

const delta = (a: Map<string, number>, b: Map<string, number>, key: string): number => (b.get(key) ?? 0) - (a.get(key) ?? 0);
/** A metric's value summed over all its label sets (the service's histograms are labelled by model). */
const total = (m: Map<string, number>, key: string): number => [...m].reduce((s, [k, v]) => (k === key || k.startsWith(`${key}{`) ? s + v : s), 0);
const avg = (a: Map<string, number>, b: Map<string, number>, name: string, scale = 1): number => {
  const count = total(b, `${name}_count`) - total(a, `${name}_count`);
  return count > 0 ? ((total(b, `${name}_sum`) - total(a, `${name}_sum`)) / count) * scale : 0;
};
const httpKey = 'http_request_duration_seconds';

function breakdown(a: Map<string, number>, b: Map<string, number>): Breakdown {
  const batchSize = avg(a, b, 'inference_batch_size');
  const engineMsPerBatch = avg(a, b, 'inference_duration_seconds', 1000);
  return {
    preprocessMs: avg(a, b, 'preprocess_duration_seconds', 1000),
    queueWaitMs: avg(a, b, 'inference_queue_wait_seconds', 1000),
    batchSize,
    engineMsPerBatch,
    engineMsPerImage: batchSize > 0 ? engineMsPerBatch / batchSize : 0,
    httpMs: (() => {
      const sum = delta(a, b, `${httpKey}_sum{route="/predict",method="POST"}`);
      const count = delta(a, b, `${httpKey}_count{route="/predict",method="POST"}`);
      return count > 0 ? (sum / count) * 1000 : 0;
    })(),
  };
}

const pad = (v: unknown, n: number): string => String(v).padStart(n);
const f1 = (n: number): string => n.toFixed(1);

async function main(): Promise<void> {
  const images = sampleJpegs();
  const report: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.availableParallelism(), duration, engineSeconds };

  for (const precision of precisions) {
    const config = configWith({ logLevel: 'silent', precision });
    const prepared = await prepareModel(config, { log: (m) => console.error(m) });
    if (prepared.engineSpec.engine !== 'onnx') throw new Error('bench measures the ONNX engine');
    console.log(`\n== ${precision}: ${prepared.engineSpec.modelPath} (threads ${config.threads}) ==`);

    const engine: EngineResult[] = await measureEngine(prepared.engineSpec.modelPath, precision, config.threads, list(values.batches ?? ''), engineSeconds);
    console.log('\nengine-only (ONNX Runtime, random input)');
    console.log(`${pad('batch', 6)} ${pad('img/s', 8)} ${pad('ms/batch', 9)}`);
    for (const r of engine) console.log(`${pad(r.batch, 6)} ${pad(f1(r.imagesPerSecond), 8)} ${pad(f1(r.msPerBatch), 9)}`);

    const pre = new ImagePreprocessor(prepared.preprocessing);
    const preprocess: PreprocessResult = await measurePreprocess(pre, images, 1);
    console.log(`\npreprocessing, one image at a time (mean of ${preprocess.images}): full-size JPEG decode ${f1(preprocess.decodeOnlyMs)} ms; serving pipeline (shrink-on-load decode + resize + crop + normalise) ${f1(preprocess.pipelineMs)} ms`);

    const server = await startServer({ MODEL_PRECISION: precision, MAX_QUEUE: '1000' });
    const levels: LevelResult[] = [];
    try {
      await inLoadProcess({ kind: 'autocannon', url: server.url, concurrency: 4, seconds: 3 }); // warm-up: connections, allocator, JIT
      for (const c of list(values.concurrency ?? '')) {
        const before = await server.metrics();
        const cpuBefore = await server.cpuSeconds();
        const { clientCores, ...r } = await inLoadProcess({ kind: 'autocannon', url: server.url, concurrency: c, seconds: duration });
        const serverCores = ((await server.cpuSeconds()) - cpuBefore) / duration;
        const after = await server.metrics();
        levels.push({ ...r, breakdown: breakdown(before, after), rssMb: (await server.rss()) / 1e6, cores: { server: serverCores, clients: clientCores } });
      }
    } finally {
      await server.stop();
    }
    console.log(`\nend-to-end (HTTP POST of real JPEGs over loopback, ${duration} s per level)`);
    console.log(`${pad('conc', 5)} ${pad('img/s', 7)} ${pad('p50 ms', 7)} ${pad('p90 ms', 7)} ${pad('p99 ms', 7)} ${pad('errors', 7)} ${pad('non2xx', 7)} | ${pad('pre ms', 7)} ${pad('queue ms', 8)} ${pad('batch', 6)} ${pad('eng ms/img', 10)} ${pad('http ms', 8)} ${pad('rss MB', 7)} | ${pad('server cores', 12)} ${pad('client cores', 12)}`);
    for (const l of levels) {
      const b = l.breakdown;
      console.log(
        `${pad(l.concurrency, 5)} ${pad(f1(l.imagesPerSecond), 7)} ${pad(l.latencyMs.p50, 7)} ${pad(l.latencyMs.p90, 7)} ${pad(l.latencyMs.p99, 7)} ${pad(l.errors, 7)} ${pad(l.non2xx, 7)} | ${pad(f1(b.preprocessMs), 7)} ${pad(f1(b.queueWaitMs), 8)} ${pad(f1(b.batchSize), 6)} ${pad(f1(b.engineMsPerImage), 10)} ${pad(f1(b.httpMs), 8)} ${pad(f1(l.rssMb), 7)} | ${pad(l.cores.server.toFixed(2), 12)} ${pad(l.cores.clients.toFixed(2), 12)}`,
      );
    }
    report[precision] = { modelPath: prepared.engineSpec.modelPath, threads: config.threads, engine, preprocess, endToEnd: levels };
  }

  const dir = path.join(PROJECT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(report, null, 2);
  const out = values.out ?? path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(out, json);
  await writeFile(path.join(dir, 'latest.json'), json);
  console.log(`\nwritten ${out}`);
}

await main();
