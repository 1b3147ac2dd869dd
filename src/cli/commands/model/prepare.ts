/**
 * `resnet-serve model prepare` (npm run model:prepare): everything the server needs before it can
 * start offline: fetch and verify the source, and (for the ONNX engine) convert it and cache the
 * result. The Docker build runs this so that a pod needs no network at start.
 */
import { loadConfig } from '../../../config/config.js';
import { progressReporter } from '../../../model/progress.js';
import { EXIT } from '../command.js';
import { modelCommand, stderrLog } from './common.js';

const help = `usage: resnet-serve model prepare

Fetches the model (MODEL_NAME) and builds what ENGINE and MODEL_PRECISION need (the ONNX
conversion, the int8 model with QUANT_CALIBRATION), into MODEL_CACHE_DIR: the server then starts
without network or conversion. The Docker build runs it.

options:
  -h, --help   show this help
`;

export const prepareCommand = modelCommand({
  name: 'prepare',
  summary: 'fetch and build what ENGINE / MODEL_PRECISION need (the Docker build runs it)',
  help,
  options: {},
  async work(_flags, io) {
    const { prepareModel } = await import('../../../pipeline/prepare.js'); // on demand, like fetch's
    const log = stderrLog(io);
    const prepared = await prepareModel(loadConfig(), { log, onProgress: progressReporter('model download', log) });
    const spec = prepared.engineSpec;
    io.out(`${prepared.descriptor.name} ready for ${spec.engine}: ${spec.engine === 'onnx' ? spec.modelPath : spec.modelJsonPath}\n`);
    return EXIT.ok;
  },
});
