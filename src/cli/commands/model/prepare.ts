/**
 * `resnet-serve model prepare` (npm run model:prepare): everything the server needs before it can
 * start offline: fetch and verify the source, and (for the ONNX engine) convert it and cache the
 * result. The Docker build runs this so that a pod needs no network at start.
 */
import { loadConfig } from '../../../config/config.js';
import { progressReporter } from '../../../model/progress.js';
import { EXIT, parseFlags, type Command, type Io } from '../command.js';
import { buildStep, stderrLog } from './common.js';

const help = `usage: resnet-serve model prepare

Fetches the model (MODEL_NAME) and builds what ENGINE and MODEL_PRECISION need (the ONNX
conversion, the int8 model with QUANT_CALIBRATION), into MODEL_CACHE_DIR: the server then starts
without network or conversion. The Docker build runs it.

options:
  -h, --help   show this help
`;

const options = { help: { type: 'boolean', short: 'h', default: false } } as const;

async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseFlags(args, options, false);
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  return buildStep(async () => {
    const { prepareModel } = await import('../../../pipeline/prepare.js'); // on demand, like fetch's
    const log = stderrLog(io);
    const prepared = await prepareModel(loadConfig(), { log, onProgress: progressReporter('model download', log) });
    const spec = prepared.engineSpec;
    io.out(`${prepared.descriptor.name} ready for ${spec.engine}: ${spec.engine === 'onnx' ? spec.modelPath : spec.modelJsonPath}\n`);
    return EXIT.ok;
  });
}

export const prepareCommand: Command = { name: 'prepare', summary: 'fetch and build what ENGINE / MODEL_PRECISION need (the Docker build runs it)', help, run };
