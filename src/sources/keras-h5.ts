/**
 * Keras HDF5 full model (`model.save('x.h5')`, tf.keras 2.x and Keras 3's legacy writer,
 * keras/src/legacy/saving/legacy_h5_format.py): root attributes `model_config` (JSON),
 * `keras_version`, `backend`; group `model_weights` with attribute `layer_names` and, per layer,
 * a group with attribute `weight_names` whose entries are dataset paths inside that group
 * (tf.keras 2: `conv1/kernel:0`; Keras 3: the variable path, `conv1/kernel`).
 */
import type { Group } from 'h5wasm';
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { h5wasm, isDataset, isGroup, openH5, readFloatDataset, stringAttr, stringListAttr } from './h5.js';
import { isModelClass, normaliseKerasConfig } from './keras-config.js';
import type { KerasTopology } from './keras-config.js';
import { inferenceTopology } from './keras-inference.js';
import { flattenNestedModels, leafLayers } from './keras-nested.js';
import type { KerasModelSource } from './types.js';
import { checkImageClassifier } from './validate.js';
import { converterVariableName, packWeights } from './weights.js';
import type { NamedWeight } from './weights.js';

export async function readKerasH5(file: string): Promise<KerasModelSource> {
  const lib = await h5wasm();
  const f = await openH5(file, 'Keras .h5 file');
  try {
    const rawConfig = stringAttr(f, 'model_config');
    if (rawConfig === undefined) {
      const weightsOnly = stringListAttr(f, 'layer_names') !== undefined;
      throw new ModelSourceError(
        'missing_entry',
        file,
        weightsOnly
          ? 'holds weights only (model.save_weights): save the whole model with model.save("model.h5")'
          : 'has no model_config attribute: not a Keras model.save() file',
      );
    }
    let modelConfig: unknown;
    try {
      modelConfig = JSON.parse(rawConfig);
    } catch (err) {
      throw new ModelSourceError('invalid_config', file, `model_config is not JSON: ${(err as Error).message}`, { cause: err });
    }
    const weightsGroup = f.get('model_weights');
    if (!isGroup(weightsGroup, lib)) throw new ModelSourceError('missing_entry', file, 'has no model_weights group');
    const kerasVersion = stringAttr(f, 'keras_version') ?? stringAttr(weightsGroup, 'keras_version');
    const backend = stringAttr(f, 'backend') ?? stringAttr(weightsGroup, 'backend');
    const topology = normaliseKerasConfig(modelConfig, file, { kerasVersion, backend });
    const modelTopology = flattenNestedModels(inferenceTopology(topology), file);
    const input = checkImageClassifier(modelTopology, file);
    const weights = readModelWeights(lib, weightsGroup, topology, file);
    return { format: 'keras-h5', file, kerasVersion, backend, input, artifacts: { modelTopology, ...packWeights(weights) } };
  } finally {
    f.close();
  }
}

function readModelWeights(lib: Awaited<ReturnType<typeof h5wasm>>, group: Group, topology: KerasTopology, file: string): NamedWeight[] {
  const layerNames = stringListAttr(group, 'layer_names');
  if (!layerNames) throw new ModelSourceError('missing_entry', file, 'model_weights has no layer_names attribute');
  const layerOf = new Map<string, JsonObject>();
  for (const l of topology.model_config.config.layers as unknown[]) {
    if (isJsonObject(l) && typeof l.name === 'string') layerOf.set(l.name, l);
  }
  const out: NamedWeight[] = [];
  for (const layer of layerNames) {
    const g = group.get(layer);
    if (!isGroup(g, lib)) throw new ModelSourceError('missing_entry', file, `model_weights lists layer "${layer}" but has no group for it`);
    const names = stringListAttr(g, 'weight_names') ?? [];
    const entry = layerOf.get(layer);
    const className = typeof entry?.class_name === 'string' ? entry.class_name : undefined;
    const nested = isModelClass(className) && isJsonObject(entry?.config) ? leafLayers(entry.config) : undefined;
    // The owning layer is the group, not the name's prefix: tf.keras names a variable after the
    // name scope it was created in, which differs from the layer name when layers were renamed.
    const variables = names.map((n) => n.replace(/:\d+$/, '').split('/').pop() ?? n);
    const unique = new Set(variables).size === variables.length;
    names.forEach((weightName, i) => {
      const d = g.get(weightName);
      if (!isDataset(d, lib)) {
        throw new ModelSourceError('missing_entry', file, `layer "${layer}" lists weight "${weightName}" but model_weights/${layer}/${weightName} is not a dataset`);
      }
      const { dims, data } = readFloatDataset(d, file);
      const name = nested
        ? `${layer}/${nestedWeightName(nested, weightName, layer, file)}`
        : unique
          ? `${layer}/${converterVariableName(className, variables[i])}`
          : weightName.replace(/:\d+$/, ''); // an unknown layer with several same-named variables: left to the converter
      out.push({ name, dims, data });
    });
  }
  return out;
}

/**
 * A nested model's variable `conv1_conv/kernel:0` (tf.keras 2) or `resnet50/conv1_conv/kernel`
 * (a variable path) -> `<inner layer path>/<variable>`: the inner layer is the nearest path segment
 * before the variable that names one of the nested model's layers.
 */
function nestedWeightName(leaves: ReturnType<typeof leafLayers>, weightName: string, layer: string, file: string): string {
  const parts = weightName.replace(/:\d+$/, '').split('/');
  const variable = parts[parts.length - 1];
  for (let i = parts.length - 2; i >= 0; i--) {
    const hits = leaves.get(parts[i]);
    if (!hits) continue;
    const hit = hits.length === 1 ? hits[0] : hits.find((h) => parts.slice(0, i + 1).join('/').endsWith(h.path));
    if (hit) return `${hit.path}/${converterVariableName(hit.className, variable)}`;
  }
  throw new ModelSourceError('weights_mismatch', file, `nested model "${layer}": weight "${weightName}" names none of its layers`);
}
