/**
 * `resnet-serve model prepare [--serving-only]` (npm run model:prepare): everything the server
 * needs before it can start offline: fetch and verify the source, and (for the ONNX engine) convert
 * it and cache the result. The Docker build runs this so that a pod needs no network at start.
 */
import { loadConfig } from '../../../config/config.js';
import { StartupError } from '../../../errors.js';
import { progressReporter } from '../../../model/progress.js';
import { EXIT } from '../command.js';
import { modelCommand, stderrLog } from './common.js';

const help = `usage: resnet-serve model prepare [--serving-only]

Fetches the model (MODEL_NAME) and builds what ENGINE and MODEL_PRECISION need (the ONNX
conversion, the int8 model with QUANT_CALIBRATION), into MODEL_CACHE_DIR: the server then starts
without network or conversion. The Docker build runs it.

options:
  --serving-only   then keep only the converted ONNX model and the labels (container images; ENGINE=onnx)
  -h, --help       show this help
`;

export const prepareCommand = modelCommand({
  name: 'prepare',
  summary: 'fetch and build what ENGINE / MODEL_PRECISION need (the Docker build runs it)',
  help,
  options: { 'serving-only': { type: 'boolean', default: false } },
  async work(flags, io) {
    // On demand, like fetch's.
    const [{ prepareModel }, { trimToServing }] = await Promise.all([import('../../../pipeline/prepare.js'), import('../../../model/serving-only.js')]);
    const config = loadConfig();
    const log = stderrLog(io);
    const prepared = await prepareModel(config, { log, onProgress: progressReporter('model download', log) });
    const spec = prepared.engineSpec;
    io.out(`${prepared.descriptor.name} ready for ${spec.engine}: ${spec.engine === 'onnx' ? spec.modelPath : spec.modelJsonPath}\n`);
    if (flags['serving-only']) {
      if (spec.engine !== 'onnx') throw new StartupError('--serving-only keeps one ONNX build; the TF.js engine needs the source (ENGINE=onnx)');
      if (!prepared.npm) throw new StartupError(`--serving-only trims the cache of an npm-sourced model; ${prepared.location} is served from its own file`);
      const record = await trimToServing(config.modelCacheDir, prepared.npm, spec.modelPath);
      io.out(`trimmed ${prepared.dir} to ${Object.keys(record.files).join(', ')}\n`);
    }
    return EXIT.ok;
  },
});
