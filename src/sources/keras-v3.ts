/**
 * Keras 3 `.keras` archive (keras/src/saving/saving_lib.py): a zip of `config.json` (the model
 * config in Keras 3 form), `metadata.json` (`keras_version`, `date_saved`) and `model.weights.h5`.
 * The zip is read with fflate (maintained, no dependencies, synchronous in-memory unzip with an
 * entry filter; yauzl would need a streaming callback API for the same result). h5wasm's Node
 * build opens files by host path, so the weights file is written to a private temp folder first.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { isJsonObject } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { h5wasm, openH5 } from './h5.js';
import { normaliseKerasConfig } from './keras-config.js';
import { inferenceTopology } from './keras-inference.js';
import { flattenNestedModels } from './keras-nested.js';
import { readKerasV3Weights } from './keras-v3-weights.js';
import type { KerasModelSource } from './types.js';
import { checkImageClassifier } from './validate.js';
import { packWeights } from './weights.js';

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

export async function readKerasV3(file: string): Promise<KerasModelSource> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const names: string[] = [];
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        return f.name === CONFIG || f.name === METADATA || f.name === WEIGHTS;
      },
    });
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `not a readable .keras (zip) archive: ${(err as Error).message}`, { cause: err });
  }
  const listed = names.length > 0 ? names.join(', ') : 'nothing';
  if (!entries[CONFIG]) throw new ModelSourceError('missing_entry', file, `.keras archive has no ${CONFIG} (it holds ${listed})`);
  if (!entries[WEIGHTS]) throw new ModelSourceError('missing_entry', file, `.keras archive has no ${WEIGHTS} (it holds ${listed})`);

  const modelConfig = parseJson(entries[CONFIG], CONFIG, file);
  const metadata = entries[METADATA] ? parseJson(entries[METADATA], METADATA, file) : {};
  const kerasVersion = isJsonObject(metadata) && typeof metadata.keras_version === 'string' ? metadata.keras_version : undefined;
  const topology = normaliseKerasConfig(modelConfig, file, { kerasVersion });
  const modelTopology = flattenNestedModels(inferenceTopology(topology), file);
  const input = checkImageClassifier(modelTopology, file);

  const lib = await h5wasm();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'resnet-serve-keras-'));
  try {
    const weightsFile = path.join(dir, WEIGHTS);
    await writeFile(weightsFile, entries[WEIGHTS]);
    const h5 = await openH5(weightsFile, `${WEIGHTS} in ${path.basename(file)}`).catch((err: unknown) => {
      throw err instanceof ModelSourceError ? new ModelSourceError(err.code, file, err.message.slice(weightsFile.length + 2), { cause: err }) : err;
    });
    try {
      const weights = readKerasV3Weights(lib, h5, topology, file);
      return { format: 'keras-v3', file, kerasVersion, input, artifacts: { modelTopology, ...packWeights(weights) } };
    } finally {
      h5.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseJson(bytes: Uint8Array, entry: string, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ModelSourceError('invalid_config', file, `${entry} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
