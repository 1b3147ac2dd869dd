/**
 * `resnet-serve model quantize [--calibration data-free|DIR] [--method ...] [--out FILE] [--bench]`
 * (npm run model:quantize): flags and help here; the work, in ./quantize-build.ts, loads on demand.
 */
import { DEFAULT_IMAGE_METHOD, IMAGE_METHODS } from '../../../quantize/quantization-plan.js';
import { UsageError } from '../command.js';
import { modelCommand } from './common.js';

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

export const quantizeCommand = modelCommand({
  name: 'quantize',
  summary: 'build the int8 model; show its kernels and (--bench) its speed',
  help,
  options: {
    calibration: { type: 'string' },
    method: { type: 'string' },
    out: { type: 'string' },
    bench: { type: 'boolean', default: false },
  },
  async work(flags, io) {
    const method = flags.method === undefined ? undefined : IMAGE_METHODS.find((m) => m === flags.method);
    if (flags.method !== undefined && !method) throw new UsageError(`--method must be one of ${IMAGE_METHODS.join(', ')}`);
    const { quantizeAndReport } = await import('./quantize-build.js'); // on demand, like fetch's
    return quantizeAndReport({ calibration: flags.calibration, method, out: flags.out, bench: flags.bench }, io);
  },
});
