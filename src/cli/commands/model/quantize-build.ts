/**
 * The work of `resnet-serve model quantize` (./quantize.ts), loaded only when it runs: builds the
 * int8 model into the ONNX cache under the key the server computes for the same
 * MODEL_PRECISION=int8 / QUANT_CALIBRATION, so the server then starts without quantizing again;
 * with --out also copies it elsewhere. Prints what it did: calibration, sizes, the kernels ONNX
 * Runtime fuses the QDQ groups into, and (--bench) engine-only throughput against fp32.
 */
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { progressReporter } from '../../../model/progress.js';
import { ensureOnnxModel } from '../../../pipeline/onnx-cache.js';
import { ensureSource } from '../../../pipeline/prepare.js';
import { preprocessorOptions } from '../../../preprocess/preprocessor.js';
import { opCounts, optimizedOpCounts } from '../../../quantize/inspect.js';
import { parseCalibrationSetting, resolveQuantizationPlan } from '../../../quantize/plan.js';
import type { ImageMethod } from '../../../quantize/quantization-plan.js';
import { EXIT, UsageError, type Io } from '../command.js';
import { modelContext } from './common.js';
import { compareThroughput } from './throughput.js';

export interface QuantizeFlags {
  calibration?: string;
  method?: ImageMethod;
  out?: string;
  bench: boolean;
}

const count = (ops: Record<string, number>, names: string[]): string =>
  names.filter((n) => ops[n]).map((n) => `${n} ${ops[n]}`).join(', ') || 'none';

/** QUANT_CALIBRATION as the flags amend it: `--method` names the method for the images' folder. */
function calibrationSetting(setting: string, method: ImageMethod | undefined): string {
  if (method === undefined) return setting;
  if (setting === 'data-free') throw new UsageError('--method applies to image calibration: also pass --calibration DIR');
  return `${method}:${parseCalibrationSetting(setting, method).folder}`;
}

export async function quantizeAndReport(values: QuantizeFlags, io: Io): Promise<number> {
  const { config, descriptor: d, log } = await modelContext(io);
  const setting = calibrationSetting(values.calibration ?? config.quantCalibration, values.method);
  const source = await ensureSource(config, d, { log, onProgress: progressReporter('model download', log) });
  const plan = await resolveQuantizationPlan(setting, { preprocessing: preprocessorOptions(d, config) });
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
  io.out(`int8 model: ${int8.path}${int8.converted ? ` (built in ${int8.seconds.toFixed(1)} s)` : ' (already cached)'}\n`);
  if (values.out) io.out(`copied to:  ${path.resolve(values.out)}\n`);
  io.out(`size:       ${(int8Size / 1e6).toFixed(1)} MB (fp32 ${(fp32Size / 1e6).toFixed(1)} MB)\n`);
  io.out(`QDQ graph:  ${count(source8, ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Add', 'Gemm'])}\n`);
  io.out(`ORT runs:   ${count(fused, ['QLinearConv', 'QLinearAdd', 'QGemm', 'QLinearGlobalAveragePool', 'NhwcMaxPool', 'MaxPool', 'QuantizeLinear', 'DequantizeLinear', 'Conv', 'FusedConv', 'Add', 'Gemm'])}\n`);
  if (values.bench) {
    for (const batch of [1, 4, 8, 16]) {
      const [f, q] = await compareThroughput([fp32.path, int8.path], d.input, config.threads, batch);
      io.out(`engine-only batch ${batch}: fp32 ${f.toFixed(1)} img/s, int8 ${q.toFixed(1)} img/s (x${(q / f).toFixed(2)}, ${config.threads} threads, interleaved medians)\n`);
    }
  }
  io.out(`serve it:   MODEL_PRECISION=int8 QUANT_CALIBRATION=${setting} npm start\n`);
  return EXIT.ok;
}
