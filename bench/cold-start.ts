/**
 * `npm run bench:cold-start`: start-up cost from an empty cache, as a fresh pod or clone pays it,
 * and again with the cache warm (a restart): time to readiness, split by phase (fetch, convert,
 * load, warm-up, from /metrics), then one request's latency (first, and median of 10).
 *
 * Options: --engine onnx|tfjs (onnx)  --precision fp32|int8 (int8, the default)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from './closed-loop.js';
import { PROJECT } from '../test/helpers/paths.js';
import { startServer } from '../test/helpers/server-process.js';

const { values } = parseArgs({ options: { engine: { type: 'string', default: 'onnx' }, precision: { type: 'string', default: 'int8' } } });
const beagle = await readFile(path.resolve(PROJECT, 'test', 'fixtures', 'images', 'smoke', 'beagle.jpg'));
const cache = await mkdtemp(path.join(os.tmpdir(), 'cold-start-'));

async function once(label: string): Promise<void> {
  const started = performance.now();
  const server = await startServer({ ENGINE: values.engine ?? 'onnx', MODEL_PRECISION: values.precision ?? 'int8', MODEL_CACHE_DIR: cache });
  const readyS = (performance.now() - started) / 1000;
  try {
    const m = await server.metrics();
    const phase = (p: string): string => (m.get(`model_load_seconds{phase="${p}"}`) ?? 0).toFixed(2);
    const times: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(beagle) });
      const body = (await res.json()) as { predictions: { label: string }[] };
      if (body.predictions[0].label !== 'beagle') throw new Error('wrong answer');
      times.push(performance.now() - t0);
    }
    console.log(
      `${label.padEnd(11)} ready in ${readyS.toFixed(1)} s (fetch ${phase('fetch')} s, convert ${phase('convert')} s, load ${phase('load')} s, warm-up ${phase('warmup')} s); ` +
        `beagle.jpg first request ${times[0].toFixed(0)} ms, median of next 10 ${percentile(times.slice(1), 50).toFixed(0)} ms`,
    );
  } finally {
    await server.stop();
  }
}

try {
  console.log(`cold start, engine ${values.engine}, precision ${values.precision}, cache ${cache}`);
  await once('empty cache');
  await once('warm cache');
} finally {
  await rm(cache, { recursive: true, force: true });
}
