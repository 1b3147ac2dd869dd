/** Engine-only throughput of two ONNX models side by side, for `resnet-serve model quantize --bench`. */
import { OnnxEngine } from '../../../engines/onnx-engine.js';
import type { ModelDescriptor } from '../../../model/descriptor.js';

/**
 * Engine-only images/s of two models at one batch size, alternating 1-second windows so that both
 * see the same machine load; medians of `rounds` windows each. Inputs have the descriptor's shape.
 */
export async function compareThroughput(
  files: [string, string],
  input: ModelDescriptor['input'],
  threads: number,
  batch: number,
  rounds = 5,
): Promise<[number, number]> {
  const engines = [await OnnxEngine.load(files[0], threads, 'bench'), await OnnxEngine.load(files[1], threads, 'bench')];
  try {
    const dims = [batch, input.height, input.width, input.channels] as const;
    const data = new Float32Array(dims.reduce((a, b) => a * b)).map(() => Math.random() * 255 - 120);
    const feed = { data, dims };
    for (const e of engines) for (let i = 0; i < 2; i++) await e.run(feed);
    const rates: [number[], number[]] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        let runs = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < 1000) {
          await engines[i].run(feed);
          runs++;
        }
        rates[i].push((runs * batch) / ((performance.now() - t0) / 1000));
      }
    }
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    return [median(rates[0]), median(rates[1])];
  } finally {
    for (const e of engines) await e.dispose();
  }
}
