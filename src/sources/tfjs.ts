/**
 * A team's TF.js layers model (`model.json` + weight shards, as tensorflowjs_converter writes it):
 * the same checks as a Keras file (custom objects, one image input, one output) before conversion.
 * The artifacts are converted as read, exactly as the built-in model's are.
 */
import { isJsonObject } from '../convert/keras/types.js';
import { readLayersModel } from '../model/artifacts.js';
import { ModelSourceError } from './errors.js';
import { normaliseKerasConfig } from './keras-config.js';
import { inferenceTopology } from './keras-inference.js';
import { flattenNestedModels } from './keras-nested.js';
import type { KerasModelSource } from './types.js';
import { checkImageClassifier } from './validate.js';

export async function readTfjsLayersModel(file: string): Promise<KerasModelSource> {
  const artifacts = await readLayersModel(file).catch((err: unknown) => {
    // readLayersModel's messages start with the path, which ModelSourceError puts first anyway.
    const why = err instanceof Error ? err.message.replace(`cannot read model ${file}: `, 'not a readable TF.js model.json: ').replace(`${file}: `, '').replace(`${file} `, '') : String(err);
    throw new ModelSourceError('unreadable_file', file, why, { cause: err });
  });
  const raw = artifacts.modelTopology;
  const modelConfig = isJsonObject(raw) && isJsonObject(raw.model_config) ? raw.model_config : raw;
  const kerasVersion = isJsonObject(raw) && typeof raw.keras_version === 'string' ? raw.keras_version : undefined;
  const topology = flattenNestedModels(inferenceTopology(normaliseKerasConfig(modelConfig, file, { kerasVersion })), file);
  const input = checkImageClassifier(topology, file);
  return { format: 'tfjs-layers', file, kerasVersion, input, artifacts };
}
