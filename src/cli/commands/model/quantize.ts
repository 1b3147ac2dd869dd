/**
 * `resnet-serve model quantize [--calibration data-free|DIR] [--method ...] [--out FILE] [--bench]`
 * (npm run model:quantize): flags and help here; the work, in ./quantize-build.ts, loads on demand.
 */
import { DEFAULT_IMAGE_METHOD, IMAGE_METHODS } from '../../../quantize/quantization-plan.js';
import { EXIT, parseFlags, UsageError, type Command, type Io } from '../command.js';
import { buildStep } from './common.js';

const help = `usage: resnet-serve model quantize [--calibration data-free|DIR] [--method ${IMAGE_METHODS.join('|')}] [--out FILE] [--bench]

Builds the int8 model into the ONNX cache, under the key the server computes for the same
MODEL_PRECISION=int8 and QUANT_CALIBRATION (the server then starts without quantizing), and prints
its calibration, size and the kernels ONNX Runtime runs.

options:
  --calibration X  data-free (BatchNorm statistics, default: QUANT_CALIBRATION) or a folder of images
  --method NAME    how ranges are taken from the images (default ${DEFAULT_IMAGE_METHOD})
  --out FILE       also write the model to FILE
  --bench          measure engine-only images/s, fp32 vs int8 (batch 1, 4, 8, 16; interleaved)
  -h, --help       show this help
`;

const options = {
  calibration: { type: 'string' },
  method: { type: 'string' },
  out: { type: 'string' },
  bench: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags(args, options, false);
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  const method = values.method === undefined ? undefined : IMAGE_METHODS.find((m) => m === values.method);
  if (values.method !== undefined && !method) throw new UsageError(`--method must be one of ${IMAGE_METHODS.join(', ')}`);
  const { quantizeAndReport } = await import('./quantize-build.js'); // on demand, like fetch's
  return buildStep(() => quantizeAndReport({ calibration: values.calibration, method, out: values.out, bench: values.bench }, io));
}

export const quantizeCommand: Command = { name: 'quantize', summary: 'build the int8 model; show its kernels and (--bench) its speed', help, run };
