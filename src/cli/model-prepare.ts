/**
 * `npm run model:prepare`: everything the server needs before it can start offline: fetch and
 * verify the source, and (for the ONNX engine) convert it and cache the result. The Docker build
 * runs this so that a pod needs no network at start. Honours ENGINE and MODEL_PRECISION.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { prepareModel } from '../pipeline/prepare.js';
import { progressReporter } from '../model/progress.js';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('usage: npm run model:prepare\n  fetches the model (MODEL_NAME) and builds what ENGINE / MODEL_PRECISION need, into MODEL_CACHE_DIR');
  process.exit(0);
}
try {
  const config = loadConfig();
  const log = (msg: string): void => console.error(msg);
  const prepared = await prepareModel(config, { log, onProgress: progressReporter('model download', log) });
  const spec = prepared.engineSpec;
  console.log(`${prepared.descriptor.name} ready for ${spec.engine}: ${spec.engine === 'onnx' ? spec.modelPath : spec.modelJsonPath}`);
} catch (err) {
  console.error(`model:prepare failed: ${(err as Error).message}`);
  process.exit(1);
}
