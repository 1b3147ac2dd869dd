/**
 * `npm run model:quantize -- [--calibration data-free|DIR] [--method minmax|percentile|entropy] [--out FILE] [--bench]`
 *
 * Builds the int8 model into the ONNX cache under the key the server computes for the same
 * MODEL_PRECISION=int8 / QUANT_CALIBRATION, so the server then starts without quantizing again; with
 * --out also copies it elsewhere. Prints what it did: calibration, sizes, the kernels ONNX Runtime
 * fuses the QDQ groups into, and (--bench) engine-only throughput against fp32.
 */
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { OnnxEngine } from '../engines/onnx-engine.js';
import { readDescriptor } from '../model/descriptor.js';
import { ensureOnnxModel } from '../pipeline/onnx-cache.js';
import { ensureSource } from '../pipeline/prepare.js';
import { progressReporter } from '../model/progress.js';
import { preprocessorOptions } from '../preprocess/preprocessor.js';
import { IMAGE_METHODS, type ImageMethod } from '../quantize/calibrate-images.js';
import { opCounts, optimizedOpCounts } from '../quantize/inspect.js';
import { DEFAULT_IMAGE_METHOD, parseCalibrationSetting, resolveQuantizationPlan } from '../quantize/plan.js';

const USAGE = `usage: npm run model:quantize -- [--calibration data-free|DIR] [--method ${IMAGE_METHODS.join('|')}] [--out FILE] [--bench]
  --calibration  data-free (BatchNorm statistics, default: QUANT_CALIBRATION) or a folder of images
  --method       how ranges are taken from the images (default ${DEFAULT_IMAGE_METHOD})
  --out          also write the model to FILE
  --bench        measure engine-only images/s, fp32 vs int8 (batch 1, 4, 8, 16; interleaved)`;

const { values } = parseArgs({
  options: {
    calibration: { type: 'string' },
    method: { type: 'string' },
    out: { type: 'string' },
    bench: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

/**
 * Engine-only images/s of two models at one batch size, alternating 1-second windows so that both
 * see the same machine load; medians of `rounds` windows each.
 */
async function compareThroughput(files: [string, string], threads: number, batch: number, rounds = 5): Promise<[number, number]> {
  const engines = [await OnnxEngine.load(files[0], threads, 'bench'), await OnnxEngine.load(files[1], threads, 'bench')];
  try {
    const data = new Float32Array(batch * 224 * 224 * 3).map(() => Math.random() * 255 - 120);
    const input = { data, dims: [batch, 224, 224, 3] as const };
    for (const e of engines) for (let i = 0; i < 2; i++) await e.run(input);
    const rates: [number[], number[]] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        let runs = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < 1000) {
          await engines[i].run(input);
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

const count = (ops: Record<string, number>, names: string[]): string =>
  names.filter((n) => ops[n]).map((n) => `${n} ${ops[n]}`).join(', ') || 'none';

try {
  const config = loadConfig();
  const log = (msg: string): void => console.error(msg);
  const d = await readDescriptor(config.modelRepository, config.modelName);
  const source = await ensureSource(config, d, { log, onProgress: progressReporter('model download', log) });
  const preprocessing = preprocessorOptions(d, config);

  let setting = values.calibration ?? config.quantCalibration;
  if (values.method !== undefined) {
    const method = IMAGE_METHODS.find((m) => m === values.method);
    if (!method) throw new Error(`--method must be one of ${IMAGE_METHODS.join(', ')}`);
    if (setting === 'data-free') throw new Error('--method applies to image calibration: also pass --calibration DIR');
    setting = `${method}:${parseCalibrationSetting(setting, method as ImageMethod).folder}`;
  }
  const plan = await resolveQuantizationPlan(setting, { preprocessing });
  const cal = plan.calibration;
  log(`calibration: ${plan.method}${cal.kind === 'images' ? ` on ${cal.files.length} images from ${cal.folder}` : ` (k = ${cal.k})`}; fingerprint ${plan.fingerprint}`);

  const fp32 = await ensureOnnxModel(d, source.dir, { precision: 'fp32' }, log);
  const int8 = await ensureOnnxModel(d, source.dir, { precision: 'int8', quantization: plan }, log);
  if (values.out) {
    await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
    await copyFile(int8.path, values.out);
  }

  const [fp32Size, int8Size] = [(await stat(fp32.path)).size, (await stat(int8.path)).size];
  const source8 = opCounts(await readFile(int8.path));
  const fused = await optimizedOpCounts(int8.path, config.threads);
  console.log(`int8 model: ${int8.path}${int8.converted ? ` (built in ${int8.seconds.toFixed(1)} s)` : ' (already cached)'}`);
  if (values.out) console.log(`copied to:  ${path.resolve(values.out)}`);
  console.log(`size:       ${(int8Size / 1e6).toFixed(1)} MB (fp32 ${(fp32Size / 1e6).toFixed(1)} MB)`);
  console.log(`QDQ graph:  ${count(source8, ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Add', 'Gemm'])}`);
  console.log(`ORT runs:   ${count(fused, ['QLinearConv', 'QLinearAdd', 'QGemm', 'QLinearGlobalAveragePool', 'NhwcMaxPool', 'MaxPool', 'QuantizeLinear', 'DequantizeLinear', 'Conv', 'FusedConv', 'Add', 'Gemm'])}`);
  if (values.bench) {
    for (const batch of [1, 4, 8, 16]) {
      const [f, q] = await compareThroughput([fp32.path, int8.path], config.threads, batch);
      console.log(`engine-only batch ${batch}: fp32 ${f.toFixed(1)} img/s, int8 ${q.toFixed(1)} img/s (x${(q / f).toFixed(2)}, ${config.threads} threads, interleaved medians)`);
    }
  }
  console.log(`serve it:   MODEL_PRECISION=int8 QUANT_CALIBRATION=${setting} npm start`);
} catch (err) {
  console.error(`model:quantize failed: ${(err as Error).message}`);
  process.exit(1);
}
