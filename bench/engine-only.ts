/** ONNX Runtime alone, no HTTP, no decoding: the ceiling the service is measured against. */
import { OnnxEngine } from '../src/engines/onnx-engine.js';

export interface EngineResult {
  batch: number;
  imagesPerSecond: number;
  msPerBatch: number;
}

export async function measureEngine(modelPath: string, precision: string, threads: number, batches: number[], seconds: number): Promise<EngineResult[]> {
  const engine = await OnnxEngine.load(modelPath, threads, precision);
  const out: EngineResult[] = [];
  try {
    for (const n of batches) {
      const data = new Float32Array(n * 224 * 224 * 3).map(() => Math.random() * 255 - 120);
      const input = { data, dims: [n, 224, 224, 3] as const };
      for (let i = 0; i < 3; i++) await engine.run(input); // warm-up: allocator, kernels
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await engine.run(input);
        runs++;
      }
      const elapsed = (performance.now() - started) / 1000;
      out.push({ batch: n, imagesPerSecond: (runs * n) / elapsed, msPerBatch: (elapsed * 1000) / runs });
    }
  } finally {
    await engine.dispose();
  }
  return out;
}
